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
