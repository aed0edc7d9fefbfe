/**
 * Processes of the benchmark: every measured thing runs in a process of its own (a fresh heap, a
 * cold JIT, its own event loop), and the servers it talks to in others.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** tsx's loader, for the TypeScript children (servers, measuring scripts). */
export const TSX = fileURLToPath(import.meta.resolve('tsx'));
const USAGE_PRELOAD = fileURLToPath(new URL('./usage-preload.mjs', import.meta.url));
/** The built command line (`npm run build`), what users run. */
export const CLI = join(REPO, 'dist/cli/main.js');

export interface Usage {
  readonly cpuMs: number;
  readonly maxRssBytes: number;
}

export interface ProcResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From spawn() to the process's exit. */
  readonly wallMs: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly usage?: Usage;
}

export interface ProcOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Measure CPU time and peak RSS (a tiny --import preload). */
  readonly usage?: boolean;
  readonly timeoutMs?: number;
}

/** A minimal environment: nothing of the developer's shell leaks into a measurement. */
export function baseEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...extra };
}

/** `node [preload] ...args`, to its exit. */
export function runNode(args: readonly string[], opts: ProcOptions = {}): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const argv = [...(opts.usage ? ['--import', USAGE_PRELOAD] : []), ...args];
    const t0 = performance.now();
    const child = spawn(process.execPath, argv, {
      cwd: opts.cwd ?? REPO,
      env: opts.env ? { ...opts.env } : baseEnv(),
      stdio: ['ignore', 'pipe', 'pipe', opts.usage ? 'pipe' : 'ignore'],
    });
    let wallMs = 0;
    let stdout = '';
    let stderr = '';
    let usage = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const fd3 = child.stdio[3] as NodeJS.ReadableStream | null | undefined;
    fd3?.setEncoding('utf8');
    fd3?.on('data', (d: string) => {
      usage += d;
    });
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs).unref()
        : undefined;
    child.on('error', reject);
    child.on('exit', () => {
      wallMs = performance.now() - t0;
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code,
        signal,
        wallMs,
        stdout,
        stderr,
        ...(usage.trim() ? { usage: JSON.parse(usage.trim().split('\n').at(-1)!) as Usage } : {}),
      });
    });
  });
}

/** A TypeScript child that prints one JSON line last; its parsed value. */
export async function runTsChild<T>(
  script: string,
  args: readonly string[],
  opts: ProcOptions & { readonly nodeArgs?: readonly string[] } = {},
): Promise<T & { readonly usage?: Usage; readonly processWallMs: number }> {
  const r = await runNode(['--import', TSX, ...(opts.nodeArgs ?? []), join(REPO, script), ...args], opts);
  const line = r.stdout.trim().split('\n').at(-1);
  if (r.code !== 0 || !line) {
    throw new Error(`${script} exited ${r.code ?? r.signal}: ${r.stderr.slice(-2000)}`);
  }
  return {
    ...(JSON.parse(line) as T),
    processWallMs: r.wallMs,
    ...(r.usage ? { usage: r.usage } : {}),
  };
}

/**
 * A long-lived TypeScript child answering requests over the IPC channel: `call(op, args)`
 * resolves with its `value` (or rejects with its `error`).
 */
export interface RpcChild<Ready> {
  readonly ready: Ready;
  readonly process: ChildProcess;
  call<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

export async function forkRpc<Ready>(
  script: string,
  args: readonly string[] = [],
  env: Readonly<Record<string, string>> = baseEnv(),
): Promise<RpcChild<Ready>> {
  const child = fork(join(REPO, script), [...args], {
    execArgv: ['--import', TSX],
    env: { ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let seq = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited ${code} before it was ready`)));
    child.on('message', (m: { ready?: Ready; id?: number; value?: unknown; error?: string }) => {
      if (m.ready !== undefined) resolve(m.ready);
      else if (m.id !== undefined) {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.value);
      }
    });
  });
  child.removeAllListeners('exit');
  return {
    ready,
    process: child,
    call: <T>(op: string, callArgs: Record<string, unknown> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = ++seq;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, op, args: callArgs });
      }),
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.send({ id: ++seq, op: 'close', args: {} });
      await exited;
    },
  };
}

/** Server side of forkRpc: answer each op with its handler's value. */
export function serveRpc(
  ready: unknown,
  handlers: Readonly<Record<string, (args: Record<string, unknown>) => unknown>>,
  close: () => Promise<void>,
): void {
  process.on('message', (m: { id: number; op: string; args: Record<string, unknown> }) => {
    if (m.op === 'close') {
      void close().finally(() => process.exit(0));
      return;
    }
    const handler = handlers[m.op];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown op ${m.op}`);
        return handler(m.args);
      })
      .then(
        (value) => process.send?.({ id: m.id, value }),
        (err: unknown) =>
          process.send?.({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
      );
  });
  process.on('disconnect', () => void close().finally(() => process.exit(0)));
  process.send?.({ ready });
}
