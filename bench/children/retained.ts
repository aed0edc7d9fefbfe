/**
 * Retained heap of one pass, after garbage collection, per part: the desired state (loaded and
 * validated), the live state (listed, with the rules of owned policies) and the plan; and the
 * share of the desired state that is source locations (kept for diagnostics). Run with
 * --expose-gc in a fresh process. Prints one JSON line.
 *
 *   node --expose-gc --import tsx bench/children/retained.ts --settings FILE --dir DIR
 *   env: Scaleway credentials
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import { loadSettings } from '../../src/config/load-settings.js';
import { loadDesiredState } from '../../src/desired/load.js';
import { observeSinks } from '../../src/sinks/observe.js';
import { Secret } from '../../src/model/secret.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { planOptionsFromSettings } from '../../src/reconciler/reconcile-once.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { observeLive } from '../../src/scaleway/observe.js';
import { createSinks } from '../../src/sinks/registry.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const { values } = parseArgs({ options: { settings: { type: 'string' }, dir: { type: 'string' } } });
const env = process.env as Record<string, string | undefined>;
const settings = await loadSettings(values.settings, { env, cwd: process.cwd() });
const logger = pino({ level: 'silent' });
const client = createScalewayClient({
  apiUrl: settings.scaleway.apiUrl!,
  secretKey: new Secret(env['SCW_SECRET_KEY']!),
  organizationId: settings.scaleway.organizationId!,
  logger,
});
const sinks = await createSinks(settings, { env: {}, logger, clock: systemClock });
const now = new Date();
const opts = { instance: settings.instance, now, sinkNames: ['local'], defaultSink: 'local' };

// Measurements run in functions of their own: a module's top-level await can keep temporaries
// alive until it completes, which would hide or double what a step retains.
const keep: unknown[] = [];

async function warmUp(): Promise<void> {
  // the code paths run once (compiled code, lazily built tables), then everything is dropped
  const d = await loadDesiredState(values.dir!, opts);
  const l = await observeLive(client, { instance: settings.instance, now: () => now });
  const s = await observeSinks(d.state!, sinks, {
    layouts: settings.sinks,
    defaultSink: settings.defaults.sink,
  });
  buildPlan({ desired: d.state!, live: l, sinkRecords: s, options: planOptionsFromSettings(settings), now });
}

/** The desired state without its source locations (kept for diagnostics). */
async function loadBare(): Promise<unknown[]> {
  const state = (await loadDesiredState(values.dir!, opts)).state!;
  return state.resources.map((r) => {
    const { fieldLocations: _f, source: _s, ...rest } = r;
    return rest;
  });
}

async function bareDesired(): Promise<number> {
  const before = heap();
  const bare = await loadBare();
  const after = heap();
  keep.push(bare);
  return after - before;
}

async function loadDesired() {
  return (await loadDesiredState(values.dir!, opts)).state!;
}

async function pass() {
  const h0 = heap();
  const desired = await loadDesired();
  keep.push(desired);
  const h1 = heap();
  const live = await observeLive(client, { instance: settings.instance, now: () => now });
  keep.push(live);
  const h2 = heap();
  const sinkRecords = await observeSinks(desired, sinks, {
    layouts: settings.sinks,
    defaultSink: settings.defaults.sink,
  });
  const plan = buildPlan({ desired, live, sinkRecords, options: planOptionsFromSettings(settings), now });
  keep.push(sinkRecords, plan);
  const h3 = heap();
  return {
    resources: desired.resources.length,
    liveObjects:
      live.projects.length +
      live.applications.length +
      live.apiKeys.length +
      live.groups.length +
      live.policies.length,
    desiredBytes: h1 - h0,
    liveBytes: h2 - h1,
    planBytes: h3 - h2,
    planSteps: plan.steps.length,
  };
}

await warmUp();
const desiredWithoutLocationsBytes = await bareDesired();
keep.length = 0;
const result = { ...(await pass()), desiredWithoutLocationsBytes };
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
