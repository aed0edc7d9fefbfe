/**
 * Apply confirmation: in an interactive terminal (the CliIO has `ask`), reconcile and apply show
 * the plan and apply it only on `yes`; `--auto-approve` skips the question; without a terminal
 * nothing is asked. Against the sandbox emulator, the prompt answered by the test.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as apply } from '../../src/cli/commands/apply.js';
import { run as plan } from '../../src/cli/commands/plan.js';
import { run as reconcile } from '../../src/cli/commands/reconcile.js';
import type { CliIO } from '../../src/cli/io.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { captureIO, sandboxEnv, sandboxSettingsYaml } from '../helpers/sandbox-cli.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/basic');

let sandbox: SandboxHandle;
let dir: string;
let cfg: string;

beforeEach(async () => {
  sandbox = await startSandbox({ env: {}, randomSeed: 7 });
  dir = await mkdtemp(join(tmpdir(), 'confirm-cli-'));
  cfg = join(dir, 'settings.yaml');
  await writeFile(cfg, sandboxSettingsYaml(sandbox, { sourceDir: EXAMPLES }));
});
afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

const cap = createLogCapture();
const deps = () => ({ homeDir: dir, logger: cap.logger });

/** A terminal whose user answers `answer`; the questions asked are recorded. */
function terminal(answer: string) {
  const t = captureIO({ env: sandboxEnv(sandbox), cwd: dir });
  const questions: string[] = [];
  const io: CliIO = {
    ...t.io,
    isTTY: true,
    ask: async (q) => {
      questions.push(q);
      return answer;
    },
  };
  return { ...t, io, questions };
}

const writes = () => sandbox.requests().filter((r) => r.method !== 'GET');

describe('reconcile in a terminal', () => {
  it('shows the plan, asks, and applies nothing on "no" (exit 1)', async () => {
    const t = terminal('no');
    expect(await reconcile(['--config', cfg, '--no-color'], t.io, deps())).toBe(1);
    expect(t.questions).toHaveLength(1);
    expect(t.questions[0]).toContain("Apply these changes? Only 'yes' is accepted");
    expect(t.out()).toContain('+ Application/api-backend');
    expect(t.err()).toContain('Apply cancelled');
    expect(writes()).toEqual([]);
  });

  it('applies the plan it showed on "yes"', async () => {
    const t = terminal('yes');
    expect(await reconcile(['--config', cfg, '--no-color'], t.io, deps())).toBe(0);
    expect(t.out()).toContain('Apply complete!');
    expect(writes().length).toBeGreaterThan(0);
  });

  it('takes only "yes": "y" cancels', async () => {
    const t = terminal('y');
    expect(await reconcile(['--config', cfg], t.io, deps())).toBe(1);
    expect(writes()).toEqual([]);
  });

  it('asks nothing with --auto-approve, nor when there is nothing to do', async () => {
    const t = terminal('no');
    expect(await reconcile(['--config', cfg, '--auto-approve'], t.io, deps())).toBe(0);
    expect(t.questions).toEqual([]);
    const again = terminal('no');
    expect(await reconcile(['--config', cfg], again.io, deps())).toBe(0);
    expect(again.questions).toEqual([]);
    expect(again.out()).toContain('No changes.');
  });

  it('asks nothing for --dry-run', async () => {
    const t = terminal('no');
    expect(await reconcile(['--config', cfg, '--dry-run'], t.io, deps())).toBe(2);
    expect(t.questions).toEqual([]);
  });

  it('refuses --output json without --auto-approve (nothing could be asked in JSON)', async () => {
    const t = terminal('yes');
    expect(await reconcile(['--config', cfg, '-o', 'json'], t.io, deps())).toBe(1);
    expect(t.err()).toContain('--auto-approve');
    expect(writes()).toEqual([]);
  });
});

describe('apply --plan in a terminal', () => {
  it('shows the saved plan and applies nothing on "no"', async () => {
    expect(
      await plan(
        ['--config', cfg, '-o', 'json', '--out', 'plan.json'],
        captureIO({ env: sandboxEnv(sandbox), cwd: dir }).io,
        deps(),
      ),
    ).toBe(2);
    const t = terminal('no');
    expect(await apply(['--config', cfg, '--plan', 'plan.json', '--no-color'], t.io, deps())).toBe(1);
    expect(t.out()).toContain('+ Application/api-backend');
    expect(t.questions).toHaveLength(1);
    expect(writes()).toEqual([]);
    const yes = terminal('yes');
    expect(await apply(['--config', cfg, '--plan', 'plan.json'], yes.io, deps())).toBe(0);
    expect(yes.out()).toContain('Apply complete!');
  });
});

describe('without a terminal', () => {
  it('reconcile applies without asking (CI, scripts)', async () => {
    const t = captureIO({ env: sandboxEnv(sandbox), cwd: dir });
    expect(t.io.ask).toBeUndefined();
    expect(await reconcile(['--config', cfg], t.io, deps())).toBe(0);
    expect(t.out()).toContain('Apply complete!');
  });
});
