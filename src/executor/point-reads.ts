/**
 * Point reads: listings are hints, so every write is checked by one read of its target just
 * before it (docs/design/plan-contract.md). A no-op pass makes none.
 *
 * | step                      | read                                   | refused when                                  |
 * |---------------------------|----------------------------------------|-----------------------------------------------|
 * | create (named)            | list by name                           | an object of that name that is not ours       |
 * |                           |                                        | (ours: used instead of creating)              |
 * | create / replace (ApiKey) | list the application's keys            | a current key of ours the plan did not know;  |
 * |                           |                                        | replace: `before` gone or its marker changed  |
 * | update, delete            | GET by id                              | gone (delete: done), not ours, protected,     |
 * |                           |                                        | key marker differs from the plan's snapshot;  |
 * |                           |                                        | delete: the object carries preventDestroy     |
 * | adopt                     | GET by id                              | gone, protected, marked by anyone else        |
 *
 * A refusal throws StepError (nothing written) or StaleListingError (the listing missed
 * something: skipped, re-planned by the next pass).
 */
import { carriesPreventDestroy, destroysObject } from '../model/lifecycle.js';
import type { ApiKey, Application, Group, Policy, Project } from '../model/live.js';
import {
  isProtected,
  ownerFromTags,
  parseKeyDescription,
  parseProjectDescription,
} from '../model/ownership.js';
import type {
  AdoptStep,
  CreateStep,
  DeleteStep,
  LiveObject,
  ReplaceStep,
  UpdateStep,
} from '../model/plan.js';
import { targetId } from '../model/plan.js';
import type { Kind } from '../model/resources.js';
import { isNotFound } from '../scaleway/errors.js';
import { type RunContext, StaleListingError, StepError } from './run-context.js';
import { type RetryContext, withApiRetry } from './retry.js';

export type NamedObject = Project | Application | Group | Policy;
export type LiveTarget = NamedObject | ApiKey;

/** The instance whose marker a named object carries, if any. */
export function ownerOf(kind: Exclude<Kind, 'ApiKey'>, object: NamedObject): string | undefined {
  if (kind === 'Project') return parseProjectDescription((object as Project).description).instance;
  return ownerFromTags((object as Application | Group | Policy).tags);
}

function isProtectedObject(kind: Kind, object: LiveTarget): boolean {
  if (kind === 'Project') return (object as Project).isDefault;
  return isProtected(object as Application);
}

async function getTarget(
  ctx: RunContext,
  kind: Kind,
  id: string,
  retry: RetryContext,
): Promise<LiveTarget | undefined> {
  const client = ctx.client;
  const call = { ...(ctx.signal ? { signal: ctx.signal } : {}) };
  try {
    switch (kind) {
      case 'Project':
        return await withApiRetry(() => client.getProject(id, call), retry);
      case 'Application':
        return await withApiRetry(() => client.getApplication(id, call), retry);
      case 'Group':
        return await withApiRetry(() => client.getGroup(id, call), retry);
      case 'Policy':
        return await withApiRetry(() => client.getPolicy(id, call), retry);
      case 'ApiKey':
        return await withApiRetry(() => client.getApiKey(id, call), retry);
    }
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

function snapshotMarker(before: LiveObject) {
  return before.kind === 'ApiKey' ? parseKeyDescription(before.object.description).marker : undefined;
}

/** Is this live object still what `step` may write: ours, not protected, same key marker? */
function ownershipProblem(
  ctx: RunContext,
  step: UpdateStep | DeleteStep,
  fresh: LiveTarget,
): string | undefined {
  const instance = ctx.plan.instance;
  if (isProtectedObject(step.kind, fresh)) return 'is now managed by Scaleway, not editable or not deletable';
  if (
    step.action === 'delete' &&
    destroysObject(step) &&
    carriesPreventDestroy({ kind: step.kind, object: fresh } as LiveObject, instance)
  ) {
    return 'is protected by metadata.lifecycle.preventDestroy (recorded on the object)';
  }
  if (step.kind === 'ApiKey') {
    const marker = parseKeyDescription((fresh as ApiKey).description).marker;
    if (marker?.instance !== instance || marker.name !== step.name) {
      return `does not carry the marker of ApiKey/${step.name} for instance "${instance}" (it is not owned by this instance)`;
    }
    const expected = snapshotMarker(step.before);
    if (expected && marker.state !== expected.state) {
      return `is now marked ${marker.state}, not ${expected.state} as when the plan was made`;
    }
    return undefined;
  }
  const owner = ownerOf(step.kind, fresh as NamedObject);
  if (owner !== instance) {
    return `does not carry the marker of instance "${instance}" (${owner === undefined ? 'unmarked' : `owned by instance "${owner}"`}): it is not owned by this instance`;
  }
  return undefined;
}

/**
 * Update or delete: GET the target and check it is still ours. Returns the fresh object, or
 * `gone` (404) for a delete, which then has nothing left to do.
 */
export async function confirmOwnedTarget(
  ctx: RunContext,
  step: UpdateStep | DeleteStep,
  retry: RetryContext,
): Promise<LiveTarget | 'gone'> {
  const id = targetId(step)!;
  const fresh = await getTarget(ctx, step.kind, id, retry);
  if (!fresh) {
    if (step.action === 'delete') return 'gone';
    throw new StaleListingError(step.address, `${step.kind} ${id} no longer exists; not updated`);
  }
  const problem = ownershipProblem(ctx, step, fresh);
  if (problem)
    throw new StepError(
      'target-not-owned',
      step.address,
      `refused: ${step.kind} ${id} ${problem}; nothing written`,
    );
  return fresh;
}

/** Adopt: GET the target; it must still exist, be unprotected and carry no one else's marker. */
export async function confirmAdoptable(
  ctx: RunContext,
  step: AdoptStep,
  retry: RetryContext,
): Promise<LiveTarget> {
  const id = targetId(step)!;
  const fresh = await getTarget(ctx, step.kind, id, retry);
  if (!fresh) throw new StaleListingError(step.address, `${step.kind} ${id} no longer exists; not adopted`);
  if (isProtectedObject(step.kind, fresh)) {
    throw new StepError(
      'target-protected',
      step.address,
      `refused: ${step.kind} ${id} is managed by Scaleway or not editable; nothing written`,
    );
  }
  const instance = ctx.plan.instance;
  if (step.kind === 'ApiKey') {
    const key = fresh as ApiKey;
    const marker = parseKeyDescription(key.description).marker;
    const before = step.before.object as ApiKey;
    if (marker && !(marker.instance === instance && marker.name === step.name)) {
      throw new StepError(
        'target-not-adoptable',
        step.address,
        `refused: key ${id} is now marked as ${marker.instance}:${marker.name}; nothing written`,
      );
    }
    if (key.bearer.type !== before.bearer.type || key.bearer.id !== before.bearer.id) {
      throw new StepError(
        'target-not-adoptable',
        step.address,
        `refused: key ${id} no longer belongs to the planned bearer; nothing written`,
      );
    }
    return fresh;
  }
  const owner = ownerOf(step.kind, fresh as NamedObject);
  if (owner !== undefined && owner !== instance) {
    throw new StepError(
      'target-not-adoptable',
      step.address,
      `refused: ${step.kind} ${id} now belongs to instance "${owner}"; nothing written`,
    );
  }
  return fresh;
}

async function listByName(
  ctx: RunContext,
  kind: Exclude<Kind, 'ApiKey'>,
  name: string,
  retry: RetryContext,
): Promise<NamedObject[]> {
  const client = ctx.client;
  const call = { ...(ctx.signal ? { signal: ctx.signal } : {}) };
  switch (kind) {
    case 'Project':
      return withApiRetry(() => client.listProjects({ name }, call), retry);
    case 'Application':
      return withApiRetry(() => client.listApplications({ name }, call), retry);
    case 'Group':
      return withApiRetry(() => client.listGroups({ name }, call), retry);
    case 'Policy':
      return withApiRetry(() => client.listPolicies({ policyName: name }, call), retry);
  }
}

export interface NameLookup {
  /** Our object of that name, when the listing missed it (the oldest, if several). */
  readonly ours?: NamedObject;
  /** Ids of every object of that name before the create. */
  readonly existing: ReadonlySet<string>;
}

/** Create (named): nothing of that name may exist, except ours, which is then used. */
export async function lookupBeforeCreate(
  ctx: RunContext,
  step: CreateStep,
  retry: RetryContext,
): Promise<NameLookup> {
  const kind = step.kind as Exclude<Kind, 'ApiKey'>;
  const found = (await listByName(ctx, kind, step.name, retry)).filter((o) => o.name === step.name);
  const existing = new Set(found.map((o) => o.id));
  const ours = found
    .filter((o) => ownerOf(kind, o) === ctx.plan.instance && !isProtectedObject(kind, o))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  const conflicting = found.filter((o) => !ours.includes(o));
  if (conflicting.length > 0) {
    const what = conflicting
      .map((o) => {
        const owner = ownerOf(kind, o);
        return `${o.id} (${owner === undefined ? 'unmarked' : `instance "${owner}"`})`;
      })
      .join(', ');
    throw new StepError(
      'create-conflict',
      step.address,
      `refused: a ${kind} named "${step.name}" exists that is not ours: ${what}; nothing created`,
    );
  }
  return ours.length > 0 ? { ours: ours[0]!, existing } : { existing };
}

/**
 * New key (create, replace): list the application's keys. Refused when a current key of ours with
 * this name exists that the plan did not know (the listing missed it: never a second current
 * key), and for a replace when the key it replaces is gone or no longer in the planned state.
 * Returns every access key found (a later ambiguous create is resolved against them).
 */
export async function checkKeySlot(
  ctx: RunContext,
  step: CreateStep | ReplaceStep,
  applicationId: string,
  retry: RetryContext,
): Promise<Set<string>> {
  const call = { ...(ctx.signal ? { signal: ctx.signal } : {}) };
  const keys = await withApiRetry(
    () => ctx.client.listApiKeys({ bearerId: applicationId, bearerType: 'application' }, call),
    retry,
  );
  const known = new Set(step.knownKeys ?? []);
  for (const key of keys) {
    const marker = parseKeyDescription(key.description).marker;
    if (marker?.instance !== ctx.plan.instance || marker.name !== step.name) continue;
    if (marker.state !== 'retiring' && !known.has(key.accessKey)) {
      throw new StaleListingError(
        step.address,
        `key ${key.accessKey} (${marker.state}) exists but the listing the plan was made from did not show it; no new key created, the next pass decides`,
      );
    }
  }
  if (step.action === 'replace') {
    const before = step.before.object;
    const fresh =
      before.bearer.type === 'application' && before.bearer.id === applicationId
        ? keys.find((k) => k.accessKey === before.accessKey)
        : await getTarget(ctx, 'ApiKey', before.accessKey, retry).then((k) => k as ApiKey | undefined);
    const expected = parseKeyDescription(before.description).marker;
    const now = fresh ? parseKeyDescription(fresh.description).marker : undefined;
    if (
      !fresh ||
      now?.instance !== ctx.plan.instance ||
      now.name !== step.name ||
      now.state !== expected?.state
    ) {
      throw new StaleListingError(
        step.address,
        fresh
          ? `key ${before.accessKey} is no longer ${expected?.state ?? 'ours'}; not replaced`
          : `key ${before.accessKey} no longer exists; not replaced`,
      );
    }
  }
  return new Set(keys.map((k) => k.accessKey));
}
