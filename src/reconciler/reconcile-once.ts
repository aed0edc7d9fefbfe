/**
 * One reconciliation pass, level-based and idempotent (every trigger runs the same full pass):
 *
 *   1. load and validate the desired state (terminal on error: wait for the next input change);
 *   2. list the live organization (observeLive). The listing starts with step 1, which only
 *      the rules of unowned policies with a desired name wait for; an invalid desired state
 *      aborts it and nothing it read is used;
 *   3. read what each key's sink holds (observeSinks);
 *   4. buildPlan (pure); a plan with error diagnostics is refused (terminal);
 *   5. unless dryRun, execute it (executePlan) and report what happened.
 *
 * Result kinds (what the CLI maps to exit codes, and the daemon to requeue policy):
 *   - `no-changes`       the organization matches the desired state;
 *   - `changes-pending`  dry run, the plan has steps (CLI exit 2);
 *   - `applied`          every step succeeded;
 *   - `partial-failure`  some steps failed or were skipped (transient: retry with backoff);
 *   - `error`            nothing was applied: invalid input or refused plan (`terminal: true`,
 *                        diagnostics say why), or listing/sink failure (`terminal: false`).
 * Never throws except for an abort (the signal's reason).
 *
 * `applySavedPlan` executes a plan saved by `plan --out plan.json` after re-listing the
 * organization: if the live fingerprint changed since, it refuses with StalePlanError; if a step
 * disagrees with what was fingerprinted or owned, with PlanContractError. Nothing is written then.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Settings } from '../config/settings.js';
import { type LoadOptions, loadDesiredState } from '../desired/load.js';
import type { ParseCache } from '../desired/parse-cache.js';
import { AppError, ConfigError, PlanContractError, StalePlanError, toAppError } from '../errors.js';
import { executePlan } from '../executor/execute-plan.js';
import { defined } from '../model/defined.js';
import type { Diagnostic } from '../model/diagnostics.js';
import type { Inventory } from '../model/inventory.js';
import type { LiveState } from '../model/live.js';
import type { ApplySummary, Plan, StepOutcome } from '../model/plan.js';
import { scrubSecrets } from '../model/secret.js';
import { buildPlan, buildPlanWithInventory } from '../planner/build-plan.js';
import { fingerprintLive } from '../planner/fingerprint.js';
import { type PlanOptions, pruneAll } from '../planner/options.js';
import { verifySavedPlan } from '../planner/verify-plan.js';
import { observeLive } from '../scaleway/observe.js';
import type { ScalewayClient } from '../scaleway/port.js';
import type { RulesCache } from '../scaleway/rules-cache.js';
import { observeSinks } from '../sinks/observe.js';
import type { SecretSink } from '../sinks/sink.js';

export interface ReconcileDeps {
  readonly client: ScalewayClient;
  readonly sinks: ReadonlyMap<string, SecretSink>;
  readonly settings: Settings;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Git revision of the desired state, recorded in the plan and the sink metadata. */
  readonly revision?: string;
  /** The verified signer of `revision` (git source), recorded in the plan. */
  readonly signer?: string;
  /** Policy rules kept between passes and runs; see src/scaleway/rules-cache.ts. */
  readonly rulesCache?: RulesCache;
  /** Parsed desired-state files kept between passes (the daemon); see src/desired/parse-cache.ts. */
  readonly parseCache?: ParseCache;
}

export interface ReconcileOptions {
  /** Desired-state directory (or file). */
  readonly dir: string;
  /** Plan only, never execute. */
  readonly dryRun: boolean;
  /** Overrides of the plan options derived from the settings (CLI flags). */
  readonly planOptions?: Partial<PlanOptions>;
  /** Plan as of another instant (`--at`); default the clock's now. */
  readonly now?: Date;
  readonly signal?: AbortSignal;
  readonly onOutcome?: (o: StepOutcome) => void;
  /** Correlation id for logs. */
  readonly reconcileId?: string;
  /** Also return the inventory of every declared object and key (the daemon's /status and /ui). */
  readonly inventory?: boolean;
  /**
   * Compute the plan's live fingerprint: for a plan that is saved or rendered as JSON (the CLI's
   * `--output json`). Default false: the daemon and text renderings skip the hash.
   */
  readonly liveFingerprint?: boolean;
}

export type ReconcileKind = 'no-changes' | 'changes-pending' | 'applied' | 'partial-failure' | 'error';

export interface ReconcileResult {
  readonly kind: ReconcileKind;
  /** The plan, once one could be built (also when refused: it carries the diagnostics). */
  readonly plan?: Plan;
  /** The executor's summary, when something was executed. */
  readonly summary?: ApplySummary;
  /** Desired-state load diagnostics followed by the plan's. */
  readonly diagnostics: readonly Diagnostic[];
  /** The live organization was listed successfully. */
  readonly listed: boolean;
  /** For `error`: scrubbed, one line. */
  readonly error?: string;
  /** For `error`: waiting for an input change is the cure (invalid input, refused plan). */
  readonly terminal?: boolean;
  readonly revision?: string;
  /** Epoch ms of the earliest rotation/expiry/overlap end (daemon scheduling). */
  readonly nextDueAt?: number;
  /** The desired state loaded without errors (undefined: not read). */
  readonly desiredValid?: boolean;
  /** With `inventory: true`, once a plan could be built (also when it is refused). */
  readonly inventory?: Inventory;
}

/** Plan options from the settings, then the caller's overrides. */
export function planOptionsFromSettings(
  settings: Settings,
  overrides: Partial<PlanOptions> = {},
  revision?: string,
): PlanOptions {
  return {
    instance: settings.instance,
    prune: { ...pruneAll(false), ...settings.prune },
    maxDeletes: settings.safety.maxDeletes,
    maxDeletePercent: settings.safety.maxDeletePercent,
    allowMassDelete: false,
    adoptAll: false,
    rotation: settings.defaults.rotation,
    sinks: settings.sinks,
    ...defined({ revision, defaultSink: settings.defaults.sink }),
    ...overrides,
  };
}

/** How the settings shape the loading of the desired state (every command, every pass). */
export function desiredLoadOptions(settings: Settings, now: Date): LoadOptions {
  const sinkNames = settings.sinks.map((s) => s.name);
  return {
    instance: settings.instance,
    now,
    ...(sinkNames.length > 0 ? { sinkNames } : {}),
    sinkLayouts: settings.sinks,
    ...defined({ defaultSink: settings.defaults.sink, maxFileBytes: settings.source.maxFileBytes }),
  };
}

function errorText(err: unknown): string {
  return scrubSecrets(toAppError(err).message).split('\n')[0] ?? '';
}

function rethrowAbort(err: unknown, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? err;
}

export async function reconcileOnce(deps: ReconcileDeps, opts: ReconcileOptions): Promise<ReconcileResult> {
  const { settings, clock } = deps;
  const log = deps.logger.child({
    component: 'reconciler',
    ...(opts.reconcileId ? { reconcileId: opts.reconcileId } : {}),
  });
  const now = opts.now ?? clock.now();
  const revision = deps.revision;
  const base = { ...(revision !== undefined ? { revision } : {}) };

  // 1. desired state, while 2. the live organization is being listed
  const listing = new AbortController();
  const listingSignal = opts.signal ? AbortSignal.any([opts.signal, listing.signal]) : listing.signal;
  let desiredPolicies: (names: ReadonlySet<string>) => void = () => {};
  const policyNames = new Promise<ReadonlySet<string>>((resolve) => {
    desiredPolicies = resolve;
  });
  const liveP = observeLive(deps.client, {
    instance: settings.instance,
    now: () => clock.now(),
    // Unowned policies with a desired name (adoptions, conflicts) are compared rule by rule.
    alsoReadRulesOf: policyNames.then((names) => (p: { name: string }) => names.has(p.name)),
    ...(deps.rulesCache ? { rulesCache: deps.rulesCache } : {}),
    signal: listingSignal,
  });
  liveP.catch(() => {}); // awaited below, or abandoned with the pass
  let loaded: Awaited<ReturnType<typeof loadDesiredState>>;
  try {
    loaded = await loadDesiredState(opts.dir, {
      ...desiredLoadOptions(settings, now),
      // Loading yields to the event loop and stops here on shutdown (docs/design/input-limits.md).
      ...(opts.signal ? { signal: opts.signal } : {}),
      // with a parse cache (the daemon, a command that validated first) only changed files are
      // parsed; without one, a large state is parsed on a worker thread while this one lists
      ...(deps.parseCache ? { parseCache: deps.parseCache } : { parallel: true }),
    });
  } catch (err) {
    listing.abort(err);
    throw err;
  }
  if (!loaded.state) {
    listing.abort(new Error('the desired state is invalid'));
    await liveP.catch(() => {});
    const n = loaded.diagnostics.filter((d) => d.severity === 'error').length;
    log.warn({ errors: n }, 'desired state is invalid; nothing planned');
    return {
      kind: 'error',
      diagnostics: loaded.diagnostics,
      listed: false,
      terminal: true,
      error: `desired state in ${opts.dir} is invalid (${n} error${n === 1 ? '' : 's'})`,
      desiredValid: false,
      ...base,
    };
  }
  const desired = revision !== undefined ? { ...loaded.state, revision } : loaded.state;
  const valid = { ...base, desiredValid: true };
  desiredPolicies(new Set(desired.resources.filter((r) => r.kind === 'Policy').map((r) => r.name)));

  // 2. live organization, 3. sinks
  let live: LiveState;
  try {
    live = await liveP;
  } catch (err) {
    rethrowAbort(err, opts.signal);
    log.error({ error: errorText(err) }, 'listing the organization failed');
    return {
      kind: 'error',
      diagnostics: loaded.diagnostics,
      listed: false,
      terminal: false,
      error: `listing the organization failed: ${errorText(err)}`,
      ...valid,
    };
  }
  await deps.rulesCache?.flush();
  let sinkRecords: Awaited<ReturnType<typeof observeSinks>>;
  try {
    sinkRecords = await observeSinks(desired, deps.sinks, {
      layouts: settings.sinks,
      ...defined({ defaultSink: settings.defaults.sink, signal: opts.signal }),
    });
  } catch (err) {
    rethrowAbort(err, opts.signal);
    return {
      kind: 'error',
      diagnostics: loaded.diagnostics,
      listed: true,
      terminal: false,
      error: `reading the secret sinks failed: ${errorText(err)}`,
      ...valid,
    };
  }

  // 4. plan
  const input = {
    desired,
    live,
    sinkRecords,
    options: {
      ...planOptionsFromSettings(settings, opts.planOptions, revision),
      ...(deps.signer !== undefined ? { signer: deps.signer } : {}),
    },
    now,
    fingerprint: opts.liveFingerprint === true,
  };
  const { plan, inventory } = opts.inventory
    ? buildPlanWithInventory(input)
    : { plan: buildPlan(input), inventory: undefined };
  const diagnostics = [...loaded.diagnostics, ...plan.diagnostics];
  const nextDue = plan.nextDueAt ? { nextDueAt: Date.parse(plan.nextDueAt) } : {};
  const withPlan = { plan, diagnostics, listed: true, ...valid, ...nextDue, ...defined({ inventory }) };
  const errors = plan.diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) {
    log.info({ errors }, 'plan refused');
    return {
      kind: 'error',
      terminal: true,
      error: `plan refused (${errors} error${errors === 1 ? '' : 's'})`,
      ...withPlan,
    };
  }
  if (plan.steps.length === 0) {
    log.info('no changes');
    return { kind: 'no-changes', ...withPlan };
  }
  log.info({ summary: plan.summary }, 'plan computed');
  if (opts.dryRun) return { kind: 'changes-pending', ...withPlan };
  const nowhere = keysWithoutSink(plan);
  if (nowhere.length > 0) {
    return { kind: 'error', terminal: true, error: noSinkMessage(nowhere), ...withPlan };
  }

  // 5. execute
  const summary = await execute(plan, deps, opts);
  return summarizeRun(summary, withPlan);
}

/** The executor needs the plan, the ports and the clock, nothing else. */
async function execute(
  plan: Plan,
  deps: ReconcileDeps,
  opts: { signal?: AbortSignal; onOutcome?: (o: StepOutcome) => void },
): Promise<ApplySummary> {
  return executePlan(
    plan,
    { client: deps.client, sinks: deps.sinks, clock: deps.clock, logger: deps.logger },
    {
      concurrency: deps.settings.applyConcurrency,
      ...defined({ signal: opts.signal, onOutcome: opts.onOutcome }),
    },
  );
}

function summarizeRun(
  summary: ApplySummary,
  rest: Omit<ReconcileResult, 'kind' | 'summary'>,
): ReconcileResult {
  if (summary.ok) return { kind: 'applied', summary, ...rest };
  const failed = summary.outcomes.filter((o) => o.result === 'failed');
  const first = failed[0];
  return {
    kind: 'partial-failure',
    summary,
    ...rest,
    error: first
      ? `${failed.length} step${failed.length === 1 ? '' : 's'} failed; first: ${first.address}: ${first.error ?? 'failed'}`
      : `${summary.counts.skipped} step(s) skipped`,
  };
}

/** New-key steps whose secret has nowhere to go (the settings declare no sink). */
function keysWithoutSink(plan: Plan): string[] {
  return plan.steps
    .filter(
      (s) =>
        (s.action === 'create' || s.action === 'replace') &&
        s.after.kind === 'ApiKey' &&
        s.after.sink.type === 'none',
    )
    .map((s) => s.address);
}

function noSinkMessage(addresses: readonly string[]): string {
  return `no secret sink is declared in the settings, so ${addresses.join(', ')} cannot be created; nothing applied (declare \`sinks:\` and pass the settings with --config)`;
}

/** Clock skew tolerated between the machine that planned and the one that applies. */
const FUTURE_PLAN_TOLERANCE_MS = 5 * 60 * 1000;

export interface ApplySavedPlanOptions {
  readonly signal?: AbortSignal;
  readonly onOutcome?: (o: StepOutcome) => void;
}

/**
 * Execute a saved plan. Re-lists the organization and recomputes the fingerprint over the same
 * scope; a mismatch (anything owned, conflicting or referenced changed) → StalePlanError.
 * Also refuses plans of another organization or instance, plans made for a future instant
 * (`plan --at`), and refused plans (ConfigError).
 */
export async function applySavedPlan(
  plan: Plan,
  deps: ReconcileDeps,
  opts: ApplySavedPlanOptions = {},
): Promise<ReconcileResult> {
  const { settings } = deps;
  if (plan.diagnostics.some((d) => d.severity === 'error')) {
    throw new ConfigError('the saved plan was refused when it was made (it has errors); nothing to apply');
  }
  const nowhere = keysWithoutSink(plan);
  if (nowhere.length > 0) throw new ConfigError(noSinkMessage(nowhere));
  // A plan computed for a future instant (`plan --at`) would rotate keys early: refuse it.
  const ahead = Date.parse(plan.createdAt) - deps.clock.now().getTime();
  if (!(ahead <= FUTURE_PLAN_TOLERANCE_MS)) {
    throw new StalePlanError(
      `the saved plan was computed for ${plan.createdAt}, in the future (plan --at?); only plans made for now can be applied`,
    );
  }
  if (plan.instance !== settings.instance) {
    throw new StalePlanError(
      `the saved plan is for instance "${plan.instance}", the settings say "${settings.instance}"`,
    );
  }
  if (plan.organizationId !== deps.client.organizationId) {
    throw new StalePlanError(
      `the saved plan is for organization ${plan.organizationId}, the credentials are for ${deps.client.organizationId}`,
    );
  }
  const scopedPolicies = new Set(plan.fingerprintScope.Policy ?? []);
  const live = await observeLive(deps.client, {
    instance: settings.instance,
    now: () => deps.clock.now(),
    // The same rules the plan saw: owned policies and the unowned ones it looked at.
    alsoReadRulesOf: (p) => scopedPolicies.has(p.id),
    ...(deps.rulesCache ? { rulesCache: deps.rulesCache } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  await deps.rulesCache?.flush();
  if (plan.liveFingerprint === undefined) {
    // Only a plan made to be saved carries it (renderPlanJson refuses to save one without).
    throw new ConfigError(
      'the plan carries no live fingerprint, so it cannot be checked against the organization; save it with plan --output json --out FILE',
    );
  }
  const fingerprint = fingerprintLive(live, plan.instance, plan.fingerprintScope);
  if (fingerprint !== plan.liveFingerprint) {
    throw new StalePlanError(
      'the organization changed since the plan was made (live fingerprint differs); run plan again',
    );
  }
  const problems = verifySavedPlan(plan, live);
  if (problems.length > 0) throw new PlanContractError(problems);
  const base = {
    plan,
    diagnostics: plan.diagnostics,
    listed: true,
    ...(plan.revision !== undefined ? { revision: plan.revision } : {}),
  };
  if (plan.steps.length === 0) return { kind: 'no-changes', ...base };
  try {
    const summary = await execute(plan, deps, opts);
    return summarizeRun(summary, base);
  } catch (err) {
    rethrowAbort(err, opts.signal);
    if (err instanceof AppError) throw err;
    throw toAppError(err);
  }
}
