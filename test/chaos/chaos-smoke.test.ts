/**
 * A small, fast subset of `npm run chaos` (bench/chaos.ts): a few dozen kill -9 points of the CLI
 * (random instants and custody points), a 429 storm, connection resets, a sink outage, concurrent
 * writers, clock jumps; zero invariant violations. Plus a check that the invariant checker is not
 * blind (it reports a touched foreign object, a lost sink record and a leaked secret).
 */
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCli } from '../../bench/chaos/child.js';
import {
  apiFaults,
  clockJumps,
  concurrentWriters,
  killCli,
  type ScenarioContext,
  sinkOutage,
} from '../../bench/chaos/scenarios.js';
import { checkInvariants, createWorld, inProcess, reconcileIn } from '../../bench/chaos/world.js';

const SEED = 4242;

// Bounded by counts (iterations, kills), not by time: a time budget would make the number of kill
// points, and so the assertions, depend on the machine's load. The timeout only catches a hang.
describe('chaos smoke', { timeout: 300_000 }, () => {
  let cliDir: string;
  let ctx: ScenarioContext;

  beforeAll(async () => {
    cliDir = await mkdtemp(join(tmpdir(), 'scw-gitops-chaos-smoke-'));
    ctx = {
      seed: SEED,
      budgetMs: Number.POSITIVE_INFINITY,
      maxIterations: 12,
      cli: await bundleCli(cliDir),
      log: () => {},
    };
  });

  afterAll(async () => {
    await rm(cliDir, { recursive: true, force: true });
  });

  it('kill -9 of the CLI at random instants and at custody points: every invariant holds', async () => {
    const random = await killCli(
      { ...ctx, maxIterations: 60, targetKills: 20 },
      { name: 'random', lanes: 2, mode: 'random', checkEvery: 5 },
    );
    const custody = await killCli(
      { ...ctx, maxIterations: 8 },
      { name: 'custody', lanes: 2, mode: 'custody', checkEvery: 4 },
    );
    expect(random.violations).toEqual([]);
    expect(custody.violations).toEqual([]);
    expect(random.killPoints).toBeGreaterThanOrEqual(20);
    expect(random.invariantChecks + custody.invariantChecks).toBeGreaterThanOrEqual(2);
  });

  it('429 storm, connection resets, sink outage, concurrent writers, clock jumps: every invariant holds', async () => {
    const small = { ...ctx, maxIterations: 3 };
    const reports = [
      await apiFaults(small, '429 storm', 3),
      await apiFaults(small, 'connection resets', 3),
      await sinkOutage(small, 1),
      await concurrentWriters(small, 2),
      await clockJumps(small, 3),
    ];
    for (const r of reports) {
      expect(r.violations, r.scenario).toEqual([]);
      expect(r.runs, r.scenario).toBeGreaterThan(0);
    }
    expect(reports[0]!.faultsInjected).toBeGreaterThan(0);
    expect(reports[3]!.faultsInjected).toBeGreaterThan(0);
  });

  it('the invariant checker reports a touched foreign object and a leaked secret; a lost sink record is re-delivered', async () => {
    const world = await createWorld({ seed: SEED, shape: { apps: 2, keys: [0, 1], rev: 'x' } });
    try {
      const deps = await inProcess(world);
      expect((await reconcileIn(world, deps)).kind).toBe('applied');
      expect(await checkInvariants(world)).toEqual([]);

      const foreign = [...world.sandbox.store.applications.values()].find((a) =>
        a.name.startsWith('foreign'),
      )!;
      foreign.description = 'changed behind our back';
      await unlink(join(world.sinkDir, 'key-1.env'));
      const leaked = [...world.secrets].at(-1)!;
      world.outputs.push(`{"msg":"oops","value":"${leaked}"}\n`);
      // the checker converges first: the lost record is repaired (a new key, delivered)
      const found = await checkInvariants(world);
      const kinds = found.map((v) => v.invariant);
      expect(kinds).toContain('untouched');
      expect(kinds).toContain('secret-in-log');
      expect(kinds).not.toContain('custody');
      expect(found.find((v) => v.invariant === 'secret-in-log')!.detail).not.toContain(leaked);
    } finally {
      await world.close();
    }
  });
});
