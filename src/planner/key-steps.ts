/**
 * The steps of one declared API key (decided in api-keys.ts): create, replace, in-place update,
 * deletion of an undelivered key, and deletion of superseded keys once their overlap is over.
 */
import type { DesiredApiKey } from '../model/desired.js';
import { formatDuration } from '../model/duration.js';
import type { ApiKey } from '../model/live.js';
import type { FieldChange, KeyDisposal, PlannedApiKey, ReasonCode, SinkObservation } from '../model/plan.js';
import type { PlanContext } from './context.js';
import { deleteKeyStep } from './delete-steps.js';
import { type LiveKeyEntry, newestFirst } from './live-index.js';
import { deliveredAtMs, parseTime, previousKeyDueMs, toIso } from './rotation.js';
import { recordRemovals } from './secret-moves.js';

/** Tolerance when checking that a live key's lifetime matches the desired one (clock skew). */
const LIFETIME_TOLERANCE_MS = 5 * 60 * 1000;

/** One declared key being planned: its planned value and the access keys of ours the listing showed. */
export interface KeyScope {
  readonly ctx: PlanContext;
  readonly desired: DesiredApiKey;
  readonly after: PlannedApiKey;
  /** Access keys of every live key of ours with this name, any state. */
  readonly known: readonly string[];
  /** Only what keeps the key alive (a blocked key: api-keys.ts, blocking.ts). */
  readonly keepAlive: boolean;
}

export interface ReplaceInit {
  readonly reason: ReasonCode;
  readonly detail: string;
  readonly dispose: KeyDisposal;
  readonly changes: readonly FieldChange[];
  readonly warnings?: readonly string[];
}

export function replaceKey(scope: KeyScope, before: LiveKeyEntry, init: ReplaceInit): void {
  const { desired } = scope;
  scope.ctx.addStep({
    id: `replace:${desired.address}@${before.key.accessKey}`,
    action: 'replace',
    kind: 'ApiKey',
    name: desired.name,
    address: desired.address,
    reason: init.reason,
    detail: init.detail,
    before: { kind: 'ApiKey', object: before.key },
    after: scope.after,
    changes: [...init.changes],
    warnings: [...(init.warnings ?? [])],
    disposeBefore: init.dispose,
    knownKeys: [...scope.known],
    // Deleted at once: its records elsewhere go with it (secret-moves.ts).
    ...(init.dispose === 'delete' ? recordRemovals(scope.ctx, before.key.accessKey) : {}),
  });
}

/** Why a key is created: missing by default; an expired key's successor (quota.ts) says so. */
export interface CreateInit {
  readonly reason: ReasonCode;
  readonly detail: string;
  readonly warnings: readonly string[];
}

export function createKey(scope: KeyScope, init?: CreateInit): void {
  const { ctx, desired } = scope;
  const id = `create:${desired.address}`;
  ctx.refs.set(desired.address, { address: desired.address, step: id });
  ctx.addStep({
    id,
    action: 'create',
    kind: 'ApiKey',
    name: desired.name,
    address: desired.address,
    reason: init?.reason ?? 'missing',
    ...(init ? { detail: init.detail } : {}),
    after: scope.after,
    changes: [],
    warnings: [...(init?.warnings ?? [])],
    knownKeys: [...scope.known],
  });
}

/** Description or default project of the current key changed: patch it, keeping its custody state. */
export function updateKey(scope: KeyScope, current: LiveKeyEntry, changes: readonly FieldChange[]): void {
  const { desired, after } = scope;
  const state = current.marker?.state ?? 'ready';
  scope.ctx.addStep({
    id: `update:${desired.address}@${current.key.accessKey}`,
    action: 'update',
    kind: 'ApiKey',
    name: desired.name,
    address: desired.address,
    reason: 'drifted',
    before: { kind: 'ApiKey', object: current.key },
    after: { ...after, marker: { ...after.marker, state } },
    changes: [...changes],
    warnings: [],
  });
}

/** A key created but never confirmed in its sink: nobody can hold its secret. */
export function dropUndelivered(scope: KeyScope, entry: LiveKeyEntry): void {
  deleteKeyStep(
    scope.ctx,
    scope.desired.name,
    entry,
    'custody-lost',
    `key ${entry.key.accessKey} was created but its secret was never confirmed in the sink`,
    false,
  );
}

/** One previous key of a chain, its successor, when that successor was delivered, and when it may go. */
export interface OverlapLink {
  readonly entry: LiveKeyEntry;
  readonly successor: LiveKeyEntry;
  readonly delivered: number;
  readonly due: number;
}

/**
 * The end of each previous key's overlap (pure; the planner and the `keys` report read it alike).
 * Newest first; each previous key's successor is the next newer key of the chain, the current key
 * for the newest of them. A key marked retiring later than its successor's delivery (a duplicate
 * retired afterwards, duplicates.ts) keeps a full overlap from that moment: its updatedAt.
 */
export function overlapChain(
  current: LiveKeyEntry,
  previous: readonly LiveKeyEntry[],
  observation: SinkObservation | undefined,
  overlapMs: number,
): OverlapLink[] {
  const chain = [current, ...previous.filter((k) => k !== current).sort(newestFirst)];
  const out: OverlapLink[] = [];
  for (let i = 1; i < chain.length; i++) {
    const entry = chain[i]!;
    const successor = chain[i - 1]!;
    const delivered =
      successor === current
        ? deliveredAtMs(
            current.key,
            observation?.accessKey === current.key.accessKey ? observation.deliveredAt : undefined,
          )
        : parseTime(successor.key.updatedAt);
    const retiredAt = entry.marker?.state === 'retiring' ? parseTime(entry.key.updatedAt) : delivered;
    out.push({
      entry,
      successor,
      delivered,
      due: previousKeyDueMs(entry.key, Math.max(delivered, retiredAt), overlapMs),
    });
  }
  return out;
}

/**
 * Previous keys (retiring, or older ready ones) go once the overlap since their successor's
 * delivery has elapsed; until then, the instant they become due is a due time of the plan.
 */
export function retirePrevious(
  scope: KeyScope,
  previous: readonly LiveKeyEntry[],
  current: LiveKeyEntry,
  observation: SinkObservation | undefined,
): void {
  const { ctx } = scope;
  const overlapMs = scope.after.rotation.overlapMs;
  for (const { entry, successor, delivered, due } of overlapChain(
    current,
    previous,
    observation,
    overlapMs,
  )) {
    ctx.keyRoles.set(entry.key.accessKey, { role: 'retiring', retireAt: due });
    if (ctx.now < due) {
      ctx.dueTimes.push(due);
      ctx.overlapEnds.set(entry.key.accessKey, due);
      continue;
    }
    const expired = entry.key.expiresAt !== null && parseTime(entry.key.expiresAt) <= ctx.now;
    deleteKeyStep(
      ctx,
      scope.desired.name,
      entry,
      'overlap-elapsed',
      expired && ctx.now < delivered + overlapMs
        ? `superseded by ${successor.key.accessKey} and expired ${entry.key.expiresAt}; deleted before the end of its overlap`
        : `superseded by ${successor.key.accessKey} (delivered ${toIso(delivered)}); overlap of ${formatDuration(overlapMs)} elapsed`,
      false,
    );
  }
}

/** The expiry change that forces a replacement, if the live key's expiry no longer matches git. */
export function expiryChange(
  desired: DesiredApiKey,
  current: ApiKey,
  lifetimeMs: number | undefined,
): FieldChange | undefined {
  if (desired.expiresAt !== undefined) {
    if (current.expiresAt !== null && parseTime(current.expiresAt) === parseTime(desired.expiresAt))
      return undefined;
    return {
      field: 'expiresAt',
      before: current.expiresAt,
      after: desired.expiresAt,
      forcesReplacement: true,
    };
  }
  if (lifetimeMs !== undefined) {
    if (current.expiresAt !== null) {
      const actual = parseTime(current.expiresAt) - parseTime(current.createdAt);
      if (Math.abs(actual - lifetimeMs) <= LIFETIME_TOLERANCE_MS) return undefined;
    }
    return {
      field: 'expiresAt',
      before: current.expiresAt,
      after: `creation + ${formatDuration(lifetimeMs)}`,
      forcesReplacement: true,
    };
  }
  if (current.expiresAt === null) return undefined;
  return { field: 'expiresAt', before: current.expiresAt, after: null, forcesReplacement: true };
}
