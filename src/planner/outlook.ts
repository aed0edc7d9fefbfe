/**
 * The expiry outlook of every owned key (`plan.keys`), the rotations coming inside `--within`
 * (`plan.upcoming`), and the due times they add (rotation due, expiry) for `plan.nextDueAt`.
 */
import type { DesiredApiKey } from '../model/desired.js';
import type { KeyExpiry } from '../model/plan.js';
import { address } from '../model/resources.js';
import type { PlanContext } from './context.js';
import { effectiveRotation, parseTime, rotateAtMs, secondsToExpiry, toIso } from './rotation.js';

function byAddressAndKey(a: KeyExpiry, b: KeyExpiry): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  return a.accessKey < b.accessKey ? -1 : a.accessKey > b.accessKey ? 1 : 0;
}

export function keyOutlook(ctx: PlanContext): { keys: KeyExpiry[]; upcoming: KeyExpiry[] } {
  const keys: KeyExpiry[] = [];
  const upcoming: KeyExpiry[] = [];
  const withinMs = ctx.options.withinMs;
  for (const entry of ctx.index.ourKeys()) {
    const target = address('ApiKey', entry.marker!.name);
    const desired = ctx.desiredByAddress.get(target) as DesiredApiKey | undefined;
    let rotateAt: number | undefined;
    if (desired && entry.marker!.state === 'ready' && desired.expiresAt === undefined) {
      rotateAt = rotateAtMs(entry.key, effectiveRotation(desired.rotation, ctx.options.rotation, false));
    }
    const outlook: KeyExpiry = {
      address: target,
      accessKey: entry.key.accessKey,
      expiresAt: entry.key.expiresAt,
      secondsToExpiry: secondsToExpiry(entry.key, ctx.now),
      rotateAt: rotateAt === undefined ? null : toIso(rotateAt),
    };
    keys.push(outlook);
    if (rotateAt !== undefined && rotateAt > ctx.now) ctx.dueTimes.push(rotateAt);
    if (entry.key.expiresAt !== null && parseTime(entry.key.expiresAt) > ctx.now) {
      ctx.dueTimes.push(parseTime(entry.key.expiresAt));
    }
    if (
      withinMs !== undefined &&
      rotateAt !== undefined &&
      rotateAt > ctx.now &&
      rotateAt <= ctx.now + withinMs
    ) {
      upcoming.push(outlook);
    }
  }
  upcoming.sort((a, b) =>
    a.rotateAt! < b.rotateAt! ? -1 : a.rotateAt! > b.rotateAt! ? 1 : byAddressAndKey(a, b),
  );
  return { keys: keys.sort(byAddressAndKey), upcoming };
}
