/**
 * Crash-test plumbing: run a reconcile pass as a child process (optionally killed with SIGKILL at
 * a custody point through SCW_GITOPS_CRASH_AT), and check the custody invariants against the
 * in-process sandbox and the file sink.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { CrashPoint } from '../../src/executor/crash-points.js';
import type { SandboxHandle } from '../../src/sandbox/server.js';
import { findSecretLeak } from '../helpers/log-capture.js';
import { type OwnedKey, ownedKeys } from '../helpers/sandbox-cli.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The final `{"result": …}` line, when the pass got that far. */
  readonly result?: {
    steps: { id: string; action: string; reason: string }[];
    diagnostics: string[];
    outcomes: { stepId: string; result: string; error?: string; accessKey?: string }[];
    ok: boolean;
  };
}

/**
 * Node arguments running a TypeScript entry point (`test/crash/driver.ts`, `src/cli/main.ts`).
 * Bundled once with esbuild (tsx's own compiler, installed with it) a pass starts in well under a
 * second instead of ~2 s under `--import tsx`, which keeps the crash tests under a minute; without
 * esbuild, or with SCW_GITOPS_CRASH_TSX=1, it runs the sources through tsx.
 */
export async function prepareEntry(entry: string, outDir: string): Promise<string[]> {
  const viaTsx = ['--import', 'tsx', entry];
  if (process.env.SCW_GITOPS_CRASH_TSX === '1') return viaTsx;
  try {
    const esbuild = (await import('esbuild')) as typeof import('esbuild');
    const outfile = join(outDir, `${entry.replace(/[^a-z0-9]+/gi, '-')}.mjs`);
    await esbuild.build({
      entryPoints: [join(REPO, entry)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      outfile,
      logLevel: 'error',
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
    return [outfile];
  } catch {
    return viaTsx;
  }
}

export function prepareDriver(outDir: string): Promise<string[]> {
  return prepareEntry('test/crash/driver.ts', outDir);
}

/** Run `node <args>` from the repository root; bounded by `timeoutMs`. */
export function runNode(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child timed out after ${timeoutMs} ms: ${args.join(' ')}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{"result"'));
      resolve({
        code,
        signal,
        stdout,
        stderr,
        ...(last ? { result: (JSON.parse(last) as { result: NonNullable<ChildRun['result']> }).result } : {}),
      });
    });
  });
}

export interface PassTarget {
  /** Node arguments running the driver (prepareDriver). */
  readonly driver: readonly string[];
  readonly sandbox: SandboxHandle;
  readonly desiredDir: string;
  readonly sinkDir: string;
}

/** One reconcile pass through test/crash/driver.ts; `crashAt` kills it at that custody point. */
export function driverPass(t: PassTarget, crashAt?: CrashPoint): Promise<ChildRun> {
  return runNode(
    [
      ...t.driver,
      '--dir',
      t.desiredDir,
      '--sink-dir',
      t.sinkDir,
      '--api',
      t.sandbox.url,
      '--org',
      t.sandbox.organizationId,
    ],
    {
      SCW_SECRET_KEY: t.sandbox.adminSecretKey,
      ...(crashAt ? { SCW_GITOPS_CRASH_AT: crashAt } : {}),
    },
  );
}

/** SCW_ACCESS_KEY / SCW_SECRET_KEY of a dotenv record, undefined when there is no file. */
export async function sinkRecord(
  sinkDir: string,
  name: string,
): Promise<{ accessKey?: string; secret?: string } | undefined> {
  let text: string;
  try {
    text = await readFile(join(sinkDir, `${name}.env`), 'utf8');
  } catch {
    return undefined;
  }
  const get = (v: string) => new RegExp(`^${v}=(.*)$`, 'm').exec(text)?.[1];
  const accessKey = get('SCW_ACCESS_KEY');
  const secret = get('SCW_SECRET_KEY');
  return { ...(accessKey ? { accessKey } : {}), ...(secret ? { secret } : {}) };
}

/**
 * After a recovery pass:
 * - no key is left `pending` (its secret not confirmed in custody);
 * - the newest `ready` key is the one the sink holds, with the secret Scaleway issued for it;
 * - every other surviving key is older and superseded (retiring, or an older ready key), waiting
 *   for its overlap to elapse; at most two of them (the key consumers used before, and a key
 *   whose delivery was interrupted after its secret reached the sink);
 * - if `applicationId` is given, the current key belongs to it.
 */
export async function assertCustodyInvariants(
  t: PassTarget,
  name: string,
  opts: { applicationId?: string } = {},
): Promise<OwnedKey> {
  const keys = ownedKeys(t.sandbox, name);
  expect(
    keys.filter((k) => k.state === 'pending'),
    'no pending key survives a recovery pass',
  ).toEqual([]);
  const ready = keys.filter((k) => k.state === 'ready');
  expect(ready.length, 'a ready key exists').toBeGreaterThan(0);
  const current = ready[ready.length - 1]!;
  const rec = await sinkRecord(t.sinkDir, name);
  expect(rec?.accessKey, 'the sink holds the current key').toBe(current.accessKey);
  expect(rec?.secret === current.secret, 'the sink holds the secret Scaleway issued for it').toBe(true);
  expect(keys.length, 'no duplicate keys').toBeLessThanOrEqual(3);
  for (const k of keys) {
    if (k === current) continue;
    expect(['retiring', 'ready']).toContain(k.state);
    expect(k.createdAt <= current.createdAt).toBe(true);
  }
  if (opts.applicationId) expect(current.applicationId).toBe(opts.applicationId);
  return current;
}

/** Records every secret the sandbox issues from now on (keys deleted later included). */
export function trackIssuedSecrets(sb: SandboxHandle): Set<string> {
  const secrets = new Set<string>([sb.adminSecretKey]);
  for (const k of sb.store.apiKeys.values()) secrets.add(k.secret_key);
  const map = sb.store.apiKeys;
  const set = map.set.bind(map);
  map.set = (k, v) => {
    secrets.add(v.secret_key);
    return set(k, v);
  };
  return secrets;
}

/** None of `secrets` (or their encodings) appears in `outputs`. */
export function assertNoSecretsIn(secrets: ReadonlySet<string>, outputs: readonly string[]): void {
  expect(secrets.size).toBeGreaterThan(1);
  const leak = findSecretLeak(outputs, [...secrets]);
  if (leak) throw new Error(`secret leak in child output #${leak.index} (${leak.form} form)`);
}
