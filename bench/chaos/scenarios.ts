/**
 * Chaos scenarios. Each runs against its own world(s) until its time budget is spent (or its
 * iteration count is reached), then converges without faults and checks the invariants
 * (world.ts). Everything random comes from one seeded PRNG, printed by `npm run chaos`.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createRng } from '../../src/sandbox/prng.js';
import { CRASH_POINTS } from '../../src/executor/crash-points.js';
import { type ChildResult, runCli } from './child.js';
import {
  checkInvariants,
  createWorld,
  type DesiredShape,
  inProcess,
  offsetClock,
  reconcileIn,
  type Violation,
  type World,
} from './world.js';

export interface ScenarioContext {
  readonly seed: number;
  /** Time budget (ms) of this scenario. */
  readonly budgetMs: number;
  /** Upper bound on iterations (smoke runs). */
  readonly maxIterations: number;
  /** Stop a kill scenario once it has this many kill points (smoke runs). */
  readonly targetKills?: number;
  /** Node arguments running the CLI (bundleCli). */
  readonly cli: readonly string[];
  readonly log: (line: string) => void;
}

export interface ScenarioReport {
  readonly scenario: string;
  readonly runs: number;
  readonly killPoints: number;
  readonly faultsInjected: number;
  readonly invariantChecks: number;
  /** Kills that landed after the killed process had sent at least one write (mid-apply). */
  readonly killsMidApply?: number;
  readonly violations: Violation[];
  readonly ms: number;
}

const MUTATING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** Writes the sandbox received since request number `before`. */
function writesSince(world: World, before: number): number {
  const n = world.sandbox.requestCount() - before;
  if (n <= 0) return 0;
  return world.sandbox
    .requests()
    .slice(-n)
    .filter((r) => MUTATING.has(r.method)).length;
}

type Rng = ReturnType<typeof createRng>;

const APPS = 5;

function randomShape(rng: Rng, rev: number): DesiredShape {
  const keys = Array.from({ length: APPS }, (_, i) => i).filter(() => rng.next() < 0.6);
  return { apps: APPS, keys, rev: `r${rev}` };
}

async function timed<T extends Omit<ScenarioReport, 'ms' | 'scenario'>>(
  scenario: string,
  fn: () => Promise<T>,
): Promise<ScenarioReport> {
  const t0 = performance.now();
  const r = await fn();
  return { scenario, ...r, ms: performance.now() - t0 };
}

/**
 * kill -9 of the CLI (`scw-gitops reconcile`) at a random instant of a pass, over and over, the
 * desired state changing between passes (keys created and deleted, descriptions updated).
 * `lanes` worlds run side by side. Invariants are checked every `checkEvery` kills.
 */
export function killCli(
  ctx: ScenarioContext,
  opts: { name: string; lanes: number; mode: 'random' | 'custody' | 'rotation'; checkEvery: number },
): Promise<ScenarioReport> {
  return timed(opts.name, async () => {
    const deadline = performance.now() + ctx.budgetMs;
    let runs = 0;
    let killPoints = 0;
    let checks = 0;
    let iterations = 0;
    let midApply = 0;
    const violations: Violation[] = [];
    const lane = async (laneNo: number) => {
      const rng = createRng(ctx.seed * 31 + laneNo);
      // rotation: 2-minute keys due for rotation 5 s after creation, 2 s overlap: passes keep rotating
      const shape =
        opts.mode === 'rotation'
          ? { apps: 3, keys: [0, 1, 2], rev: 'rot', lifetime: '2m', rotateBefore: '1m55s', overlap: '2s' }
          : randomShape(rng, 0);
      const world = await createWorld({ seed: ctx.seed + laneNo, shape });
      /** Duration of a whole pass (moving average of passes that finished); kills land across it. */
      let passMs = 0;
      try {
        let sinceCheck = 0;
        let rev = 0;
        while (
          performance.now() < deadline &&
          iterations < ctx.maxIterations &&
          killPoints < (ctx.targetKills ?? Number.POSITIVE_INFINITY)
        ) {
          iterations++;
          if (opts.mode !== 'rotation') await world.writeDesired(randomShape(rng, ++rev));
          const args = ['reconcile', world.desiredDir, '--config', world.settingsFile, '--no-color'];
          let r: ChildResult;
          if (opts.mode === 'custody') {
            const point = CRASH_POINTS[rng.int(CRASH_POINTS.length)]!;
            const before = world.sandbox.requestCount();
            r = await runCli(world, ctx.cli, args, { crashAt: point });
            if (r.killed && writesSince(world, before) > 0) midApply++;
          } else {
            const before = world.sandbox.requestCount();
            // half the kills in the first third of a pass (start, listing, planning), half across the rest
            // (rotation: only across the rest, where the rotation writes are)
            const early = opts.mode !== 'rotation' && rng.next() < 0.5;
            const span =
              opts.mode === 'rotation'
                ? 0.5 + rng.next() * 1.0 // rotation passes are longer than the no-change ones measured
                : early
                  ? 0.05 + rng.next() * 0.3
                  : 0.35 + rng.next() * 0.8;
            const killAfterMs = passMs === 0 ? undefined : Math.round(passMs * span);
            r = await runCli(world, ctx.cli, args, killAfterMs === undefined ? {} : { killAfterMs });
            if (!r.killed) passMs = passMs === 0 ? r.ms : 0.7 * passMs + 0.3 * r.ms;
            else if (writesSince(world, before) > 0) midApply++;
          }
          runs++;
          if (r.killed) {
            killPoints++;
            sinceCheck++;
          }
          if (sinceCheck >= opts.checkEvery) {
            sinceCheck = 0;
            checks++;
            for (const v of await checkInvariants(world))
              violations.push({ ...v, detail: `lane ${laneNo}: ${v.detail}` });
          }
        }
        checks++;
        for (const v of await checkInvariants(world))
          violations.push({ ...v, detail: `lane ${laneNo}: ${v.detail}` });
      } finally {
        await world.close();
      }
    };
    await Promise.all(Array.from({ length: opts.lanes }, (_, i) => lane(i)));
    return {
      runs,
      killPoints,
      faultsInjected: 0,
      invariantChecks: checks,
      killsMidApply: midApply,
      violations,
    };
  });
}

/** kill -9 of the daemon (`scw-gitops run`) at a random instant after start, desired state changing. */
export function killDaemon(ctx: ScenarioContext, opts: { checkEvery: number }): Promise<ScenarioReport> {
  return timed('kill -9 daemon', async () => {
    const deadline = performance.now() + ctx.budgetMs;
    const rng = createRng(ctx.seed * 37);
    const world = await createWorld({ seed: ctx.seed + 100, shape: randomShape(rng, 0) });
    let runs = 0;
    let killPoints = 0;
    let checks = 0;
    let midApply = 0;
    const violations: Violation[] = [];
    try {
      let rev = 0;
      let sinceCheck = 0;
      while (performance.now() < deadline && runs < ctx.maxIterations) {
        await world.writeDesired(randomShape(rng, ++rev));
        const before = world.sandbox.requestCount();
        const r = await runCli(world, ctx.cli, ['run', '--config', world.settingsFile], {
          killAfterMs: 300 + rng.int(2500),
        });
        runs++;
        if (r.killed) {
          killPoints++;
          sinceCheck++;
          if (writesSince(world, before) > 0) midApply++;
        }
        if (sinceCheck >= opts.checkEvery) {
          sinceCheck = 0;
          checks++;
          violations.push(...(await checkInvariants(world)));
        }
      }
      checks++;
      violations.push(...(await checkInvariants(world)));
    } finally {
      await world.close();
    }
    return {
      runs,
      killPoints,
      faultsInjected: 0,
      invariantChecks: checks,
      killsMidApply: midApply,
      violations,
    };
  });
}

type FaultKind = '429 storm' | '5xx burst' | 'connection resets' | 'ambiguous writes' | 'rps limit';

const FAULTS: Record<FaultKind, Parameters<World['sandbox']['faults']['adjust']>[0]> = {
  '429 storm': { rate429: 0.5 },
  '5xx burst': { rate5xx: 0.35 },
  'connection resets': { resetRate: 0.25 },
  'ambiguous writes': { ambiguousWriteRate: 0.35 },
  'rps limit': { rps: 15 },
};

/**
 * Reconcile passes in process through the real client while the sandbox injects a fault kind
 * (429 storms without Retry-After, 5xx bursts, resets, lost write answers, a requests/second
 * limit), the desired state changing between passes; then invariants.
 */
export function apiFaults(ctx: ScenarioContext, kind: FaultKind, passes: number): Promise<ScenarioReport> {
  return timed(kind, async () => {
    const rng = createRng(ctx.seed * 41 + kind.length);
    const world = await createWorld({ seed: ctx.seed + 200 + kind.length, shape: randomShape(rng, 0) });
    const violations: Violation[] = [];
    let runs = 0;
    try {
      const deps = await inProcess(world, { retries: 4 });
      const deadline = performance.now() + ctx.budgetMs;
      for (let i = 0; i < passes && i < ctx.maxIterations && performance.now() < deadline; i++) {
        await world.writeDesired(randomShape(rng, i + 1));
        world.sandbox.faults.adjust({ ...FAULTS[kind], seed: ctx.seed + i });
        await reconcileIn(world, deps);
        runs++;
      }
      const injected = world.sandbox.faults.injectedCount();
      violations.push(...(await checkInvariants(world)));
      return { runs, killPoints: 0, faultsInjected: injected, invariantChecks: 1, violations };
    } finally {
      await world.close();
    }
  });
}

/** The file sink's directory becomes unusable (a file in its place), then comes back. */
export function sinkOutage(ctx: ScenarioContext, cycles: number): Promise<ScenarioReport> {
  return timed('sink outage + recovery', async () => {
    const rng = createRng(ctx.seed * 43);
    const world = await createWorld({ seed: ctx.seed + 300, shape: randomShape(rng, 0) });
    const violations: Violation[] = [];
    let runs = 0;
    let injected = 0;
    try {
      const deps = await inProcess(world);
      await reconcileIn(world, deps);
      for (let i = 0; i < cycles && i < ctx.maxIterations; i++) {
        await rm(world.sinkDir, { recursive: true, force: true });
        await writeFile(world.sinkDir, 'not a directory\n'); // ENOTDIR for every sink operation
        injected++;
        await world.writeDesired(randomShape(rng, i + 1));
        await reconcileIn(world, deps);
        runs++;
        await rm(world.sinkDir, { force: true });
        await mkdir(world.sinkDir, { mode: 0o700 });
        await reconcileIn(world, deps);
        runs++;
      }
      violations.push(...(await checkInvariants(world)));
      return { runs, killPoints: 0, faultsInjected: injected, invariantChecks: 1, violations };
    } finally {
      await world.close();
    }
  });
}

/** Other writers create and delete (unowned) applications and keys while scw-gitops lists. */
export function concurrentWriters(ctx: ScenarioContext, passes: number): Promise<ScenarioReport> {
  return timed('concurrent org writers', async () => {
    const rng = createRng(ctx.seed * 47);
    const world = await createWorld({ seed: ctx.seed + 400, shape: randomShape(rng, 0) });
    world.sandbox.seedBulk({ applications: 150, prefix: 'crowd' }); // several pages of applications
    const st = world.sandbox.store;
    for (const m of [st.applications, st.apiKeys] as Map<string, unknown>[]) {
      for (const [id, rec] of m)
        if (!world.protectedObjects.has(id)) world.protectedObjects.set(id, JSON.stringify(rec));
    }
    const violations: Violation[] = [];
    let runs = 0;
    let writes = 0;
    const mine: string[] = [];
    try {
      world.sandbox.faults.adjust({
        onListPage: () => {
          // one or two foreign writes per list page: create, or delete one created earlier
          for (let k = 0; k < 1 + rng.int(2); k++) {
            writes++;
            if (mine.length > 0 && rng.next() < 0.5) {
              const id = mine.splice(rng.int(mine.length), 1)[0]!;
              world.excused.add(id);
              st.deleteApplication(id);
            } else {
              const a = st.createApplication({ name: `foreign-live-${writes}`, tags: ['other-tool'] });
              mine.push(a.id);
              world.protectedObjects.set(a.id, JSON.stringify(a));
            }
          }
        },
      });
      const deps = await inProcess(world);
      for (let i = 0; i < passes && i < ctx.maxIterations; i++) {
        await world.writeDesired(randomShape(rng, i + 1));
        await reconcileIn(world, deps);
        runs++;
      }
      world.sandbox.faults.adjust({ onListPage: undefined });
      // protected snapshots of the survivors are what they were when created
      violations.push(...(await checkInvariants(world)));
      return { runs, killPoints: 0, faultsInjected: writes, invariantChecks: 1, violations };
    } finally {
      await world.close();
    }
  });
}

/**
 * The clock (shared by the sandbox and scw-gitops) jumps: forward into the rotation window, past
 * the overlap, past expiry, and backwards; reconcile after each jump; invariants at the end.
 */
export function clockJumps(ctx: ScenarioContext, jumps: number): Promise<ScenarioReport> {
  return timed('clock jumps', async () => {
    const rng = createRng(ctx.seed * 53);
    const clock = offsetClock();
    const shape: DesiredShape = {
      apps: 3,
      keys: [0, 1, 2],
      rev: 'c',
      lifetime: '30d',
      rotateBefore: '10d',
      overlap: '1h',
    };
    const world = await createWorld({ seed: ctx.seed + 500, shape, clock });
    const violations: Violation[] = [];
    let runs = 0;
    const steps = [
      25 * 86_400_000,
      2 * 3_600_000,
      -3 * 3_600_000,
      40 * 86_400_000,
      -86_400_000,
      90_000,
      10 * 86_400_000,
    ];
    try {
      const deps = await inProcess(world);
      await reconcileIn(world, deps);
      for (let i = 0; i < jumps && i < ctx.maxIterations; i++) {
        clock.offsetMs += steps[rng.int(steps.length)]!;
        await reconcileIn(world, deps);
        runs++;
        if (rng.next() < 0.5) {
          await reconcileIn(world, deps);
          runs++;
        }
      }
      // past every overlap before the final check: retiring keys are gone, current ones remain
      clock.offsetMs += 2 * 3_600_000;
      violations.push(...(await checkInvariants(world)));
      return { runs, killPoints: 0, faultsInjected: jumps, invariantChecks: 1, violations };
    } finally {
      await world.close();
    }
  });
}
