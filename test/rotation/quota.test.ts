/**
 * Issue #13, Done-when (f), through the CLI against the sandbox with its API-key quota
 * (docs/design/scaleway-api.md §9): the organization is full and a key has expired; reconcile
 * deletes the expired key first, then creates its successor in the freed place. And when a create
 * is refused anyway (the quota is full of live keys), the failure report names the quota and the
 * keys that could go.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { assertNoSecrets } from '../helpers/log-capture.js';
import { type CliHarness, startCliHarness } from './cli-harness.js';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const T0 = Date.parse('2027-05-01T09:00:00.000Z');

const key = (name: string, extra = '') => `---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: ${name}
spec:
  application: ci
  lifetime: 7d
  rotation:
    rotateBefore: 2d
    overlap: 1d
${extra}`;
const APP = `---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: ci
`;

let h: CliHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('API-key quota against the sandbox, CLI reconcile', () => {
  it('quota full and one expired key: the expired key goes first and the key is replaced', async () => {
    // The admin's key plus ours fill a quota of 2.
    h = await startCliHarness(APP + key('deployer'), T0, { sandbox: { apiKeyQuota: 2 } });
    expect((await h.reconcile()).code).toBe(0);
    const [old] = h.keys('deployer');
    expect(h.sandbox.store.apiKeys.size).toBe(2);

    // Nobody reconciled for 8 days: the key expired.
    h.setNow(T0 + 8 * DAY);
    const preview = await h.plan();
    expect(preview.out).toMatch(
      /ApiKey\/deployer will be deleted \(expired\)[^\n]*deleted before its successor is created/,
    );
    const r = await h.reconcile();
    expect(r.code, r.out + r.err).toBe(0);
    const now = h.keys('deployer');
    expect(now).toHaveLength(1);
    expect(now[0]!.accessKey).not.toBe(old!.accessKey);
    expect(now[0]!.state).toBe('ready');
    const file = await h.sinkFile('deployer');
    expect(file.accessKey).toBe(now[0]!.accessKey);
    expect(file.secretMatches).toBe(true);
    expect((await h.plan()).out).toContain('No changes');
  });

  it('a create refused by the quota: the report names the quota and the keys that could go', async () => {
    h = await startCliHarness(APP + key('deployer'), T0, { sandbox: { apiKeyQuota: 3 } });
    expect((await h.reconcile()).code).toBe(0);
    // Rotation due: the new key takes the third place; the old one retires (in overlap).
    h.setNow(T0 + 5 * DAY + MIN);
    expect((await h.reconcile()).code).toBe(0);
    const [retiring] = h.keys('deployer');
    expect(retiring!.state).toBe('retiring');

    // A second key is declared while the quota is full of live keys.
    await h.writeDesired(APP + key('deployer') + key('reporter'));
    const r = await h.reconcile();
    expect(r.code).toBe(1);
    const text = r.out + r.err;
    expect(text).toMatch(/quota-exceeded/);
    expect(text).toMatch(/api_keys: 3 of 3/);
    expect(text).toContain(`${retiring!.accessKey} (ApiKey/deployer): retiring`);
    expect(h.keys('reporter')).toEqual([]);
    assertNoSecrets(h.outputs);
    assertNoSecrets(h.logs.lines);
  });
});
