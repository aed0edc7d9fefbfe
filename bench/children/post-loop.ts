/**
 * The baseline of the apply benchmark: N applications created one POST after the other, no
 * listing, no plan, no verification. Prints one JSON line.
 *
 *   node --import tsx bench/children/post-loop.ts --url URL --org ORG --key SECRET --n 100
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    org: { type: 'string' },
    key: { type: 'string' },
    n: { type: 'string' },
  },
});
const n = Number(values.n ?? '100');
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const res = await fetch(`${values.url}/iam/v1alpha1/applications`, {
    method: 'POST',
    headers: { 'X-Auth-Token': values.key!, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: `seq-${i}`, organization_id: values.org, description: '' }),
  });
  if (!res.ok) throw new Error(`POST: HTTP ${res.status}`);
  await res.arrayBuffer();
}
process.stdout.write(`${JSON.stringify({ wallMs: performance.now() - t0, n })}\n`);
process.exit(0);
