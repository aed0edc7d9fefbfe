/**
 * Benchmark organizations: a desired state of N projects, applications, keys, policies and
 * groups (YAML files), a settings file with a file sink, an in-process sandbox, and a way to run
 * one measured reconcile pass in a child process (reconcile-child.ts).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withOwnerTag } from '../../src/model/ownership.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { isFullListing } from '../../src/sandbox/shift.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface OrgSize {
  readonly projects: number;
  readonly applications: number;
  readonly keys: number;
  readonly policies: number;
  readonly groups: number;
}

export const DEFAULT_QUOTA: OrgSize = { projects: 25, applications: 100, keys: 50, policies: 50, groups: 50 };
/**
 * 10,000 resources. The applications are seeded directly in the sandbox exactly as scw-gitops
 * creates them (`seedOwnedApplications`: name, description, tags with the ownership tag); the
 * 4,000 projects, keys, policies and groups are created by scw-gitops itself (keys delivered to
 * the file sink). The measured pass then finds the whole org converged (`no-changes`).
 */
export const STRESS_10K: OrgSize = {
  projects: 100,
  applications: 6000,
  keys: 1000,
  policies: 1500,
  groups: 1400,
};

export const total = (s: OrgSize) => s.projects + s.applications + s.keys + s.policies + s.groups;

const H = 'apiVersion: scw-gitops/v1alpha1';

/** One YAML file per kind; every resource references existing ones (valid, plannable). */
export function desiredFiles(s: OrgSize): Record<string, string> {
  const p = (i: number) => `proj-${i % s.projects}`;
  const a = (i: number) => `app-${i % s.applications}`;
  const doc = (kind: string, name: string, spec: string) =>
    `---\n${H}\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
  const files: Record<string, string> = {};
  files['projects.yaml'] = Array.from({ length: s.projects }, (_, i) =>
    doc('Project', `proj-${i}`, `  description: bench project ${i}\n`),
  ).join('');
  files['applications.yaml'] = Array.from({ length: s.applications }, (_, i) =>
    doc('Application', `app-${i}`, `  description: bench application ${i}\n  tags: [bench, n=${i}]\n`),
  ).join('');
  files['keys.yaml'] = Array.from({ length: s.keys }, (_, i) =>
    doc(
      'ApiKey',
      `key-${i}`,
      `  application: ${a(i)}\n  defaultProject: ${p(i)}\n  description: bench key ${i}\n  lifetime: 90d\n`,
    ),
  ).join('');
  files['policies.yaml'] = Array.from({ length: s.policies }, (_, i) =>
    doc(
      'Policy',
      `policy-${i}`,
      `  description: bench policy ${i}\n  principal:\n    application: ${a(i)}\n  rules:\n    - permissionSets: [ObjectStorageReadOnly]\n      projects: [${p(i)}]\n`,
    ),
  ).join('');
  files['groups.yaml'] = Array.from({ length: s.groups }, (_, i) =>
    doc(
      'Group',
      `group-${i}`,
      `  description: bench group ${i}\n  members:\n    applications: [${a(i)}, ${a(i + 1)}]\n`,
    ),
  ).join('');
  return files;
}

/** Applications `app-<from>`…`app-<to-1>` as scw-gitops (instance `default`) creates them. */
export function seedOwnedApplications(sandbox: SandboxHandle, from: number, to: number): void {
  sandbox.store.batch(() => {
    for (let i = from; i < to; i++) {
      sandbox.store.createApplication({
        name: `app-${i}`,
        description: `bench application ${i}`,
        tags: withOwnerTag(['bench', `n=${i}`], 'default'),
      });
    }
  });
}

export interface BenchOrg {
  readonly sandbox: SandboxHandle;
  readonly base: string;
  readonly desiredDir: string;
  readonly settingsFile: string;
  close(): Promise<void>;
}

export async function startOrg(
  files: Record<string, string>,
  opts: { applyConcurrency?: number } = {},
): Promise<BenchOrg> {
  const sandbox = await startSandbox({ env: {}, randomSeed: 7, seed: true });
  const base = await mkdtemp(join(tmpdir(), 'scw-gitops-bench-'));
  const desiredDir = join(base, 'desired');
  await mkdir(desiredDir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(desiredDir, name), text);
  const settingsFile = join(base, 'settings.yaml');
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
    type: file
    dir: secrets
    format: dotenv
defaults:
  sink: local
prune:
  Project: true
  Application: true
  Group: true
  Policy: true
  ApiKey: true
safety:
  maxDeletes: 100000
  maxDeletePercent: 100
applyConcurrency: ${opts.applyConcurrency ?? 4}
`,
  );
  return {
    sandbox,
    base,
    desiredDir,
    settingsFile,
    close: async () => {
      await sandbox.close();
      await rm(base, { recursive: true, force: true });
    },
  };
}

export interface ChildPass {
  kind: string;
  error?: string;
  steps: number;
  failed: number;
  wallMs: number;
  cpuMs: number;
  rssBefore: number;
  rssPeak: number;
  maxRss: number;
}

/** One reconcile pass in a child process (its own heap, CPU and RSS). */
export function childPass(org: BenchOrg, opts: { dryRun?: boolean } = {}): Promise<ChildPass> {
  return new Promise((resolve, reject) => {
    const args = [
      '--import',
      import.meta.resolve('tsx'),
      join(REPO, 'bench/scenarios/reconcile-child.ts'),
      '--settings',
      org.settingsFile,
      '--dir',
      org.desiredDir,
      ...(opts.dryRun ? ['--dry-run'] : []),
    ];
    const child = spawn(process.execPath, args, {
      cwd: org.base,
      env: { PATH: process.env.PATH ?? '', HOME: org.base, SCW_SECRET_KEY: org.sandbox.adminSecretKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1);
      if (code !== 0 || !line)
        return reject(new Error(`reconcile-child exited ${code}: ${err.slice(-2000)}`));
      resolve(JSON.parse(line) as ChildPass);
    });
  });
}

const KINDS: ReadonlyArray<[string, RegExp]> = [
  ['projects', /^\/account\/v3\/projects/],
  ['applications', /^\/iam\/v1alpha1\/applications/],
  ['api_keys', /^\/iam\/v1alpha1\/api-keys/],
  ['policies', /^\/iam\/v1alpha1\/policies/],
  ['rules', /^\/iam\/v1alpha1\/rules/],
  ['groups', /^\/iam\/v1alpha1\/groups/],
  ['permission_sets', /^\/iam\/v1alpha1\/permission-sets/],
];

/** Collections read whole by a reconcile pass (rules are read per policy, with their policy). */
const COLLECTION =
  /^\/(account\/v3\/projects|iam\/v1alpha1\/(applications|api-keys|groups|policies|permission-sets))$/;

/**
 * A read of one object just before a write (a GET by id, or a lookup filtered by name or by
 * application), as opposed to the listings and per-policy rule reads of a pass.
 */
export function isPointRead(r: { method: string; path: string; query: string }): boolean {
  if (r.method !== 'GET' || r.path === '/iam/v1alpha1/rules') return false;
  return !COLLECTION.test(r.path) || !isFullListing(new URLSearchParams(r.query));
}

/** Requests the sandbox received after request number `before`, by kind and method. */
export function requestsSince(
  sandbox: SandboxHandle,
  before: number,
): { total: number; writes: number; pointReads: number; byKind: Record<string, number> } {
  const n = sandbox.requestCount() - before;
  const recs = n > 0 ? sandbox.requests().slice(-n) : [];
  const byKind: Record<string, number> = {};
  let writes = 0;
  let pointReads = 0;
  for (const r of recs) {
    if (r.method !== 'GET') writes++;
    if (isPointRead(r)) pointReads++;
    const path = r.path.split('?')[0]!;
    const kind = KINDS.find(([, re]) => re.test(path))?.[0] ?? 'other';
    const key = r.method === 'GET' ? kind : `${kind} ${r.method}`;
    byKind[key] = (byKind[key] ?? 0) + 1;
  }
  return { total: n, writes, pointReads, byKind };
}
