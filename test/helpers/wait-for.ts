/**
 * The one bounded wait of the suite: poll `condition` until it holds, or fail after `timeoutMs`.
 *
 * Use it for things that happen in another process, another socket or the file system (a child's
 * log line, a server's request count, a watcher event). Time inside the code under test is a fake
 * clock (test/helpers/fake-clock.ts), never a wait. Never assert on how long something took: the
 * timeout only bounds a hang, and speed belongs in `npm run bench`.
 *
 * - `condition` may be sync or async. It holds when it returns a truthy value, which `waitFor`
 *   resolves with. A throw (for example a failed `expect`) counts as "not yet"; when the time is
 *   up, the last throw is the error's cause.
 * - The deadline and the polling use Node's real timers (`node:timers/promises`, and the monotonic
 *   clock as it was at import), so a test that fakes timers or `Date` cannot stall or skip the wait.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** Give up after this long (default 10 s: generous for a loaded 2-CPU machine). */
  readonly timeoutMs?: number;
  /** Pause between two checks (default 10 ms). */
  readonly intervalMs?: number;
  /** What is awaited, for the timeout message (default: the condition's source). */
  readonly what?: string;
}

export const WAIT_FOR_DEFAULTS = { timeoutMs: 10_000, intervalMs: 10 } as const;

export async function waitFor<T>(
  condition: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? WAIT_FOR_DEFAULTS.timeoutMs;
  const intervalMs = opts.intervalMs ?? WAIT_FOR_DEFAULTS.intervalMs;
  const deadline = monotonicMs() + timeoutMs;
  let lastError: unknown;
  let checks = 0;
  for (;;) {
    checks += 1;
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (monotonicMs() >= deadline) {
      const what = opts.what ?? describe(condition);
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(
        `waitFor: timed out after ${timeoutMs} ms (${checks} checks) waiting for ${what}${detail}`,
        {
          cause: lastError,
        },
      );
    }
    await sleep(intervalMs);
  }
}

// Taken at import, before any test can install fake timers (vitest fakes process.hrtime too).
const hrtimeBigint = process.hrtime.bigint;

function monotonicMs(): number {
  return Number(hrtimeBigint() / 1_000_000n);
}

function describe(fn: () => unknown): string {
  const text = fn.toString().replace(/\s+/g, ' ').trim();
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
