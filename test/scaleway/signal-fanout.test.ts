/** SignalFanout: children follow their parent with one listener on it, and let go when released. */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SignalFanout } from '../../src/scaleway/signal-fanout.js';

describe('SignalFanout', () => {
  it('aborts every live child with the reason, through one listener on the parent', () => {
    const f = new SignalFanout();
    const parent = new AbortController();
    const kids = Array.from({ length: 500 }, () => f.child(parent.signal));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    const released = kids.pop()!;
    f.release(parent.signal, released);
    const reason = new Error('stop');
    parent.abort(reason);
    expect(kids.every((k) => k.signal.aborted && k.signal.reason === reason)).toBe(true);
    expect(released.signal.aborted).toBe(false);
  });

  it('a child of an aborted parent starts aborted; a child without a parent is free', () => {
    const f = new SignalFanout();
    const parent = new AbortController();
    parent.abort(new Error('gone'));
    expect(f.child(parent.signal).signal.reason).toBe(parent.signal.reason);
    const free = f.child(undefined);
    f.release(undefined, free);
    expect(free.signal.aborted).toBe(false);
  });

  it('a child can be aborted on its own (a timeout) without touching the parent or its siblings', () => {
    const f = new SignalFanout();
    const parent = new AbortController();
    const a = f.child(parent.signal);
    const b = f.child(parent.signal);
    a.abort(new Error('timeout'));
    expect(parent.signal.aborted).toBe(false);
    expect(b.signal.aborted).toBe(false);
  });
});
