/**
 * `scw-gitops run` (the built CLI) as a child process: spawn, the URL from its "daemon started"
 * log line, time until /readyz answers 200 (its first successful pass), its RSS from /proc, stop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { CLI } from './proc.js';

export interface DaemonProcess {
  readonly child: ChildProcess;
  /** From spawn() to the first 200 of /readyz. */
  readonly readyMs: number;
  readonly url: string;
  rssBytes(): Promise<number>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startDaemonProcess(
  settingsFile: string,
  env: Record<string, string>,
  cwd: string,
  timeoutMs = 120_000,
): Promise<DaemonProcess> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'run', '--config', settingsFile], {
    cwd,
    env: { ...env, SCW_GITOPS_PORT: '0', SCW_GITOPS_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    let url: string | undefined;
    // Polling, not fixed waits: every 5 ms, until ready or the timeout.
    while (performance.now() - t0 < timeoutMs) {
      if (child.exitCode !== null)
        throw new Error(`run exited ${child.exitCode}: ${err.slice(-2000)}${out.slice(-2000)}`);
      url ??= /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"daemon started"/.exec(out)?.[1];
      if (url) {
        const ok = await fetch(`${url}/readyz`)
          .then(async (r) => {
            await r.arrayBuffer();
            return r.status === 200;
          })
          .catch(() => false);
        if (ok) {
          const readyMs = performance.now() - t0;
          return {
            child,
            readyMs,
            url,
            rssBytes: async () => {
              const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
              return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
            },
            stop,
          };
        }
      }
      await sleep(5);
    }
    throw new Error(`run not ready after ${timeoutMs} ms: ${err.slice(-2000)}${out.slice(-2000)}`);
  } catch (e) {
    await stop();
    throw e;
  }
}
