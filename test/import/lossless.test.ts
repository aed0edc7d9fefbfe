/**
 * Lossless import (issue #15, "Lossless import"), through the CLI commands against the sandbox,
 * once per sink type: `examples/basic` is applied, the organization is imported into a new
 * directory, and the plan of that directory has nothing to do (no replacement, no deletion, no
 * adoption: everything is already ours). What the import must carry over for that:
 *
 * - each key's sink location, found by reading the sink's records that hold its access key
 *   (`api-backend-staging` writes to `staging/api-backend.env`, not to the default location);
 * - a fixed expiry as `expiresAt` (`ci-runner`) and a lifetime as `lifetime`, so that later,
 *   when rotations fall due, both directories plan the same rotations;
 * - objects this instance already owns as owned (no `metadata.adopt`).
 *
 * The settings file has no `source.dir` (DIR is on the command line) and a file sink below the
 * settings file's directory: neither is an error.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { run as importCommand } from '../../src/cli/commands/import.js';
import { run as planCommand } from '../../src/cli/commands/plan.js';
import { run as reconcileCommand } from '../../src/cli/commands/reconcile.js';
import type { CliIO } from '../../src/cli/io.js';
import type { Plan } from '../../src/model/plan.js';
import type { CommandDeps } from '../../src/cli/command.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { captureIO } from '../helpers/sandbox-cli.js';
import { type SinkBackendKind, sinkBackendYaml } from '../helpers/sink-backends.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/basic');
const START = Date.parse('2026-03-01T09:17:23.456Z');
const DAY = 86_400_000;

type SinkKind = SinkBackendKind;

type Command = (argv: readonly string[], io: CliIO, deps: CommandDeps) => Promise<number>;

interface World {
  readonly dir: string;
  readonly sandbox: SandboxHandle;
  /** Everything the commands printed or logged. */
  readonly outputs: string[];
  setNow(t: number): void;
  run(cmd: Command, ...args: string[]): Promise<{ code: number; out: string; err: string }>;
  close(): Promise<void>;
}

async function startWorld(kind: SinkKind, opts = { vaultList: true }): Promise<World> {
  const clock = new FakeClock({ start: START });
  const closers: (() => Promise<void>)[] = [];
  const sandbox = await startSandbox({ env: {}, seed: false, randomSeed: 15, clock: clock.now });
  closers.push(() => sandbox.close());
  const dir = await mkdtemp(join(tmpdir(), 'scw-gitops-lossless-'));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  const env: Record<string, string> = {
    SCW_ACCESS_KEY: sandbox.adminAccessKey,
    SCW_SECRET_KEY: sandbox.adminSecretKey,
  };
  const settingsFile = join(dir, 'settings.yaml');
  await writeFile(
    settingsFile,
    `apiVersion: scw-gitops/v1alpha1
kind: Settings
instance: default
scaleway:
  apiUrl: ${sandbox.url}
  organizationId: ${sandbox.organizationId}
sinks:
  - name: local
${await sinkBackendYaml(kind, env, closers, {
  vaultPathPrefix: 'basic',
  // What an import needs on top of a writer's rights: list the metadata under the prefix.
  vaultMetadataCapabilities: ['create', 'update', 'read', ...(opts.vaultList ? ['list' as const] : [])],
})}defaults:
  sink: local
prune: true
`,
  );
  const logs = createLogCapture({ level: 'debug' });
  const deps: CommandDeps = { clock, logger: logs.logger, homeDir: dir };
  const outputs: string[] = [];
  return {
    dir,
    sandbox,
    outputs,
    setNow: (t) => clock.set(t),
    run: async (cmd, ...args) => {
      const t = captureIO({ env, cwd: dir });
      const code = await cmd(['--config', settingsFile, ...args], t.io, deps);
      outputs.push(t.out(), t.err(), ...logs.raw);
      return { code, out: t.out(), err: t.err() };
    },
    close: async () => {
      for (const c of closers.reverse()) await c();
    },
  };
}

async function docs(file: string): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const d of parseAllDocuments(await readFile(file, 'utf8'))) {
    const doc = d.toJS() as { metadata: { name: string } } | null;
    if (doc) out[doc.metadata.name] = doc as unknown as Record<string, unknown>;
  }
  return out;
}

function steps(plan: Plan): string[] {
  return plan.steps.map((s) => `${s.action} ${s.address} (${s.reason})`).sort();
}

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe.each<SinkKind>(['file (dotenv)', 'file (json)', 'vault', 'kubernetes'])(
  'apply examples/basic, import, plan: %s sink',
  (kind) => {
    it('the imported directory plans nothing, and later the same rotations as the original', async () => {
      world = await startWorld(kind);
      const w = world;

      const applied = await w.run(reconcileCommand, EXAMPLES);
      expect(applied.err).toBe('');
      expect(applied.code).toBe(0);

      w.setNow(START + 3_600_000);
      const imported = await w.run(importCommand, '--out', 'imported');
      expect(imported.err).toBe('');
      expect(imported.code).toBe(0);

      // Already ours: described as ours, with where each secret is and how each key expires.
      const keys = await docs(join(w.dir, 'imported', 'api-keys.yaml'));
      const all = [
        ...Object.values(keys),
        ...Object.values(await docs(join(w.dir, 'imported', 'applications.yaml'))),
      ];
      for (const d of all)
        expect((d.metadata as { adopt?: boolean }).adopt, JSON.stringify(d)).toBeUndefined();
      const spec = (name: string) => keys[name]?.spec as Record<string, unknown>;
      expect(Object.keys(keys).sort()).toEqual([
        'api-backend-prod',
        'api-backend-staging',
        'ci-runner',
        'etl-worker',
        'monitoring-agent',
        'web-deployer-ci',
      ]);
      expect(spec('ci-runner')).toMatchObject({ expiresAt: '2030-01-31T00:00:00Z' });
      expect(spec('ci-runner')).not.toHaveProperty('lifetime');
      expect(spec('api-backend-prod')).toMatchObject({ lifetime: '30d' });
      expect(spec('api-backend-staging')).toMatchObject({ lifetime: '14d' });
      expect(spec('etl-worker')).toMatchObject({ lifetime: '60d' });
      expect(spec('web-deployer-ci')).toMatchObject({ lifetime: '90d' });
      expect(spec('monitoring-agent')).not.toHaveProperty('lifetime');
      expect(spec('monitoring-agent')).not.toHaveProperty('expiresAt');
      expect(spec('api-backend-staging')['sink']).toEqual(
        kind === 'kubernetes'
          ? { name: 'local' } // a Secret's name, not a path: the default, the key's name
          : { name: 'local', path: 'staging/api-backend.env' },
      );
      expect(spec('api-backend-prod')['sink']).toEqual({ name: 'local' });

      const after = await w.run(planCommand, 'imported', '--output', 'json', '--out', 'plan-imported.json');
      expect(after.err).toBe('');
      const plan = JSON.parse(await readFile(join(w.dir, 'plan-imported.json'), 'utf8')) as Plan;
      expect(steps(plan)).toEqual([]);
      expect(after.code).toBe(0);

      // Ten days on, api-backend-staging (14d) is due: both directories plan the same rotation.
      w.setNow(START + 10 * DAY);
      await w.run(planCommand, EXAMPLES, '--output', 'json', '--out', 'plan-original.json');
      await w.run(planCommand, 'imported', '--output', 'json', '--out', 'plan-imported-later.json');
      const original = JSON.parse(await readFile(join(w.dir, 'plan-original.json'), 'utf8')) as Plan;
      const later = JSON.parse(await readFile(join(w.dir, 'plan-imported-later.json'), 'utf8')) as Plan;
      expect(steps(original)).toEqual(['replace ApiKey/api-backend-staging (rotation-due)']);
      expect(steps(later)).toEqual(steps(original));

      assertNoSecrets(w.outputs);
    });
  },
);

it('a sink it may not list is reported; the import still succeeds, without those locations', async () => {
  world = await startWorld('vault', { vaultList: false });
  const w = world;
  expect((await w.run(reconcileCommand, EXAMPLES)).code).toBe(0);
  const imported = await w.run(importCommand, '--out', 'imported');
  expect(imported.code).toBe(0);
  expect(imported.out).toContain('Sinks not fully read (1):');
  expect(imported.out).toMatch(
    /sink local could not be listed, so keys whose secret is there have no spec\.sink: .*403/,
  );
  const keys = await docs(join(w.dir, 'imported', 'api-keys.yaml'));
  expect(keys['api-backend-staging']!.spec).not.toHaveProperty('sink');
  // Honest about the consequence: without its location, that key's custody looks lost.
  const plan = await w.run(planCommand, 'imported');
  expect(plan.out).toContain('custody-lost');
  assertNoSecrets(w.outputs);
});
