/** Fidelity of the Kubernetes API emulator against docs/design/kubernetes.md §1–§4, §7, §9, §13. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesEmulator } from '../emulators/kubernetes/server.js';
import { minimalRole, NAMESPACE, startEmulator, type Wire } from './fixtures.js';

let emu: KubernetesEmulator;
let n = 0;
const uniq = (p: string) => `${p}-${++n}`;
const SA = `system:serviceaccount:${NAMESPACE}:scw-rotator`;

async function call(
  method: string,
  path: string,
  body?: unknown,
  opts: { token?: string | null; contentType?: string } = {},
): Promise<{ status: number; body: Wire; headers: Headers }> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = opts.token === undefined ? emu.token : opts.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    headers['Content-Type'] = opts.contentType ?? 'application/json';
  }
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers,
    ...(payload !== undefined ? { body: payload } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const secretsPath = (ns = NAMESPACE) => `/api/v1/namespaces/${ns}/secrets`;
const leasesPath = (ns = NAMESPACE) => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function createSecret(name: string, data: Record<string, string> = { a: b64('1') }) {
  const r = await call('POST', secretsPath(), { apiVersion: 'v1', kind: 'Secret', metadata: { name }, data });
  expect(r.status).toBe(201);
  return r.body;
}

beforeAll(async () => {
  emu = await startEmulator();
  emu.control.setToken('restricted', { user: SA, rules: minimalRole('scw-api-key') });
});

afterAll(async () => {
  await emu.close();
});

describe('auth and Status bodies', () => {
  it('unknown token → 401 Unauthorized without details', async () => {
    const r = await call('GET', `${secretsPath()}/x`, undefined, { token: 'nope' });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('no credentials → 403 as system:anonymous', async () => {
    const r = await call('GET', `${secretsPath()}/x`, undefined, { token: null });
    expect(r.status).toBe(403);
    expect(r.body.message).toBe(
      `secrets "x" is forbidden: User "system:anonymous" cannot get resource "secrets" in API group "" in the namespace "${NAMESPACE}"`,
    );
  });

  it('RBAC denial: named and collection forms, group-qualified for leases', async () => {
    const named = await call('GET', `${secretsPath()}/other`, undefined, { token: 'restricted' });
    expect(named.status).toBe(403);
    expect(named.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `secrets "other" is forbidden: User "${SA}" cannot get resource "secrets" in API group "" in the namespace "${NAMESPACE}"`,
      reason: 'Forbidden',
      details: { name: 'other', kind: 'secrets' },
      code: 403,
    });
    const list = await call('GET', secretsPath(), undefined, { token: 'restricted' });
    expect(list.body.message).toBe(
      `secrets is forbidden: User "${SA}" cannot list resource "secrets" in API group "" in the namespace "${NAMESPACE}"`,
    );
    const lease = await call('DELETE', `${leasesPath()}/l`, undefined, { token: 'restricted' });
    expect(lease.body.message).toBe(
      `leases.coordination.k8s.io "l" is forbidden: User "${SA}" cannot delete resource "leases" in API group "coordination.k8s.io" in the namespace "${NAMESPACE}"`,
    );
    expect(lease.body.details).toEqual({ name: 'l', group: 'coordination.k8s.io', kind: 'leases' });
  });

  it('name-restricted rules allow the named object; SSA-create needs create with the name', async () => {
    const r = await call(
      'PATCH',
      `${secretsPath()}/scw-api-key?fieldManager=t`,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'scw-api-key' }, data: { k: b64('v') } },
      { token: 'restricted', contentType: 'application/apply-patch+yaml' },
    );
    expect(r.status).toBe(201);
    emu.control.setToken('patch-only', {
      user: SA,
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['patch'] }],
    });
    const denied = await call(
      'PATCH',
      `${secretsPath()}/fresh?fieldManager=t`,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'fresh' } },
      { token: 'patch-only', contentType: 'application/apply-patch+yaml' },
    );
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('cannot create resource "secrets"');
  });

  it('SelfSubjectAccessReview answers per the RBAC table', async () => {
    const ask = (verb: string, name: string) =>
      call(
        'POST',
        '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { namespace: NAMESPACE, verb, resource: 'secrets', name } },
        },
        { token: 'restricted' },
      );
    expect((await ask('patch', 'scw-api-key')).body.status.allowed).toBe(true);
    expect((await ask('patch', 'other')).body.status.allowed).toBe(false);
    // delete on the named Secret: removing the record of a deleted key (docs/design/kubernetes.md §6).
    expect((await ask('delete', 'scw-api-key')).body.status.allowed).toBe(true);
    expect((await ask('delete', 'other')).body.status.allowed).toBe(false);
  });

  it('unknown routes → 404 Status; discovery documents for kubectl', async () => {
    const r = await call('GET', '/api/v1/namespaces/x/configmaps');
    expect(r.status).toBe(404);
    expect(r.body.message).toBe('the server could not find the requested resource');
    expect((await call('GET', '/api')).body.versions).toEqual(['v1']);
    const groups = (await call('GET', '/apis')).body.groups.map((g: Wire) => g.name);
    expect(groups).toContain('coordination.k8s.io');
    const core = (await call('GET', '/api/v1')).body.resources.map((x: Wire) => x.name);
    expect(core).toEqual(expect.arrayContaining(['secrets', 'events', 'namespaces']));
  });

  it('429 fault carries Retry-After and details.retryAfterSeconds', async () => {
    emu.control.addFault({ path: '/secrets', status: 429, retryAfterSeconds: 7 });
    const r = await call('GET', secretsPath());
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.body.reason).toBe('TooManyRequests');
    expect(r.body.details.retryAfterSeconds).toBe(7);
  });
});

describe('Secrets', () => {
  it('create: 201 with uid, second-precision creationTimestamp, default type, stringData folded and not returned', async () => {
    const name = uniq('s');
    const before = emu.control.resourceVersion();
    const r = await call('POST', secretsPath(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
      data: { a: b64('old'), b: b64('b') },
      stringData: { a: 'new' },
    });
    expect(r.status).toBe(201);
    expect(r.body.type).toBe('Opaque');
    expect(r.body.stringData).toBeUndefined();
    expect(r.body.data).toEqual({ a: b64('new'), b: b64('b') });
    expect(r.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Number(r.body.metadata.resourceVersion)).toBeGreaterThan(before);
  });

  it('create errors: AlreadyExists, missing name, namespace mismatch, unknown namespace, preset resourceVersion, bad base64', async () => {
    const name = uniq('s');
    await createSecret(name);
    const dup = await call('POST', secretsPath(), { apiVersion: 'v1', kind: 'Secret', metadata: { name } });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({
      reason: 'AlreadyExists',
      message: `secrets "${name}" already exists`,
      details: { name, kind: 'secrets' },
    });
    const noName = await call('POST', secretsPath(), { apiVersion: 'v1', kind: 'Secret', metadata: {} });
    expect(noName.status).toBe(422);
    expect(noName.body.message).toContain('metadata.name: Required value: name or generateName is required');
    const mismatch = await call('POST', secretsPath(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'x', namespace: 'default' },
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.message).toBe(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
    const noNs = await call('POST', secretsPath('ghost'), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'x' },
    });
    expect(noNs.status).toBe(404);
    expect(noNs.body.message).toBe('namespaces "ghost" not found');
    const rv = await call('POST', secretsPath(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: uniq('s'), resourceVersion: '5' },
    });
    expect(rv.status).toBe(422);
    expect(rv.body.message).toContain('resourceVersion should not be set on objects to be created');
    const bad = await call('POST', secretsPath(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: uniq('s') },
      data: { k: 'not base64!' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.reason).toBe('BadRequest');
    expect(bad.body.message).toMatch(
      /^Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte \d+$/,
    );
  });

  it('get absent → exact 404 Status', async () => {
    const r = await call('GET', `${secretsPath()}/missing`);
    expect(r.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'secrets "missing" not found',
      reason: 'NotFound',
      details: { name: 'missing', kind: 'secrets' },
      code: 404,
    });
  });

  it('PUT: absent → 404, stale RV → 409 optimistic-lock message, no RV → unconditional, name mismatch → 400, no-op keeps RV', async () => {
    const absent = await call('PUT', `${secretsPath()}/nope`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'nope' },
    });
    expect(absent.status).toBe(404);
    const name = uniq('s');
    const created = await createSecret(name);
    const stale = await call('PUT', `${secretsPath()}/${name}`, {
      ...created,
      metadata: { ...created.metadata, resourceVersion: '1' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on secrets "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      details: { name, kind: 'secrets' },
    });
    const same = await call('PUT', `${secretsPath()}/${name}`, created);
    expect(same.status).toBe(200);
    expect(same.body.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    const { resourceVersion: _rv, ...metaNoRv } = created.metadata;
    const blind = await call('PUT', `${secretsPath()}/${name}`, {
      ...created,
      metadata: metaNoRv,
      data: { a: b64('2') },
    });
    expect(blind.status).toBe(200);
    expect(blind.body.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
    const wrongName = await call('PUT', `${secretsPath()}/${name}`, {
      ...created,
      metadata: { ...metaNoRv, name: 'other' },
    });
    expect(wrongName.status).toBe(400);
    expect(wrongName.body.message).toBe(
      `the name of the object (other) does not match the name on the URL (${name})`,
    );
  });

  it('type and immutable are enforced (422)', async () => {
    const name = uniq('s');
    const created = await createSecret(name);
    const t = await call('PUT', `${secretsPath()}/${name}`, { ...created, type: 'kubernetes.io/tls' });
    expect(t.status).toBe(422);
    expect(t.body.message).toContain('type: Invalid value: "kubernetes.io/tls": field is immutable');
    const frozen = await call('PUT', `${secretsPath()}/${name}`, { ...created, immutable: true });
    expect(frozen.status).toBe(200);
    const change = await call('PUT', `${secretsPath()}/${name}`, { ...frozen.body, data: { a: b64('x') } });
    expect(change.status).toBe(422);
    expect(change.body.message).toContain('field is immutable when `immutable` is set');
  });

  it('PATCH: 415 for unknown content types, merge patch with null delete and RV precondition, JSON patch test failure, force on non-apply', async () => {
    const name = uniq('s');
    const created = await createSecret(name, { a: b64('1'), b: b64('2') });
    const p = `${secretsPath()}/${name}`;
    const bad = await call('PATCH', p, { data: {} }, { contentType: 'text/plain' });
    expect(bad.status).toBe(415);
    expect(bad.body.message).toMatch(
      /^the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/apply-patch\+yaml, application\/strategic-merge-patch\+json/,
    );
    const merged = await call(
      'PATCH',
      p,
      { data: { b: null, c: b64('3') } },
      { contentType: 'application/merge-patch+json' },
    );
    expect(merged.status).toBe(200);
    expect(Object.keys(merged.body.data).sort()).toEqual(['a', 'c']);
    const stale = await call(
      'PATCH',
      p,
      { metadata: { resourceVersion: created.metadata.resourceVersion }, data: { a: null } },
      { contentType: 'application/merge-patch+json' },
    );
    expect(stale.status).toBe(409);
    const test = await call('PATCH', p, [{ op: 'test', path: '/metadata/resourceVersion', value: '1' }], {
      contentType: 'application/json-patch+json',
    });
    expect(test.status).toBe(422);
    const notArray = await call('PATCH', p, { data: {} }, { contentType: 'application/json-patch+json' });
    expect(notArray.status).toBe(400);
    const force = await call(
      'PATCH',
      `${p}?force=true`,
      { data: {} },
      { contentType: 'application/merge-patch+json' },
    );
    expect(force.status).toBe(422);
    expect(force.body.message).toContain('force: Forbidden: may not be specified for non-apply patch');
    const absent = await call(
      'PATCH',
      `${secretsPath()}/absent`,
      { data: {} },
      { contentType: 'application/merge-patch+json' },
    );
    expect(absent.status).toBe(404);
  });

  it('DELETE: Success Status with uid, preconditions, 404 when absent', async () => {
    const name = uniq('s');
    const created = await createSecret(name);
    const p = `${secretsPath()}/${name}`;
    const pre = await call('DELETE', p, { preconditions: { uid: 'other-uid' } });
    expect(pre.status).toBe(409);
    expect(pre.body.message).toContain(
      `Precondition failed: UID in precondition: other-uid, UID in object meta: ${created.metadata.uid}`,
    );
    const ok = await call('DELETE', p);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, kind: 'secrets', uid: created.metadata.uid },
    });
    expect((await call('DELETE', p)).status).toBe(404);
  });

  it('dryRun=All validates without storing', async () => {
    const name = uniq('s');
    const before = emu.control.resourceVersion();
    const r = await call('POST', `${secretsPath()}?dryRun=All`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name },
    });
    expect(r.status).toBe(201);
    expect(r.body.metadata.resourceVersion).toBeUndefined();
    expect(emu.control.get('secrets', NAMESPACE, name)).toBeUndefined();
    expect(emu.control.resourceVersion()).toBe(before);
  });

  it('list with label selector; items lack kind/apiVersion', async () => {
    const name = uniq('s');
    await call('POST', secretsPath(), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, labels: { app: name } },
    });
    const r = await call('GET', `${secretsPath()}?labelSelector=${encodeURIComponent(`app=${name}`)}`);
    expect(r.body.kind).toBe('SecretList');
    expect(r.body.items).toHaveLength(1);
    expect(r.body.items[0].kind).toBeUndefined();
    expect(r.body.items[0].metadata.name).toBe(name);
  });

  it('list in chunks: limit gives a continue token and the remaining count; a bad token is a 400', async () => {
    const app = uniq('chunk');
    for (const i of [1, 2, 3]) {
      await call('POST', secretsPath(i === 2 ? 'default' : NAMESPACE), {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `${app}-${i}`, labels: { app } },
      });
    }
    const selector = `labelSelector=${encodeURIComponent(`app=${app}`)}`;
    const names: string[] = [];
    let token: string | undefined;
    const seen: Wire[] = [];
    do {
      const r = await call(
        'GET',
        `/api/v1/secrets?${selector}&limit=2${token ? `&continue=${encodeURIComponent(token)}` : ''}`,
      );
      expect(r.status).toBe(200);
      seen.push(r.body.metadata);
      names.push(...r.body.items.map((s: Wire) => `${s.metadata.namespace}/${s.metadata.name}`));
      token = r.body.metadata.continue;
    } while (token);
    expect(names).toEqual([`default/${app}-2`, `${NAMESPACE}/${app}-1`, `${NAMESPACE}/${app}-3`]);
    expect(seen[0]).toMatchObject({ remainingItemCount: 1 });
    const decoded = JSON.parse(Buffer.from(seen[0]!.continue, 'base64').toString());
    expect(decoded.v).toBe('meta.k8s.io/v1');
    expect(decoded.start.endsWith(`${NAMESPACE}/${app}-1\u0000`), decoded.start).toBe(true);
    expect(seen[1]).not.toHaveProperty('continue');

    const bad = await call('GET', `${secretsPath()}?limit=1&continue=not-a-token`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect(bad.body.message).toMatch(/^continue key is not valid/);
  });
});

describe('server-side apply', () => {
  const apply = (name: string, body: object, q = 'fieldManager=mgr') =>
    call(
      'PATCH',
      `${secretsPath()}/${name}?${q}`,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name }, ...body },
      { contentType: 'application/apply-patch+yaml' },
    );

  it('requires fieldManager; creates (201) then merges (200) with managedFields', async () => {
    const name = uniq('ssa');
    const none = await apply(name, {}, '');
    expect(none.status).toBe(422);
    expect(none.body.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
    const c = await apply(name, { data: { a: b64('1') } });
    expect(c.status).toBe(201);
    expect(c.body.metadata.managedFields).toEqual([
      {
        manager: 'mgr',
        operation: 'Apply',
        apiVersion: 'v1',
        time: expect.any(String),
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } },
      },
    ]);
    const again = await apply(name, { data: { a: b64('1') } });
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(c.body.metadata.resourceVersion);
  });

  it('removes fields the manager stopped applying, keeps fields owned by others', async () => {
    const name = uniq('ssa');
    await apply(name, { data: { old: b64('1'), keep: b64('k') } });
    emu.control.externalWrite('secrets', NAMESPACE, name, (o: Wire) => {
      o.data.theirs = b64('t');
    });
    const r = await apply(name, { data: { keep: b64('k'), new: b64('2') } });
    expect(Object.keys(r.body.data).sort()).toEqual(['keep', 'new', 'theirs']);
  });

  it('conflicts with another manager → 409 FieldManagerConflict; force takes ownership', async () => {
    const name = uniq('ssa');
    await apply(name, { data: { k: b64('1') } });
    emu.control.externalWrite(
      'secrets',
      NAMESPACE,
      name,
      (o: Wire) => {
        o.data.k = b64('edited');
      },
      'kubectl-edit',
    );
    const r = await apply(name, { data: { k: b64('mine') } });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.k',
      reason: 'Conflict',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl-edit" using v1',
            field: '.data.k',
          },
        ],
      },
      code: 409,
    });
    const forced = await apply(name, { data: { k: b64('mine') } }, 'fieldManager=mgr&force=true');
    expect(forced.status).toBe(200);
    expect(forced.body.data.k).toBe(b64('mine'));
    expect(forced.body.metadata.managedFields.map((m: Wire) => m.manager)).toEqual(['mgr']);
  });

  it('an RV in the apply body is a precondition', async () => {
    const name = uniq('ssa');
    await apply(name, { data: { k: b64('1') } });
    const r = await apply(name, { metadata: { name, resourceVersion: '1' }, data: { k: b64('2') } });
    expect(r.status).toBe(409);
    expect(r.body.message).toContain('the object has been modified');
  });

  it('stringData with SSA leaves stale data keys behind (kubernetes#108008)', async () => {
    const name = uniq('ssa');
    await apply(name, { stringData: { a: 'x' } });
    const r = await apply(name, { stringData: { b: 'y' } });
    expect(Object.keys(r.body.data).sort()).toEqual(['a', 'b']);
    expect(r.body.stringData).toBeUndefined();
  });
});

describe('Leases', () => {
  const lease = (name: string, spec: object, rv?: string) => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, ...(rv ? { resourceVersion: rv } : {}) },
    spec,
  });

  it('MicroTime: exactly six digits accepted and echoed, other precisions → 400, offsets normalised to UTC', async () => {
    const name = uniq('l');
    const ok = await call(
      'POST',
      leasesPath(),
      lease(name, {
        holderIdentity: 'a',
        leaseDurationSeconds: 15,
        renewTime: '2026-03-01T10:05:02.123456Z',
      }),
    );
    expect(ok.status).toBe(201);
    expect(ok.body.spec.renewTime).toBe('2026-03-01T10:05:02.123456Z');
    const ms = await call('POST', leasesPath(), lease(uniq('l'), { renewTime: '2026-03-01T10:05:02.123Z' }));
    expect(ms.status).toBe(400);
    expect(ms.body.message).toMatch(
      /^Lease in version "coordination.k8s.io\/v1" cannot be handled as a Lease: parsing time/,
    );
    const sec = await call('POST', leasesPath(), lease(uniq('l'), { acquireTime: '2026-03-01T10:05:02Z' }));
    expect(sec.status).toBe(400);
    const off = await call(
      'POST',
      leasesPath(),
      lease(uniq('l'), { renewTime: '2026-03-01T12:05:02.000001+02:00' }),
    );
    expect(off.body.spec.renewTime).toBe('2026-03-01T10:05:02.000001Z');
  });

  it('PUT creates when absent (201), needs a resourceVersion for updates (422), 409 on stale RV; duration > 0', async () => {
    const name = uniq('l');
    const c = await call(
      'PUT',
      `${leasesPath()}/${name}`,
      lease(name, { holderIdentity: 'a', leaseDurationSeconds: 15 }),
    );
    expect(c.status).toBe(201);
    const noRv = await call('PUT', `${leasesPath()}/${name}`, lease(name, { holderIdentity: 'b' }));
    expect(noRv.status).toBe(422);
    expect(noRv.body.message).toContain(
      'metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    );
    const stale = await call('PUT', `${leasesPath()}/${name}`, lease(name, { holderIdentity: 'b' }, '1'));
    expect(stale.status).toBe(409);
    expect(stale.body.message).toBe(
      `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    );
    expect(stale.body.details).toEqual({ name, group: 'coordination.k8s.io', kind: 'leases' });
    const zero = await call(
      'PUT',
      `${leasesPath()}/${name}`,
      lease(name, { leaseDurationSeconds: 0 }, c.body.metadata.resourceVersion),
    );
    expect(zero.status).toBe(422);
    expect(zero.body.details.kind).toBe('Lease');
    const missing = await call('GET', `${leasesPath()}/nope`);
    expect(missing.body.message).toBe('leases.coordination.k8s.io "nope" not found');
  });
});

describe('Events', () => {
  it('core/v1: namespace must match involvedObject.namespace; valid events are stored', async () => {
    const bad = await call('POST', `/api/v1/namespaces/${NAMESPACE}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1' },
      involvedObject: { kind: 'Secret', name: 's', namespace: 'default' },
      reason: 'KeyRotated',
      message: 'm',
      type: 'Normal',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.message).toContain(
      'involvedObject.namespace: Invalid value: "default": does not match event.namespace',
    );
    const ok = await call('POST', `/api/v1/namespaces/${NAMESPACE}/events`, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e2' },
      involvedObject: { kind: 'Secret', name: 's', namespace: NAMESPACE },
      reason: 'KeyRotated',
      message: 'm',
      type: 'Normal',
    });
    expect(ok.status).toBe(201);
    expect(emu.control.events.some((e) => e.api === 'v1' && e.object.reason === 'KeyRotated')).toBe(true);
  });

  it('events.k8s.io/v1: required fields and deprecated fields validated', async () => {
    const path = `/apis/events.k8s.io/v1/namespaces/${NAMESPACE}/events`;
    const missing = await call('POST', path, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'v1' },
      type: 'Normal',
    });
    expect(missing.status).toBe(422);
    expect(missing.body.details.causes.map((c: Wire) => c.field)).toEqual(
      expect.arrayContaining(['eventTime', 'reportingController', 'reportingInstance', 'action', 'reason']),
    );
    const deprecated = await call('POST', path, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'v2' },
      eventTime: '2026-03-01T10:00:00.000000Z',
      reportingController: 'scw-gitops.io/rotator',
      reportingInstance: 'pod-1',
      action: 'Rotate',
      reason: 'KeyRotated',
      type: 'Normal',
      deprecatedCount: 3,
    });
    expect(deprecated.status).toBe(422);
    expect(deprecated.body.message).toContain('deprecatedCount: Invalid value: 3: needs to be unset');
    const ok = await call('POST', path, {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'v3' },
      eventTime: '2026-03-01T10:00:00.000000Z',
      reportingController: 'scw-gitops.io/rotator',
      reportingInstance: 'pod-1',
      action: 'Rotate',
      reason: 'KeyRotated',
      type: 'Normal',
      note: 'rotated',
    });
    expect(ok.status).toBe(201);
    expect(emu.control.events.some((e) => e.api === 'events.k8s.io/v1' && e.object.note === 'rotated')).toBe(
      true,
    );
  });
});
