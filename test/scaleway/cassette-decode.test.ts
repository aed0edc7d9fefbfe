/**
 * Conformance against real recordings: every recorded Account v3 / IAM response body goes
 * through the decoders without throwing and without losing a known field (checked by
 * re-encoding the decoded object and comparing with the raw JSON); unknown fields are
 * tolerated; every recorded error decodes to the right typed error.
 */
import { describe, expect, it } from 'vitest';
import type { ApiKey, Application, Group, Policy, Project, Rule } from '../../src/model/live.js';
import { isSecret } from '../../src/model/secret.js';
import {
  decodeApiKey,
  decodeApplication,
  decodeCreatedApiKey,
  decodeGroup,
  decodePage,
  decodePolicy,
  decodeProject,
  decodeRule,
} from '../../src/scaleway/decode.js';
import { decodeErrorBody } from '../../src/scaleway/decode-error.js';
import { header, type Interaction, loadAllCassettes } from './helpers/cassettes.js';

type Kind = 'project' | 'application' | 'apiKey' | 'createdApiKey' | 'group' | 'policy' | 'rule';
interface Target {
  readonly kind: Kind;
  /** Envelope key when the body is a list. */
  readonly list?: string;
}

const ID = '[^/]+';
const ROUTES: Array<[string, RegExp, Target | 'empty']> = [
  ['GET', /^\/account\/v3\/projects$/, { kind: 'project', list: 'projects' }],
  ['POST', /^\/account\/v3\/projects$/, { kind: 'project' }],
  ['GET', new RegExp(`^/account/v3/projects/${ID}$`), { kind: 'project' }],
  ['PATCH', new RegExp(`^/account/v3/projects/${ID}$`), { kind: 'project' }],
  ['DELETE', new RegExp(`^/account/v3/projects/${ID}$`), 'empty'],
  ['GET', /^\/iam\/v1alpha1\/applications$/, { kind: 'application', list: 'applications' }],
  ['POST', /^\/iam\/v1alpha1\/applications$/, { kind: 'application' }],
  ['GET', new RegExp(`^/iam/v1alpha1/applications/${ID}$`), { kind: 'application' }],
  ['PATCH', new RegExp(`^/iam/v1alpha1/applications/${ID}$`), { kind: 'application' }],
  ['DELETE', new RegExp(`^/iam/v1alpha1/applications/${ID}$`), 'empty'],
  ['GET', /^\/iam\/v1alpha1\/api-keys$/, { kind: 'apiKey', list: 'api_keys' }],
  ['POST', /^\/iam\/v1alpha1\/api-keys$/, { kind: 'createdApiKey' }],
  ['GET', new RegExp(`^/iam/v1alpha1/api-keys/${ID}$`), { kind: 'apiKey' }],
  ['PATCH', new RegExp(`^/iam/v1alpha1/api-keys/${ID}$`), { kind: 'apiKey' }],
  ['DELETE', new RegExp(`^/iam/v1alpha1/api-keys/${ID}$`), 'empty'],
  ['GET', /^\/iam\/v1alpha1\/groups$/, { kind: 'group', list: 'groups' }],
  ['POST', /^\/iam\/v1alpha1\/groups$/, { kind: 'group' }],
  ['GET', new RegExp(`^/iam/v1alpha1/groups/${ID}$`), { kind: 'group' }],
  ['PATCH', new RegExp(`^/iam/v1alpha1/groups/${ID}$`), { kind: 'group' }],
  ['PUT', new RegExp(`^/iam/v1alpha1/groups/${ID}/members$`), { kind: 'group' }],
  [
    'POST',
    new RegExp(`^/iam/v1alpha1/groups/${ID}/(add-member|add-members|remove-member)$`),
    { kind: 'group' },
  ],
  ['DELETE', new RegExp(`^/iam/v1alpha1/groups/${ID}$`), 'empty'],
  ['GET', /^\/iam\/v1alpha1\/policies$/, { kind: 'policy', list: 'policies' }],
  ['POST', /^\/iam\/v1alpha1\/policies$/, { kind: 'policy' }],
  ['GET', new RegExp(`^/iam/v1alpha1/policies/${ID}$`), { kind: 'policy' }],
  ['PATCH', new RegExp(`^/iam/v1alpha1/policies/${ID}$`), { kind: 'policy' }],
  ['DELETE', new RegExp(`^/iam/v1alpha1/policies/${ID}$`), 'empty'],
  ['GET', /^\/iam\/v1alpha1\/rules$/, { kind: 'rule', list: 'rules' }],
  ['PUT', /^\/iam\/v1alpha1\/rules$/, { kind: 'rule', list: 'rules' }],
];

function route(i: Interaction): Target | 'empty' | undefined {
  for (const [method, re, target] of ROUTES) {
    if (method === i.method && re.test(i.url.pathname)) return target;
  }
  return undefined;
}

type Wire = Record<string, unknown>;

const flags = (o: { editable: boolean; deletable: boolean; managed: boolean }) => ({
  editable: o.editable,
  deletable: o.deletable,
  managed: o.managed,
});

/** Decoded model → the wire fields it stands for. */
const REENCODE: Record<Kind, (raw: unknown) => { model: unknown; wire: Wire }> = {
  project: (raw) => {
    const p: Project = decodeProject(raw);
    return {
      model: p,
      wire: {
        id: p.id,
        name: p.name,
        organization_id: p.organizationId,
        created_at: p.createdAt,
        updated_at: p.updatedAt,
        description: p.description,
      },
    };
  },
  application: (raw) => {
    const a: Application = decodeApplication(raw);
    return {
      model: a,
      wire: {
        id: a.id,
        name: a.name,
        description: a.description,
        created_at: a.createdAt,
        updated_at: a.updatedAt,
        organization_id: a.organizationId,
        ...flags(a),
        nb_api_keys: a.nbApiKeys,
        tags: a.tags,
      },
    };
  },
  apiKey: (raw) => {
    const k: ApiKey = decodeApiKey(raw);
    return { model: k, wire: keyWire(k) };
  },
  createdApiKey: (raw) => {
    const { apiKey, secretKey } = decodeCreatedApiKey(raw);
    expect(isSecret(secretKey)).toBe(true);
    expect(secretKey.reveal()).toBe((raw as Wire)['secret_key']);
    expect(JSON.stringify(apiKey)).not.toContain(secretKey.reveal());
    return { model: apiKey, wire: { ...keyWire(apiKey), secret_key: secretKey.reveal() } };
  },
  group: (raw) => {
    const g: Group = decodeGroup(raw);
    return {
      model: g,
      wire: {
        id: g.id,
        created_at: g.createdAt,
        updated_at: g.updatedAt,
        organization_id: g.organizationId,
        name: g.name,
        description: g.description,
        user_ids: g.userIds,
        application_ids: g.applicationIds,
        tags: g.tags,
        ...flags(g),
      },
    };
  },
  policy: (raw) => {
    const p: Policy = decodePolicy(raw);
    const principal =
      p.principal.type === 'none' ? { no_principal: true } : { [`${p.principal.type}_id`]: p.principal.id };
    return {
      model: p,
      wire: {
        id: p.id,
        name: p.name,
        description: p.description,
        organization_id: p.organizationId,
        created_at: p.createdAt,
        updated_at: p.updatedAt,
        ...flags(p),
        nb_rules: p.nbRules,
        nb_scopes: p.nbScopes,
        nb_permission_sets: p.nbPermissionSets,
        tags: p.tags,
        ...principal,
      },
    };
  },
  rule: (raw) => {
    const r: Rule = decodeRule(raw);
    const scope =
      r.scope.type === 'projects'
        ? { project_ids: r.scope.projectIds }
        : r.scope.type === 'organization'
          ? { organization_id: r.scope.organizationId }
          : { account_root_user_id: r.scope.accountRootUserId };
    return {
      model: r,
      wire: {
        id: r.id,
        permission_set_names: r.permissionSetNames,
        permission_sets_scope_type: r.permissionSetsScopeType,
        condition: r.condition,
        ...scope,
      },
    };
  },
};

function keyWire(k: ApiKey): Wire {
  return {
    access_key: k.accessKey,
    description: k.description,
    created_at: k.createdAt,
    updated_at: k.updatedAt,
    expires_at: k.expiresAt,
    default_project_id: k.defaultProjectId,
    ...flags(k),
    creation_ip: k.creationIp,
    [`${k.bearer.type}_id`]: k.bearer.id,
  };
}

/** Fields we deliberately do not carry into the model (documented in decode.ts). */
const IGNORED: Record<Kind, readonly string[]> = {
  project: ['qualification', 'status'],
  application: [],
  apiKey: ['secret_key'],
  createdApiKey: [],
  group: ['all_users', 'all_applications'],
  policy: [],
  rule: [],
};

const cassettes = loadAllCassettes();
const all = cassettes.flatMap((c) => c.interactions);
const isScaleway = (i: Interaction) => i.url.hostname === 'api.scaleway.com';

describe('recorded cassettes', () => {
  it('parse in both go-vcr formats', () => {
    expect(cassettes.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cassettes.map((c) => c.version))).toEqual(new Set([1, 2]));
    expect(all.length).toBeGreaterThan(500);
  });

  it('decode every success body of the IAM and account endpoints without loss', () => {
    const counts: Record<string, number> = {};
    const unknownSeen = new Set<string>();
    for (const i of all.filter(isScaleway)) {
      if (i.status >= 300) continue;
      const target = route(i);
      if (target === undefined) continue;
      const where = `${i.file}#${i.index} ${i.method} ${i.url.pathname}`;
      if (target === 'empty') {
        expect(i.status, where).toBe(204);
        expect(i.body, where).toBe('');
        counts['empty'] = (counts['empty'] ?? 0) + 1;
        continue;
      }
      const parsed: unknown = JSON.parse(i.body);
      const objects = target.list ? decodePage(where, target.list, parsed).items : [parsed];
      if (target.list && i.method === 'GET') {
        const page = decodePage(where, target.list, parsed);
        expect(page.totalCount, where).toBeTypeOf('number');
      }
      for (const raw of objects) {
        const { model, wire } = REENCODE[target.kind](raw);
        const rawObj = raw as Wire;
        for (const [k, v] of Object.entries(rawObj)) {
          if (k in wire) {
            const expected = v === null && (k === 'tags' || k.endsWith('_ids')) ? [] : v;
            expect(wire[k], `${where}: ${k}`).toEqual(expected);
          } else if (!IGNORED[target.kind].includes(k) && !(target.kind === 'apiKey' && k === 'secret_key')) {
            unknownSeen.add(`${target.kind}.${k}`);
          }
        }
        // missing optional booleans take their defaults
        for (const [flag, dflt] of [
          ['editable', true],
          ['deletable', true],
          ['managed', false],
        ] as const) {
          if (!(flag in rawObj) && flag in wire) expect(wire[flag], `${where}: default ${flag}`).toBe(dflt);
        }
        // list/GET/PATCH responses never carry a secret into the model
        expect(JSON.stringify(model)).not.toContain('11111111-1111-1111-1111-111111111111"');
        counts[target.kind] = (counts[target.kind] ?? 0) + 1;
      }
    }
    // nothing known was dropped on the floor; every field of the recordings is mapped or ignored on purpose
    expect([...unknownSeen]).toEqual([]);
    for (const kind of [
      'project',
      'application',
      'apiKey',
      'createdApiKey',
      'group',
      'policy',
      'rule',
      'empty',
    ]) {
      expect(counts[kind] ?? 0, kind).toBeGreaterThan(0);
    }
  });

  it('tolerate unknown fields (a future API adding keys decodes identically)', () => {
    let n = 0;
    for (const i of all.filter(isScaleway)) {
      const target = route(i);
      if (i.status >= 300 || target === undefined || target === 'empty' || target.list) continue;
      const raw = JSON.parse(i.body) as Wire;
      const extended = { ...raw, future_field: { nested: [1, 2] }, another: null };
      expect(REENCODE[target.kind](extended).wire).toEqual(REENCODE[target.kind](raw).wire);
      n++;
    }
    expect(n).toBeGreaterThan(100);
  });

  it('decode every recorded error to its typed error', () => {
    const types = new Map<string, number>();
    for (const i of all.filter(isScaleway)) {
      if (i.status < 400) continue;
      const where = `${i.file}#${i.index}`;
      const d = decodeErrorBody(i.status, '', i.body);
      if (i.body.trim() === '') {
        expect(i.status, where).toBe(429);
        expect(header(i, 'X-Envoy-Ratelimited'), where).toBe('true');
        expect(d.info.type, where).toBe('unknown');
        expect(d.message).toBe('429 Too Many Requests');
      } else {
        const body = JSON.parse(i.body) as { type: string; message: string };
        const expected = body.type === 'expired' ? 'resource_expired' : body.type;
        expect(d.info.type, where).toBe(expected);
        expect(d.message, where).toBe(body.message);
        if (d.info.type === 'not_found') {
          expect(d.info.resourceId, where).toBe((body as unknown as Wire)['resource_id']);
        }
      }
      types.set(d.info.type, (types.get(d.info.type) ?? 0) + 1);
    }
    for (const t of [
      'not_found',
      'transient_state',
      'denied_authentication',
      'permissions_denied',
      'invalid_arguments',
      'unknown',
    ]) {
      expect(types.get(t) ?? 0, t).toBeGreaterThan(0);
    }
  });
});
