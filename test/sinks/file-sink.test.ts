import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileSinkSettings } from '../../src/config/settings.js';
import { SinkError } from '../../src/errors.js';
import { createFileSink, defaultFileName } from '../../src/sinks/file-sink.js';
import { assertNoSecrets, createLogCapture, errorText } from '../helpers/log-capture.js';
import { describeSinkContract, makeRecord } from './sink-contract.js';

async function fixture(format: FileSinkSettings['format']) {
  const base = await mkdtemp(join(tmpdir(), 'scw-gitops-file-sink-'));
  const dir = join(base, 'secrets');
  const blocker = join(base, 'not-a-dir');
  await writeFile(blocker, 'x');
  const name = 'local';
  return {
    sink: createFileSink({ name, type: 'file', dir, format }),
    location: { sink: name, path: defaultFileName('ci-deployer', format) },
    badLocation: { sink: name, path: '../escape.env' },
    // A directory below a regular file can never be created (ENOTDIR), even as root.
    brokenSink: createFileSink({ name, type: 'file', dir: join(blocker, 'sub'), format }),
    listing: {
      other: { sink: name, path: `team/nested/${defaultFileName('other', format)}` },
      // A person's own files next to the records: not ours, never listed.
      plantForeign: async () => {
        await mkdir(join(dir, 'notes'), { recursive: true });
        await writeFile(join(dir, 'notes', 'README.txt'), 'rotate by hand\n');
        await writeFile(join(dir, 'mine.env'), 'SCW_ACCESS_KEY=SCWAAAAAAAAAAAAAAAAA\nSCW_SECRET_KEY=x\n');
        await writeFile(join(dir, 'mine.json'), '{"accessKey":"SCWAAAAAAAAAAAAAAAAA","secretKey":"x"}\n');
        await writeFile(join(dir, '.ci-deployer.env.123-abc.tmp'), 'SCW_ACCESS_KEY=SCWBBBBBBBBBBBBBBBBB\n');
      },
    },
    plantForeignAt: async (location: { path?: string }) => {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, location.path!), 'rotate by hand\n');
    },
    foreignStillThere: async (location: { path?: string }) =>
      (await readFile(join(dir, location.path!), 'utf8')) === 'rotate by hand\n',
    teardown: () => rm(base, { recursive: true, force: true }),
  };
}

describeSinkContract('file sink (dotenv)', () => fixture('dotenv'));
describeSinkContract('file sink (json)', () => fixture('json'));

describe('file sink', () => {
  let base: string;
  let dir: string;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'scw-gitops-file-sink-'));
    dir = join(base, 'secrets');
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('creates the directory 0700 and the file 0600', async () => {
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
    await sink.write({ sink: 'local', path: 'ci.env' }, makeRecord());
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'ci.env'))).mode & 0o777).toBe(0o600);
  });

  it('writes a dotenv file usable by the Scaleway CLI, metadata as comments', async () => {
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
    const rec = makeRecord();
    await sink.write({ sink: 'local', path: 'ci.env' }, rec);
    const text = await readFile(join(dir, 'ci.env'), 'utf8');
    const vars = text.split('\n').filter((l) => l.length > 0 && !l.startsWith('#'));
    expect(vars).toEqual([
      `SCW_ACCESS_KEY=${rec.accessKey}`,
      `SCW_SECRET_KEY=${rec.secretKey.reveal()}`,
      `SCW_DEFAULT_ORGANIZATION_ID=${rec.metadata.organizationId}`,
      `SCW_DEFAULT_PROJECT_ID=${rec.metadata.defaultProjectId}`,
    ]);
    expect(text).toContain('# scw-gitops:keyName=ci-deployer\n');
    expect(text).toContain(`# scw-gitops:expiresAt=${rec.metadata.expiresAt}\n`);
  });

  it('writes a JSON document in json format', async () => {
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'json' });
    const rec = makeRecord();
    await sink.write({ sink: 'local', path: 'ci.json' }, rec);
    const doc = JSON.parse(await readFile(join(dir, 'ci.json'), 'utf8'));
    expect(doc).toMatchObject({
      apiVersion: 'scw-gitops/v1alpha1',
      kind: 'ApiKeySecret',
      accessKey: rec.accessKey,
      secretKey: rec.secretKey.reveal(),
      metadata: { keyName: 'ci-deployer', accessKey: rec.accessKey },
    });
  });

  it('replaces atomically and leaves no temporary or lock file', async () => {
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
    const loc = { sink: 'local', path: 'ci.env' };
    for (let i = 0; i < 5; i++) await sink.write(loc, makeRecord());
    await sink.preflight(loc);
    expect(await readdir(dir)).toEqual(['ci.env']);
  });

  it('removes a stray temp file and a stale lock left by a crashed writer', async () => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, '.ci.env.99999-deadbeef.tmp'), 'SCW_SECRET_KEY=partial');
    // pid 2^22+1 is above Linux's pid_max default, so no such process exists.
    await writeFile(join(dir, '.ci.env.lock'), `${2 ** 22 + 1}\n`);
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
    const rec = makeRecord();
    await sink.write({ sink: 'local', path: 'ci.env' }, rec);
    expect(await readdir(dir)).toEqual(['ci.env']);
    expect(await sink.verify({ sink: 'local', path: 'ci.env' }, rec)).toBe(true);
  });

  it('refuses to write while a live process holds the lock', async () => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, '.ci.env.lock'), `${process.ppid}\n`);
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
    const err = await sink.write({ sink: 'local', path: 'ci.env' }, makeRecord()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(true);
    expect(await sink.read({ sink: 'local', path: 'ci.env' })).toBeUndefined();
  });

  it('takes over a lock older than a minute even if its pid is alive (pid reuse)', async () => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const lock = join(dir, '.ci.env.lock');
    await writeFile(lock, `${process.ppid}\n`);
    const old = new Date(Date.now() - 5 * 60_000);
    await utimes(lock, old, old);
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
    const rec = makeRecord();
    await sink.write({ sink: 'local', path: 'ci.env' }, rec);
    expect(await sink.verify({ sink: 'local', path: 'ci.env' }, rec)).toBe(true);
    expect(await readdir(dir)).toEqual(['ci.env']);
  });

  it.each([['../escape.env'], ['a/../../escape.env'], ['/etc/passwd'], ['.'], [''], ['.ci.env.lock']])(
    'refuses the path %j',
    async (path) => {
      const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
      for (const op of [
        () => sink.preflight({ sink: 'local', path }),
        () => sink.write({ sink: 'local', path }, makeRecord()),
        () => sink.read({ sink: 'local', path }),
      ]) {
        await expect(op()).rejects.toBeInstanceOf(SinkError);
      }
      expect(await readdir(base)).not.toContain('escape.env');
    },
  );

  it('allows sub-directories inside the sink directory', async () => {
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'json' });
    const rec = makeRecord();
    await sink.write({ sink: 'local', path: 'team-a/ci.json' }, rec);
    expect(await sink.verify({ sink: 'local', path: 'team-a/ci.json' }, rec)).toBe(true);
    expect((await stat(join(dir, 'team-a'))).mode & 0o777).toBe(0o700);
  });

  it('refuses to follow a symbolic link', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(base, 'target.env'), 'SCW_ACCESS_KEY=SCWOTHER\n');
    await symlink(join(base, 'target.env'), join(dir, 'ci.env'));
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
    await expect(sink.read({ sink: 'local', path: 'ci.env' })).rejects.toBeInstanceOf(SinkError);
    await expect(sink.write({ sink: 'local', path: 'ci.env' }, makeRecord())).rejects.toBeInstanceOf(
      SinkError,
    );
    expect(await readFile(join(base, 'target.env'), 'utf8')).toBe('SCW_ACCESS_KEY=SCWOTHER\n');
  });

  it('refuses a symlinked directory on the way to the secret file (the secret never leaves the sink)', async () => {
    const outside = join(base, 'outside');
    await mkdir(outside, { mode: 0o755 });
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await symlink(outside, join(dir, 'team-a'));
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
    const location = { sink: 'local', path: 'team-a/ci.env' };
    const rec = makeRecord();
    for (const attempt of [
      () => sink.preflight(location),
      () => sink.write(location, rec),
      () => sink.read(location),
      () => sink.verify(location, rec),
    ]) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SinkError);
      expect(errorText(err)).toContain(`${join(dir, 'team-a')} is a symbolic link`);
    }
    expect(await readdir(outside)).toEqual([]);
    // deeper: a link two levels down is refused as well
    await mkdir(join(dir, 'team-b'));
    await symlink(outside, join(dir, 'team-b', 'nested'));
    await expect(sink.write({ sink: 'local', path: 'team-b/nested/ci.env' }, rec)).rejects.toThrow(
      /team-b\/nested is a symbolic link/,
    );
    expect(await readdir(outside)).toEqual([]);
  });

  it('accepts a sink directory that is itself a symlink (a mounted volume)', async () => {
    const real = join(base, 'volume');
    await mkdir(real, { mode: 0o700 });
    await symlink(real, dir);
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
    const rec = makeRecord();
    await sink.write({ sink: 'local', path: 'team-a/ci.env' }, rec);
    expect(await sink.verify({ sink: 'local', path: 'team-a/ci.env' }, rec)).toBe(true);
    expect(await readdir(join(real, 'team-a'))).toEqual(['ci.env']);
  });

  it('reports a foreign file without quoting its content', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'ci.json'), '{"password": "hunter2-not-json');
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'json' });
    const err = await sink.read({ sink: 'local', path: 'ci.json' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect(errorText(err)).not.toContain('hunter2');
    await expect(sink.preflight({ sink: 'local', path: 'ci.json' })).rejects.toBeInstanceOf(SinkError);
  });

  it('reads a hand-quoted dotenv file', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'ci.env'),
      'export SCW_ACCESS_KEY="SCWAAAAAAAAAAAAAAAAA"\nSCW_SECRET_KEY=\'11111111-2222-3333-4444-555555555555\'\n',
    );
    const sink = createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' });
    const got = await sink.read({ sink: 'local', path: 'ci.env' });
    expect(got?.accessKey).toBe('SCWAAAAAAAAAAAAAAAAA');
    expect(got?.secretKey?.equals('11111111-2222-3333-4444-555555555555')).toBe(true);
  });

  it('logs no secret, and warns about a directory open to others', async () => {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const cap = createLogCapture();
    const sink = createFileSink(
      { name: 'local', type: 'file', dir, format: 'dotenv' },
      { logger: cap.logger },
    );
    const rec = makeRecord();
    await sink.preflight({ sink: 'local', path: 'ci.env' });
    await sink.write({ sink: 'local', path: 'ci.env' }, rec);
    await sink.write({ sink: 'local', path: 'ci.env' }, rec);
    await sink.read({ sink: 'local', path: 'ci.env' });
    expect(cap.lines.some((l) => l.level === 40 && String(l.msg).includes('group or others'))).toBe(true);
    assertNoSecrets(cap.lines, [rec.secretKey.reveal()]);
  });

  it('resolves a relative directory against cwd', async () => {
    const sink = createFileSink({ name: 'local', type: 'file', dir: 'rel', format: 'dotenv' }, { cwd: base });
    expect(sink.describe({ sink: 'local', path: 'ci.env' })).toBe(`file:${join(base, 'rel', 'ci.env')}`);
  });
});
