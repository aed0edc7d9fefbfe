/**
 * One input-limit measurement in a fresh process (so memory growth is the input's alone):
 *
 *   node --import tsx bench/children/input-limits.ts bomb DIR     # the 100 KB alias bomb
 *   node --import tsx bench/children/input-limits.ts huge DIR     # a 60 MB (sparse) file
 *
 * The process first validates examples/basic (as a running daemon would have), then loads DIR
 * and prints one JSON line: { wallMs, cpuMs, rssBefore, maxRss, diagnostics, codes }. CPU time is
 * reported beside wall time because the benchmark machine is shared (wall time includes waiting
 * for a CPU).
 */
import path from 'node:path';
import { loadDesiredState } from '../../src/desired/load.js';

const dir = process.argv[3];
if (!dir) {
  process.stderr.write('input-limits-child: DIR is required\n');
  process.exit(2);
}
const opts = { instance: 'default', now: new Date() };
await loadDesiredState(path.resolve(import.meta.dirname, '../../examples/basic'), opts);
global.gc?.();
const rssBefore = process.memoryUsage().rss;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const result = await loadDesiredState(dir, opts);
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
const maxRss = process.resourceUsage().maxRSS * 1024;
process.stdout.write(
  `${JSON.stringify({
    wallMs,
    cpuMs,
    rssBefore,
    maxRss,
    diagnostics: result.diagnostics.length,
    codes: [...new Set(result.diagnostics.map((d) => d.code))],
  })}\n`,
);
