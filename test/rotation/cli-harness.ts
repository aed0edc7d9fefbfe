/**
 * The CLI commands (plan / reconcile) against an in-process sandbox and a file sink, with one
 * injected clock shared by the sandbox (timestamps, expiry) and the command (planner, executor,
 * sinks). Time moves only when the test sets it.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as plan } from '../../src/cli/commands/plan.js';
import { run as reconcile } from '../../src/cli/commands/reconcile.js';
import type { CommandHandler } from '../../src/cli/io.js';
import type { CommandDeps } from '../../src/cli/command.js';
import { type SandboxHandle, type SandboxOptions, startSandbox } from '../../src/sandbox/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createLogCapture, type LogCapture } from '../helpers/log-capture.js';
import {
  captureIO,
  type OwnedKey,
  ownedKeys,
  sandboxEnv,
  sandboxSettingsYaml,
} from '../helpers/sandbox-cli.js';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export interface CliHarness {
  readonly sandbox: SandboxHandle;
  readonly dir: string;
  readonly settingsFile: string;
  readonly clock: FakeClock;
  /** Every log line of every command. */
  readonly logs: LogCapture;
  /** Everything the commands printed. */
  readonly outputs: string[];
  now(): number;
  setNow(t: number): void;
  plan(...args: string[]): Promise<CliRun>;
  reconcile(...args: string[]): Promise<CliRun>;
  /** Replace the desired state (the one file `keys.yaml`), as a commit to git would. */
  writeDesired(yaml: string): Promise<void>;
  /** Owned keys of a desired name in the sandbox, with custody state. */
  keys(name: string): OwnedKey[];
  /** The dotenv file of a key: access key, previous access key, whether the secret is the issued one. */
  sinkFile(name: string): Promise<{ accessKey?: string; previous?: string; secretMatches: boolean }>;
  close(): Promise<void>;
}

export interface CliHarnessOptions {
  /** `prune: true` for every kind in the settings. */
  readonly prune?: boolean;
  /** More sandbox options (quota, faults). */
  readonly sandbox?: Partial<SandboxOptions>;
}

export async function startCliHarness(
  desiredYaml: string,
  start: number,
  options: CliHarnessOptions = {},
): Promise<CliHarness> {
  const clock = new FakeClock({ start });
  const sandbox = await startSandbox({
    env: {},
    seed: false,
    randomSeed: 11,
    clock: clock.now,
    ...options.sandbox,
  });
  const dir = await mkdtemp(join(tmpdir(), 'scw-gitops-rotation-cli-'));
  await mkdir(join(dir, 'desired'));
  await writeFile(join(dir, 'desired', 'keys.yaml'), desiredYaml);
  const settingsFile = join(dir, 'settings.yaml');
  await writeFile(
    settingsFile,
    sandboxSettingsYaml(sandbox, {
      sourceDir: join(dir, 'desired'),
      sinkDir: join(dir, 'secrets'),
      ...(options.prune ? { prune: true } : {}),
    }),
  );
  const logs = createLogCapture({ level: 'debug' });
  const outputs: string[] = [];
  const deps: CommandDeps = { clock, logger: logs.logger, homeDir: dir };

  const runCommand = async (cmd: CommandHandler, args: string[]): Promise<CliRun> => {
    const t = captureIO({ env: sandboxEnv(sandbox), cwd: dir, onOutput: (text) => outputs.push(text) });
    const code = await cmd(['--config', settingsFile, ...args], t.io);
    return { code, out: t.out(), err: t.err() };
  };

  return {
    sandbox,
    dir,
    settingsFile,
    clock,
    logs,
    outputs,
    now: () => clock.ms,
    setNow: (t) => clock.set(t),
    plan: (...args) => runCommand((a, io) => plan(a, io, deps), args),
    reconcile: (...args) => runCommand((a, io) => reconcile(a, io, deps), args),
    writeDesired: (yaml) => writeFile(join(dir, 'desired', 'keys.yaml'), yaml),
    keys: (name) => ownedKeys(sandbox, name),
    sinkFile: async (name) => {
      const text = await readFile(join(dir, 'secrets', `${name}.env`), 'utf8');
      const accessKey = /^SCW_ACCESS_KEY=(\S+)$/m.exec(text)?.[1];
      const secret = /^SCW_SECRET_KEY=(\S+)$/m.exec(text)?.[1];
      const previous = /previousAccessKey=(SCW[A-Z0-9]+)/.exec(text)?.[1];
      const issued = accessKey ? sandbox.store.apiKeys.get(accessKey)?.secret_key : undefined;
      return {
        ...(accessKey ? { accessKey } : {}),
        ...(previous ? { previous } : {}),
        secretMatches: secret !== undefined && secret === issued,
      };
    },
    close: async () => {
      await sandbox.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
