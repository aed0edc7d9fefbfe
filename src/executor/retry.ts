/**
 * Domain waits of the apply engine: the one place that retries a refusal that means "not now".
 * The transport (src/scaleway/retry-policy.ts) retries transport failures only (429, 5xx,
 * resets); nothing is retried in both places (docs/design/retries.md has the table).
 *
 * - `409 transient_state` (group membership, policy rules being updated): wait and retry, as the
 *   Terraform provider does for group membership;
 * - `412 precondition_failed` / `resource_not_usable` on a project delete (Scaleway could not check
 *   whether the project still holds resources, "please retry later");
 * - `403 permissions_denied` shortly after this run changed a policy or a group's membership:
 *   IAM propagation is eventually consistent, so a call made right after a change may be refused
 *   for a moment (Terraform's 403 retry helper);
 * - sink operations (deliver-secret.ts): any failure, a few times (a failed delivery costs a key).
 *
 * Backoff is exponential (`baseDelayMs · 2^n`, capped at `maxDelayMs`), slept through the
 * injected Clock so tests do not wait.
 */
import type { Clock } from '../clock.js';
import { isPermissionDenied, isPreconditionFailed, isTransientState } from '../scaleway/errors.js';

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
  if (isPreconditionFailed(err, 'resource_not_usable')) return 'resource-not-usable';
  if (isPermissionDenied(err)) {
    const changed = ctx.lastPermissionChange();
    if (changed !== undefined && ctx.clock.now().getTime() - changed <= ctx.policy.propagationWindowMs) {
      return 'iam-propagation';
    }
  }
  return undefined;
}

/** Run `op`, retrying transient states, unusable-resource 412s and post-change 403s (bounded). */
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
