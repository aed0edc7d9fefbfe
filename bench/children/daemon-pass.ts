/**
 * The daemon's reconcile pass (src/daemon/reconcile-pass.ts, with its runtime, rules cache and
 * parse cache) run N times in a fresh process, as a daemon runs it on each trigger: pass 1 is the
 * start-up pass, the next ones are the no-op passes of a converged organization. Requests are
 * counted by kind through the client's per-attempt hook. Prints one JSON line.
 *
 *   node --import tsx bench/children/daemon-pass.ts --settings FILE [--passes N]
 *   env: Scaleway credentials, SCW_GITOPS_CACHE_DIR
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createRuntime } from '../../src/app/runtime.js';
import { systemClock } from '../../src/clock.js';
import { loadSettings } from '../../src/config/load-settings.js';
import { createReconcilePass } from '../../src/daemon/reconcile-pass.js';
import { kindOf } from '../lib/kinds.js';

const { values } = parseArgs({ options: { settings: { type: 'string' }, passes: { type: 'string' } } });
const env = process.env as Record<string, string | undefined>;
const settings = await loadSettings(values.settings, { env, cwd: process.cwd() });
const logger = pino({ level: 'silent' });
let byKind: Record<string, number> = {};
const runtime = await createRuntime(settings, {
  env,
  logger,
  clock: systemClock,
  onRequest: (e) => {
    const k = kindOf(e.method, e.route);
    byKind[k] = (byKind[k] ?? 0) + 1;
  },
});
const pass = createReconcilePass(runtime, settings, systemClock);
const passes: Array<{ wallMs: number; cpuMs: number; result: string; byKind: Record<string, number> }> = [];
const n = Number(values.passes ?? '4');
for (let i = 1; i <= n; i++) {
  byKind = {};
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const report = await pass({
    reconcileId: `bench-${i}`,
    reasons: ['bench'],
    signal: new AbortController().signal,
    attempt: 1,
    logger,
  });
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  passes.push({ wallMs, cpuMs: (cpu.user + cpu.system) / 1000, result: report.result, byKind });
}
await runtime.close();
process.stdout.write(`${JSON.stringify({ passes })}\n`);
process.exit(0);
