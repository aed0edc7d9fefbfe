/** The webhook throttle: one release per interval, merged reasons, the newest delivery's detail. */
import { describe, expect, it } from 'vitest';
import { TriggerThrottle, type TriggerDetail } from '../../src/daemon/trigger-throttle.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('TriggerThrottle', () => {
  it('releases at once, then once at the end of the interval with every reason and the newest detail', async () => {
    const clock = new FakeClock({ sleeps: 'manual' });
    const released: [readonly string[], TriggerDetail][] = [];
    const t = new TriggerThrottle({ clock, minIntervalMs: 10_000, release: (r, d) => released.push([r, d]) });
    expect(t.request('webhook-github', { after: 'a' })).toBe('released');
    expect(t.request('webhook-github', { after: 'b' })).toBe('scheduled');
    expect(t.request('webhook-gitlab', { after: 'c' })).toBe('coalesced');
    await clock.tick(9_999);
    expect(released).toEqual([[['webhook-github'], { after: 'a' }]]);
    await clock.tick(1);
    expect(released).toEqual([
      [['webhook-github'], { after: 'a' }],
      [['webhook-github', 'webhook-gitlab'], { after: 'c' }],
    ]);
    // a quiet interval later, the next request is released at once again
    await clock.tick(10_000);
    expect(t.request('webhook-github', { after: 'd' })).toBe('released');
    expect(released).toHaveLength(3);
  });

  it('drops what is scheduled on stop()', async () => {
    const clock = new FakeClock({ sleeps: 'manual' });
    const released: unknown[] = [];
    const t = new TriggerThrottle({ clock, minIntervalMs: 10_000, release: (r) => released.push(r) });
    t.request('x');
    t.request('x');
    t.stop();
    await clock.tick(20_000);
    expect(released).toHaveLength(1);
    expect(t.scheduled).toBe(false);
  });
});
