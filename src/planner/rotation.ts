/**
 * Pure API-key rotation arithmetic. Time comes in as `now`; nothing here reads a clock.
 *
 * - Keys with an expiry rotate at `expiresAt - rotateBefore`. `rotateBefore` defaults to a third
 *   of the lifetime (the configured one, else the key's own `expiresAt - createdAt`). A
 *   `rotateBefore` that is not shorter than the lifetime (possible when it comes from the settings
 *   defaults, which the validator cannot check against each key) falls back to that third:
 *   otherwise every new key would be due at birth and each pass would mint another one.
 * - Keys without an expiry rotate at `createdAt + maxAge` when a max age is set, else never.
 * - A key past its expiry is `expired`: replace now, loudly.
 * - A previous key is deleted once `overlap` has elapsed since *its own* successor was delivered,
 *   never before (see `previousKeyDueMs`).
 */
import type { RotationDefaults } from '../config/settings.js';
import { defined } from '../model/defined.js';
import type { RotationPolicy } from '../model/desired.js';
import type { ApiKey } from '../model/live.js';
import type { EffectiveRotation } from '../model/plan.js';
import { DEFAULT_OVERLAP_MS } from './options.js';

/** A key's spec over the settings defaults, field by field. An absolute `expiresAt` disables lifetime. */
export function effectiveRotation(
  spec: RotationPolicy,
  defaults: RotationDefaults,
  hasAbsoluteExpiry: boolean,
): EffectiveRotation {
  const lifetimeMs = hasAbsoluteExpiry ? undefined : (spec.lifetimeMs ?? defaults.lifetimeMs);
  const rotateBeforeMs = spec.rotateBeforeMs ?? defaults.rotateBeforeMs;
  const maxAgeMs = spec.maxAgeMs ?? defaults.maxAgeMs;
  return {
    ...defined({ lifetimeMs, rotateBeforeMs, maxAgeMs }),
    overlapMs: spec.overlapMs ?? defaults.overlapMs ?? DEFAULT_OVERLAP_MS,
  };
}

export function parseTime(iso: string): number {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new RangeError(`invalid timestamp: ${iso}`);
  return t;
}

/** When rotation of this key becomes due (epoch ms), or undefined if never. */
export function rotateAtMs(
  key: Pick<ApiKey, 'createdAt' | 'expiresAt'>,
  rot: EffectiveRotation,
): number | undefined {
  const created = parseTime(key.createdAt);
  if (key.expiresAt !== null) {
    const expires = parseTime(key.expiresAt);
    const lifetime = rot.lifetimeMs ?? Math.max(0, expires - created);
    const before = effectiveRotateBeforeMs(rot.rotateBeforeMs, lifetime);
    return Math.max(created, expires - before);
  }
  if (rot.maxAgeMs !== undefined) return created + rot.maxAgeMs;
  return undefined;
}

/** `rotateBefore` as applied to a key of this lifetime: a third of it unless a shorter value is set. */
export function effectiveRotateBeforeMs(rotateBeforeMs: number | undefined, lifetimeMs: number): number {
  if (rotateBeforeMs === undefined || rotateBeforeMs >= lifetimeMs) return Math.floor(lifetimeMs / 3);
  return rotateBeforeMs;
}

export type RotationState =
  | { readonly status: 'ok'; readonly rotateAt?: number }
  | { readonly status: 'rotation-due'; readonly rotateAt: number }
  | { readonly status: 'expired'; readonly expiredAt: number };

export function rotationState(
  key: Pick<ApiKey, 'createdAt' | 'expiresAt'>,
  rot: EffectiveRotation,
  now: number,
): RotationState {
  if (key.expiresAt !== null && parseTime(key.expiresAt) <= now) {
    return { status: 'expired', expiredAt: parseTime(key.expiresAt) };
  }
  const at = rotateAtMs(key, rot);
  if (at !== undefined && at <= now) return { status: 'rotation-due', rotateAt: at };
  return at === undefined ? { status: 'ok' } : { status: 'ok', rotateAt: at };
}

/** Seconds until expiry (negative once expired), null when the key never expires. */
export function secondsToExpiry(key: Pick<ApiKey, 'expiresAt'>, now: number): number | null {
  if (key.expiresAt === null) return null;
  return Math.floor((parseTime(key.expiresAt) - now) / 1000);
}

/**
 * The moment a successor key counts as delivered: the later of its `updatedAt` (bumped when the
 * executor marks it ready) and the sink's `deliveredAt` when the sink holds that key.
 */
export function deliveredAtMs(successor: Pick<ApiKey, 'updatedAt'>, sinkDeliveredAt?: string): number {
  const a = parseTime(successor.updatedAt);
  if (sinkDeliveredAt === undefined) return a;
  const b = Date.parse(sinkDeliveredAt);
  return Number.isNaN(b) ? a : Math.max(a, b);
}

/**
 * When a previous (superseded) key may be deleted: `overlap` after the key that replaced *it* was
 * delivered. `successorDeliveredMs` is that successor's delivery time (for a successor that is
 * itself retiring, its `updatedAt`, bumped when it was retired, is a safe upper bound). Measuring
 * from the newest key instead would restart every retiring key's clock at each rotation, and keys
 * would pile up whenever the overlap is longer than the rotation interval. An already expired
 * previous key is useless to consumers and is due at once.
 */
export function previousKeyDueMs(
  previous: Pick<ApiKey, 'expiresAt'>,
  successorDeliveredMs: number,
  overlapMs: number,
): number {
  const due = successorDeliveredMs + overlapMs;
  if (previous.expiresAt === null) return due;
  return Math.min(due, parseTime(previous.expiresAt));
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
