/**
 * Benchmark organizations: a desired state of N projects, applications, keys, policies and
 * groups (YAML files), applications seeded as scw-gitops creates them, and the classification of
 * the requests a pass made (by kind, writes). The sandbox runs in a process of its own
 * (bench/servers/sandbox-server.ts); bench/lib/org-fixture.ts converges an organization with it.
 */
import { withOwnerTag } from '../../src/model/ownership.js';
import type { SandboxHandle } from '../../src/sandbox/server.js';
import { isFullListing } from '../../src/sandbox/shift.js';
import { kindOf } from '../lib/kinds.js';

export interface OrgSize {
  readonly projects: number;
  readonly applications: number;
  readonly keys: number;
  readonly policies: number;
  readonly groups: number;
}

export const DEFAULT_QUOTA: OrgSize = { projects: 25, applications: 100, keys: 50, policies: 50, groups: 50 };
/** 1,000 resources, in the proportions of STRESS_10K. */
export const STRESS_1K: OrgSize = { projects: 10, applications: 600, keys: 100, policies: 150, groups: 140 };
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
    const key = kindOf(r.method, r.path);
    byKind[key] = (byKind[key] ?? 0) + 1;
  }
  return { total: n, writes, pointReads, byKind };
}
