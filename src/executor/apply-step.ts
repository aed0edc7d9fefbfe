/**
 * One plan step against the Scaleway port, per kind and action (the table in src/model/plan.ts):
 *
 * | kind        | create                                   | update / adopt                               | delete |
 * |-------------|------------------------------------------|----------------------------------------------|--------|
 * | Project     | POST, description + `[scw-gitops:<i>]`   | PATCH description (+ marker)                 | DELETE |
 * | Application | POST, tags + `scw-gitops=<i>`            | PATCH description, tags (+ owner tag)        | DELETE |
 * | Group       | POST + PUT members                       | PATCH description/tags, PUT members          | DELETE |
 * | Policy      | POST with principal and rules            | PATCH fields/principal, PUT rules            | DELETE |
 * | ApiKey      | custody protocol (deliver-secret.ts)     | PATCH description/default project/expiry     | DELETE |
 *
 * Updates write the full desired value of each part named in the step's `changes` (an unknown
 * field name writes every part: the desired state is the truth, and every write is idempotent).
 * A create whose outcome is unknown (AmbiguousWriteError) is resolved by looking the object up
 * by name and owner before deciding; it is never sent twice. Deleting something already gone
 * counts as deleted.
 */
import type { pino } from 'pino';
import type { Clock } from '../clock.js';
import { AppError, toAppError } from '../errors.js';
import type {
  DesiredApiKey,
  DesiredApplication,
  DesiredGroup,
  DesiredPolicy,
  DesiredProject,
  DesiredResource,
} from '../model/desired.js';
import type { ApiKey, Group, PolicyPrincipal, RuleSpec } from '../model/live.js';
import {
  markProjectDescription,
  ownerTag,
  parseKeyDescription,
  parseProjectDescription,
  withOwnerTag,
} from '../model/ownership.js';
import type { KeyDisposal, PlanStep, StepResult } from '../model/plan.js';
import { address } from '../model/resources.js';
import { AmbiguousWriteError, isNotFound } from '../scaleway/errors.js';
import type { ScalewayClient } from '../scaleway/port.js';
import type { SecretSink } from '../sinks/sink.js';
import type { CrashHook } from './crash-points.js';
import { type DeliveryContext, deliverNewKey, keyDescription } from './deliver-secret.js';
import type { RunRegistry } from './resolve-refs.js';
import type { RetryContext, RetryPolicy } from './retry.js';
import { withApiRetry } from './retry.js';
import type { LocationResolver } from '../model/sink-location.js';

export interface RunContext {
  readonly client: ScalewayClient;
  readonly sinks: ReadonlyMap<string, SecretSink>;
  readonly registry: RunRegistry;
  readonly instance: string;
  readonly revision?: string | undefined;
  readonly clock: Clock;
  readonly policy: RetryPolicy;
  readonly crash: CrashHook;
  readonly locate: LocationResolver;
  readonly rotationLifetimeMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Access keys known to exist before a create: live + created in this run. */
  readonly knownAccessKeys: Set<string>;
  /** Per-address custody state of keys created in this run (one pending key per address at most). */
  readonly deliveries: Map<string, 'pending' | 'delivered' | 'failed'>;
  /** Epoch ms of this run's last IAM permission change. */
  lastPermissionChange: number | undefined;
}

export interface StepEffect {
  readonly result: StepResult;
  readonly accessKey?: string;
}

export class StepError extends AppError {
  readonly accessKey: string | undefined;
  constructor(
    code: string,
    subject: string,
    message: string,
    opts: { accessKey?: string; cause?: unknown } = {},
  ) {
    super(code, `${subject}: ${message}`, { subject, cause: opts.cause });
    this.accessKey = opts.accessKey;
  }
}

function retryCtx(ctx: RunContext, log: pino.Logger, signal: AbortSignal | undefined): RetryContext {
  return {
    clock: ctx.clock,
    policy: ctx.policy,
    lastPermissionChange: () => ctx.lastPermissionChange,
    signal,
    onRetry: (info) => log.warn(info, 'retrying'),
  };
}

type Part = 'meta' | 'members' | 'principal' | 'rules' | 'description' | 'defaultProject' | 'expiresAt';

/** Which parts of the object a step's `changes` touch. Unknown fields → every part of the kind. */
function partsToWrite(step: PlanStep, all: readonly Part[]): Set<Part> {
  const parts = new Set<Part>();
  for (const c of step.changes) {
    const f = c.field.replace(/^spec\./, '');
    const head = f.split(/[.[]/)[0] ?? f;
    let part: Part | undefined;
    if (head === 'members' || head === 'memberApplications' || head === 'applications') part = 'members';
    else if (head === 'principal') part = 'principal';
    else if (head === 'rules') part = 'rules';
    else if (head === 'defaultProject' || head === 'defaultProjectId') part = 'defaultProject';
    else if (head === 'expiresAt' || head === 'lifetime' || head === 'expiry') part = 'expiresAt';
    else if (head === 'description') part = all.includes('meta') ? 'meta' : 'description';
    else if (head === 'tags' || head === 'name' || head === 'marker' || head === 'owner') part = 'meta';
    if (part === undefined || !all.includes(part)) return new Set(all);
    parts.add(part);
  }
  if (step.changes.length === 0 && step.action === 'update') return new Set(all);
  return parts;
}

function desiredOf<K extends DesiredResource['kind']>(
  step: PlanStep,
  kind: K,
): Extract<DesiredResource, { kind: K }> {
  const after = step.after;
  if (!after || after.kind !== kind) {
    throw new StepError('plan-invalid', step.address, `${step.action} step has no desired ${kind}`);
  }
  return after as Extract<DesiredResource, { kind: K }>;
}

function liveIdOf(step: PlanStep): string {
  const b = step.before;
  if (!b) throw new StepError('plan-invalid', step.address, `${step.action} step has no live object`);
  return b.kind === 'ApiKey' ? b.object.accessKey : b.object.id;
}

function resolvePrincipal(ctx: RunContext, step: PlanStep, p: DesiredPolicy['principal']): PolicyPrincipal {
  switch (p.type) {
    case 'none':
      return { type: 'none' };
    case 'application':
      return { type: 'application', id: ctx.registry.resolveName(step, 'Application', p.name) };
    case 'group':
      return { type: 'group', id: ctx.registry.resolveName(step, 'Group', p.name) };
  }
}

function resolveRules(ctx: RunContext, step: PlanStep, policy: DesiredPolicy): RuleSpec[] {
  return policy.rules.map((r) => ({
    permissionSetNames: [...r.permissionSets],
    ...(r.condition ? { condition: r.condition } : {}),
    scope:
      r.scope.type === 'organization'
        ? { type: 'organization' as const, organizationId: ctx.client.organizationId }
        : {
            type: 'projects' as const,
            projectIds: r.scope.projects.map((name) => ctx.registry.resolveName(step, 'Project', name)),
          },
  }));
}

function resolveMembers(ctx: RunContext, step: PlanStep, g: DesiredGroup): string[] {
  return g.memberApplications.map((name) => ctx.registry.resolveName(step, 'Application', name));
}

function markPermissionChange(ctx: RunContext): void {
  ctx.lastPermissionChange = ctx.clock.now().getTime();
}

/**
 * A create whose outcome is unknown: find the object we would have created (exact name, our
 * marker, not present before the run). Found → use it. Not found → fail, never re-send.
 */
async function afterAmbiguousCreate<T extends { id: string }>(
  step: PlanStep,
  err: AmbiguousWriteError,
  lookup: () => Promise<T[]>,
  existedBefore: (id: string) => boolean,
): Promise<T> {
  let found: T[];
  try {
    found = (await lookup()).filter((o) => !existedBefore(o.id));
  } catch (lookupErr) {
    throw new StepError(
      'create-ambiguous',
      step.address,
      `create outcome unknown and the lookup failed (${toAppError(lookupErr).message}); not re-sent, the next reconcile decides`,
      { cause: err },
    );
  }
  if (found.length === 1) return found[0]!;
  throw new StepError(
    'create-ambiguous',
    step.address,
    found.length === 0
      ? 'create outcome unknown and no such object was found; not re-sent in this run (never create twice), the next reconcile creates it'
      : `create outcome unknown and ${found.length} matching objects were found; the next reconcile reports the conflict`,
    { cause: err },
  );
}

async function createWithLookup<T extends { id: string }>(
  step: PlanStep,
  create: () => Promise<T>,
  lookup: () => Promise<T[]>,
  existedBefore: (id: string) => boolean,
  log: pino.Logger,
): Promise<T> {
  try {
    return await create();
  } catch (err) {
    if (!(err instanceof AmbiguousWriteError)) throw err;
    log.warn({ error: err.message }, 'create outcome unknown; looking the object up');
    const found = await afterAmbiguousCreate(step, err, lookup, existedBefore);
    log.info({ id: found.id }, 'the ambiguous create did happen; using the object it created');
    return found;
  }
}

async function ignoreNotFound(op: () => Promise<void>, log: pino.Logger): Promise<void> {
  try {
    await op();
  } catch (err) {
    if (!isNotFound(err)) throw err;
    log.info('already gone');
  }
}

// ---------------------------------------------------------------- per kind

async function applyProject(
  ctx: RunContext,
  step: PlanStep,
  log: pino.Logger,
  r: RetryContext,
): Promise<StepEffect> {
  const c = ctx.client;
  switch (step.action) {
    case 'create': {
      const d = desiredOf(step, 'Project') as DesiredProject;
      const description = markProjectDescription(d.description, ctx.instance);
      const p = await createWithLookup(
        step,
        () => withApiRetry(() => c.createProject({ name: d.name, description }), r),
        async () =>
          (await c.listProjects({ name: d.name })).filter(
            (x) => x.name === d.name && parseProjectDescription(x.description).instance === ctx.instance,
          ),
        (id) => ctx.registry.live.projects.some((x) => x.id === id),
        log,
      );
      ctx.registry.record(step, p.id);
      return { result: 'created' };
    }
    case 'update':
    case 'adopt': {
      const d = desiredOf(step, 'Project') as DesiredProject;
      const id = liveIdOf(step);
      await withApiRetry(
        () => c.updateProject(id, { description: markProjectDescription(d.description, ctx.instance) }),
        r,
      );
      ctx.registry.record(step, id);
      return { result: step.action === 'adopt' ? 'adopted' : 'updated' };
    }
    case 'delete': {
      const id = liveIdOf(step);
      await ignoreNotFound(() => withApiRetry(() => c.deleteProject(id), r), log);
      return { result: 'deleted' };
    }
    case 'replace':
      throw new StepError('plan-invalid', step.address, 'projects are never replaced');
  }
}

async function applyApplication(
  ctx: RunContext,
  step: PlanStep,
  log: pino.Logger,
  r: RetryContext,
): Promise<StepEffect> {
  const c = ctx.client;
  const tag = ownerTag(ctx.instance);
  switch (step.action) {
    case 'create': {
      const d = desiredOf(step, 'Application') as DesiredApplication;
      const a = await createWithLookup(
        step,
        () =>
          withApiRetry(
            () =>
              c.createApplication({
                name: d.name,
                description: d.description,
                tags: withOwnerTag(d.tags, ctx.instance),
              }),
            r,
          ),
        async () => (await c.listApplications({ name: d.name, tag })).filter((x) => x.name === d.name),
        (id) => ctx.registry.live.applications.some((x) => x.id === id),
        log,
      );
      ctx.registry.record(step, a.id);
      return { result: 'created' };
    }
    case 'update':
    case 'adopt': {
      const d = desiredOf(step, 'Application') as DesiredApplication;
      const id = liveIdOf(step);
      await withApiRetry(
        () =>
          c.updateApplication(id, { description: d.description, tags: withOwnerTag(d.tags, ctx.instance) }),
        r,
      );
      ctx.registry.record(step, id);
      return { result: step.action === 'adopt' ? 'adopted' : 'updated' };
    }
    case 'delete': {
      const id = liveIdOf(step);
      await ignoreNotFound(() => withApiRetry(() => c.deleteApplication(id), r), log);
      return { result: 'deleted' };
    }
    case 'replace':
      throw new StepError('plan-invalid', step.address, 'applications are never replaced');
  }
}

async function setMembers(
  ctx: RunContext,
  step: PlanStep,
  groupId: string,
  appIds: readonly string[],
  userIds: readonly string[],
  r: RetryContext,
): Promise<Group> {
  const g = await withApiRetry(
    () => ctx.client.setGroupMembers(groupId, { applicationIds: appIds, userIds }),
    r,
  ).catch((err: unknown) => {
    throw new StepError(
      'group-members-failed',
      step.address,
      `setting members failed: ${toAppError(err).message}`,
      {
        cause: err,
      },
    );
  });
  markPermissionChange(ctx);
  return g;
}

async function applyGroup(
  ctx: RunContext,
  step: PlanStep,
  log: pino.Logger,
  r: RetryContext,
): Promise<StepEffect> {
  const c = ctx.client;
  const tag = ownerTag(ctx.instance);
  switch (step.action) {
    case 'create': {
      const d = desiredOf(step, 'Group') as DesiredGroup;
      const members = resolveMembers(ctx, step, d);
      const g = await createWithLookup(
        step,
        () =>
          withApiRetry(
            () =>
              c.createGroup({
                name: d.name,
                description: d.description,
                tags: withOwnerTag(d.tags, ctx.instance),
              }),
            r,
          ),
        async () => (await c.listGroups({ name: d.name, tag })).filter((x) => x.name === d.name),
        (id) => ctx.registry.live.groups.some((x) => x.id === id),
        log,
      );
      ctx.registry.record(step, g.id);
      if (members.length > 0) await setMembers(ctx, step, g.id, members, g.userIds, r);
      return { result: 'created' };
    }
    case 'update':
    case 'adopt': {
      const d = desiredOf(step, 'Group') as DesiredGroup;
      const id = liveIdOf(step);
      const parts = partsToWrite(step, ['meta', 'members']);
      if (step.action === 'adopt') parts.add('meta');
      const members = parts.has('members') ? resolveMembers(ctx, step, d) : undefined;
      if (parts.has('meta')) {
        await withApiRetry(
          () => c.updateGroup(id, { description: d.description, tags: withOwnerTag(d.tags, ctx.instance) }),
          r,
        );
      }
      if (members) {
        const before = step.before?.kind === 'Group' ? step.before.object : undefined;
        // Users are not managed here: keep the current user members.
        const userIds = before?.userIds ?? (await c.getGroup(id)).userIds;
        await setMembers(ctx, step, id, members, userIds, r);
      }
      ctx.registry.record(step, id);
      return { result: step.action === 'adopt' ? 'adopted' : 'updated' };
    }
    case 'delete': {
      const id = liveIdOf(step);
      await ignoreNotFound(() => withApiRetry(() => c.deleteGroup(id), r), log);
      markPermissionChange(ctx);
      return { result: 'deleted' };
    }
    case 'replace':
      throw new StepError('plan-invalid', step.address, 'groups are never replaced');
  }
}

async function applyPolicy(
  ctx: RunContext,
  step: PlanStep,
  log: pino.Logger,
  r: RetryContext,
): Promise<StepEffect> {
  const c = ctx.client;
  const tag = ownerTag(ctx.instance);
  switch (step.action) {
    case 'create': {
      const d = desiredOf(step, 'Policy') as DesiredPolicy;
      const principal = resolvePrincipal(ctx, step, d.principal);
      const rules = resolveRules(ctx, step, d);
      const p = await createWithLookup(
        step,
        () =>
          withApiRetry(
            () =>
              c.createPolicy({
                name: d.name,
                description: d.description,
                tags: withOwnerTag(d.tags, ctx.instance),
                principal,
                rules,
              }),
            r,
          ),
        async () => (await c.listPolicies({ policyName: d.name, tag })).filter((x) => x.name === d.name),
        (id) => ctx.registry.live.policies.some((x) => x.id === id),
        log,
      );
      ctx.registry.record(step, p.id);
      markPermissionChange(ctx);
      return { result: 'created' };
    }
    case 'update':
    case 'adopt': {
      const d = desiredOf(step, 'Policy') as DesiredPolicy;
      const id = liveIdOf(step);
      const parts = partsToWrite(step, ['meta', 'principal', 'rules']);
      if (step.action === 'adopt') parts.add('meta');
      const principal = parts.has('principal') ? resolvePrincipal(ctx, step, d.principal) : undefined;
      const rules = parts.has('rules') ? resolveRules(ctx, step, d) : undefined;
      if (parts.has('meta') || principal) {
        await withApiRetry(
          () =>
            c.updatePolicy(id, {
              ...(parts.has('meta')
                ? { description: d.description, tags: withOwnerTag(d.tags, ctx.instance) }
                : {}),
              ...(principal ? { principal } : {}),
            }),
          r,
        );
        if (principal) markPermissionChange(ctx);
      }
      if (rules) {
        await withApiRetry(() => c.setRules(id, rules), r);
        markPermissionChange(ctx);
      }
      ctx.registry.record(step, id);
      return { result: step.action === 'adopt' ? 'adopted' : 'updated' };
    }
    case 'delete': {
      const id = liveIdOf(step);
      await ignoreNotFound(() => withApiRetry(() => c.deletePolicy(id), r), log);
      markPermissionChange(ctx);
      return { result: 'deleted' };
    }
    case 'replace':
      throw new StepError('plan-invalid', step.address, 'policies are never replaced');
  }
}

/** expires_at for a new key: the plan's absolute expiry, else now + lifetime, else never. */
export function newKeyExpiry(
  step: PlanStep,
  key: DesiredApiKey,
  now: Date,
  defaultLifetimeMs?: number,
): string | null {
  if (step.expiresAt) return step.expiresAt;
  if (key.expiresAt) return key.expiresAt;
  const lifetime = step.rotation?.lifetimeMs ?? key.rotation.lifetimeMs ?? defaultLifetimeMs;
  if (lifetime === undefined) return null;
  return new Date(now.getTime() + lifetime).toISOString();
}

function disposalFor(step: PlanStep): KeyDisposal {
  if (step.disposeBefore) return step.disposeBefore;
  return step.reason === 'custody-lost' || step.reason === 'expired' ? 'delete' : 'retire';
}

async function applyApiKey(
  ctx: RunContext,
  step: PlanStep,
  log: pino.Logger,
  r: RetryContext,
  onAccessKey: (ak: string) => void,
): Promise<StepEffect> {
  const c = ctx.client;
  switch (step.action) {
    case 'create':
    case 'replace': {
      const key = desiredOf(step, 'ApiKey') as DesiredApiKey;
      const previous: ApiKey | undefined = step.before?.kind === 'ApiKey' ? step.before.object : undefined;
      if (step.action === 'replace' && !previous) {
        throw new StepError('plan-invalid', step.address, 'replace step has no live key to replace');
      }
      // One new key per name and run: never a second one while one is pending delivery (or
      // after one failed, or was already delivered). Checked and set with no await in between.
      const state = ctx.deliveries.get(step.address);
      if (state !== undefined) {
        throw new StepError(
          'key-delivery-in-progress',
          step.address,
          `another key of this name is ${state === 'pending' ? 'pending delivery' : state === 'failed' ? 'undelivered' : 'already delivered'} in this run; no second key is created`,
        );
      }
      const location = ctx.locate(key);
      const sink = ctx.sinks.get(location.sink);
      if (!sink) {
        throw new StepError(
          'sink-unknown',
          step.address,
          `no sink named ${location.sink}; no key was created`,
        );
      }
      const applicationId = ctx.registry.resolveName(step, 'Application', key.application);
      const defaultProjectId = ctx.registry.resolve(step, address('Project', key.defaultProject));
      const expiresAt = newKeyExpiry(step, key, ctx.clock.now(), ctx.rotationLifetimeMs);
      ctx.deliveries.set(step.address, 'pending');
      const dctx: DeliveryContext = {
        client: c,
        clock: ctx.clock,
        logger: log,
        instance: ctx.instance,
        revision: ctx.revision,
        policy: ctx.policy,
        retry: { ...r, signal: undefined },
        crash: ctx.crash,
        signal: ctx.signal,
      };
      try {
        const res = await deliverNewKey(
          {
            subject: step.address,
            key,
            applicationId,
            defaultProjectId,
            expiresAt,
            sink,
            location,
            previous,
            disposal: disposalFor(step),
            knownAccessKeys: ctx.knownAccessKeys,
            onCreated: (ak) => {
              ctx.knownAccessKeys.add(ak);
              onAccessKey(ak);
            },
          },
          dctx,
        );
        ctx.deliveries.set(step.address, 'delivered');
        return { result: step.action === 'create' ? 'created' : 'replaced', accessKey: res.accessKey };
      } catch (err) {
        // Delivered but a later step (mark ready / dispose) failed: the secret is in custody.
        const code = toAppError(err).code;
        ctx.deliveries.set(
          step.address,
          code === 'key-mark-ready-failed' || code === 'previous-key-disposal-failed'
            ? 'delivered'
            : 'failed',
        );
        throw err;
      }
    }
    case 'update': {
      const key = desiredOf(step, 'ApiKey') as DesiredApiKey;
      const live = step.before?.kind === 'ApiKey' ? step.before.object : undefined;
      if (!live) throw new StepError('plan-invalid', step.address, 'update step has no live key');
      onAccessKey(live.accessKey);
      const parts = partsToWrite(step, ['description', 'defaultProject', 'expiresAt']);
      const state = parseKeyDescription(live.description).marker?.state ?? 'ready';
      const expiresAt = step.expiresAt ?? key.expiresAt;
      await withApiRetry(
        () =>
          c.updateApiKey(live.accessKey, {
            ...(parts.has('description') ? { description: keyDescription(key, ctx.instance, state) } : {}),
            ...(parts.has('defaultProject')
              ? { defaultProjectId: ctx.registry.resolve(step, address('Project', key.defaultProject)) }
              : {}),
            ...(parts.has('expiresAt') && expiresAt !== undefined ? { expiresAt } : {}),
          }),
        r,
      );
      return { result: 'updated', accessKey: live.accessKey };
    }
    case 'adopt': {
      const key = desiredOf(step, 'ApiKey') as DesiredApiKey;
      const live = step.before?.kind === 'ApiKey' ? step.before.object : undefined;
      if (!live) throw new StepError('plan-invalid', step.address, 'adopt step has no live key');
      onAccessKey(live.accessKey);
      if (key.adoptAccessKey === live.accessKey) {
        // spec.adoptAccessKey: a key whose secret never passed through us. It is marked
        // `external` (in use, custody not checked) until its first rotation delivers a new key.
        const parts = partsToWrite(step, ['description', 'defaultProject']);
        await withApiRetry(
          () =>
            c.updateApiKey(live.accessKey, {
              description: keyDescription(key, ctx.instance, 'external'),
              ...(parts.has('defaultProject')
                ? { defaultProjectId: ctx.registry.resolve(step, address('Project', key.defaultProject)) }
                : {}),
            }),
          r,
        );
        log.info({ accessKey: live.accessKey, state: 'external' }, 'key adopted');
        return { result: 'adopted', accessKey: live.accessKey };
      }
      // Any other key we did not create: ready only if its sink already holds it, else pending
      // (the next plan then replaces it as custody-lost).
      const location = ctx.locate(key);
      const sink = ctx.sinks.get(location.sink);
      const held = sink ? await sink.read(location, ctx.signal).catch(() => undefined) : undefined;
      const state = held?.accessKey === live.accessKey && held.secretKey ? 'ready' : 'pending';
      await withApiRetry(
        () => c.updateApiKey(live.accessKey, { description: keyDescription(key, ctx.instance, state) }),
        r,
      );
      log.info({ accessKey: live.accessKey, state }, 'key adopted');
      return { result: 'adopted', accessKey: live.accessKey };
    }
    case 'delete': {
      const ak = liveIdOf(step);
      onAccessKey(ak);
      await ignoreNotFound(() => withApiRetry(() => c.deleteApiKey(ak), r), log);
      return { result: 'deleted', accessKey: ak };
    }
  }
}

/** Apply one step. Throws on failure (the scheduler turns that into a failed outcome). */
export async function applyStep(
  ctx: RunContext,
  step: PlanStep,
  log: pino.Logger,
  onAccessKey: (ak: string) => void,
): Promise<StepEffect> {
  const r = retryCtx(ctx, log, ctx.signal);
  switch (step.kind) {
    case 'Project':
      return applyProject(ctx, step, log, r);
    case 'Application':
      return applyApplication(ctx, step, log, r);
    case 'Group':
      return applyGroup(ctx, step, log, r);
    case 'Policy':
      return applyPolicy(ctx, step, log, r);
    case 'ApiKey':
      return applyApiKey(ctx, step, log, r, onAccessKey);
  }
}
