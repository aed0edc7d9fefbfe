/**
 * What is worth telling operators after a pass (docs/operations.md#notifications), and when:
 * once per object and state change. A pass yields *conditions* (an object blocked, a key expiring
 * soon, the desired state invalid, passes failing); a condition is announced when it appears or
 * its fingerprint changes, and forgotten when it clears, so it is announced again if it comes
 * back. A rotation is an edge (the current key of a declared ApiKey changed). Pure: no I/O.
 */
import type { NotificationEvent } from '../config/settings.js';
import type { PassReport } from '../daemon/pass-report.js';
import type { SourceLocation } from '../model/diagnostics.js';
import { scrubSecrets } from '../model/secret.js';

export type NotificationSeverity = 'info' | 'warning' | 'error';

/** One message, before it is shaped for a target. Nothing in it is secret (scrubbed text, ids only). */
export interface Notification {
  readonly event: NotificationEvent;
  /** Deduplication key: the event and its subject. */
  readonly key: string;
  readonly severity: NotificationSeverity;
  /** The object it is about (`ApiKey/ci`), when it is about one. */
  readonly subject?: string;
  /** One line. */
  readonly summary: string;
  readonly location?: SourceLocation;
  readonly accessKey?: string;
  readonly previousAccessKey?: string;
  readonly revision?: string;
  /** When the daemon noticed it (ISO). */
  readonly at: string;
}

interface Condition {
  readonly notification: Notification;
  /** A change of fingerprint is a new state of the same subject. */
  readonly fingerprint: string;
  /** Which part of a pass decides it: conditions of a part the pass did not produce are kept. */
  readonly scope: 'pass' | 'desired' | 'inventory';
}

const DAY = 86_400_000;
const FAILING_RESULTS: ReadonlySet<string> = new Set(['failed', 'partial']);

const where = (l: SourceLocation | undefined): string => (l ? ` (${l.file}:${l.line}:${l.col})` : '');

function conditionsOf(report: PassReport, now: Date, expiringWithinMs: number): Condition[] {
  const at = now.toISOString();
  const out: Condition[] = [];
  if (report.desiredValid === false) {
    const first = report.diagnostics?.find((d) => d.severity === 'error');
    const count = report.diagnostics?.filter((d) => d.severity === 'error').length ?? 0;
    out.push({
      scope: 'desired',
      fingerprint: report.revision ?? 'unknown',
      notification: {
        event: 'desired-state-invalid',
        key: 'desired-state-invalid',
        severity: 'error',
        summary: scrubSecrets(
          `the desired state${report.revision ? ` at ${report.revision}` : ''} is invalid (${count} error${count === 1 ? '' : 's'})` +
            (first ? `: ${first.message}${where(first.location)}` : ''),
        ),
        ...(first?.location ? { location: first.location } : {}),
        ...(report.revision ? { revision: report.revision } : {}),
        at,
      },
    });
  }
  if (FAILING_RESULTS.has(report.result)) {
    out.push({
      scope: 'pass',
      fingerprint: 'failing',
      notification: {
        event: 'pass-failed',
        key: 'pass-failed',
        severity: 'error',
        summary: scrubSecrets(`reconcile pass ${report.result}${report.error ? `: ${report.error}` : ''}`),
        ...(report.revision ? { revision: report.revision } : {}),
        at,
      },
    });
  }
  const inv = report.inventory;
  if (!inv) return out;
  for (const o of inv.objects) {
    if (o.state !== 'blocked' && o.state !== 'conflict') continue;
    const d = o.diagnostics?.find((x) => x.severity === 'error') ?? o.diagnostics?.[0];
    const why = d ? d.message : o.blockedBy ? `blocked by ${o.blockedBy}` : o.state;
    const location = d?.location ?? o.location;
    out.push({
      scope: 'inventory',
      fingerprint: `${o.state}:${d?.code ?? o.blockedBy ?? ''}`,
      notification: {
        event: 'object-blocked',
        key: `object-blocked:${o.address}`,
        severity: 'error',
        subject: o.address,
        summary: scrubSecrets(`${o.address} is ${o.state}: ${why}${where(location)}`),
        ...(location ? { location } : {}),
        ...(report.revision ? { revision: report.revision } : {}),
        at,
      },
    });
  }
  for (const row of inv.keys) {
    for (const k of row.keys) {
      if (k.role !== 'current' || k.expiresAt === null) continue;
      const left = Date.parse(k.expiresAt) - now.getTime();
      if (left > expiringWithinMs) continue;
      const days = Math.floor(left / DAY);
      out.push({
        scope: 'inventory',
        fingerprint: left <= 0 ? 'expired' : 'expiring',
        notification: {
          event: 'key-expiring',
          key: `key-expiring:${row.address}:${k.accessKey}`,
          severity: 'warning',
          subject: row.address,
          summary:
            left <= 0
              ? `${row.address}: its current key ${k.accessKey} expired at ${k.expiresAt}`
              : `${row.address}: its current key ${k.accessKey} expires at ${k.expiresAt} (in ${days} day${days === 1 ? '' : 's'})` +
                (k.rotateAt ? `; rotation is due at ${k.rotateAt}` : ''),
          accessKey: k.accessKey,
          ...(row.location ? { location: row.location } : {}),
          at,
        },
      });
    }
  }
  return out;
}

/** The conditions last announced, and each declared key's current access key. */
export class ConditionTracker {
  readonly #active = new Map<string, Condition>();
  readonly #current = new Map<string, string>();

  constructor(
    private readonly events: ReadonlySet<NotificationEvent>,
    private readonly expiringWithinMs: number,
  ) {}

  /** The notifications this pass causes, in a stable order. */
  next(report: PassReport, now: Date): Notification[] {
    const out: Notification[] = [];
    const decided = new Set<Condition['scope']>(['pass']);
    if (report.desiredValid !== undefined) decided.add('desired');
    if (report.inventory) decided.add('inventory');
    const seen = new Set<string>();
    for (const c of conditionsOf(report, now, this.expiringWithinMs)) {
      if (!this.events.has(c.notification.event)) continue;
      seen.add(c.notification.key);
      const before = this.#active.get(c.notification.key);
      if (!before || before.fingerprint !== c.fingerprint) out.push(c.notification);
      this.#active.set(c.notification.key, c);
    }
    for (const [key, c] of this.#active) {
      if (!seen.has(key) && decided.has(c.scope)) this.#active.delete(key);
    }
    if (report.inventory) {
      const rotated: Notification[] = [];
      for (const row of report.inventory.keys) {
        const current = row.keys.find((k) => k.role === 'current');
        if (!current) continue;
        const before = this.#current.get(row.address);
        if (before !== undefined && before !== current.accessKey && this.events.has('key-rotated')) {
          rotated.push({
            event: 'key-rotated',
            key: `key-rotated:${row.address}:${current.accessKey}`,
            severity: 'info',
            subject: row.address,
            summary: `${row.address} rotated: ${current.accessKey} replaces ${before}`,
            accessKey: current.accessKey,
            previousAccessKey: before,
            ...(row.location ? { location: row.location } : {}),
            at: now.toISOString(),
          });
        }
        this.#current.set(row.address, current.accessKey);
      }
      // Rotations after the failures and blocked objects, before expiry warnings.
      const firstExpiring = out.findIndex((n) => n.event === 'key-expiring');
      out.splice(firstExpiring === -1 ? out.length : firstExpiring, 0, ...rotated);
    }
    return out;
  }
}
