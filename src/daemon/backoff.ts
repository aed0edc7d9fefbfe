/**
 * The requeue policy, in one pure function (controller-runtime's single switch).
 *
 * - `success`: nothing to do until the next trigger (file change, cron, webhook).
 * - `terminal` (invalid desired state or settings, 4xx other than 429): wait for the next trigger,
 *   never loop hot on input that cannot succeed.
 * - `transient` (network, 429, 5xx, sink unreachable): exponential backoff with jitter:
 *   `min(max, base × factor^(failures-1))`, then multiplied by a factor drawn uniformly from
 *   `[1 - jitter, 1 + jitter]`, and capped at `max` again.
 * - `aborted` (shutdown, lost leadership): no retry from here.
 */
export type PassVerdict = 'success' | 'transient' | 'terminal' | 'aborted';

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly factor: number;
  /** 0..1: share of the delay randomised either way. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 5 * 60_000, factor: 2, jitter: 0.2 };

/**
 * Milliseconds until the next automatic pass, or `undefined` to wait for a trigger.
 * `consecutiveFailures` counts the transient failures in a row, this one included (≥ 1).
 * `rng` returns a number in [0, 1).
 */
export function nextDelay(
  verdict: PassVerdict,
  consecutiveFailures: number,
  policy: BackoffPolicy,
  rng: () => number,
): number | undefined {
  switch (verdict) {
    case 'success':
    case 'terminal':
    case 'aborted':
      return undefined;
    case 'transient': {
      const n = Math.max(1, Math.floor(consecutiveFailures));
      const raw = Math.min(policy.maxMs, policy.baseMs * policy.factor ** (n - 1));
      const jitter = Math.min(1, Math.max(0, policy.jitter));
      const r = Math.min(Math.max(rng(), 0), 1);
      const factor = 1 - jitter + 2 * jitter * r;
      return Math.max(0, Math.min(policy.maxMs, Math.round(raw * factor)));
    }
  }
}
