/**
 * Issue #5, part 3 (visibility), through the `plan` / `reconcile` commands against the sandbox
 * with an injected clock:
 * - the plan JSON carries every owned key's `expiresAt`, `secondsToExpiry` and `rotateAt`;
 * - `--within 30d` lists the rotations coming up in that window (text, JSON, Markdown);
 * - `--at TIME` plans as of another instant (rotations then due appear as replace steps);
 * - an already-expired key is replaced now, with a loud warning in every rendering, and the
 *   reconcile that follows replaces it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiKeyYaml, applicationYaml, yamlFile } from '../helpers/builders.js';
import { assertNoSecrets } from '../helpers/log-capture.js';
import { type CliHarness, startCliHarness } from './cli-harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2027-05-03T08:00:00.000Z');

const DESIRED = yamlFile(
  applicationYaml('app', 'consumer'),
  apiKeyYaml('weekly', 'app', 'lifetime: 7d\nrotation:\n  rotateBefore: 2d\n  overlap: 1d', 'weekly'),
  apiKeyYaml('monthly', 'app', 'lifetime: 30d', 'monthly'),
  apiKeyYaml('quarterly', 'app', 'lifetime: 90d\nrotation:\n  overlap: 3d', 'quarterly'),
  apiKeyYaml('ageing', 'app', 'rotation:\n  maxAge: 90d', 'ageing'),
);

interface KeyExpiryJson {
  address: string;
  accessKey: string;
  expiresAt: string | null;
  secondsToExpiry: number | null;
  rotateAt: string | null;
}
interface PlanJson {
  createdAt: string;
  steps: { id: string; action: string; address: string; reason: string; warnings: string[] }[];
  diagnostics: { severity: string; code: string; message: string; resource?: string }[];
  keys: KeyExpiryJson[];
  upcoming: KeyExpiryJson[];
  nextDueAt?: string;
}

let h: CliHarness;

beforeEach(async () => {
  h = await startCliHarness(DESIRED, T0);
  const r = await h.reconcile();
  expect(r.code, r.err).toBe(0);
});
afterEach(async () => {
  assertNoSecrets(h.logs.lines);
  assertNoSecrets(h.outputs);
  await h.close();
});

async function planJson(...args: string[]): Promise<{ code: number; plan: PlanJson }> {
  const r = await h.plan('-o', 'json', ...args);
  expect(r.code, r.err).not.toBe(1);
  return { code: r.code, plan: JSON.parse(r.out) as PlanJson };
}

const one = (name: string) => {
  const ks = h.keys(name);
  expect(ks).toHaveLength(1);
  return ks[0]!;
};

describe('plan visibility of key expiry and rotation', () => {
  it('plan JSON: per-key expiresAt, secondsToExpiry and rotateAt (lifetime, default rotateBefore, maxAge)', async () => {
    h.setNow(T0 + HOUR);
    const { code, plan } = await planJson();
    expect(code).toBe(0);
    expect(plan.steps).toEqual([]);
    expect(plan.upcoming).toEqual([]);
    const byAddr = new Map(plan.keys.map((k) => [k.address, k]));
    expect([...byAddr.keys()].sort()).toEqual([
      'ApiKey/ageing',
      'ApiKey/monthly',
      'ApiKey/quarterly',
      'ApiKey/weekly',
    ]);
    const now = T0 + HOUR;
    const cases: [string, number, number][] = [
      ['weekly', 7 * DAY, 2 * DAY],
      ['monthly', 30 * DAY, 10 * DAY], // default rotateBefore: a third of the lifetime
      ['quarterly', 90 * DAY, 30 * DAY],
    ];
    for (const [name, lifetime, before] of cases) {
      const live = one(name);
      const k = byAddr.get(`ApiKey/${name}`)!;
      expect(k.accessKey).toBe(live.accessKey);
      expect(Date.parse(k.expiresAt!)).toBe(T0 + lifetime);
      expect(k.secondsToExpiry).toBe(Math.floor((T0 + lifetime - now) / 1000));
      expect(k.rotateAt).toBe(new Date(T0 + lifetime - before).toISOString());
    }
    const ageing = byAddr.get('ApiKey/ageing')!;
    expect(ageing.expiresAt).toBeNull();
    expect(ageing.secondsToExpiry).toBeNull();
    expect(ageing.rotateAt).toBe(new Date(Date.parse(one('ageing').createdAt) + 90 * DAY).toISOString());
    // The next moment planning would change something: the weekly key's rotation.
    expect(plan.nextDueAt).toBe(new Date(T0 + 5 * DAY).toISOString());
  });

  it('--within 30d lists the rotations coming up in the window, in order, in every rendering', async () => {
    h.setNow(T0 + HOUR);
    const { code, plan } = await planJson('--within', '30d');
    expect(code).toBe(0);
    expect(plan.upcoming.map((k) => [k.address, k.rotateAt])).toEqual([
      ['ApiKey/weekly', new Date(T0 + 5 * DAY).toISOString()],
      ['ApiKey/monthly', new Date(T0 + 20 * DAY).toISOString()],
    ]);
    const wider = await planJson('--within', '61d');
    expect(wider.plan.upcoming.map((k) => k.address)).toEqual([
      'ApiKey/weekly',
      'ApiKey/monthly',
      'ApiKey/quarterly',
    ]);

    const text = await h.plan('--within', '30d');
    expect(text.code).toBe(0);
    expect(text.out).toContain('Upcoming key rotations:');
    expect(text.out).toContain(
      `ApiKey/weekly (${one('weekly').accessKey}) rotates at ${new Date(T0 + 5 * DAY).toISOString()}`,
    );
    expect(text.out).toContain(`ApiKey/monthly (${one('monthly').accessKey}) rotates at`);
    expect(text.out).not.toContain('ApiKey/quarterly (');
    const md = await h.plan('--within', '30d', '-o', 'markdown');
    expect(md.out).toContain('Upcoming key rotations');
    expect(md.out).toContain('ApiKey/weekly');
    expect(md.out).not.toContain('ApiKey/quarterly');

    const bad = await h.plan('--within', 'soon');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--within');
  });

  it('--at plans as of another instant without changing anything', async () => {
    const before = h.keys('weekly');
    const at = new Date(T0 + 6 * DAY).toISOString();
    const { code, plan } = await planJson('--at', at, '--within', '30d');
    expect(code).toBe(2);
    expect(plan.createdAt).toBe(at);
    expect(plan.steps.map((s) => [s.action, s.address, s.reason])).toEqual([
      ['replace', 'ApiKey/weekly', 'rotation-due'],
    ]);
    const weekly = plan.keys.find((k) => k.address === 'ApiKey/weekly')!;
    expect(weekly.secondsToExpiry).toBe(DAY / 1000);
    // As of `at`, the monthly rotation (T0+20d) is 14 days ahead: upcoming; the weekly one is due.
    expect(plan.upcoming.map((k) => k.address)).toEqual(['ApiKey/monthly']);
    expect(h.keys('weekly')).toEqual(before);
    // The real `now` still sees nothing to do.
    expect((await h.plan()).code).toBe(0);
    // reconcile refuses --at (it only makes sense for a dry run).
    const refused = await h.reconcile('--at', at);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('--at');
    expect(h.keys('weekly')).toEqual(before);
    const bad = await h.plan('--at', 'tomorrow');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--at');
  });

  it('an expired key is replaced now, with a loud warning in text, JSON and Markdown', async () => {
    const old = one('weekly');
    // Nobody reconciled for 8 days: the weekly key expired a day ago.
    h.setNow(T0 + 8 * DAY);
    const { code, plan } = await planJson();
    expect(code).toBe(2);
    // Deleted first (it authenticates nothing and holds a place in the quota), then its successor.
    const steps = plan.steps.filter((s) => s.address === 'ApiKey/weekly');
    expect(steps).toMatchObject([
      { action: 'delete', reason: 'expired' },
      { action: 'create', reason: 'expired' },
    ]);
    const step = steps[1]!;
    expect(step.warnings.join('\n')).toMatch(/EXPIRED/);
    expect(step.warnings.join('\n')).toContain(old.accessKey);
    const diag = plan.diagnostics.find((d) => d.code === 'key-expired')!;
    expect(diag.severity).toBe('warning');
    expect(diag.message).toContain('EXPIRED');
    const k = plan.keys.find((x) => x.address === 'ApiKey/weekly')!;
    expect(k.secondsToExpiry).toBe(-DAY / 1000);

    const text = await h.plan();
    expect(text.code).toBe(2);
    expect(text.out).toMatch(/EXPIRED: key \S+ expired at/);
    expect(text.out).toContain('ApiKey/weekly');
    const md = await h.plan('-o', 'markdown');
    expect(md.out).toMatch(/EXPIRED/);
    expect(md.out).toContain('ApiKey/weekly');

    // The reconcile replaces it now; the expired key goes first (no overlap for a dead key).
    const r = await h.reconcile();
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('EXPIRED');
    const after = h.keys('weekly');
    expect(after).toHaveLength(1);
    expect(after[0]!.accessKey).not.toBe(old.accessKey);
    expect(after[0]!.state).toBe('ready');
    expect(Date.parse(after[0]!.expiresAt!)).toBe(T0 + 8 * DAY + 7 * DAY);
    const file = await h.sinkFile('weekly');
    expect(file.accessKey).toBe(after[0]!.accessKey);
    expect(file.secretMatches).toBe(true);
  });
});
