/**
 * Developer tool: replays the cassettes against the sandbox and prints every mismatch (the test
 * only fails on unexplained ones). Usage: `npx tsx test/sandbox/replay-report.ts [name-filter]`,
 * `MAX=50` to print more lines per cassette.
 */
import { readdirSync } from 'node:fs';
import { CASSETTE_DIR, loadCassette, replayCassette } from './cassette-replay.js';
const only = process.argv[2];
for (const dir of ['terraform', 'cli']) {
  for (const f of readdirSync(`${CASSETTE_DIR}/${dir}`)) {
    if (only && !f.includes(only)) continue;
    const c = loadCassette(`${dir}/${f}`);
    const token = f.includes('init-cl-iv2')
      ? 'unknown'
      : f.includes('init-ssh-key')
        ? 'unprivileged'
        : 'admin';
    const r = await replayCassette(c, { token });
    console.log(
      `## ${c.name} replayed=${r.replayed} skipped=${r.skipped} rebuilt=${r.rebuiltBodies} seeded=${JSON.stringify(r.seeded)} mismatches=${r.mismatches.length}`,
    );
    for (const m of r.mismatches.slice(0, Number(process.env.MAX ?? 6)))
      console.log(`   ${m.request.slice(0, 110)} :: ${m.problem.slice(0, 300)}`);
  }
}
