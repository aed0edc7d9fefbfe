import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves with the first truthy value, checking again until then', async () => {
    let calls = 0;
    const value = await waitFor(() => {
      calls += 1;
      return calls >= 3 ? { calls } : undefined;
    });
    expect(value).toEqual({ calls: 3 });
    expect(calls).toBe(3);
  });

  it('awaits an async condition', async () => {
    let n = 0;
    await expect(waitFor(async () => ++n === 2 && 'ok')).resolves.toBe('ok');
  });

  it('treats a throw as not yet (an expect inside the condition retries)', async () => {
    let n = 0;
    await waitFor(() => {
      n += 1;
      expect(n).toBe(4);
      return true;
    });
    expect(n).toBe(4);
  });

  it('fails after timeoutMs, naming what it waited for and the last failure', async () => {
    const err = await waitFor(
      () => {
        throw new Error('still 3 requests in flight');
      },
      { timeoutMs: 30, intervalMs: 5, what: 'the server to drain' },
    ).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/timed out after 30 ms .* waiting for the server to drain/);
    expect(err.message).toContain('still 3 requests in flight');
    expect((err.cause as Error).message).toBe('still 3 requests in flight');
  });

  it('names the condition by its source when no `what` is given', async () => {
    const ready = false;
    await expect(waitFor(() => ready, { timeoutMs: 20 })).rejects.toThrow(/waiting for \(\) => ready/);
  });

  it('keeps real time when the test fakes timers and Date', async () => {
    vi.useFakeTimers();
    let n = 0;
    await expect(waitFor(() => ++n > 2, { intervalMs: 1 })).resolves.toBe(true);
    await expect(waitFor(() => false, { timeoutMs: 20, intervalMs: 1 })).rejects.toThrow(/timed out/);
  });
});
