/**
 * Test data builders with sensible defaults: desired resources, plan steps and plans.
 * Steps are built the way the planner emits them (see src/model/plan.ts).
 */
import type {
  DesiredApiKey,
  DesiredApplication,
  DesiredGroup,
  DesiredPolicy,
  DesiredProject,
  DesiredResource,
} from '../../src/model/desired.js';
import type { VaultSinkSettings } from '../../src/config/settings.js';
import type { ApiKey, Application, Group, Policy, Project } from '../../src/model/live.js';
import type { Action, LiveObject, Plan, PlanStep, ReasonCode, StepRef } from '../../src/model/plan.js';
import { PLAN_FORMAT_VERSION, summarize } from '../../src/model/plan.js';
import { address } from '../../src/model/resources.js';

const src = { file: 'test.yaml', line: 1, col: 1 };

export function desiredProject(name: string, o: Partial<DesiredProject> = {}): DesiredProject {
  return {
    kind: 'Project',
    address: address('Project', name),
    name,
    source: src,
    adopt: false,
    description: '',
    ...o,
  };
}

export function desiredApp(name: string, o: Partial<DesiredApplication> = {}): DesiredApplication {
  return {
    kind: 'Application',
    address: address('Application', name),
    name,
    source: src,
    adopt: false,
    description: `${name} app`,
    tags: ['team=platform'],
    ...o,
  };
}

export function desiredKey(name: string, application: string, o: Partial<DesiredApiKey> = {}): DesiredApiKey {
  return {
    kind: 'ApiKey',
    address: address('ApiKey', name),
    name,
    source: src,
    adopt: false,
    application,
    defaultProject: 'default',
    description: `${name} key`,
    rotation: {},
    sink: {},
    ...o,
  };
}

export function desiredGroup(name: string, members: string[], o: Partial<DesiredGroup> = {}): DesiredGroup {
  return {
    kind: 'Group',
    address: address('Group', name),
    name,
    source: src,
    adopt: false,
    description: '',
    tags: [],
    memberApplications: members,
    ...o,
  };
}

export function desiredPolicy(name: string, o: Partial<DesiredPolicy> = {}): DesiredPolicy {
  return {
    kind: 'Policy',
    address: address('Policy', name),
    name,
    source: src,
    adopt: false,
    description: '',
    tags: [],
    principal: { type: 'none' },
    rules: [{ permissionSets: ['IAMReadOnly'], scope: { type: 'organization' }, condition: '' }],
    acknowledgeDangerousPermissions: false,
    ...o,
  };
}

export function liveObject(
  kind: 'Project' | 'Application' | 'Group' | 'Policy' | 'ApiKey',
  object: Project | Application | Group | Policy | ApiKey,
): LiveObject {
  return { kind, object } as LiveObject;
}

export interface StepInit {
  action?: Action;
  reason?: ReasonCode;
  before?: LiveObject;
  dependsOn?: string[];
  refs?: Record<string, StepRef>;
  changes?: PlanStep['changes'];
  id?: string;
  /** Resource name (default: after.name, or before's name). */
  name?: string;
  extra?: Partial<PlanStep>;
}

/** A step acting on `after` (or on `before` for deletes). */
export function step(after: DesiredResource | undefined, init: StepInit = {}): PlanStep {
  const action = init.action ?? 'create';
  const before = init.before;
  const kind = after?.kind ?? before!.kind;
  const name =
    init.name ??
    after?.name ??
    (before!.kind === 'ApiKey' ? before!.object.accessKey : (before!.object as { name: string }).name);
  const addr = address(kind, name);
  const suffix = action === 'delete' && before?.kind === 'ApiKey' ? `@${before.object.accessKey}` : '';
  return {
    id: init.id ?? `${action}:${addr}${suffix}`,
    action,
    kind,
    name,
    address: addr,
    reason: init.reason ?? (action === 'create' ? 'missing' : action === 'delete' ? 'pruned' : 'drifted'),
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    changes: init.changes ?? [],
    dependsOn: init.dependsOn ?? [],
    wave: 0,
    warnings: [],
    ...(init.refs ? { refs: init.refs } : {}),
    ...init.extra,
  };
}

export function plan(steps: PlanStep[], o: Partial<Plan> = {}): Plan {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: '2026-11-23T01:00:00.000Z',
    organizationId: '6867048b-fe12-4e96-835e-41c79a39604b',
    instance: 'default',
    liveFingerprint: 'test',
    steps,
    summary: summarize(steps),
    diagnostics: [],
    keys: [],
    upcoming: [],
    ...o,
  };
}

/** Desired-state YAML as a user writes it, for tests that load files. */
export function applicationYaml(name: string, description: string): string {
  return `apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: ${name}
spec:
  description: ${description}
`;
}

/**
 * An ApiKey document. `spec` holds the lines after `application` (and `description`, when
 * given), written at the spec's indentation: `'lifetime: 7d\nrotation:\n  overlap: 1d'`.
 */
export function apiKeyYaml(name: string, application: string, spec: string, description?: string): string {
  const lines = spec === '' ? [] : spec.split('\n').map((l) => `  ${l}`);
  return [
    'apiVersion: scw-gitops/v1alpha1',
    'kind: ApiKey',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  application: ${application}`,
    ...(description !== undefined ? [`  description: ${description}`] : []),
    ...lines,
    '',
  ].join('\n');
}

/** Documents of one YAML file, each introduced by `---`. */
export function yamlFile(...docs: string[]): string {
  return docs.map((d) => `---\n${d.endsWith('\n') ? d : `${d}\n`}`).join('');
}

/**
 * The settings of a Vault sink the test replaces with a fake (FakeSink, world.sink): it names
 * and types the sink; nothing ever connects to its address.
 */
export function unreachableVaultSink(name = 'fake'): VaultSinkSettings {
  return {
    name,
    type: 'vault',
    address: 'http://127.0.0.1:1',
    mount: 'secret',
    pathPrefix: '',
    auth: { method: 'token' },
    timeoutMs: 1000,
  };
}
