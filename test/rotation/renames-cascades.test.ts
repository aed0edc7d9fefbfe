/**
 * Issue #13, Done-when (d), through the CLI against the sandbox (which deletes an application's
 * keys with it, docs/design/scaleway-api.md §5) with a file sink and one injected clock:
 *  - a rename with `metadata.renamedFrom`: no key is deleted or replaced, the next plan is empty;
 *  - the same rename without it (prune on): the old key stays alive until its overlap ends, and
 *    only then do the old key and the old application go.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { assertNoSecrets } from '../helpers/log-capture.js';
import { type CliHarness, startCliHarness } from './cli-harness.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.parse('2027-03-01T09:00:00.000Z');

const desiredYaml = (app: string, renamedFrom?: string) => `---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: ${app}
${renamedFrom ? `  renamedFrom: [${renamedFrom}]\n` : ''}spec:
  description: deploys the website
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: deployer
spec:
  application: ${app}
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

const appsNamed = (name: string) =>
  [...h!.sandbox.store.applications.values()].filter((a) => a.name === name);
const live = (accessKey: string) => h!.sandbox.store.apiKeys.has(accessKey);

async function reconcile(...args: string[]): Promise<string> {
  const r = await h!.reconcile(...args);
  expect(r.code, `reconcile: ${r.out}\n${r.err}`).toBe(0);
  return r.out;
}

describe('renames against the sandbox, CLI reconcile, prune on', () => {
  it('with renamedFrom: the application is renamed in place, no key deleted, the second plan is empty', async () => {
    h = await startCliHarness(desiredYaml('ci-old'), T0, { prune: true });
    await reconcile();
    const [first] = h.keys('deployer');
    const appId = appsNamed('ci-old')[0]!.id;

    await h.writeDesired(desiredYaml('ci', 'ci-old'));
    const out = await reconcile();
    expect(out).toContain('Application/ci');
    expect(out).toMatch(/renamed/);
    expect(appsNamed('ci').map((a) => a.id)).toEqual([appId]);
    expect(appsNamed('ci-old')).toEqual([]);
    expect(h.keys('deployer').map((k) => [k.accessKey, k.state, k.applicationId])).toEqual([
      [first!.accessKey, 'ready', appId],
    ]);
    expect((await h.sinkFile('deployer')).accessKey).toBe(first!.accessKey);

    const again = await h.plan();
    expect(again.code).toBe(0);
    expect(again.out).toContain('No changes');
    assertNoSecrets(h.logs.lines, [first!.secret]);
    assertNoSecrets(h.outputs, [first!.secret]);
  });

  it('without renamedFrom: the old key outlives the old application until its overlap ends', async () => {
    h = await startCliHarness(desiredYaml('ci-old'), T0, { prune: true });
    await reconcile();
    const [old] = h.keys('deployer');
    const oldApp = appsNamed('ci-old')[0]!;

    // The rename: a new application, the key moves (replace), the old application must wait.
    h.setNow(T0 + MIN);
    await h.writeDesired(desiredYaml('ci'));
    const preview = await h.plan();
    expect(preview.out).toMatch(/Deferred \(1\)[\s\S]*Application\/ci-old/);
    const out = await reconcile();
    expect(out).toMatch(/Deferred \(1\)/);
    const moved = h.keys('deployer');
    expect(moved.map((k) => k.state)).toEqual(['retiring', 'ready']);
    const current = moved[1]!;
    expect(current.applicationId).toBe(appsNamed('ci')[0]!.id);
    expect((await h.sinkFile('deployer')).accessKey).toBe(current.accessKey);
    expect(appsNamed('ci-old').map((a) => a.id)).toEqual([oldApp.id]);
    expect(live(old!.accessKey)).toBe(true);

    // Inside the overlap: nothing is deleted, the plan says until when.
    h.setNow(T0 + MIN + HOUR);
    const during = await h.plan();
    expect(during.out).toMatch(/Deferred \(1\)[\s\S]*still in overlap; deleted after 2027-03-01T11:01/);
    await reconcile();
    expect(live(old!.accessKey)).toBe(true);
    expect(appsNamed('ci-old')).toHaveLength(1);

    // After the overlap: the old key, then the old application.
    h.setNow(T0 + MIN + 2 * HOUR + MIN);
    const after = await reconcile();
    expect(after).toContain('Apply complete!');
    expect(live(old!.accessKey)).toBe(false);
    expect(appsNamed('ci-old')).toEqual([]);
    expect(live(current.accessKey)).toBe(true);
    expect((await h.plan()).out).toContain('No changes');
  });
});
