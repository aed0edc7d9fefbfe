// Loaded with `node --import` into every measured process: at exit, writes the process's CPU time
// and peak RSS as one JSON line to file descriptor 3 (a pipe the benchmark opened), if there is one.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const u = process.resourceUsage();
  try {
    writeSync(
      3,
      `${JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssBytes: u.maxRSS * 1024 })}\n`,
    );
  } catch {
    // no fd 3: not measured
  }
});
