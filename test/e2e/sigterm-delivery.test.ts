/**
 * SIGTERM while a secret is being delivered: the daemon (a child process, `scw-gitops run`)
 * finishes the delivery in progress, stops between steps, exits 0, and leaves no orphan key:
 * every key it owns in the organization is `ready` and its secret is in the file sink.
 *
 * The delivery is held deterministically with the daemon's test hook
 * (SCW_GITOPS_TEST_HOLD_DELIVERY, src/daemon/test-hooks.ts): the test signals the process while
 * the sink write of a freshly created (pending) key waits, then releases it. The organization is
 * an in-process sandbox of this test, so it outlives the daemon and can be inspected afterwards.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKeyDescription } from '../../src/model/ownership.js';
import { Secret } from '../../src/model/secret.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { assertNoSecrets } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';
import { childEnv, type DaemonChild, parseDotenv, ROOT, spawnDaemon } from './child.js';

const INSTANCE = 'sigterm';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

describe('SIGTERM during a secret delivery (daemon as a child process)', () => {
  let tmp: string;
  let sandbox: SandboxHandle;
  let child: DaemonChild | undefined;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'scw-e2e-sigterm-'));
    sandbox = await startSandbox({ port: 0 });
  });

  afterAll(async () => {
    child?.kill();
    await sandbox?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('finishes the delivery in progress, exits 0 and leaves every owned key ready with its secret in the sink', async () => {
    const desired = path.join(tmp, 'desired');
    const secrets = path.join(tmp, 'secrets');
    const hold = path.join(tmp, 'hold');
    await cp(path.join(ROOT, 'examples/basic'), desired, { recursive: true });
    await mkdir(hold);
    const config = path.join(tmp, 'settings.yaml');
    await writeFile(
      config,
      [
        'apiVersion: scw-gitops/v1alpha1',
        'kind: Settings',
        `instance: ${INSTANCE}`,
        'source: { dir: desired }',
        `scaleway: { apiUrl: "${sandbox.url}" }`,
        'sinks: [ { name: local, type: file, dir: secrets, format: dotenv } ]',
        'defaults: { sink: local }',
        'server: { host: 127.0.0.1, port: 0 }',
        'applyConcurrency: 2',
        'log: { level: info, pretty: false }',
        '',
      ].join('\n'),
    );

    child = spawnDaemon(
      ['run', '--config', config],
      childEnv(tmp, {
        SCW_ACCESS_KEY: sandbox.adminAccessKey,
        SCW_SECRET_KEY: sandbox.adminSecretKey,
        SCW_DEFAULT_ORGANIZATION_ID: sandbox.organizationId,
        SCW_GITOPS_TEST_HOLD_DELIVERY: hold,
      }),
    );

    // A key was created (pending) and its secret write is now held.
    const created = await child.waitForLine(
      (l) => l['msg'] === 'key created (pending delivery)',
      60_000,
      'a key created',
    );
    await waitFor(async () => (await readdir(hold)).some((f) => f.startsWith('writing-')), {
      timeoutMs: 60_000,
      what: 'a secret write held',
    });

    child.proc.kill('SIGTERM');
    await child.waitForLine((l) => l['msg'] === 'stop requested', 15_000, 'the signal handled');
    await child.waitForLine(
      (l) => l['msg'] === 'waiting for the running pass to reach a safe point',
      15_000,
      'shutdown waiting for the pass',
    );
    // Still running: the delivery has not been allowed to finish yet.
    expect(child.proc.exitCode).toBeNull();
    const deliveredBefore = child.lines.filter((l) => l['msg'] === 'secret delivered and verified').length;
    await writeFile(path.join(hold, 'release'), '');

    const exit = await child.exitWithin(30_000);
    expect(exit, child.raw()).toEqual({ code: 0, signal: null });

    const msgs = child.lines.map((l) => l['msg']);
    const stopAt = msgs.indexOf('stop requested');
    // The held delivery completed after the signal, then the daemon stopped.
    expect(child.lines.filter((l) => l['msg'] === 'secret delivered and verified').length).toBeGreaterThan(
      deliveredBefore,
    );
    expect(msgs.slice(stopAt)).toContain('secret delivered and verified');
    expect(msgs.at(-1)).toBe('stopped');
    const finished = child.lines.find((l) => l['msg'] === 'reconcile pass finished');
    // Stopped between steps: not everything in examples/basic was applied.
    expect(finished?.['result']).toBe('aborted');

    // The organization: every key this instance owns is ready, and its secret is in the sink.
    const client = createScalewayClient({
      apiUrl: sandbox.url,
      secretKey: new Secret(sandbox.adminSecretKey),
      organizationId: sandbox.organizationId,
    });
    const owned = (await client.listApiKeys())
      .map((k) => ({ key: k, marker: parseKeyDescription(k.description).marker }))
      .filter((k) => k.marker?.instance === INSTANCE);
    expect(owned.length).toBeGreaterThan(0);
    expect(owned.map((k) => k.key.accessKey)).toContain(created['accessKey'] ?? owned[0]!.key.accessKey);
    expect(owned.filter((k) => k.marker?.state !== 'ready').map((k) => k.marker)).toEqual([]);

    const records = new Map<string, { file: string; secret: string }>();
    for (const file of await filesUnder(secrets)) {
      const { meta, vars } = parseDotenv(await readFile(file, 'utf8'));
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      records.set(vars['SCW_ACCESS_KEY'] ?? meta['accessKey'] ?? '', {
        file,
        secret: vars['SCW_SECRET_KEY'] ?? '',
      });
    }
    for (const { key, marker } of owned) {
      const rec = records.get(key.accessKey);
      expect(rec, `${marker?.name} (${key.accessKey}) has no secret in the sink`).toBeDefined();
      // The secret is the key's own: the organization accepts it as that key's credential.
      const res = await fetch(`${sandbox.url}/iam/v1alpha1/api-keys/${key.accessKey}`, {
        headers: { 'x-auth-token': rec!.secret },
      });
      expect(res.status, marker?.name).not.toBe(401);
    }
    // …and nothing else: no secret of a key that does not exist.
    expect([...records.keys()].sort()).toEqual(owned.map((k) => k.key.accessKey).sort());
    assertNoSecrets(
      child.raw().split('\n'),
      [...records.values()].map((r) => r.secret),
    );
  });
});
