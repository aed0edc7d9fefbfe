/** Test data builders for the planner: desired resources and live objects with sensible defaults. */
import type {
  DesiredApiKey,
  DesiredApplication,
  DesiredGroup,
  DesiredPolicy,
  DesiredProject,
  DesiredResource,
  DesiredState,
} from '../../src/model/desired.js';
import type { ApiKey, Application, Group, LiveState, Policy, Project, Rule } from '../../src/model/live.js';
import {
  type KeyState,
  markKeyDescription,
  markProjectDescription,
  ownerTag,
} from '../../src/model/ownership.js';
import { type Address, compareAddresses } from '../../src/model/resources.js';

export const ORG = '11111111-1111-4111-8111-111111111111';
export const T0 = '2026-01-01T00:00:00.000000Z';

const src = (line = 1) => ({ file: 'desired.yaml', line, col: 1 });

/** Deterministic fake UUID v4 from a label. */
export function uuid(label: string): string {
  let h = 0;
  for (const c of label) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const hex = h.toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${label.length.toString(16).padStart(4, '0')}${hex}`.slice(0, 36);
}

export function accessKey(label: string): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let h = 7;
  for (const c of label) h = (h * 33 + c.charCodeAt(0)) >>> 0;
  let out = '';
  for (let i = 0; i < 17; i++) {
    out += alphabet[(h + i * 7) % 32];
    h = (h * 1103515245 + 12345) >>> 0;
  }
  return `SCW${out}`;
}

export function dProject(name: string, o: Partial<DesiredProject> = {}): DesiredProject {
  return {
    kind: 'Project',
    name,
    address: `Project/${name}`,
    source: src(),
    adopt: false,
    description: '',
    ...o,
  };
}
export function dApp(name: string, o: Partial<DesiredApplication> = {}): DesiredApplication {
  return {
    kind: 'Application',
    name,
    address: `Application/${name}`,
    source: src(),
    adopt: false,
    description: '',
    tags: [],
    ...o,
  };
}
export function dGroup(name: string, o: Partial<DesiredGroup> = {}): DesiredGroup {
  return {
    kind: 'Group',
    name,
    address: `Group/${name}`,
    source: src(),
    adopt: false,
    description: '',
    tags: [],
    memberApplications: [],
    ...o,
  };
}
export function dPolicy(name: string, o: Partial<DesiredPolicy> = {}): DesiredPolicy {
  return {
    kind: 'Policy',
    name,
    address: `Policy/${name}`,
    source: src(),
    adopt: false,
    description: '',
    tags: [],
    principal: { type: 'none' },
    rules: [],
    acknowledgeDangerousPermissions: false,
    ...o,
  };
}
export function dKey(name: string, o: Partial<DesiredApiKey> = {}): DesiredApiKey {
  return {
    kind: 'ApiKey',
    name,
    address: `ApiKey/${name}`,
    source: src(),
    adopt: false,
    application: 'app',
    defaultProject: 'default',
    description: '',
    rotation: {},
    sink: {},
    ...o,
  };
}

export function desired(...resources: DesiredResource[]): DesiredState {
  return {
    root: 'desired',
    resources: [...resources].sort((a, b) => compareAddresses(a.address as Address, b.address as Address)),
  };
}

export function defaultProject(): Project {
  return {
    id: ORG,
    name: 'default',
    organizationId: ORG,
    createdAt: '2019-01-01T00:00:00.000000Z',
    updatedAt: '2019-01-01T00:00:00.000000Z',
    description: '',
    isDefault: true,
  };
}

export function lProject(name: string, o: Partial<Project> & { instance?: string | null } = {}): Project {
  const { instance = 'default', ...rest } = o;
  const description = rest.description ?? '';
  return {
    id: uuid(`project:${name}`),
    name,
    organizationId: ORG,
    createdAt: T0,
    updatedAt: T0,
    isDefault: false,
    ...rest,
    description: instance === null ? description : markProjectDescription(description, instance),
  };
}

const flags = { editable: true, deletable: true, managed: false };

export function lApp(name: string, o: Partial<Application> & { instance?: string | null } = {}): Application {
  const { instance = 'default', ...rest } = o;
  const tags = rest.tags ?? [];
  return {
    id: uuid(`app:${name}`),
    name,
    description: '',
    createdAt: T0,
    updatedAt: T0,
    organizationId: ORG,
    nbApiKeys: 0,
    ...flags,
    ...rest,
    tags: instance === null ? tags : [...tags, ownerTag(instance)],
  };
}

export function lGroup(name: string, o: Partial<Group> & { instance?: string | null } = {}): Group {
  const { instance = 'default', ...rest } = o;
  const tags = rest.tags ?? [];
  return {
    id: uuid(`group:${name}`),
    createdAt: T0,
    updatedAt: T0,
    organizationId: ORG,
    name,
    description: '',
    userIds: [],
    applicationIds: [],
    ...flags,
    ...rest,
    tags: instance === null ? tags : [...tags, ownerTag(instance)],
  };
}

export function lPolicy(name: string, o: Partial<Policy> & { instance?: string | null } = {}): Policy {
  const { instance = 'default', ...rest } = o;
  const tags = rest.tags ?? [];
  return {
    id: uuid(`policy:${name}`),
    name,
    description: '',
    organizationId: ORG,
    createdAt: T0,
    updatedAt: T0,
    nbRules: 0,
    nbScopes: 0,
    nbPermissionSets: 0,
    principal: { type: 'none' },
    ...flags,
    ...rest,
    tags: instance === null ? tags : [...tags, ownerTag(instance)],
  };
}

export function lRule(label: string, o: Partial<Rule> = {}): Rule {
  return {
    id: uuid(`rule:${label}`),
    permissionSetNames: [],
    permissionSetsScopeType: 'projects',
    condition: '',
    scope: { type: 'organization', organizationId: ORG },
    ...o,
  };
}

export function lKey(
  label: string,
  o: Partial<ApiKey> & {
    name?: string;
    state?: KeyState;
    instance?: string;
    userDescription?: string;
    app?: string;
  } = {},
): ApiKey {
  const {
    name = label,
    state = 'ready',
    instance = 'default',
    userDescription = '',
    app = 'app',
    ...rest
  } = o;
  return {
    accessKey: accessKey(label),
    description: markKeyDescription(userDescription, instance, name, state),
    createdAt: T0,
    updatedAt: T0,
    expiresAt: null,
    defaultProjectId: ORG,
    creationIp: '127.0.0.1',
    bearer: { type: 'application', id: uuid(`app:${app}`) },
    ...flags,
    ...rest,
  };
}

export function liveState(
  o: Partial<Omit<LiveState, 'rules'>> & { rules?: Record<string, Rule[]> } = {},
): LiveState {
  const { rules = {}, ...rest } = o;
  return {
    organizationId: ORG,
    projects: [defaultProject()],
    applications: [],
    apiKeys: [],
    groups: [],
    policies: [],
    observedAt: '2026-06-01T00:00:00.000Z',
    ...rest,
    rules: new Map(Object.entries(rules)),
  };
}
