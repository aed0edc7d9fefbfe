/**
 * Issue #13, items 4 and 8 (Done when (c) and (g)), through the CLI against the sandbox, once per
 * sink type (a file sink, the Vault emulator, the Kubernetes emulator):
 *
 * (c) A secret move (`spec.sink.path`, or `secretName` for Kubernetes) rotates into the new
 *     location (docs/design/secret-moves.md): the new location gets a new key, the old key is
 *     retired, and it stays alive, with its record at the old location, until its overlap ends
 *     (I2). Then the old key is deleted and its record removed.
 * (g) A key that leaves git (prune on) is deleted and its record removed from the sink; a sink
 *     with `removeRecords: false` keeps it.
 *
 * A consumer "works" when the record at the place it reads holds a key that is alive in the
 * sandbox, with the secret the sandbox issued for it.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run as applyCommand } from '../../src/cli/commands/apply.js';
import { run as planCommand } from '../../src/cli/commands/plan.js';
import { run as reconcileCommand } from '../../src/cli/commands/reconcile.js';
import type { CommandDeps } from '../../src/cli/command.js';
import type { CliIO } from '../../src/cli/io.js';
import { loadSettings } from '../../src/config/load-settings.js';
import type { Plan } from '../../src/model/plan.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createSinks } from '../../src/sinks/registry.js';
import { Secret } from '../../src/model/secret.js';
import type { SecretMetadata, SecretSink, SinkLocation } from '../../src/sinks/sink.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { captureIO, ownedKeys } from '../helpers/sandbox-cli.js';
import { sinkBackendYaml } from '../helpers/sink-backends.js';

const START = Date.parse('2027-04-01T08:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;

type SinkKind = 'file' | 'vault' | 'kubernetes';
type Command = (argv: readonly string[], io: CliIO, deps: CommandDeps) => Promise<number>;

/** Where a key's record goes, in the words of `spec.sink` and of the sink's location. */
interface Place {
  readonly spec: string;
  readonly location: SinkLocation;
}

function place(kind: SinkKind, name: string): Place {
  switch (kind) {
    case 'file':
      return { spec: `path: ${name}.env`, location: { sink: 'local', path: `${name}.env` } };
    case 'vault':
      return { spec: `path: ${name}`, location: { sink: 'local', path: name } };
    case 'kubernetes':
      return {
        spec: `secretName: ${name.replaceAll('/', '-')}`,
        location: { sink: 'local', namespace: 'platform', secretName: name.replaceAll('/', '-') },
      };
  }
}

interface World {
  readonly sandbox: SandboxHandle;
  readonly outputs: string[];
  setNow(t: number): void;
  now(): number;
  writeDesired(yaml: string): Promise<void>;
  run(cmd: Command, ...args: string[]): Promise<{ code: number; out: string; err: string }>;
  /** What the sink holds at a place: access key, and whether its secret is the one issued for it. */
  record(at: Place): Promise<{ accessKey: string; secretIssued: boolean } | undefined>;
  /** Another writer puts a record of another access key (same instance and key name) at a place. */
  overwrite(at: Place, accessKey: string): Promise<void>;
  close(): Promise<void>;
}

async function startWorld(kind: SinkKind, opts: { removeRecords?: boolean } = {}): Promise<World> {
  const clock = new FakeClock({ start: START });
  const closers: (() => Promise<void>)[] = [];
  const sandbox = await startSandbox({ env: {}, seed: false, randomSeed: 13, clock: clock.now });
  closers.push(() => sandbox.close());
  const dir = await mkdtemp(join(tmpdir(), 'scw-gitops-moves-'));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'desired'));
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
source:
  dir: desired
scaleway:
  apiUrl: ${sandbox.url}
  organizationId: ${sandbox.organizationId}
sinks:
  - name: local
${await sinkBackendYaml(kind === 'file' ? 'file (dotenv)' : kind, env, closers, {
  vaultPathPrefix: 'moves',
  // A writer that may also find and remove the records of deleted keys.
  vaultMetadataCapabilities: ['create', 'update', 'read', 'list', 'delete'],
})}${opts.removeRecords === false ? '    removeRecords: false\n' : ''}defaults:
  sink: local
prune: true
`,
  );
  const logs = createLogCapture({ level: 'debug' });
  const deps: CommandDeps = { clock, logger: logs.logger, homeDir: dir };
  const outputs: string[] = [];
  // The test's own view of the sink (a consumer's): the product's sink, built from the same file.
  const settings = await loadSettings(settingsFile, { env, cwd: dir });
  const sinks = await createSinks(settings, { env, logger: logs.logger, clock, cwd: dir });
  const sink = sinks.get('local') as SecretSink;
  closers.push(async () => {
    await sink.close?.();
  });
  return {
    sandbox,
    outputs,
    setNow: (t) => clock.set(t),
    now: () => clock.ms,
    writeDesired: (yaml) => writeFile(join(dir, 'desired', 'keys.yaml'), yaml),
    run: async (cmd, ...args) => {
      const t = captureIO({ env, cwd: dir });
      const code = await cmd(['--config', settingsFile, ...args], t.io, deps);
      outputs.push(t.out(), t.err(), ...logs.raw);
      return { code, out: t.out(), err: t.err() };
    },
    record: async (at) => {
      const stored = await sink.read(at.location);
      if (!stored) return undefined;
      const issued = sandbox.store.apiKeys.get(stored.accessKey)?.secret_key;
      const secretIssued = issued !== undefined && stored.secretKey?.equals(issued) === true;
      stored.secretKey?.release();
      return { accessKey: stored.accessKey, secretIssued };
    },
    overwrite: async (at, accessKey) => {
      const current = await sink.read(at.location);
      current?.secretKey?.release();
      await sink.write(at.location, {
        accessKey,
        secretKey: new Secret(randomUUID()),
        metadata: { ...current!.metadata, accessKey } as SecretMetadata,
      });
    },
    close: async () => {
      for (const c of closers.reverse()) await c();
    },
  };
}

function desiredYaml(keys: readonly { name: string; at: Place }[]): string {
  return [
    `---
apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: deployer
spec:
  description: deploys things
`,
    ...keys.map(
      (k) => `---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: ${k.name}
spec:
  application: deployer
  description: ${k.name} key
  lifetime: 30d
  rotation:
    overlap: 2h
  sink:
    name: local
    ${k.at.spec}
`,
    ),
  ].join('');
}

function steps(plan: Plan): string[] {
  return plan.steps.map((s) => `${s.action} ${s.address} (${s.reason})`).sort();
}

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const live = (w: World, name: string) => ownedKeys(w.sandbox, name);

describe.each<SinkKind>(['file', 'vault', 'kubernetes'])('secret moves and records (%s sink)', (kind) => {
  it('(c) a sink move keeps the old key and its record alive until the overlap ends', async () => {
    world = await startWorld(kind);
    const w = world;
    const before = place(kind, 'old/ci');
    const after = place(kind, 'new/ci');

    await w.writeDesired(desiredYaml([{ name: 'ci', at: before }]));
    const first = await w.run(reconcileCommand);
    expect(first.code, first.out + first.err).toBe(0);
    const [k1] = live(w, 'ci');
    expect(await w.record(before)).toEqual({ accessKey: k1!.accessKey, secretIssued: true });

    // The move: the plan rotates into the new place and retires the old key (no deletion).
    w.setNow(START + HOUR);
    await w.writeDesired(desiredYaml([{ name: 'ci', at: after }]));
    const planned = await w.run(planCommand, '--output', 'json');
    expect(planned.code, planned.err).toBe(2);
    const plan = JSON.parse(planned.out) as Plan;
    expect(steps(plan)).toEqual(['replace ApiKey/ci (sink-moved)']);
    const replace = plan.steps[0]!;
    expect(replace.action === 'replace' && replace.disposeBefore).toBe('retire');
    expect(replace.detail).toContain('new');

    const moved = await w.run(reconcileCommand);
    expect(moved.code, moved.out + moved.err).toBe(0);
    const movedAt = w.now();
    const keys = live(w, 'ci');
    const k2 = keys.find((k) => k.accessKey !== k1!.accessKey)!;
    expect(keys.map((k) => [k.accessKey, k.state])).toEqual([
      [k1!.accessKey, 'retiring'],
      [k2.accessKey, 'ready'],
    ]);
    // Both consumers work: the old place still holds the old (live) key, the new place the new one.
    expect(await w.record(before)).toEqual({ accessKey: k1!.accessKey, secretIssued: true });
    expect(await w.record(after)).toEqual({ accessKey: k2.accessKey, secretIssued: true });

    // Inside the overlap: nothing is deleted, nothing removed.
    w.setNow(movedAt + 2 * HOUR - MIN);
    const inside = await w.run(reconcileCommand);
    expect(inside.code, inside.out + inside.err).toBe(0);
    expect(live(w, 'ci').map((k) => k.accessKey)).toContain(k1!.accessKey);
    expect(await w.record(before)).toEqual({ accessKey: k1!.accessKey, secretIssued: true });

    // The overlap is over: the old key goes, and its record with it; the new place keeps working.
    w.setNow(movedAt + 2 * HOUR + MIN);
    const endPlan = JSON.parse((await w.run(planCommand, '--output', 'json')).out) as Plan;
    expect(steps(endPlan)).toEqual(['delete ApiKey/ci (overlap-elapsed)']);
    const end = endPlan.steps[0]!;
    expect(end.action === 'delete' && end.removeRecords?.map((r) => r.target)).toEqual([
      expect.stringContaining(kind === 'kubernetes' ? 'old-ci' : 'old/ci'),
    ]);
    const cleanup = await w.run(reconcileCommand);
    expect(cleanup.code, cleanup.out + cleanup.err).toBe(0);
    expect(live(w, 'ci').map((k) => [k.accessKey, k.state])).toEqual([[k2.accessKey, 'ready']]);
    expect(await w.record(before)).toBeUndefined();
    expect(await w.record(after)).toEqual({ accessKey: k2.accessKey, secretIssued: true });

    // Settled: the next plan has nothing to do.
    const settled = await w.run(planCommand, '--output', 'json');
    expect(settled.code, settled.out).toBe(0);
    expect((JSON.parse(settled.out) as Plan).steps).toEqual([]);

    assertNoSecrets(w.outputs);
  });

  it('(g) a pruned key: deleted, and its record gone from the sink', async () => {
    world = await startWorld(kind);
    const w = world;
    const keep = place(kind, 'team/keep');
    const gone = place(kind, 'team/gone');
    await w.writeDesired(
      desiredYaml([
        { name: 'keep', at: keep },
        { name: 'gone', at: gone },
      ]),
    );
    expect((await w.run(reconcileCommand)).code).toBe(0);
    const [kept] = live(w, 'keep');
    const [pruned] = live(w, 'gone');
    expect(await w.record(gone)).toEqual({ accessKey: pruned!.accessKey, secretIssued: true });

    w.setNow(START + HOUR);
    await w.writeDesired(desiredYaml([{ name: 'keep', at: keep }]));
    const plan = JSON.parse((await w.run(planCommand, '--output', 'json')).out) as Plan;
    expect(steps(plan)).toEqual(['delete ApiKey/gone (pruned)']);
    const del = plan.steps[0]!;
    expect(del.action === 'delete' && del.removeRecords?.length).toBe(1);
    const text = await w.run(planCommand);
    expect(text.out).toMatch(/- record: \S+ \(sink local\), removed first if it still holds this key/);

    // Through a saved plan: the records travel in it (and its strict schema accepts them).
    const saved = await w.run(planCommand, '--output', 'json', '--out', 'prune.json');
    expect(saved.code, saved.err).toBe(2);
    const pruning = await w.run(applyCommand, '--plan', 'prune.json');
    expect(pruning.code, pruning.out + pruning.err).toBe(0);
    expect(live(w, 'gone')).toEqual([]);
    expect(await w.record(gone)).toBeUndefined();
    expect(await w.record(keep)).toEqual({ accessKey: kept!.accessKey, secretIssued: true });
    assertNoSecrets(w.outputs);
  });

  it('(g) I4: a record that holds another key by the time of the apply is left in place', async () => {
    world = await startWorld(kind);
    const w = world;
    const gone = place(kind, 'team/gone');
    await w.writeDesired(desiredYaml([{ name: 'gone', at: gone }]));
    expect((await w.run(reconcileCommand)).code).toBe(0);
    const [first] = live(w, 'gone');

    // The plan says: delete the key, remove its record.
    await w.writeDesired(desiredYaml([]));
    expect((await w.run(planCommand, '--output', 'json', '--out', 'prune.json')).code).toBe(2);
    // Meanwhile another writer delivers another key to that place (same instance, same name).
    const other = { ...first!, accessKey: 'SCWOTHERKEY000000000' };
    await w.overwrite(gone, other.accessKey);
    const applied = await w.run(applyCommand, '--plan', 'prune.json');
    expect(applied.code, applied.out + applied.err).toBe(0);
    expect(live(w, 'gone')).toEqual([]);
    expect((await w.record(gone))?.accessKey).toBe(other.accessKey);
    // The step's note (logged) says why.
    expect(w.outputs.join('\n')).toContain('left in place (it holds another key now)');
  });

  it('(g) removeRecords: false keeps the record of a pruned key', async () => {
    world = await startWorld(kind, { removeRecords: false });
    const w = world;
    const gone = place(kind, 'team/gone');
    await w.writeDesired(desiredYaml([{ name: 'gone', at: gone }]));
    expect((await w.run(reconcileCommand)).code).toBe(0);
    const [pruned] = live(w, 'gone');

    await w.writeDesired(desiredYaml([]));
    const plan = JSON.parse((await w.run(planCommand, '--output', 'json')).out) as Plan;
    expect(steps(plan)).toEqual(['delete ApiKey/gone (pruned)']);
    const del = plan.steps[0]!;
    expect(del.action === 'delete' && del.removeRecords).toBeUndefined();
    expect((await w.run(reconcileCommand)).code).toBe(0);
    expect(live(w, 'gone')).toEqual([]);
    expect((await w.record(gone))?.accessKey).toBe(pruned!.accessKey);
  });
});
