/**
 * `SecretSink.list` beyond the shared contract (test/sinks/sink-contract.ts): what the file and
 * Vault sinks do with the parts of their scope they cannot or will not search. Each such part is
 * named in `incomplete`, the rest is still listed; a scope denied as a whole rejects.
 * (Kubernetes: test/sinks/kubernetes-sink.test.ts, "list pages through many Secrets".)
 */
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SinkError } from '../../src/errors.js';
import { createFileSink } from '../../src/sinks/file-sink.js';
import { MAX_DEPTH, MAX_RECORD_BYTES } from '../../src/sinks/file-sink-list.js';
import { makeRecord } from './sink-contract.js';
import { createVaultFixture, type VaultFixture } from './vault-fixtures.js';

describe('file sink list', () => {
  let base: string;
  let dir: string;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'scw-gitops-file-list-'));
    dir = join(base, 'secrets');
  });
  afterEach(async () => {
    await chmod(join(dir, 'locked'), 0o700).catch(() => undefined);
    await rm(base, { recursive: true, force: true });
  });

  it('a directory that does not exist yet holds no record', async () => {
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
    expect(await sink.list()).toEqual({ records: [], incomplete: [] });
  });

  it('does not follow symbolic links, says where it did not look, and lists the rest', async () => {
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
    const kept = makeRecord({ keyName: 'kept' });
    await sink.write({ sink: 'local', path: 'kept.env' }, kept);
    // A record outside the directory, reachable only through links.
    const outside = join(base, 'outside');
    await mkdir(outside);
    const elsewhere = createFileSink({ name: 'local', type: 'file', dir: outside, format: 'dotenv' });
    await elsewhere.write({ sink: 'local', path: 'stolen.env' }, makeRecord({ keyName: 'stolen' }));
    await symlink(outside, join(dir, 'linked-dir'));
    await symlink(join(outside, 'stolen.env'), join(dir, 'linked.env'));
    // Too deep, and too big to be a record.
    const deep = Array.from({ length: MAX_DEPTH + 1 }, (_, i) => `d${i}`).join('/');
    await mkdir(join(dir, deep), { recursive: true });
    await writeFile(join(dir, 'huge.env'), `# scw-gitops:keyName=x\n${'#'.repeat(MAX_RECORD_BYTES)}\n`);

    const listing = await sink.list();
    expect(listing.records.map((r) => r.location)).toEqual([{ sink: 'local', path: 'kept.env' }]);
    expect(listing.incomplete).toEqual([
      `${deep
        .split('/')
        .slice(0, MAX_DEPTH + 1)
        .join('/')}/: deeper than ${MAX_DEPTH} levels, not searched`,
      'linked-dir: a symbolic link, not followed',
      'linked.env: a symbolic link, not followed',
    ]);
  });

  it('rejects when its directory cannot be listed at all', async () => {
    await mkdir(base, { recursive: true });
    await writeFile(dir, 'not a directory');
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'json' });
    const err = await sink.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).message).toBe(`sink local: cannot list ${dir}: ENOTDIR`);
  });

  // Permissions do not stop root: only meaningful for an unprivileged user.
  it.skipIf(process.getuid?.() === 0)(
    'names a sub-directory it may not read, and lists the rest',
    async () => {
      const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'json' });
      await sink.write({ sink: 'local', path: 'a.json' }, makeRecord());
      await sink.write({ sink: 'local', path: 'locked/b.json' }, makeRecord());
      await chmod(join(dir, 'locked'), 0o000);
      const listing = await sink.list();
      expect(listing.records.map((r) => r.location.path)).toEqual(['a.json']);
      expect(listing.incomplete).toEqual(['locked/: cannot be listed (EACCES)']);
    },
  );
});

describe('vault sink list', () => {
  let f: VaultFixture | undefined;
  afterEach(async () => {
    await f?.teardown();
    f = undefined;
  });

  it('walks sub-folders; a folder the policy denies is named, the rest listed', async () => {
    f = await createVaultFixture({ method: 'token' });
    const top = makeRecord({ keyName: 'top' });
    const nested = makeRecord({ keyName: 'nested' });
    await f.sink.write({ sink: 'vault', path: 'top' }, top);
    await f.sink.write({ sink: 'vault', path: 'teams/a/nested' }, nested);
    await f.raw('POST', 'secret/data/scw/test/private/other', {
      data: { SCW_ACCESS_KEY: 'SCWPRIVATE0000000001' },
    });
    f.vault.control.putPolicy('scw-writer', [
      { path: 'secret/data/scw/*', capabilities: ['create', 'update', 'read'] },
      { path: 'secret/metadata/scw/*', capabilities: ['create', 'update', 'read', 'list'] },
      { path: 'secret/metadata/scw/test/private/*', capabilities: ['deny'] },
    ]);
    const listing = await f.sink.list();
    expect(listing.records.map((r) => [r.location.path, r.accessKey])).toEqual([
      ['teams/a/nested', nested.accessKey],
      ['top', top.accessKey],
    ]);
    expect(listing.incomplete).toHaveLength(1);
    expect(listing.incomplete[0]).toMatch(
      /^secret\/metadata\/scw\/test\/private\/: cannot be listed \(.*403/,
    );
  });

  it('a prefix the policy does not let it list rejects with a SinkError', async () => {
    f = await createVaultFixture({ method: 'token' });
    f.vault.control.putPolicy('scw-writer', [
      { path: 'secret/data/scw/*', capabilities: ['create', 'update', 'read'] },
      { path: 'secret/metadata/scw/*', capabilities: ['create', 'update', 'read'] },
    ]);
    const err = await f.sink.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).message).toContain('secret/metadata/scw/test/');
    expect((err as SinkError).message).toContain('403');
  });
});
