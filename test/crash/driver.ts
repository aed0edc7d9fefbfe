/**
 * One reconcile pass (load → observe live + sinks → plan → apply) as a child process, for the
 * crash tests: the test kills it with SCW_GITOPS_CRASH_AT (SIGKILL at a custody point) and runs
 * it again. It composes the same public modules as the `reconcile` command, with a file sink.
 *
 *   node --import tsx test/crash/driver.ts --dir DESIRED --sink-dir DIR --api URL --org ORG
 *   env: SCW_SECRET_KEY (admin key of the sandbox), SCW_GITOPS_CRASH_AT (optional)
 *
 * Prints pino JSON lines, then one line `{"result": {...}}` with the plan size and outcomes.
 * Exit 0 when the pass applied cleanly, 1 otherwise.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import { loadDesiredState } from '../../src/desired/load.js';
import { executePlan } from '../../src/executor/execute-plan.js';
import { observeSinks } from '../../src/sinks/observe.js';
import { Secret } from '../../src/model/secret.js';
import { buildPlan, defaultPlanOptions } from '../../src/planner/build-plan.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { observeLive } from '../../src/scaleway/observe.js';
import { createFileSink } from '../../src/sinks/file-sink.js';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    'sink-dir': { type: 'string' },
    api: { type: 'string' },
    org: { type: 'string' },
  },
});
const logger = pino({ level: 'debug' }, pino.destination({ dest: 1, sync: true }));
const secretKey = process.env.SCW_SECRET_KEY;
if (!values.dir || !values['sink-dir'] || !values.api || !values.org || !secretKey) {
  process.stderr.write('driver: missing arguments\n');
  process.exit(2);
}
const instance = 'default';
const now = systemClock.now();
const loaded = await loadDesiredState(values.dir, {
  instance,
  now,
  sinkNames: ['local'],
  defaultSink: 'local',
});
if (!loaded.state) {
  process.stderr.write(`driver: invalid desired state: ${JSON.stringify(loaded.diagnostics)}\n`);
  process.exit(2);
}
const client = createScalewayClient({
  apiUrl: values.api,
  secretKey: new Secret(secretKey),
  organizationId: values.org,
  logger,
  retry: { retries: 2, minTimeoutMs: 10, maxTimeoutMs: 50 },
});
const sinkSettings = { name: 'local', type: 'file', dir: values['sink-dir'], format: 'dotenv' } as const;
const sink = createFileSink(sinkSettings, { logger });
const sinks = new Map([['local', sink]]);
const live = await observeLive(client, { instance, now: () => systemClock.now() });
const sinkRecords = await observeSinks(loaded.state, sinks, {
  layouts: [sinkSettings],
  defaultSink: 'local',
});
const plan = buildPlan({
  desired: loaded.state,
  live,
  sinkRecords,
  options: defaultPlanOptions({
    instance,
    prune: { Project: false, Application: false, Group: false, Policy: false, ApiKey: true },
    sinks: [sinkSettings],
    defaultSink: 'local',
  }),
  now,
});
const summary = await executePlan(plan, {
  client,
  sinks,
  clock: systemClock,
  logger,
  retry: { baseDelayMs: 10, sinkDelayMs: 10 },
});
process.stdout.write(
  `${JSON.stringify({
    result: {
      steps: plan.steps.map((s) => ({ id: s.id, action: s.action, reason: s.reason })),
      diagnostics: plan.diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`),
      outcomes: summary.outcomes,
      ok: summary.ok,
    },
  })}\n`,
);
process.exitCode = summary.ok && !plan.diagnostics.some((d) => d.severity === 'error') ? 0 : 1;
