/**
 * A converged organization for the no-op and memory benchmarks: the sandbox in its own process,
 * the desired state of bench/scenarios/org.ts in a temporary directory, a settings file, and as
 * many `scw-gitops reconcile` runs (the built CLI) as it takes until `plan` finds nothing to do.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desiredFiles, type OrgSize, total } from '../scenarios/org.js';
import { baseEnv, CLI, forkRpc, REPO, type RpcChild, runNode, TSX } from './proc.js';

/** The CLI from the TypeScript sources (tests: no build needed). */
export const SOURCE_CLI: readonly string[] = ['--import', TSX, join(REPO, 'src/cli/main.ts')];

export interface SandboxReady {
  url: string;
  organizationId: string;
  adminAccessKey: string;
  adminSecretKey: string;
}

export interface RequestsSince {
  total: number;
  writes: number;
  /** Reads of one object just before a write (GET by id, lookup by name): none on a no-op. */
  pointReads: number;
  byKind: Record<string, number>;
}

export interface Org {
  readonly sandbox: RpcChild<SandboxReady>;
  readonly base: string;
  readonly desiredDir: string;
  readonly settingsFile: string;
  readonly resources: number;
  /** How the CLI is started: `node <cli…> <command> …`. */
  readonly cli: readonly string[];
  /** Environment of a CLI run against this organization (credentials, no cache dir). */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Requests the sandbox received while `fn` ran. */
  requests<T>(fn: () => Promise<T>): Promise<{ value: T; requests: RequestsSince }>;
  close(): Promise<void>;
}

export async function startOrg(
  size: OrgSize,
  opts: {
    seedOwnedApplications?: boolean;
    log?: (l: string) => void;
    /** Default: the built CLI (dist/). `SOURCE_CLI` runs the TypeScript sources through tsx. */
    cli?: readonly string[];
  } = {},
): Promise<Org> {
  const cli = opts.cli ?? [CLI];
  const sandbox = await forkRpc<SandboxReady>('bench/servers/sandbox-server.ts');
  const base = await mkdtemp(join(tmpdir(), 'bench-org-'));
  const desiredDir = join(base, 'desired');
  await mkdir(desiredDir);
  for (const [name, text] of Object.entries(desiredFiles(size)))
    await writeFile(join(desiredDir, name), text);
  const settingsFile = join(base, 'settings.yaml');
  await writeFile(
    settingsFile,
    `apiVersion: scw-gitops/v1alpha1
kind: Settings
instance: default
source:
  dir: desired
scaleway:
  apiUrl: ${sandbox.ready.url}
  organizationId: ${sandbox.ready.organizationId}
sinks:
  - name: local
    type: file
    dir: secrets
    format: dotenv
defaults:
  sink: local
prune: { Project: true, Application: true, Group: true, Policy: true, ApiKey: true }
safety: { maxDeletes: 100000, maxDeletePercent: 100 }
applyConcurrency: 16
`,
  );
  const env = (extra: Record<string, string> = {}) =>
    baseEnv({
      SCW_ACCESS_KEY: sandbox.ready.adminAccessKey,
      SCW_SECRET_KEY: sandbox.ready.adminSecretKey,
      SCW_DEFAULT_ORGANIZATION_ID: sandbox.ready.organizationId,
      SCW_GITOPS_CACHE_DIR: join(base, 'cache-setup'),
      ...extra,
    });
  const org: Org = {
    sandbox,
    base,
    desiredDir,
    settingsFile,
    resources: total(size),
    cli,
    env,
    requests: async (fn) => {
      const mark = await sandbox.call<number>('mark');
      const value = await fn();
      return { value, requests: await sandbox.call<RequestsSince>('since', { mark }) };
    },
    close: async () => {
      await sandbox.close();
      await rm(base, { recursive: true, force: true });
    },
  };
  try {
    await sandbox.call('faults', {});
    if (opts.seedOwnedApplications) {
      await sandbox.call('seedOwnedApplications', { from: 0, to: size.applications });
    }
    for (let i = 1; ; i++) {
      const plan = await runNode([...cli, 'plan', '--config', settingsFile], { env: env(), cwd: base });
      if (plan.code === 0) break;
      if (plan.code !== 2 || i > 4) throw new Error(`plan exited ${plan.code}: ${plan.stderr.slice(-2000)}`);
      const t0 = performance.now();
      const r = await runNode([...cli, 'reconcile', '--config', settingsFile], { env: env(), cwd: base });
      opts.log?.(
        `converging ${org.resources} resources: reconcile exited ${r.code} after ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      if (r.code !== 0 && r.code !== 1)
        throw new Error(`reconcile exited ${r.code}: ${r.stderr.slice(-2000)}`);
    }
  } catch (err) {
    await org.close();
    throw err;
  }
  return org;
}
