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
import type { CliIO, CommandHandler } from '../../src/cli/io.js';
import type { Clock } from '../../src/clock.js';
import type { CommandDeps } from '../../src/cli/command.js';
import { parseKeyDescription } from '../../src/model/ownership.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createLogCapture, type LogCapture } from '../helpers/log-capture.js';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export interface CliHarness {
  readonly sandbox: SandboxHandle;
  readonly dir: string;
  readonly settingsFile: string;
  readonly clock: Clock;
  /** Every log line of every command. */
  readonly logs: LogCapture;
  /** Everything the commands printed. */
  readonly outputs: string[];
  now(): number;
  setNow(t: number): void;
  plan(...args: string[]): Promise<CliRun>;
  reconcile(...args: string[]): Promise<CliRun>;
  /** Owned keys of a desired name in the sandbox, with custody state. */
  keys(name: string): { accessKey: string; state: string; createdAt: string; expiresAt: string | null }[];
  /** The dotenv file of a key: access key, previous access key, whether the secret is the issued one. */
  sinkFile(name: string): Promise<{ accessKey?: string; previous?: string; secretMatches: boolean }>;
  close(): Promise<void>;
}

export async function startCliHarness(desiredYaml: string, start: number): Promise<CliHarness> {
  let now = start;
  const clock: Clock = {
    now: () => new Date(now),
    sleep: async (ms) => {
      now += ms;
    },
  };
  const sandbox = await startSandbox({ env: {}, seed: false, randomSeed: 11, clock: () => new Date(now) });
  const dir = await mkdtemp(join(tmpdir(), 'scw-gitops-rotation-cli-'));
  await mkdir(join(dir, 'desired'));
  await writeFile(join(dir, 'desired', 'keys.yaml'), desiredYaml);
  const settingsFile = join(dir, 'settings.yaml');
  await writeFile(
    settingsFile,
    `apiVersion: scw-gitops/v1alpha1
kind: Settings
instance: default
source:
  dir: ${join(dir, 'desired')}
scaleway:
  apiUrl: ${sandbox.url}
  organizationId: ${sandbox.organizationId}
sinks:
  - name: local
    type: file
    dir: ${join(dir, 'secrets')}
    format: dotenv
defaults:
  sink: local
`,
  );
  const logs = createLogCapture({ level: 'debug' });
  const outputs: string[] = [];
  const deps: CommandDeps = { clock, logger: logs.logger, homeDir: dir };

  const runCommand = async (cmd: CommandHandler, args: string[]): Promise<CliRun> => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = {
      stdout: (t) => {
        out.push(t);
        outputs.push(t);
      },
      stderr: (t) => {
        err.push(t);
        outputs.push(t);
      },
      env: {
        SCW_API_URL: sandbox.url,
        SCW_ACCESS_KEY: sandbox.adminAccessKey,
        SCW_SECRET_KEY: sandbox.adminSecretKey,
        SCW_DEFAULT_ORGANIZATION_ID: sandbox.organizationId,
      },
      cwd: dir,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const code = await cmd(['--config', settingsFile, ...args], io);
    return { code, out: out.join(''), err: err.join('') };
  };

  return {
    sandbox,
    dir,
    settingsFile,
    clock,
    logs,
    outputs,
    now: () => now,
    setNow: (t) => {
      now = t;
    },
    plan: (...args) => runCommand((a, io) => plan(a, io, deps), args),
    reconcile: (...args) => runCommand((a, io) => reconcile(a, io, deps), args),
    keys: (name) =>
      [...sandbox.store.apiKeys.values()]
        .map((k) => ({ k, m: parseKeyDescription(k.description).marker }))
        .filter((x) => x.m?.name === name)
        .map((x) => ({
          accessKey: x.k.access_key,
          state: x.m!.state,
          createdAt: x.k.created_at,
          expiresAt: x.k.expires_at,
        })),
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
