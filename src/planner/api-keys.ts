/**
 * API keys: custody, rotation and replacement of one declared key. The live keys of ours with its
 * name are `ready` (the current one is the newest), `external` (adopted, serves like ready),
 * `pending` (created, secret not confirmed in the sink) or `retiring` (superseded, in overlap).
 *
 * Decision, in order (one new key per pass at most):
 *  1. A pending key the sink already holds was delivered but never marked ready: replace it,
 *     retiring it normally. Without a current key, a pending key is replaced and deleted.
 *     Other pending keys are deleted (nobody holds their secret).
 *  2. No current key: create one.
 *  3. Current key expired: delete it, then create its successor (quota.ts; unless spec.expiresAt,
 *     fixed and past, says otherwise);
 *     the sink holds another key: replace and retire it (custody lost, or `sink-moved` when its
 *     record is at another place: secret-moves.ts); a field that cannot be patched
 *     changed (application, expiry): replace and retire; rotation due: replace and retire;
 *     description or default project changed: update in place.
 *  4. Previous keys whose overlap has elapsed are deleted.
 *
 * Keep-alive mode (`planApiKeyKeepAlive`, for a key blocked by an error: blocking.ts): only what
 * keeps the key alive is planned, on the bearer and default project of its live keys (known ids,
 * whatever git says now): 1, 3 without the in-place and forcing changes, and 4. Nothing new is
 * created without a live key to take the bearer from.
 */
import type { DesiredApiKey } from '../model/desired.js';
import { formatDuration } from '../model/duration.js';
import { isProtected } from '../model/ownership.js';
import { formatRecordedRotation } from '../model/rotation-record.js';
import type {
  EffectiveRotation,
  FieldChange,
  KeyExpiryRule,
  ObjectRef,
  PlannedApiKey,
  PlannedSink,
} from '../model/plan.js';
import { type Address, address } from '../model/resources.js';
import type { PlanContext } from './context.js';
import { retireDuplicates, splitCurrent } from './duplicates.js';
import { replaceExpired } from './quota.js';
import { planKeyAdoption } from './key-adoption.js';
import {
  createKey,
  dropUndelivered,
  expiryChange,
  type KeyScope,
  replaceKey,
  retirePrevious,
  updateKey,
} from './key-steps.js';
import { lifecycleChange, lifecycleMarker } from './lifecycle.js';
import { type LiveKeyEntry, newestFirst } from './live-index.js';
import { refIdentity, resolveReference } from './references.js';
import { effectiveRotation, parseTime, rotationState, toIso } from './rotation.js';
import { custodyReplacement } from './secret-moves.js';

export function planApiKey(
  ctx: PlanContext,
  desired: DesiredApiKey,
  destinations: ReadonlyMap<Address, PlannedSink>,
): void {
  const application = resolveReference(ctx, 'Application', desired.application, desired, 'spec.application');
  const defaultProject = resolveReference(
    ctx,
    'Project',
    desired.defaultProject,
    desired,
    'spec.defaultProject',
  );
  const sink = destinations.get(desired.address);
  if (!application || !defaultProject || !sink) {
    ctx.blocked.add(desired.address);
    return;
  }
  const after = plannedKey(ctx, desired, application, defaultProject, sink);
  warnIgnoredRotateBefore(ctx, desired, after.rotation);

  const mine = ctx.index.ourKeysByName.get(desired.name) ?? [];
  if (desired.adopt && desired.adoptAccessKey !== undefined && mine.length === 0) {
    planKeyAdoption(ctx, desired, desired.adoptAccessKey, after);
    return;
  }
  for (const entry of mine) ctx.touch('ApiKey', entry.key.accessKey);
  const scope: KeyScope = {
    ctx,
    desired,
    after,
    known: mine.map((entry) => entry.key.accessKey),
    keepAlive: false,
  };
  planCustody(scope, usableKeys(ctx, desired, mine));
}

/**
 * A key blocked by an error (its own, or of what it depends on): plan only what keeps it alive,
 * on the bearer and default project of its newest live key (see the module comment).
 */
export function planApiKeyKeepAlive(ctx: PlanContext, desired: DesiredApiKey, sink: PlannedSink): void {
  const mine = ctx.index.ourKeysByName.get(desired.name) ?? [];
  const usable = usableKeys(ctx, desired, mine);
  const source = [...usable]
    .filter((entry) => entry.key.bearer.type === 'application' && entry.marker!.state !== 'retiring')
    .sort((a, b) => statePreference(a) - statePreference(b) || newestFirst(a, b))[0];
  if (!source) return;
  const { bearer, defaultProjectId } = source.key;
  for (const entry of mine) ctx.touch('ApiKey', entry.key.accessKey);
  ctx.touch('Application', bearer.id);
  ctx.touch('Project', defaultProjectId);
  const after = plannedKey(
    ctx,
    desired,
    { address: address('Application', desired.application), id: bearer.id },
    { address: address('Project', desired.defaultProject), id: defaultProjectId },
    sink,
  );
  const scope: KeyScope = {
    ctx,
    desired,
    after,
    known: mine.map((entry) => entry.key.accessKey),
    keepAlive: true,
  };
  planCustody(scope, usable);
}

/** Current keys first (ready, external), then pending ones. */
function statePreference(entry: LiveKeyEntry): number {
  return entry.marker!.state === 'pending' ? 1 : 0;
}

function plannedKey(
  ctx: PlanContext,
  desired: DesiredApiKey,
  application: ObjectRef,
  defaultProject: ObjectRef,
  sink: PlannedSink,
): PlannedApiKey {
  const rotation = effectiveRotation(desired.rotation, ctx.options.rotation, desired.expiresAt !== undefined);
  return {
    kind: 'ApiKey',
    name: desired.name,
    description: desired.description,
    marker: { instance: ctx.instance, name: desired.name, state: 'ready', ...lifecycleMarker(desired) },
    application,
    defaultProject,
    expiry: expiryRule(desired, rotation),
    rotation,
    sink,
    recordedRotation: formatRecordedRotation(desired),
  };
}

function expiryRule(desired: DesiredApiKey, rotation: EffectiveRotation): KeyExpiryRule {
  if (desired.expiresAt !== undefined) return { type: 'at', at: desired.expiresAt };
  if (rotation.lifetimeMs !== undefined) return { type: 'lifetime', lifetimeMs: rotation.lifetimeMs };
  return { type: 'never' };
}

function warnIgnoredRotateBefore(
  ctx: PlanContext,
  desired: DesiredApiKey,
  rotation: EffectiveRotation,
): void {
  const { lifetimeMs, rotateBeforeMs } = rotation;
  if (lifetimeMs === undefined || rotateBeforeMs === undefined || rotateBeforeMs < lifetimeMs) return;
  ctx.diagnose({
    severity: 'warning',
    code: 'rotate-before-ignored',
    message: `rotateBefore ${formatDuration(rotateBeforeMs)} is not shorter than the lifetime ${formatDuration(lifetimeMs)}; rotating ${formatDuration(Math.floor(lifetimeMs / 3))} before expiry instead`,
    subject: desired,
    field: 'spec.rotation.rotateBefore',
    hint: 'set spec.rotation.rotateBefore for this key, or a shorter defaults.rotation.rotateBefore in the settings',
  });
}

/** Our keys of this name that scw-gitops may change (protected ones are reported and left alone). */
function usableKeys(ctx: PlanContext, desired: DesiredApiKey, mine: readonly LiveKeyEntry[]): LiveKeyEntry[] {
  return mine.filter((entry) => {
    if (!isProtected(entry.key)) return true;
    ctx.diagnose({
      severity: 'warning',
      code: 'protected-key',
      message: `API key ${entry.key.accessKey} carries our marker but is managed/not editable/not deletable; left alone`,
      subject: desired,
    });
    return false;
  });
}

function planCustody(scope: KeyScope, usable: readonly LiveKeyEntry[]): void {
  const { ctx, desired } = scope;
  const inState = (...states: string[]) =>
    usable.filter((entry) => states.includes(entry.marker!.state)).sort(newestFirst);
  // `external` keys (adopted, secret never held by us) serve like ready ones.
  const ready = inState('ready', 'external');
  const pending = inState('pending');
  const retiring = inState('retiring');
  const observation = ctx.sinkRecords.get(desired.address);
  const sinkHolds = (entry: LiveKeyEntry) =>
    observation !== undefined && !observation.error && observation.accessKey === entry.key.accessKey;
  // Several current keys: one stays, the others are duplicates (duplicates.ts, invariant I3).
  const { current, previous, duplicates } = splitCurrent(ready, retiring, observation);
  if (current) retireDuplicates(scope, current, duplicates, sinkHolds(current));
  if (current) ctx.keyRoles.set(current.key.accessKey, { role: 'current' });
  for (const entry of pending) ctx.keyRoles.set(entry.key.accessKey, { role: 'pending' });

  // 1. A pending key the sink already holds: its secret was delivered but the key not marked
  // ready (interrupted pass). It is the key consumers use now; replace it (one new key per pass,
  // never more) and retire it with the normal overlap.
  const deliveredPending = pending.find(sinkHolds);
  if (deliveredPending || (!current && pending.length > 0)) {
    const replaced = deliveredPending ?? pending[0]!;
    replaceKey(scope, replaced, {
      reason: 'custody-lost',
      detail: deliveredPending
        ? `key ${replaced.key.accessKey} reached the sink but was never confirmed ready; a new key replaces it`
        : `key ${replaced.key.accessKey} was created but its secret was never confirmed in the sink; a new key replaces it`,
      dispose: deliveredPending ? 'retire' : 'delete',
      changes: [],
    });
    for (const entry of pending) if (entry !== replaced) dropUndelivered(scope, entry);
    if (current) retirePrevious(scope, previous, current, observation);
    return;
  }
  for (const entry of pending) dropUndelivered(scope, entry);
  // 2. Nothing current: a new key (retiring keys stay until it is ready). Not in keep-alive mode:
  // without a live key there is nothing to keep alive, and no bearer to trust.
  if (!current) {
    if (!scope.keepAlive) createKey(scope);
    return;
  }
  if (observation?.error) {
    ctx.diagnose({
      severity: 'warning',
      code: 'sink-unreadable',
      message: `the sink of this key could not be read (${observation.error}); custody not checked this time`,
      subject: desired,
    });
  }
  // 3. The current key.
  planCurrentKey(scope, current, observation);
  // 4. Superseded keys.
  retirePrevious(scope, previous, current, observation);
}

function planCurrentKey(
  scope: KeyScope,
  current: LiveKeyEntry,
  observation: ReturnType<PlanContext['sinkRecords']['get']>,
): void {
  const { ctx, desired, after } = scope;
  const key = current.key;
  const inPlace: FieldChange[] = [];
  const forcing: FieldChange[] = [];
  // Keep-alive mode: nothing that git changed, only what keeps the key alive.
  if (!scope.keepAlive) collectChanges(scope, current, inPlace, forcing);

  const state = rotationState(key, after.rotation, ctx.now);
  const custodyLost =
    current.marker!.state !== 'external' &&
    observation !== undefined &&
    !observation.error &&
    observation.accessKey !== key.accessKey;
  const absoluteInPast = desired.expiresAt !== undefined && parseTime(desired.expiresAt) <= ctx.now;

  if (state.status === 'expired' && !absoluteInPast) {
    const text = `EXPIRED: key ${key.accessKey} expired at ${toIso(state.expiredAt)}; consumers are failing now`;
    ctx.diagnose({ severity: 'warning', code: 'key-expired', message: text, subject: desired });
    replaceExpired(scope, current, toIso(state.expiredAt), text);
  } else if (state.status === 'expired') {
    ctx.diagnose({
      severity: 'warning',
      code: 'key-expired',
      message: `key ${key.accessKey} expired at ${toIso(state.expiredAt)} and spec.expiresAt is in the past; not replaced`,
      subject: desired,
      field: 'spec.expiresAt',
      hint: 'set a future spec.expiresAt or use spec.lifetime',
    });
  } else if (custodyLost) {
    // Moved or lost: retired, never deleted before its overlap ends (I2; secret-moves.ts).
    replaceKey(scope, current, custodyReplacement(scope, current, observation!, [...forcing, ...inPlace]));
  } else if (forcing.length > 0) {
    replaceKey(scope, current, {
      reason: 'requires-replace',
      detail: `${forcing.map((c) => c.field).join(', ')} cannot be changed in place`,
      dispose: 'retire',
      changes: [...forcing, ...inPlace],
    });
  } else if (state.status === 'rotation-due' && desired.expiresAt === undefined) {
    replaceKey(scope, current, {
      reason: 'rotation-due',
      detail: `rotation was due at ${toIso(state.rotateAt)}${key.expiresAt ? ` (expires ${key.expiresAt})` : ''}`,
      dispose: 'retire',
      changes: inPlace,
    });
  } else if (inPlace.length > 0) {
    updateKey(scope, current, inPlace);
  }
  if (
    state.status === 'rotation-due' &&
    desired.expiresAt !== undefined &&
    forcing.length === 0 &&
    !custodyLost
  ) {
    // Fixed spec.expiresAt: never rotated automatically (the new key would expire at the same
    // instant); say so while there is still time to act.
    ctx.diagnose({
      severity: 'warning',
      code: 'expiry-approaching',
      message: `key ${key.accessKey} expires at ${key.expiresAt}; spec.expiresAt is fixed, so it is not rotated automatically`,
      subject: desired,
      field: 'spec.expiresAt',
      hint: 'set a later spec.expiresAt (the key is then replaced) or use spec.lifetime for automatic rotation',
    });
  }
}

/** The in-place changes (description, default project) and those forcing a replacement. */
function collectChanges(
  scope: KeyScope,
  current: LiveKeyEntry,
  inPlace: FieldChange[],
  forcing: FieldChange[],
): void {
  const { ctx, desired, after } = scope;
  const key = current.key;
  if (current.description !== desired.description) {
    inPlace.push({ field: 'description', before: current.description, after: desired.description });
  }
  const guard = lifecycleChange(current.marker?.preventDestroy === true, desired);
  if (guard) inPlace.push(guard);
  if (refIdentity(after.defaultProject) !== key.defaultProjectId) {
    inPlace.push({
      field: 'defaultProject',
      before: ctx.index.projectName(key.defaultProjectId),
      after: desired.defaultProject,
    });
  }
  if (key.bearer.type !== 'application' || key.bearer.id !== refIdentity(after.application)) {
    forcing.push({
      field: 'application',
      before: ctx.index.describeBearer(key.bearer),
      after: desired.application,
      forcesReplacement: true,
    });
  }
  const expiry = expiryChange(desired, key, after.rotation.lifetimeMs);
  if (expiry) forcing.push(expiry);
}
