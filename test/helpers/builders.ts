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
import { parseKeyDescription } from '../../src/model/ownership.js';
import { formatRecordedRotation } from '../../src/model/rotation-record.js';
import type {
  Action,
  FieldChange,
  KeyDisposal,
  LiveObject,
  ObjectRef,
  Plan,
  PlannedApiKey,
  PlannedValue,
  PlanStep,
  ReasonCode,
} from '../../src/model/plan.js';
import { PLAN_FORMAT_VERSION, summarize } from '../../src/model/plan.js';
import { address } from '../../src/model/resources.js';
import type { SinkLayout } from '../../src/model/sink-location.js';
import { DEFAULT_ORG } from '../fakes/fake-scaleway.js';

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

/** Where FakeSink (named `fake`, Vault-like: path = key name) puts a key's secret, for plan options. */
export const FAKE_SINK_LAYOUT: SinkLayout = { name: 'fake', type: 'vault', mount: 'fake' };

/** The organization of FakeScalewayClient: `Project/default` resolves to it. */
export const FAKE_ORG = DEFAULT_ORG;

type Ref = { id: string } | { step: string };

/**
 * The planned value of a desired resource, references resolved from `refs` (by address); a
 * reference without an entry is produced by the plan's create step of that address, except
 * `Project/default` (the organization's default project).
 */
export function planned(
  desired: DesiredResource,
  refs: Readonly<Record<string, Ref>> = {},
  instance = 'default',
): PlannedValue {
  const ref = (kind: 'Project' | 'Application' | 'Group', name: string): ObjectRef => {
    const target = address(kind, name);
    const given = refs[target];
    if (given) return { address: target, ...given };
    if (target === 'Project/default') return { address: target, id: FAKE_ORG };
    return { address: target, step: `create:${target}` };
  };
  const marker = { instance };
  switch (desired.kind) {
    case 'Project':
      return { kind: 'Project', name: desired.name, description: desired.description, marker };
    case 'Application':
      return {
        kind: 'Application',
        name: desired.name,
        description: desired.description,
        tags: [...desired.tags],
        marker,
      };
    case 'Group':
      return {
        kind: 'Group',
        name: desired.name,
        description: desired.description,
        tags: [...desired.tags],
        marker,
        members: desired.memberApplications.map((m) => ref('Application', m)),
      };
    case 'Policy':
      return {
        kind: 'Policy',
        name: desired.name,
        description: desired.description,
        tags: [...desired.tags],
        marker,
        principal:
          desired.principal.type === 'none'
            ? { type: 'none' }
            : {
                type: desired.principal.type,
                ref: ref(
                  desired.principal.type === 'application' ? 'Application' : 'Group',
                  desired.principal.name,
                ),
              },
        rules: desired.rules.map((rule) => ({
          permissionSets: [...rule.permissionSets],
          condition: rule.condition,
          scope:
            rule.scope.type === 'organization'
              ? { type: 'organization' as const }
              : { type: 'projects' as const, projects: rule.scope.projects.map((p) => ref('Project', p)) },
        })),
      };
    case 'ApiKey':
      return {
        kind: 'ApiKey',
        name: desired.name,
        description: desired.description,
        marker: { instance, name: desired.name, state: 'ready' },
        application: ref('Application', desired.application),
        defaultProject: ref('Project', desired.defaultProject),
        expiry:
          desired.expiresAt !== undefined
            ? { type: 'at', at: desired.expiresAt }
            : desired.rotation.lifetimeMs !== undefined
              ? { type: 'lifetime', lifetimeMs: desired.rotation.lifetimeMs }
              : { type: 'never' },
        rotation: { overlapMs: 3_600_000, ...desired.rotation },
        // FakeSink behaves like a Vault sink: path = key name.
        sink: {
          sink: desired.sink.sink ?? 'fake',
          type: 'vault',
          path: desired.sink.path ?? desired.name,
          target: `vault:fake/data/${desired.sink.path ?? desired.name}`,
        },
        recordedRotation: formatRecordedRotation(desired),
      };
  }
}

export interface StepInit {
  action?: Action;
  reason?: ReasonCode;
  before?: LiveObject;
  dependsOn?: string[];
  /** Steps that must have finished first, whatever their outcome. */
  runsAfter?: string[];
  /** How references resolve, by address (default: the plan's create step of that address). */
  refs?: Record<string, Ref>;
  changes?: FieldChange[];
  id?: string;
  /** Resource name (default: after.name, or before's name). */
  name?: string;
  detail?: string;
  /** Replace steps. */
  disposeBefore?: KeyDisposal;
  /** Key create/replace steps: access keys of this name the listing showed. */
  knownKeys?: string[];
  /** Overrides of the planned value (e.g. a key's marker state). */
  after?: Partial<PlannedValue>;
}

/** A step acting on `after` (or on `before` for deletes), shaped as the planner emits it. */
export function step(after: DesiredResource | undefined, init: StepInit = {}): PlanStep {
  const action = init.action ?? 'create';
  const before = init.before;
  const kind = after?.kind ?? before!.kind;
  const name =
    init.name ??
    after?.name ??
    (before!.kind === 'ApiKey'
      ? (parseKeyDescription(before!.object.description).marker?.name ?? before!.object.accessKey)
      : (before!.object as { name: string }).name);
  const addr = address(kind, name);
  const suffix =
    (action === 'delete' || action === 'replace') && before?.kind === 'ApiKey'
      ? `@${before.object.accessKey}`
      : '';
  const common = {
    id: init.id ?? `${action}:${addr}${suffix}`,
    kind,
    name,
    address: addr,
    reason: init.reason ?? (action === 'create' ? 'missing' : action === 'delete' ? 'pruned' : 'drifted'),
    ...(init.detail !== undefined ? { detail: init.detail } : {}),
    changes: init.changes ?? [],
    dependsOn: init.dependsOn ?? [],
    ...(init.runsAfter ? { runsAfter: init.runsAfter } : {}),
    wave: 0,
    warnings: [],
  } as const;
  const value = (): PlannedValue => ({ ...planned(after!, init.refs), ...init.after }) as PlannedValue;
  switch (action) {
    case 'create':
      return { ...common, action, after: value(), ...(init.knownKeys ? { knownKeys: init.knownKeys } : {}) };
    case 'update':
    case 'adopt':
      return { ...common, action, before: before!, after: value() };
    case 'replace':
      return {
        ...common,
        kind: 'ApiKey',
        action,
        before: before as Extract<LiveObject, { kind: 'ApiKey' }>,
        after: value() as PlannedApiKey,
        disposeBefore: init.disposeBefore ?? 'retire',
        knownKeys: init.knownKeys ?? (before?.kind === 'ApiKey' ? [before.object.accessKey] : []),
      };
    case 'delete':
      return { ...common, action, before: before!, countsTowardMassDelete: before?.kind !== 'ApiKey' };
  }
}

export function plan(steps: PlanStep[], o: Partial<Plan> = {}): Plan {
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    createdAt: '2026-11-23T01:00:00.000Z',
    organizationId: FAKE_ORG,
    instance: 'default',
    revision: 'abc123',
    liveFingerprint: `sha256:${'0'.repeat(64)}`,
    fingerprintScope: {},
    steps,
    summary: summarize(steps),
    diagnostics: [],
    blocked: [],
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
