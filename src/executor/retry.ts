/**
 * Retries of the apply engine, on top of the client's own transport-level retries:
 *
 * - `409 transient_state` (group membership, policy rules being updated): wait and retry, as the
 *   Terraform provider does for group membership;
 * - `403 permissions_denied` shortly after this run changed a policy or a group's membership:
 *   IAM propagation is eventually consistent, so a call made right after a change may be refused
 *   for a moment (Terraform's 403 retry helper);
 * - sink operations: any failure, a few times (a failed delivery costs a key).
 *
 * Backoff is exponential (`baseDelayMs · 2^n`, capped at `maxDelayMs`), slept through the
 * injected Clock so tests do not wait.
 */
import type { Clock } from '../clock.js';
import { isPermissionDenied, isTransientState } from '../scaleway/errors.js';

export interface RetryPolicy {
  /** Total attempts for transient-state / propagation retries (default 6). */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A 403 within this long after this run's last policy/membership change is retried (default 2 min). */
  readonly propagationWindowMs: number;
  /** Total attempts of a sink preflight or write+verify (default 3). */
  readonly sinkAttempts: number;
  readonly sinkDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  propagationWindowMs: 120_000,
  sinkAttempts: 3,
  sinkDelayMs: 1_000,
};

export function backoffMs(policy: RetryPolicy, attempt: number, base = policy.baseDelayMs): number {
  return Math.min(base * 2 ** (attempt - 1), policy.maxDelayMs);
}

export interface RetryContext {
  readonly clock: Clock;
  readonly policy: RetryPolicy;
  /** Epoch ms of this run's last IAM permission change (policy, rules, group membership). */
  lastPermissionChange(): number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Called before each retry (for logging). */
  readonly onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

function retryReason(err: unknown, ctx: RetryContext): string | undefined {
  if (isTransientState(err)) return 'transient-state';
  if (isPermissionDenied(err)) {
    const changed = ctx.lastPermissionChange();
    if (changed !== undefined && ctx.clock.now().getTime() - changed <= ctx.policy.propagationWindowMs) {
      return 'iam-propagation';
    }
  }
  return undefined;
}

/** Run `op`, retrying transient-state conflicts and post-change 403s (bounded). */
export async function withApiRetry<T>(op: () => Promise<T>, ctx: RetryContext): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const reason = retryReason(err, ctx);
      if (reason === undefined || attempt >= ctx.policy.attempts) throw err;
      const delayMs = backoffMs(ctx.policy, attempt);
      ctx.onRetry?.({ attempt, delayMs, reason });
      await ctx.clock.sleep(delayMs, ctx.signal);
    }
  }
}
