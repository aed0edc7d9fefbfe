/**
 * The apply prompt under a real pseudo-terminal: `reconcile` runs as a child process inside
 * util-linux `script` (stdin and stdout are a pty), against the sandbox emulator on loopback.
 * Answering `no` applies nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { childEnv, ROOT } from '../e2e/child.js';
import { sandboxEnv, sandboxSettingsYaml } from '../helpers/sandbox-cli.js';
import { waitFor } from '../helpers/wait-for.js';

const EXAMPLES = resolve(ROOT, 'examples/basic');

let sandbox: SandboxHandle;
let dir: string;

beforeEach(async () => {
  sandbox = await startSandbox({ env: {}, randomSeed: 7 });
  dir = await mkdtemp(join(tmpdir(), 'confirm-pty-'));
});
afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `scw-gitops ARGS` in a pty; `answer` is typed once the question is on the screen. */
async function inTerminal(args: readonly string[], answer: string) {
  const command = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', ...args].map(quote).join(' ');
  const child = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], {
    cwd: ROOT,
    env: childEnv(dir, { ...sandboxEnv(sandbox), TERM: 'dumb' }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    screen += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    screen += d;
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  try {
    await waitFor(() => screen.includes('Enter a value:'), { timeoutMs: 60_000, what: 'the prompt' });
    child.stdin.write(`${answer}\n`);
    const code = await Promise.race([
      exited,
      waitFor(() => child.exitCode !== null, { timeoutMs: 60_000, what: 'the command to end' }).then(
        () => child.exitCode,
      ),
    ]);
    return { code, screen };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

describe('the apply prompt in a pseudo-terminal', () => {
  it('"no" applies nothing and exits 1', async () => {
    const cfg = join(dir, 'settings.yaml');
    await writeFile(cfg, sandboxSettingsYaml(sandbox, { sourceDir: EXAMPLES }));
    const { code, screen } = await inTerminal(['reconcile', '--config', cfg, '--no-color'], 'no');
    expect(screen).toContain('+ Application/api-backend');
    expect(screen).toContain("Apply these changes? Only 'yes' is accepted");
    expect(screen).toContain('Apply cancelled');
    expect(code).toBe(1);
    expect(sandbox.requests().filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('"yes" applies the plan shown', async () => {
    const cfg = join(dir, 'settings.yaml');
    await writeFile(cfg, sandboxSettingsYaml(sandbox, { sourceDir: EXAMPLES }));
    const { code, screen } = await inTerminal(['reconcile', '--config', cfg, '--no-color'], 'yes');
    expect(screen).toContain('Apply complete!');
    expect(code).toBe(0);
    expect(sandbox.requests().some((r) => r.method === 'POST')).toBe(true);
  });
});
