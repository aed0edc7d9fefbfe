/**
 * TEST HOOK for the end-to-end shutdown test (test/e2e/sigterm-delivery.test.ts): hold secret
 * deliveries so a test can signal the process while one is in progress, deterministically.
 *
 * When (and only when) `SCW_GITOPS_TEST_HOLD_DELIVERY=<dir>` is set, every sink write first
 * creates `<dir>/writing-<n>` (n = 1, 2, … per process) and then waits, polling every 20 ms, until
 * `<dir>/release` exists; then the write goes on. The wait ignores abort signals on purpose: it
 * stands for a slow sink, and a delivery in progress must complete whatever happens meanwhile.
 * Unset (production), `deliveryHold` returns undefined and nothing is wrapped.
 */
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const HOLD_DELIVERY_ENV = 'SCW_GITOPS_TEST_HOLD_DELIVERY';

export type DeliveryHold = () => Promise<void>;

export function deliveryHold(env: Readonly<Record<string, string | undefined>>): DeliveryHold | undefined {
  const dir = env[HOLD_DELIVERY_ENV];
  if (!dir) return undefined;
  let n = 0;
  return async () => {
    n += 1;
    await writeFile(path.join(dir, `writing-${n}`), '');
    for (;;) {
      try {
        await access(path.join(dir, 'release'));
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
}
