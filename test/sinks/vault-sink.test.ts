/**
 * Vault sink behaviour beyond the shared contract: record layout and kept versions, token upkeep
 * (renewal, max-TTL re-login, re-login on 403), Kubernetes JWT re-read, check-and-set between two
 * writers, ambiguous writes, sealed / standby / quota / consistency answers, KV v1 refusal,
 * preflight on denied paths, namespaces, timeouts and aborts, and log hygiene.
 */
import { writeFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { SinkError } from '../../src/errors.js';
import { createNodeTransport, type Transport } from '../../src/sinks/vault/transport.js';
import { VAULT_DATA_KEYS } from '../../src/sinks/vault-sink.js';
import { startVaultEmulator, type VaultEmulator } from '../emulators/vault/server.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';
import { makeRecord } from './sink-contract.js';
import { createVaultFixture, makeServiceAccountJwt, type VaultFixture } from './vault-fixtures.js';

const loc = { sink: 'vault', path: 'ci-deployer' } as const;
const KEY = 'scw/test/ci-deployer';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function fixture(...args: Parameters<typeof createVaultFixture>): Promise<VaultFixture> {
  const f = await createVaultFixture(...args);
  cleanups.push(() => f.teardown());
  return f;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected rejection');
}

function count(f: VaultFixture, path: string, method?: string): number {
  return f.vault.control
    .requests()
    .filter((r) => r.path === path && (method === undefined || r.method === method)).length;
}

describe('vault sink: record layout and versions', () => {
  it('stores SCW_ACCESS_KEY/SCW_SECRET_KEY as data and the rest as string custom_metadata', async () => {
    const f = await fixture({ method: 'token' });
    const rec = makeRecord();
    await f.sink.write(loc, rec);
    const res = await f.raw('GET', `secret/data/${KEY}`);
    expect(res.status).toBe(200);
    const d = (res.body as { data: { data: Record<string, string>; metadata: Record<string, unknown> } })
      .data;
    expect(d.data).toEqual({
      [VAULT_DATA_KEYS.accessKey]: rec.accessKey,
      [VAULT_DATA_KEYS.secretKey]: rec.secretKey.reveal(),
      [VAULT_DATA_KEYS.organizationId]: rec.metadata.organizationId,
      [VAULT_DATA_KEYS.defaultProjectId]: rec.metadata.defaultProjectId,
    });
    expect(d.metadata.version).toBe(1);
    const custom = d.metadata.custom_metadata as Record<string, string>;
    expect(custom).toMatchObject({
      managedBy: 'scw-gitops',
      keyName: rec.metadata.keyName,
      accessKey: rec.accessKey,
      expiresAt: rec.metadata.expiresAt,
      revision: rec.metadata.revision,
      deliveredAt: rec.metadata.deliveredAt,
      instance: 'default',
    });
    for (const v of Object.values(custom)) expect(typeof v).toBe('string');
    expect(JSON.stringify(custom)).not.toContain(rec.secretKey.reveal());
    // Only ever one version per delivery, and never max_versions=1.
    const meta = await f.raw('GET', `secret/metadata/${KEY}`);
    expect((meta.body as { data: { max_versions: number; current_version: number } }).data).toMatchObject({
      max_versions: 0,
      current_version: 1,
    });
  });

  it('keeps the previous version readable during the rotation overlap', async () => {
    const f = await fixture({ method: 'approle' });
    const old = makeRecord();
    const next = makeRecord();
    await f.sink.write(loc, old);
    await f.sink.write(loc, next);
    const v1 = await f.raw('GET', `secret/data/${KEY}?version=1`);
    expect((v1.body as { data: { data: Record<string, string> } }).data.data.SCW_ACCESS_KEY).toBe(
      old.accessKey,
    );
    const latest = await f.sink.read(loc);
    expect(latest?.version).toBe('2');
    expect(latest?.metadata.previousAccessKey).toBe(old.accessKey);
    expect(f.vault.control.mount('secret')?.retainedVersions(KEY)).toEqual([1, 2]);
  });

  it('preserves custom_metadata entries set by people', async () => {
    const f = await fixture({ method: 'token' });
    const rec = makeRecord();
    await f.sink.write(loc, rec);
    const meta = await f.raw('GET', `secret/metadata/${KEY}`);
    const custom = (meta.body as { data: { custom_metadata: Record<string, string> } }).data.custom_metadata;
    await f.raw('POST', `secret/metadata/${KEY}`, { custom_metadata: { ...custom, owner: 'team-ci' } });
    await f.sink.write(loc, makeRecord());
    const after = await f.raw('GET', `secret/metadata/${KEY}`);
    expect(
      (after.body as { data: { custom_metadata: Record<string, string> } }).data.custom_metadata.owner,
    ).toBe('team-ci');
  });

  it('refuses to overwrite a secret at the path that scw-gitops did not write', async () => {
    const f = await fixture({ method: 'token' });
    await f.raw('POST', `secret/data/${KEY}`, { data: { password: 'someone-elses-0c8f1d' } });
    const err = await rejection(f.sink.write(loc, makeRecord()));
    expect(err.message).toMatch(/holds a secret not written by scw-gitops .*refusing to overwrite/);
    expect(f.vault.control.mount('secret')?.retainedVersions(KEY)).toEqual([1]);
  });

  it('reads a soft-deleted latest version as absent and writes over it with its version as cas', async () => {
    const f = await fixture({ method: 'token' });
    await f.sink.write(loc, makeRecord());
    expect((await f.raw('DELETE', `secret/data/${KEY}`)).status).toBe(204);
    expect(await f.sink.read(loc)).toBeUndefined();
    const rec = makeRecord();
    await f.sink.write(loc, rec);
    expect((await f.sink.read(loc))?.version).toBe('2');
    expect(await f.sink.verify(loc, rec)).toBe(true);
  });
});

describe('vault sink: token lifecycle (injected clock)', () => {
  it('static token: lookup-self at start, renew-self at 2/3 of the TTL, then fails clearly after max TTL', async () => {
    const f = await fixture({ method: 'token', ttl: 3600, maxTtl: 5400 });
    await f.sink.write(loc, makeRecord());
    expect(count(f, 'auth/token/lookup-self')).toBe(1);
    expect(count(f, 'auth/token/renew-self')).toBe(0);
    f.clock.advance(2500 * 1000); // past 2/3 of 3600 s
    await f.sink.read(loc);
    expect(count(f, 'auth/token/renew-self')).toBe(1); // capped at 2900 s left of max TTL
    f.clock.advance(2000 * 1000);
    await f.sink.read(loc);
    expect(count(f, 'auth/token/renew-self')).toBe(2);
    f.clock.advance(1000 * 1000); // beyond max TTL: the token is gone
    const err = await rejection(f.sink.read(loc));
    expect(err).toBeInstanceOf(SinkError);
    expect(err.message).toMatch(/environment variable VAULT_TOKEN is invalid, expired or revoked/);
    expect(err.message).not.toContain(f.env.VAULT_TOKEN);
  });

  it('static token from a file: a replaced file is picked up after the old token was revoked', async () => {
    const f = await fixture({ method: 'token' });
    const file = `${f.dir}/vault-token`;
    await writeFile(file, `${f.env.VAULT_TOKEN}\n`);
    const sink = f.makeSink({ auth: { method: 'token', tokenFile: file } });
    await sink.write(loc, makeRecord());
    f.vault.control.revokeAllTokens();
    await writeFile(file, f.vault.control.createToken({ policies: ['default', 'scw-writer'] }));
    const rec = makeRecord();
    await sink.write(loc, rec);
    expect(await sink.verify(loc, rec)).toBe(true);
  });

  it('root token (no TTL) is never renewed', async () => {
    const f = await fixture({ method: 'token' });
    f.env.VAULT_TOKEN = f.vault.rootToken;
    const sink = f.makeSink();
    await sink.write(loc, makeRecord());
    f.clock.advance(400 * 24 * 3600 * 1000);
    await sink.read(loc);
    expect(count(f, 'auth/token/renew-self')).toBe(0);
  });

  it('kubernetes: renews at 2/3 TTL, logs in again before max TTL instead of renewing past it', async () => {
    const f = await fixture({ method: 'kubernetes', ttl: 3600, maxTtl: 5400 });
    await f.sink.write(loc, makeRecord());
    expect(f.vault.control.logins('kubernetes')).toBe(1);
    expect(count(f, 'auth/token/lookup-self')).toBe(0);
    f.clock.advance(2500 * 1000);
    await f.sink.read(loc);
    expect(count(f, 'auth/token/renew-self')).toBe(1); // granted 2900 s < 3600 s asked: capped
    expect(f.vault.control.logins('kubernetes')).toBe(1);
    f.clock.advance(2000 * 1000); // past 2/3 of the capped lease
    await f.sink.read(loc);
    expect(f.vault.control.logins('kubernetes')).toBe(2);
    expect(count(f, 'auth/token/renew-self')).toBe(1);
  });

  it('kubernetes: re-reads the projected service-account token file at every login', async () => {
    const f = await fixture({ method: 'kubernetes', ttl: 600, maxTtl: 600 });
    await f.sink.read(loc);
    const exp = Math.floor(f.clock.now().getTime() / 1000) + 86400;
    const rotated = makeServiceAccountJwt({ expSeconds: exp, nonce: 'rotated' });
    await writeFile(f.jwtFile, rotated);
    f.clock.advance(601 * 1000); // token expired → new login
    await f.sink.read(loc);
    const seen = f.vault.control.jwtsSeen();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toBe(rotated);
    expect(seen[0]).not.toBe(rotated);
  });

  it('approle: re-logs in once when the token was revoked (403 with invalid token)', async () => {
    const f = await fixture({ method: 'approle' });
    await f.sink.write(loc, makeRecord());
    f.vault.control.revokeAllTokens();
    const rec = makeRecord();
    await f.sink.write(loc, rec);
    expect(f.vault.control.logins('approle')).toBe(2);
    expect(await f.sink.verify(loc, rec)).toBe(true);
  });

  it('close() revokes a login token but never a static token', async () => {
    const f = await fixture({ method: 'kubernetes' });
    await f.sink.read(loc);
    expect(f.vault.control.tokenCount()).toBe(1);
    await f.sink.close?.();
    expect(f.vault.control.tokenCount()).toBe(0);
    const t = await fixture({ method: 'token' });
    await t.sink.read(loc);
    await t.sink.close?.();
    expect(t.vault.control.tokenCount()).toBe(1);
    expect(count(t, 'auth/token/revoke-self')).toBe(0);
  });

  it('approle: renewal refused because the role was deleted → a fresh login is attempted and refused clearly', async () => {
    const f = await fixture({ method: 'approle', ttl: 3600 });
    await f.sink.read(loc);
    f.vault.control.deleteRole('approle', 'scw-gitops');
    f.clock.advance(2500 * 1000);
    const err = await rejection(f.sink.read(loc));
    expect(err).toBeInstanceOf(SinkError);
    expect(err.message).toMatch(/approle login at auth\/approle refused: .*invalid role or secret ID/);
  });

  it('kubernetes: a service account outside the role binding is refused with Vault’s reason', async () => {
    const f = await fixture({ method: 'kubernetes' });
    await writeFile(
      f.jwtFile,
      makeServiceAccountJwt({
        name: 'intruder',
        expSeconds: Math.floor(f.clock.now().getTime() / 1000) + 3600,
      }),
    );
    const err = await rejection(f.sink.preflight(loc));
    expect(err).toBeInstanceOf(SinkError);
    expect(err.message).toMatch(/service account name not authorized/);
    expect((err as SinkError).retryable).toBe(false);
  });
});

describe('vault sink: concurrent writers (check-and-set)', () => {
  /** A transport that runs `before` just before the first data write goes out. */
  function interceptFirstWrite(before: () => Promise<void>): Transport {
    const inner = createNodeTransport();
    let done = false;
    return {
      request: async (req) => {
        if (!done && req.method === 'POST' && req.url.pathname.includes('/data/')) {
          done = true;
          await before();
        }
        return inner.request(req);
      },
      close: () => inner.close(),
    };
  }

  it('a writer that lost the race fails with "another writer changed" and does not overwrite', async () => {
    const f = await fixture({ method: 'token' });
    const other = f.makeSink();
    const theirs = makeRecord();
    const ours = makeRecord();
    const sink = f.makeSink({}, { transport: interceptFirstWrite(() => other.write(loc, theirs)) });
    const err = await rejection(sink.write(loc, ours));
    expect(err).toBeInstanceOf(SinkError);
    expect(err.message).toMatch(/another writer changed the secret .*expected version 0, found version 1/);
    expect(await f.sink.verify(loc, theirs)).toBe(true);
    expect(f.vault.control.mount('secret')?.retainedVersions(KEY)).toEqual([1]);
  });

  it('a lost race against the same record counts as done (idempotent)', async () => {
    const f = await fixture({ method: 'token' });
    const other = f.makeSink();
    const rec = makeRecord();
    const sink = f.makeSink({}, { transport: interceptFirstWrite(() => other.write(loc, rec)) });
    await sink.write(loc, rec);
    expect(await f.sink.verify(loc, rec)).toBe(true);
    expect(f.vault.control.mount('secret')?.retainedVersions(KEY)).toEqual([1]);
  });

  it('two writers at once never lose an update, whatever the interleaving', async () => {
    for (let round = 0; round < 5; round++) {
      const f = await fixture({ method: 'token' });
      const a = f.makeSink();
      const b = f.makeSink();
      await Promise.all([a.read(loc), b.read(loc)]); // both logged in and mount-checked
      const ra = makeRecord();
      const rb = makeRecord();
      const results = await Promise.allSettled([a.write(loc, ra), b.write(loc, rb)]);
      const stored = await f.sink.read(loc);
      const versions = f.vault.control.mount('secret')?.retainedVersions(KEY);
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (lost.length === 1) {
        // Both read version 0: check-and-set let exactly one through; the other was refused.
        expect(String(lost[0]!.reason)).toMatch(/another writer changed/);
        const winner = results[0]!.status === 'fulfilled' ? ra : rb;
        expect(stored?.accessKey).toBe(winner.accessKey);
        expect(versions).toEqual([1]);
      } else {
        // The second writer saw the first one's record and replaced it knowingly.
        expect(lost).toHaveLength(0);
        expect(versions).toEqual([1, 2]);
        const [first, second] = stored?.accessKey === ra.accessKey ? [rb, ra] : [ra, rb];
        expect(stored?.accessKey).toBe(second.accessKey);
        expect(stored?.metadata.previousAccessKey).toBe(first.accessKey);
      }
    }
  });

  it('an ambiguous write (connection dropped after commit) is retried safely', async () => {
    const f = await fixture({ method: 'token' });
    const rec = makeRecord();
    f.vault.control.dropAfterCommit(1);
    await f.sink.write(loc, rec);
    expect(await f.sink.verify(loc, rec)).toBe(true);
    expect(f.vault.control.mount('secret')?.retainedVersions(KEY)).toEqual([1]);
  });
});

describe('vault sink: sealed, standby, quota, consistency', () => {
  it('sealed → retryable SinkError; after unseal the same write succeeds', async () => {
    const f = await fixture({ method: 'kubernetes' });
    const rec = makeRecord();
    f.vault.control.seal();
    const err = await rejection(f.sink.write(loc, rec));
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(true);
    expect(err.message).toMatch(/503: Vault is sealed/);
    expect(f.clock.sleeps.length).toBeGreaterThan(0); // backed off through the injected clock
    f.vault.control.unseal();
    await f.sink.write(loc, rec);
    expect(await f.sink.verify(loc, rec)).toBe(true);
  });

  it('follows a standby 307 redirect to the active node with the same method and body', async () => {
    const f = await fixture({ method: 'token', emulator: { rootToken: 'hvs.shared-root' } });
    const standby: VaultEmulator = await startVaultEmulator({ clock: f.clock, rootToken: 'hvs.shared-root' });
    cleanups.push(() => standby.close());
    standby.control.setStandby({ mode: 'redirect', activeUrl: f.vault.url });
    f.env.VAULT_TOKEN = 'hvs.shared-root';
    const sink = f.makeSink({ address: standby.url });
    const rec = makeRecord();
    await sink.write(loc, rec);
    expect(await f.sink.verify(loc, rec)).toBe(true); // landed on the active node
    expect(standby.control.requests().every((r) => r.status === 307)).toBe(true);
    expect(standby.control.requests().some((r) => r.method === 'POST')).toBe(true);
  });

  it('standby without a leader (503) is retryable', async () => {
    const f = await fixture({ method: 'token' });
    f.vault.control.setStandby({ mode: 'no-leader' });
    const err = await rejection(f.sink.read(loc));
    expect((err as SinkError).retryable).toBe(true);
    expect(err.message).toMatch(/no active Vault instance found/);
  });

  it('429 quota: waits for Retry-After, then succeeds', async () => {
    const f = await fixture({ method: 'token' });
    await f.sink.read(loc); // login + mount check first
    f.vault.control.quota(1, 7);
    const rec = makeRecord();
    await f.sink.write(loc, rec);
    expect(f.clock.sleeps).toContain(7000);
    expect(await f.sink.verify(loc, rec)).toBe(true);
  });

  it('412 on an eventually consistent read is retried briefly', async () => {
    const f = await fixture({ method: 'token' });
    const rec = makeRecord();
    await f.sink.write(loc, rec);
    f.vault.control.failNext({
      status: 412,
      errors: ['required index state not present'],
      pathPrefix: 'secret/data/',
      method: 'GET',
      count: 2,
    });
    expect(await f.sink.verify(loc, rec)).toBe(true);
  });

  it('KV "upgrading" 400 is retried', async () => {
    const f = await fixture({ method: 'token' });
    await f.sink.read(loc);
    f.vault.control.failNext({
      status: 400,
      errors: [
        'Upgrading from non-versioned to versioned data. This backend will be unavailable for a brief period and will resume service shortly.',
      ],
      pathPrefix: 'secret/data/',
    });
    await f.sink.write(loc, makeRecord());
  });

  it('a request that takes longer than timeoutMs fails as retryable', async () => {
    const f = await fixture({ method: 'token' });
    f.env.VAULT_TOKEN = f.vault.rootToken;
    const sink = f.makeSink({ timeoutMs: 50 }, { retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1 } });
    const release = f.vault.control.hold();
    try {
      const err = await rejection(sink.read(loc));
      expect((err as SinkError).retryable).toBe(true);
      expect(err.message).toMatch(/no answer within 50 ms/);
    } finally {
      release();
    }
  });

  it('honours an AbortSignal', async () => {
    const f = await fixture({ method: 'token' });
    const ctl = new AbortController();
    ctl.abort(new Error('shutting down'));
    await expect(f.sink.write(loc, makeRecord(), ctl.signal)).rejects.toThrow('shutting down');
    const release = f.vault.control.hold();
    try {
      const ctl2 = new AbortController();
      const p = f.sink.read(loc, ctl2.signal);
      // Abort while the request is provably in flight.
      await waitFor(() => f.vault.control.held === 1, { what: 'the read held by the server' });
      ctl2.abort(new Error('stop now'));
      await expect(p).rejects.toThrow('stop now');
    } finally {
      release();
    }
  });
});

describe('vault sink: mounts, preflight, namespaces, hygiene', () => {
  it('refuses a KV v1 mount clearly and writes nothing there', async () => {
    const f = await fixture({
      method: 'token',
      emulator: { mounts: [{ path: 'kv1', version: 1 }] },
      settings: { mount: 'kv1' },
    });
    f.env.VAULT_TOKEN = f.vault.rootToken;
    const sink = f.makeSink();
    for (const p of [sink.preflight(loc), sink.write(loc, makeRecord()), sink.read(loc)]) {
      const err = await rejection(p);
      expect(err).toBeInstanceOf(SinkError);
      expect(err.message).toMatch(/"kv1" is KV version 1; scw-gitops needs KV version 2/);
    }
    expect(f.vault.control.mount('kv1')?.v1Value(`data/${KEY}`)).toBeUndefined();
    expect(f.vault.control.requests().some((r) => r.method === 'POST' && r.path.startsWith('kv1/'))).toBe(
      false,
    );
  });

  it('refuses a missing mount clearly', async () => {
    const f = await fixture({ method: 'token', settings: { mount: 'nope' } });
    const err = await rejection(f.sink.preflight(loc));
    expect(err.message).toMatch(
      /mount "nope" does not exist, or the token's policies grant nothing under it/,
    );
  });

  it('refuses a mount setting that points inside a mount', async () => {
    const f = await fixture({ method: 'token', settings: { mount: 'secret/scw' } });
    f.env.VAULT_TOKEN = f.vault.rootToken;
    const err = await rejection(f.makeSink().preflight(loc));
    expect(err.message).toMatch(/lies inside the mount "secret\/"/);
  });

  it('preflight fails on a path the policy does not cover, naming the missing capabilities, and writes nothing', async () => {
    const f = await fixture({ method: 'kubernetes' });
    f.vault.control.putPolicy('scw-writer', [
      { path: 'secret/data/scw/*', capabilities: ['read'] },
      { path: 'secret/metadata/scw/*', capabilities: ['read', 'update'] },
    ]);
    const err = await rejection(f.sink.preflight(loc));
    expect(err).toBeInstanceOf(SinkError);
    expect(err.message).toMatch(
      /secret\/data\/scw\/test\/ci-deployer needs create, update, read \(has read\)/,
    );
    const denied = await rejection(f.makeSink({ pathPrefix: 'elsewhere' }).preflight(loc));
    expect(denied.message).toMatch(/secret\/metadata\/elsewhere\/ci-deployer needs update \(has deny\)/);
    expect(f.vault.control.requests().some((r) => r.method === 'POST' && r.path.startsWith('secret/'))).toBe(
      false,
    );
  });

  it('a write to a denied path re-logs in once, then reports the policy denial', async () => {
    const f = await fixture({ method: 'approle' });
    const sink = f.makeSink({ pathPrefix: 'elsewhere' });
    const err = await rejection(sink.write(loc, makeRecord()));
    expect(err.message).toMatch(/permission denied .*also with a fresh token/);
    expect(f.vault.control.logins('approle')).toBe(2);
  });

  it('sends X-Vault-Request and X-Vault-Namespace; strict namespaces route to the namespace mount', async () => {
    const f = await fixture({
      method: 'token',
      emulator: { namespaces: ['team-a'], mounts: [{ path: 'secret', version: 2, namespace: 'team-a' }] },
      settings: { namespace: 'team-a' },
    });
    f.env.VAULT_TOKEN = f.vault.rootToken;
    const sink = f.makeSink();
    const rec = makeRecord();
    await sink.write(loc, rec);
    expect(await sink.verify(loc, rec)).toBe(true);
    expect(sink.describe(loc)).toBe('vault:team-a/secret/data/scw/test/ci-deployer');
    const reqs = f.vault.control.requests();
    expect(reqs.every((r) => r.vaultRequestHeader === 'true' && r.namespace === 'team-a')).toBe(true);
    const wrongNs = f.makeSink({ namespace: 'team-b' });
    const err = await rejection(wrongNs.read(loc));
    expect(err.message).toMatch(/namespace not found/);
  });

  it('never logs or reports tokens, JWTs, secret ids or secret values', async () => {
    const cap = createLogCapture();
    const f = await fixture({ method: 'approle', logger: cap.logger });
    const rec = makeRecord();
    await f.sink.write(loc, rec);
    f.vault.control.revokeAllTokens();
    await f.sink.write(loc, makeRecord());
    f.vault.control.seal();
    const err = await rejection(f.sink.write(loc, rec));
    const secretId = (await import('node:fs/promises')).readFile(`${f.dir}/secret-id`, 'utf8');
    const values = [rec.secretKey.reveal(), (await secretId).trim(), f.vault.rootToken];
    expect(cap.lines.length).toBeGreaterThan(0);
    assertNoSecrets(cap.lines, values);
    assertNoSecrets([err.message, inspect(err, { depth: 10 })], values);
  });
});

describe('vault sink: configuration and connectivity errors', () => {
  it('an unreachable Vault is a retryable error naming the cause, after backing off', async () => {
    const f = await fixture({ method: 'token' });
    const dead = await startVaultEmulator();
    const url = dead.url;
    await dead.close();
    const sink = f.makeSink({ address: url });
    const err = await rejection(sink.preflight(loc));
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(true);
    expect(err.message).toMatch(/ECONNREFUSED.*gave up after 3 attempts/);
  });

  it('missing token variable, unreadable secret_id file, unreadable caFile: clear, non-retryable', async () => {
    const f = await fixture({ method: 'token' });
    const noEnv = f.makeSink({ auth: { method: 'token', tokenEnv: 'NOPE_TOKEN' } });
    const e1 = await rejection(noEnv.read(loc));
    expect(e1.message).toMatch(/environment variable NOPE_TOKEN is not set/);
    const noFile = f.makeSink({
      auth: { method: 'approle', mount: 'approle', roleId: 'r', secretIdFile: `${f.dir}/missing` },
    });
    const e2 = await rejection(noFile.read(loc));
    expect(e2.message).toMatch(/cannot read AppRole secret_id from file .*missing/);
    const badCa = f.makeSink({ caFile: `${f.dir}/no-ca.pem` });
    const e3 = await rejection(badCa.read(loc));
    expect(e3.message).toMatch(/cannot read caFile/);
    for (const e of [e1, e2, e3]) expect((e as SinkError).retryable).toBe(false);
  });

  it('approle secret_id from an environment variable', async () => {
    const f = await fixture({ method: 'approle' });
    const { roleId, secretId } = f.vault.control.addAppRole({
      roleName: 'env-role',
      policies: ['scw-writer'],
    });
    f.env.APPROLE_SECRET_ID = secretId;
    const sink = f.makeSink({
      auth: { method: 'approle', mount: 'approle', roleId, secretIdEnv: 'APPROLE_SECRET_ID' },
    });
    const rec = makeRecord();
    await sink.write(loc, rec);
    expect(await sink.verify(loc, rec)).toBe(true);
  });

  it('a refused AppRole login (wrong secret_id) is reported once, not retried as a 403', async () => {
    const f = await fixture({ method: 'approle' });
    const a = f.settings.auth as { roleId: string };
    f.env.WRONG = 'not-the-secret-id';
    const sink = f.makeSink({
      auth: { method: 'approle', mount: 'approle', roleId: a.roleId, secretIdEnv: 'WRONG' },
    });
    const err = await rejection(sink.write(loc, makeRecord()));
    expect(err.message).toMatch(/approle login at auth\/approle refused: .*400: invalid role or secret ID/);
    expect(count(f, 'auth/approle/login')).toBe(1);
  });
});

describe('vault sink: TLS with caFile', () => {
  it('trusts the CA from caFile and refuses the server without it', async () => {
    const f = await fixture({ method: 'token', emulator: { tls: true } });
    expect(f.vault.url).toMatch(/^https:/);
    const caFile = `${f.dir}/ca.pem`;
    await writeFile(caFile, f.vault.caPem!);
    const trusted = f.makeSink({ caFile });
    const rec = makeRecord();
    await trusted.write(loc, rec);
    expect(await trusted.verify(loc, rec)).toBe(true);
    const untrusted = f.makeSink();
    const err = await rejection(untrusted.read(loc));
    expect(err).toBeInstanceOf(SinkError);
    expect(err.message).toMatch(/SELF_SIGNED.*not trusted: check caFile/);
    expect((err as SinkError).retryable).toBe(false);
  });
});
