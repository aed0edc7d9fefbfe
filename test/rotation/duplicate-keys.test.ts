/**
 * Issue #13, Done-when (e), through the CLI against the sandbox with a file sink: a second current
 * key of one declared ApiKey (as two concurrent applies leave behind: created with our marker,
 * secret delivered nowhere) is reported, marked retiring, and deleted once the overlap has passed,
 * never before; the key whose secret is in the sink stays current throughout.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { markKeyDescription } from '../../src/model/ownership.js';
import { parseExpiry } from '../../src/sandbox/ids.js';
import { type CliHarness, startCliHarness } from './cli-harness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2027-04-01T09:00:00.000Z');

const DESIRED = `---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: ci
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: deployer
spec:
  application: ci
  description: CI deploy key
  lifetime: 30d
  rotation:
    overlap: 2h
`;

let h: CliHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('two current keys against the sandbox, CLI reconcile, prune on', () => {
  it('the extra key is reported, retired, and deleted after the overlap', async () => {
    h = await startCliHarness(DESIRED, T0, { prune: true });
    expect((await h.reconcile()).code).toBe(0);
    const [held] = h.keys('deployer');

    // A concurrent apply made a second ready key; its secret reached no sink.
    h.setNow(T0 + MIN);
    const app = [...h.sandbox.store.applications.values()].find((a) => a.name === 'ci')!;
    const extra = h.sandbox.store.createApiKey({
      bearer: { application_id: app.id },
      description: markKeyDescription('CI deploy key', 'default', 'deployer', 'ready'),
      expires: parseExpiry(new Date(T0 + MIN + 30 * 24 * HOUR).toISOString())!,
      creation_ip: '127.0.0.1',
    });
    const state = () => Object.fromEntries(h!.keys('deployer').map((k) => [k.accessKey, k.state]));
    expect(state()).toEqual({ [held!.accessKey]: 'ready', [extra.access_key]: 'ready' });

    const r = await h.reconcile();
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out + r.err).toMatch(/duplicate-current-keys|2 current keys for ApiKey\/deployer/);
    expect(state()).toEqual({ [held!.accessKey]: 'ready', [extra.access_key]: 'retiring' });
    expect((await h.sinkFile('deployer')).accessKey).toBe(held!.accessKey);

    // Inside the overlap: kept.
    h.setNow(T0 + MIN + HOUR);
    expect((await h.reconcile()).code).toBe(0);
    expect(state()).toEqual({ [held!.accessKey]: 'ready', [extra.access_key]: 'retiring' });

    // After it: deleted; the held key stays current and the next plan is empty.
    h.setNow(T0 + MIN + 2 * HOUR + MIN);
    expect((await h.reconcile()).code).toBe(0);
    expect(state()).toEqual({ [held!.accessKey]: 'ready' });
    const again = await h.plan();
    expect(again.out).toContain('No changes');
  });
});
