/**
 * One reconcile pass in a fresh process, measured from inside: wall time, CPU (process.cpuUsage),
 * RSS before the pass and at its peak (sampled every 2 ms, and resourceUsage().maxRSS).
 *
 *   node --import tsx bench/scenarios/reconcile-child.ts --settings FILE --dir DIR [--dry-run]
 *   env: SCW_SECRET_KEY (sandbox admin key)
 *
 * Prints one JSON line: { kind, steps, wallMs, cpuMs, rssBefore, rssPeak, maxRss, resources }.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import { loadSettings } from '../../src/config/load-settings.js';
import { Secret } from '../../src/model/secret.js';
import { reconcileOnce } from '../../src/reconciler/reconcile-once.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { createSinks } from '../../src/sinks/registry.js';

const { values } = parseArgs({
  options: { settings: { type: 'string' }, dir: { type: 'string' }, 'dry-run': { type: 'boolean' } },
});
const secret = process.env.SCW_SECRET_KEY;
if (!values.settings || !values.dir || !secret) {
  process.stderr.write('reconcile-child: --settings, --dir and SCW_SECRET_KEY are required\n');
  process.exit(2);
}
const logger = pino({ level: 'silent' });
const settings = await loadSettings(values.settings, { env: {}, cwd: process.cwd() });
const client = createScalewayClient({
  apiUrl: settings.scaleway.apiUrl!,
  secretKey: new Secret(secret),
  organizationId: settings.scaleway.organizationId!,
  listConcurrency: settings.scaleway.listConcurrency,
  logger,
});
const sinks = await createSinks(settings, { env: {}, logger, clock: systemClock });

global.gc?.();
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;
const sampler = setInterval(() => {
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
}, 2);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const r = await reconcileOnce(
  { client, sinks, settings, clock: systemClock, logger },
  { dir: values.dir, dryRun: values['dry-run'] === true },
);
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
process.stdout.write(
  `${JSON.stringify({
    kind: r.kind,
    error: r.error,
    steps: r.plan?.steps.length ?? 0,
    failed: r.summary?.counts.failed ?? 0,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssBefore,
    rssPeak,
    maxRss: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
process.exit(0);
