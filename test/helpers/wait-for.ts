/**
 * The one polling helper of the test suite: wait until `condition` holds, bounded by a timeout.
 * Tests wait for states, never for durations (no fixed sleeps); the timeout only bounds a test
 * that would otherwise hang, it is never an assertion about speed.
 */
export interface WaitForOptions {
  /** Give up after this long (default 10 s). */
  readonly timeoutMs?: number;
  /** Poll period (default 10 ms). */
  readonly intervalMs?: number;
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  opts: WaitForOptions = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) {
      throw new Error(`waitFor: condition still false after ${timeoutMs} ms: ${condition.toString()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
