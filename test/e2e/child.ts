/**
 * Run `scw-gitops run` as a child process from the TypeScript sources (`node --import tsx
 * src/cli/main.ts run …`), the way `npm start` runs the built CLI, and read its JSON log lines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface DaemonChild {
  readonly proc: ChildProcess;
  /** Every stdout line parsed as JSON (non-JSON lines are kept as `{ raw }`). */
  readonly lines: Record<string, unknown>[];
  /** stdout and stderr, verbatim. */
  raw(): string;
  /** Resolves with the first line (seen or future) matching `pred`; rejects after `timeoutMs`. */
  waitForLine(
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<Record<string, unknown>>;
  /** Resolves once the process exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** `exited`, or a rejection (with the output) when the process is still running after `ms`. */
  exitWithin(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (cleanup). */
  kill(): void;
}

/** A minimal environment: no inherited SCW_* credentials, no user config files. */
export function childEnv(home: string, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    SCW_CONFIG_PATH: path.join(home, 'no-scw-config.yaml'),
    NODE_ENV: 'test',
    ...extra,
  };
}

export function spawnDaemon(args: readonly string[], env: Record<string, string>): DaemonChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const chunks: string[] = [];
  const waiters: {
    pred: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];
  let buf = '';
  proc.stdout?.setEncoding('utf8');
  proc.stderr?.setEncoding('utf8');
  proc.stdout?.on('data', (d: string) => {
    chunks.push(d);
    buf += d;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      if (!text.trim()) continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { raw: text };
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.pred(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  proc.stderr?.on('data', (d: string) => chunks.push(d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    proc,
    lines,
    raw: () => chunks.join(''),
    waitForLine(pred, timeoutMs, what) {
      const seen = lines.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output:\n${chunks.join('')}`),
          );
        }, timeoutMs);
        const done = (l: Record<string, unknown>) => {
          clearTimeout(timer);
          resolve(l);
        };
        waiters.push({ pred, resolve: done });
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(
            new Error(`exited (${code ?? signal}) while waiting for ${what}; output:\n${chunks.join('')}`),
          );
        });
      });
    },
    exited,
    exitWithin(ms) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no exit within ${ms} ms:\n${chunks.join('')}`)), ms);
      });
      return Promise.race([exited, late]).finally(() => clearTimeout(timer));
    },
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

/** `# scw-gitops:key=value` metadata and `KEY=value` pairs of a dotenv file written by the file sink. */
export function parseDotenv(text: string): { meta: Record<string, string>; vars: Record<string, string> } {
  const meta: Record<string, string> = {};
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^# scw-gitops:([A-Za-z]+)=(.*)$/.exec(line);
    if (m) meta[m[1]!] = m[2]!;
    const v = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (v) vars[v[1]!] = v[2]!.replace(/^"(.*)"$/, '$1');
  }
  return { meta, vars };
}
