/**
 * One reconcile pass for the rotation simulation: the same pipeline as reconcileOnce
 * (src/reconciler/reconcile-once.ts) — load and validate the desired state, list the
 * organization, read the sinks, plan, execute — with the executor's crash hook wired to the
 * simulated world. reconcileOnce itself has no seam for the crash hook (the executor's default
 * hook is SCW_GITOPS_CRASH_AT, which SIGKILLs the process), hence this mirror.
 */
import type { Logger } from 'pino';
import type { Settings } from '../../src/config/settings.js';
import { loadDesiredState } from '../../src/desired/load.js';
import { executePlan } from '../../src/executor/execute-plan.js';
import { observeSinks } from '../../src/sinks/observe.js';
import type { ApplySummary, Plan } from '../../src/model/plan.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import type { PlanOptions } from '../../src/planner/options.js';
import { planOptionsFromSettings } from '../../src/reconciler/reconcile-once.js';
import { observeLive } from '../../src/scaleway/observe.js';
import type { SecretSink } from '../../src/sinks/sink.js';
import type { World } from './world.js';

export interface PassResult {
  readonly plan: Plan;
  readonly refused: boolean;
  readonly summary?: ApplySummary;
}

export async function pass(
  world: World,
  settings: Settings,
  sinks: ReadonlyMap<string, SecretSink>,
  logger: Logger,
  dir: string,
  overrides: Partial<PlanOptions> = {},
  opts: { readonly dryRun?: boolean; readonly at?: Date } = {},
): Promise<PassResult> {
  const now = opts.at ?? world.clock.now();
  const loaded = await loadDesiredState(dir, {
    instance: settings.instance,
    now,
    sinkNames: settings.sinks.map((s) => s.name),
    ...(settings.defaults.sink !== undefined ? { defaultSink: settings.defaults.sink } : {}),
    sinkLayouts: settings.sinks,
  });
  if (!loaded.state) {
    throw new Error(`desired state invalid: ${JSON.stringify(loaded.diagnostics)}`);
  }
  const live = await observeLive(world.client, { instance: settings.instance, now: () => world.clock.now() });
  const sinkRecords = await observeSinks(loaded.state, sinks, {
    layouts: settings.sinks,
    ...(settings.defaults.sink !== undefined ? { defaultSink: settings.defaults.sink } : {}),
  });
  const plan = buildPlan({
    desired: loaded.state,
    live,
    sinkRecords,
    options: planOptionsFromSettings(settings, overrides),
    now,
  });
  const refused = plan.diagnostics.some((d) => d.severity === 'error');
  if (refused || plan.steps.length === 0 || opts.dryRun) return { plan, refused };
  const summary = await executePlan(plan, {
    client: world.client,
    sinks,
    clock: world.clock,
    logger,
    crashHook: world.crashHook,
  });
  return { plan, refused, summary };
}
