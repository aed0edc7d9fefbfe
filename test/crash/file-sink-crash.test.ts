/**
 * The file sink's atomic replace under SIGKILL: a child rewrites one record in a loop and is
 * killed at a random moment; the file left behind is always one complete record (old or new,
 * verifiable), mode 0600, and the next write cleans up any temporary or lock file.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import { createFileSink } from '../../src/sinks/file-sink.js';
import { prepareEntry, REPO } from './helpers.js';

function killMidStream(args: readonly string[], env: Record<string, string>, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('ready')) setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(guard);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited without being killed: ${stderr}`));
    });
  });
}

describe('file sink killed mid-write', { timeout: 60_000 }, () => {
  let outDir: string;
  let writer: string[];

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'scw-gitops-crash-writer-'));
    writer = await prepareEntry('test/crash/file-writer.ts', outDir);
  });

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it.each([
    ['dotenv', 15],
    ['dotenv', 60],
    ['json', 35],
    ['json', 90],
  ] as const)('%s, killed %i ms into the write loop', async (format, delayMs) => {
    const dir = await mkdtemp(join(tmpdir(), 'scw-gitops-crash-file-'));
    try {
      const recs = [0, 1].map((i) => ({ accessKey: `SCWWRITER000000000${i}0`, secret: randomUUID() }));
      await killMidStream(
        writer,
        {
          WRITER_DIR: dir,
          WRITER_FORMAT: format,
          WRITER_AK_0: recs[0]!.accessKey,
          WRITER_SK_0: recs[0]!.secret,
          WRITER_AK_1: recs[1]!.accessKey,
          WRITER_SK_1: recs[1]!.secret,
        },
        delayMs,
      );
      const sink = createFileSink({ name: 'local', type: 'file', dir, format });
      const loc = { sink: 'local', path: 'key.env' };
      const got = await sink.read(loc);
      const match = recs.find((r) => r.accessKey === got?.accessKey);
      expect(match, 'the file holds one of the two records, complete').toBeDefined();
      expect(got!.secretKey!.equals(match!.secret)).toBe(true);
      expect(got!.metadata.revision).toHaveLength(16_384);
      expect((await stat(join(dir, 'key.env'))).mode & 0o777).toBe(0o600);

      // The next writer takes over a lock and removes temp files the killed one left.
      const next = { accessKey: 'SCWNEXTNEXTNEXTNEXT0', secretKey: new Secret(randomUUID()) };
      const record = {
        ...next,
        metadata: {
          keyName: 'key',
          accessKey: next.accessKey,
          expiresAt: null,
          deliveredAt: new Date().toISOString(),
        },
      };
      await sink.write(loc, record);
      expect(await sink.verify(loc, record)).toBe(true);
      expect(await readdir(dir)).toEqual(['key.env']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
