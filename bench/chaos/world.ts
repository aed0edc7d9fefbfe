/**
 * A chaos "world": an in-process sandbox organization (with managed and unowned objects that must
 * never be touched), a desired-state directory, a settings file with a file sink, and the
 * invariant checks run after every scenario:
 *
 *   converged      a reconcile without faults reaches `no-changes` (≤ 5 passes);
 *   custody        every desired key has a `ready` owned key, none is `pending`, and the sink
 *                  holds the newest ready key with the secret Scaleway issued for it;
 *   no duplicates  one owned object per desired name (keys: at most 3, current + overlap);
 *   untouched      every object that existed before scw-gitops ran (managed VPN gateway objects,
 *                  unowned applications, keys, groups, policies, projects) is byte-identical;
 *   no secret      no secret the sandbox ever issued appears in any log line or output.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Clock } from '../../src/clock.js';
import { loadSettings } from '../../src/config/load-settings.js';
import type { Settings } from '../../src/config/settings.js';
import { parseKeyDescription, parseProjectDescription } from '../../src/model/ownership.js';
import { Secret } from '../../src/model/secret.js';
import { reconcileOnce } from '../../src/reconciler/reconcile-once.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import type { ScalewayClient } from '../../src/scaleway/port.js';
import { createSinks } from '../../src/sinks/registry.js';
import type { SecretSink } from '../../src/sinks/sink.js';
import { findSecretLeak } from '../../test/helpers/log-capture.js';
import { benchSettingsYaml, sandboxApi } from '../lib/settings.js';

export const INSTANCE = 'default';

/** Desired content of one variant; variants differ so every pass has work to do. */
export interface DesiredShape {
  readonly apps: number;
  /** Indices of apps that get a key (`key-<i>`), in this variant. */
  readonly keys: readonly number[];
  /** Description suffix (changing it yields updates). */
  readonly rev: string;
  readonly lifetime?: string;
  readonly rotateBefore?: string;
  readonly overlap?: string;
}

export function desiredYaml(s: DesiredShape): string {
  const docs: string[] = [];
  const h = 'apiVersion: scw-gitops/v1alpha1';
  docs.push(
    `${h}\nkind: Project\nmetadata:\n  name: chaos-project\nspec:\n  description: chaos project ${s.rev}\n`,
  );
  for (let i = 0; i < s.apps; i++) {
    docs.push(
      `${h}\nkind: Application\nmetadata:\n  name: app-${i}\nspec:\n  description: app ${i} ${s.rev}\n  tags: [chaos, n=${i}]\n`,
    );
  }
  for (const i of s.keys) {
    const rot =
      s.rotateBefore || s.overlap
        ? `  rotation:\n${s.rotateBefore ? `    rotateBefore: ${s.rotateBefore}\n` : ''}${s.overlap ? `    overlap: ${s.overlap}\n` : ''}`
        : '';
    docs.push(
      `${h}\nkind: ApiKey\nmetadata:\n  name: key-${i}\nspec:\n  application: app-${i}\n  defaultProject: chaos-project\n  description: key ${i}\n  lifetime: ${s.lifetime ?? '30d'}\n${rot}`,
    );
  }
  docs.push(
    `${h}\nkind: Group\nmetadata:\n  name: chaos-group\nspec:\n  description: group ${s.rev}\n  members:\n    applications: [${Array.from({ length: Math.min(s.apps, 3) }, (_, i) => `app-${i}`).join(', ')}]\n`,
  );
  docs.push(
    `${h}\nkind: Policy\nmetadata:\n  name: chaos-policy\nspec:\n  description: policy ${s.rev}\n  principal:\n    application: app-0\n  rules:\n    - permissionSets: [ObjectStorageReadOnly]\n      projects: [chaos-project]\n`,
  );
  return `---\n${docs.join('---\n')}`;
}

export interface World {
  readonly sandbox: SandboxHandle;
  readonly base: string;
  readonly desiredDir: string;
  readonly sinkDir: string;
  readonly settingsFile: string;
  /** Every secret the sandbox issued (deleted keys included). */
  readonly secrets: Set<string>;
  /** Log lines and child output not scanned yet (scanOutputs). */
  readonly outputs: string[];
  /** Characters of output scanned for secrets so far. */
  readonly scannedBytes: { value: number };
  /** id → JSON of every object that existed before scw-gitops ran. */
  readonly protectedObjects: Map<string, string>;
  /** Protected ids the scenario itself changed (concurrent writers); excluded from `untouched`. */
  readonly excused: Set<string>;
  /** Desired key names of the current variant. */
  desiredKeys: string[];
  desiredNames: { Application: string[]; Group: string[]; Policy: string[]; Project: string[] };
  clock: Clock;
  writeDesired(shape: DesiredShape): Promise<void>;
  close(): Promise<void>;
}

/** Mutable clock shared by the sandbox and the in-process reconciler (clock jumps). */
export function offsetClock(): Clock & { offsetMs: number } {
  const c = {
    offsetMs: 0,
    now: () => new Date(Date.now() + c.offsetMs),
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const t = setTimeout(resolve, ms);
        signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            reject(signal.reason);
          },
          { once: true },
        );
      }),
  };
  return c;
}

export async function createWorld(opts: {
  seed: number;
  shape: DesiredShape;
  clock?: Clock;
}): Promise<World> {
  const clock = opts.clock ?? offsetClock();
  const base = await mkdtemp(join(tmpdir(), 'scw-gitops-chaos-'));
  const sandbox = await startSandbox({ env: {}, randomSeed: opts.seed, clock: () => clock.now() });
  // Objects scw-gitops does not own: managed ones (seeded) and ordinary unowned ones.
  sandbox.seedBulk({
    applications: 3,
    apiKeysPerApplication: 1,
    groups: 2,
    policies: 2,
    projects: 1,
    prefix: 'foreign',
  });
  const secrets = new Set<string>([sandbox.adminSecretKey]);
  for (const k of sandbox.store.apiKeys.values()) secrets.add(k.secret_key);
  const keys = sandbox.store.apiKeys;
  const set = keys.set.bind(keys);
  keys.set = (k, v) => {
    secrets.add(v.secret_key);
    return set(k, v);
  };
  const protectedObjects = new Map<string, string>();
  const st = sandbox.store;
  for (const m of [st.projects, st.applications, st.apiKeys, st.groups, st.policies] as Map<
    string,
    unknown
  >[]) {
    for (const [id, rec] of m) protectedObjects.set(id, JSON.stringify(rec));
  }
  const desiredDir = join(base, 'desired');
  const sinkDir = join(base, 'secrets');
  await mkdir(desiredDir);
  const settingsFile = join(base, 'settings.yaml');
  await writeFile(
    settingsFile,
    benchSettingsYaml({
      instance: INSTANCE,
      dir: 'desired',
      scaleway: sandboxApi(sandbox),
      extra:
        'safety:\n  maxDeletes: 1000\n  maxDeletePercent: 100\nserver:\n  host: 127.0.0.1\n  port: 0\nschedule:\n  debounce: 1s\nlog:\n  level: debug\n',
    }),
  );
  const world: World = {
    sandbox,
    base,
    desiredDir,
    sinkDir,
    settingsFile,
    secrets,
    outputs: [],
    scannedBytes: { value: 0 },
    protectedObjects,
    excused: new Set(),
    desiredKeys: [],
    desiredNames: { Application: [], Group: [], Policy: [], Project: [] },
    clock,
    async writeDesired(shape) {
      await writeFile(join(desiredDir, 'all.yaml'), desiredYaml(shape));
      world.desiredKeys = shape.keys.map((i) => `key-${i}`);
      world.desiredNames = {
        Application: Array.from({ length: shape.apps }, (_, i) => `app-${i}`),
        Group: ['chaos-group'],
        Policy: ['chaos-policy'],
        Project: ['chaos-project'],
      };
    },
    async close() {
      await sandbox.close();
      await rm(base, { recursive: true, force: true });
    },
  };
  await world.writeDesired(opts.shape);
  return world;
}

/** Reconcile dependencies in this process: a real client on the sandbox, the settings' sinks. */
export interface InProcess {
  readonly client: ScalewayClient;
  readonly sinks: Map<string, SecretSink>;
  readonly settings: Settings;
  readonly logger: pino.Logger;
}

export async function inProcess(
  world: World,
  opts: { retries?: number; listConcurrency?: number } = {},
): Promise<InProcess> {
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        world.outputs.push(line);
      },
    },
  );
  const settings = await loadSettings(world.settingsFile, { env: {}, cwd: world.base });
  const client = createScalewayClient({
    apiUrl: world.sandbox.url,
    secretKey: new Secret(world.sandbox.adminSecretKey),
    organizationId: world.sandbox.organizationId,
    logger,
    timeoutMs: 5_000,
    ...(opts.listConcurrency ? { listConcurrency: opts.listConcurrency } : {}),
    retry: { retries: opts.retries ?? 3, minTimeoutMs: 5, maxTimeoutMs: 40 },
  });
  const sinks = await createSinks(settings, { env: {}, logger, clock: world.clock });
  return { client, sinks, settings, logger };
}

export async function reconcileIn(world: World, deps: InProcess, dryRun = false) {
  return reconcileOnce(
    {
      client: deps.client,
      sinks: deps.sinks,
      settings: deps.settings,
      clock: world.clock,
      logger: deps.logger,
    },
    { dir: world.desiredDir, dryRun },
  );
}

export interface Violation {
  readonly invariant: 'converged' | 'custody' | 'duplicates' | 'untouched' | 'secret-in-log';
  readonly detail: string;
}

async function sinkRecord(sinkDir: string, name: string): Promise<{ accessKey?: string; secret?: string }> {
  let text: string;
  try {
    text = await readFile(join(sinkDir, `${name}.env`), 'utf8');
  } catch {
    return {};
  }
  const get = (v: string) => new RegExp(`^${v}=(.*)$`, 'm').exec(text)?.[1];
  const accessKey = get('SCW_ACCESS_KEY');
  const secret = get('SCW_SECRET_KEY');
  return { ...(accessKey ? { accessKey } : {}), ...(secret ? { secret } : {}) };
}

/** Converges (no faults) and checks every invariant; returns the violations (empty: all held). */
export async function checkInvariants(world: World): Promise<Violation[]> {
  const out: Violation[] = [];
  world.sandbox.faults.clear();
  const deps = await inProcess(world);
  let last = '';
  let converged = false;
  for (let i = 0; i < 6 && !converged; i++) {
    const r = await reconcileIn(world, deps);
    last = `${r.kind}${r.error ? `: ${r.error}` : ''}`;
    if (r.kind === 'no-changes') converged = true;
  }
  if (!converged)
    out.push({ invariant: 'converged', detail: `still not converged after 6 passes (${last})` });

  const st = world.sandbox.store;
  const owned = [...st.apiKeys.values()]
    .map((k) => ({ k, m: parseKeyDescription(k.description).marker }))
    .filter(({ m }) => m?.instance === INSTANCE);
  for (const { k, m } of owned) {
    if (m!.state === 'pending')
      out.push({ invariant: 'custody', detail: `key ${m!.name} ${k.access_key} left pending` });
  }
  for (const name of world.desiredKeys) {
    const mine = owned
      .filter(({ m }) => m!.name === name)
      .sort((a, b) => (a.k.created_at < b.k.created_at ? -1 : a.k.created_at > b.k.created_at ? 1 : 0));
    const ready = mine.filter(({ m }) => m!.state === 'ready');
    if (mine.length > 3) out.push({ invariant: 'duplicates', detail: `${mine.length} keys for ${name}` });
    const current = ready.at(-1);
    if (!current) {
      out.push({ invariant: 'custody', detail: `no ready key for ${name}` });
      continue;
    }
    const rec = await sinkRecord(world.sinkDir, name);
    if (rec.accessKey !== current.k.access_key)
      out.push({
        invariant: 'custody',
        detail: `sink holds ${rec.accessKey ?? 'nothing'} for ${name}, newest ready key is ${current.k.access_key}`,
      });
    else if (rec.secret !== current.k.secret_key)
      out.push({ invariant: 'custody', detail: `sink secret for ${name} is not the one Scaleway issued` });
  }
  const ownedBy = (tags: readonly string[]) => tags.includes(`scw-gitops=${INSTANCE}`);
  const count = (
    names: readonly string[],
    objs: Iterable<{ name: string; tags: string[] }>,
    kind: string,
  ) => {
    const list = [...objs].filter((o) => ownedBy(o.tags));
    for (const n of names) {
      const c = list.filter((o) => o.name === n).length;
      if (c !== 1) out.push({ invariant: 'duplicates', detail: `${c} owned ${kind} named ${n}` });
    }
    for (const o of list)
      if (!names.includes(o.name))
        out.push({ invariant: 'converged', detail: `undesired owned ${kind} ${o.name}` });
  };
  count(world.desiredNames.Application, st.applications.values(), 'applications');
  count(world.desiredNames.Group, st.groups.values(), 'groups');
  count(world.desiredNames.Policy, st.policies.values(), 'policies');
  const projects = [...st.projects.values()].filter(
    (p) => parseProjectDescription(p.description).instance === INSTANCE,
  );
  for (const n of world.desiredNames.Project) {
    const c = projects.filter((p) => p.name === n).length;
    if (c !== 1) out.push({ invariant: 'duplicates', detail: `${c} owned projects named ${n}` });
  }

  const all = new Map<string, unknown>();
  for (const m of [st.projects, st.applications, st.apiKeys, st.groups, st.policies] as Map<
    string,
    unknown
  >[]) {
    for (const [id, rec] of m) all.set(id, rec);
  }
  for (const [id, json] of world.protectedObjects) {
    if (world.excused.has(id)) continue;
    const now = all.get(id);
    if (now === undefined) out.push({ invariant: 'untouched', detail: `protected object ${id} was deleted` });
    else if (JSON.stringify(now) !== json)
      out.push({ invariant: 'untouched', detail: `protected object ${id} was modified` });
  }

  const leak = findSecretLeak(world.outputs, [...world.secrets]);
  if (leak)
    out.push({
      invariant: 'secret-in-log',
      detail: `output #${leak.index} holds a secret (${leak.form} form)`,
    });
  return out;
}
