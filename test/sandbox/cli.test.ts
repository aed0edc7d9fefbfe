import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/commands/sandbox.js';
import type { CliIO } from '../../src/cli/io.js';
import { UUID_V4 } from './helpers.js';

function waitForExports(child: ChildProcess): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${out}${err}`)), 20_000);
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (/SCW_DEFAULT_PROJECT_ID=\S+\n/.test(out)) {
        clearTimeout(timer);
        const vars: Record<string, string> = {};
        for (const m of out.matchAll(/^export (\w+)=(\S+)$/gm)) vars[m[1] as string] = m[2] as string;
        resolve(vars);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited early (${code}): ${out}${err}`));
    });
  });
}

describe('scw-gitops sandbox command', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it('--port 0 prints the real URL and credentials and answers like the API; SIGTERM stops it', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sandbox', '--port', '0'], {
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'] ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const vars = await waitForExports(child);
    expect(vars['SCW_API_URL']).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(vars['SCW_SECRET_KEY']).toMatch(UUID_V4);
    expect(vars['SCW_DEFAULT_ORGANIZATION_ID']).toMatch(UUID_V4);
    const res = await fetch(`${vars['SCW_API_URL']}/iam/v1alpha1/applications`, {
      headers: { 'X-Auth-Token': vars['SCW_SECRET_KEY'] as string },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { applications: Array<{ managed: boolean }>; total_count: number };
    expect(Object.keys(body)).toEqual(['applications', 'total_count']);
    expect(body.total_count).toBe(2);
    expect(body.applications.every((a) => a.managed)).toBe(true);
    const unauth = await fetch(`${vars['SCW_API_URL']}/iam/v1alpha1/applications`);
    expect(unauth.status).toBe(401);

    const exited = new Promise<number | null>((resolve) => child?.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('rejects bad options with a clear message', async () => {
    const err: string[] = [];
    const io: CliIO = {
      stdout: () => {},
      stderr: (t) => err.push(t),
      env: {},
      cwd: process.cwd(),
      isTTY: false,
      signal: new AbortController().signal,
    };
    expect(await run(['--rate-429', '3'], io)).toBe(1);
    expect(err.join('')).toMatch(/--rate-429: a rate must be between 0 and 1/);
    expect(await run(['--bogus'], io)).toBe(1);
    expect(err.join('')).toMatch(/unknown option --bogus/);
  });

  it('runs in-process until the signal aborts, printing exports', async () => {
    const out: string[] = [];
    const ac = new AbortController();
    const io: CliIO = {
      stdout: (t) => {
        out.push(t);
        ac.abort();
      },
      stderr: () => {},
      env: { SCW_SANDBOX_LATENCY_MS: '1' },
      cwd: process.cwd(),
      isTTY: false,
      signal: ac.signal,
    };
    expect(await run(['--port', '0', '--seed', '5', '--no-seed'], io)).toBe(0);
    expect(out.join('')).toMatch(/^export SCW_SECRET_KEY=[0-9a-f-]{36}$/m);
  });
});
