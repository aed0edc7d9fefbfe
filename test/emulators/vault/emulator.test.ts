/**
 * Fidelity of the Vault emulator against docs/design/vault.md §8, point by point (numbers in test names).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../helpers/fake-clock.js';
import { startVaultEmulator, type VaultEmulator } from './server.js';

let v: VaultEmulator;
let clock: FakeClock;

interface Res {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for JSON bodies
  json: any;
}

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; token?: string | null; headers?: Record<string, string>; rawBody?: string } = {},
): Promise<Res> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const token = opts.token === undefined ? v.rootToken : opts.token;
  if (token !== null) headers['X-Vault-Token'] = token;
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const res = await fetch(`${v.url}${path}`, {
    method,
    headers,
    redirect: 'manual',
    ...(body ? { body } : {}),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const ENVELOPE_KEYS = [
  'auth',
  'data',
  'lease_duration',
  'lease_id',
  'mount_type',
  'renewable',
  'request_id',
  'warnings',
  'wrap_info',
];

beforeEach(async () => {
  clock = new FakeClock({ start: '2026-03-01T10:20:30.120Z' });
  v = await startVaultEmulator({
    clock,
    mounts: [
      { path: 'secret', version: 2 },
      { path: 'kv1', version: 1 },
      { path: 'team/kv', version: 2 },
    ],
  });
});

afterEach(async () => {
  await v.close();
});

describe('§8.1 transport', () => {
  it('serves only /v1/, treats POST ≡ PUT, supports LIST and ?list=true, 405 for unknown verbs', async () => {
    expect(await call('GET', '/nope')).toMatchObject({ status: 404, json: { errors: [] } });
    expect((await call('PUT', '/v1/secret/data/a', { body: { data: { x: 1 } } })).status).toBe(200);
    expect((await call('POST', '/v1/secret/data/a', { body: { data: { x: 2 } } })).json.data.version).toBe(2);
    expect((await call('LIST', '/v1/secret/metadata')).json.data.keys).toEqual(['a']);
    expect((await call('GET', '/v1/secret/metadata/?list=true')).json.data.keys).toEqual(['a']);
    expect(await call('GET', '/v1/secret/metadata/?list=maybe')).toMatchObject({
      status: 400,
      json: { errors: [] },
    });
    expect(await call('PROPFIND', '/v1/secret/data/a')).toMatchObject({ status: 405, json: { errors: [] } });
  });

  it('PATCH requires merge-patch content type (415 with the exact message)', async () => {
    await call('POST', '/v1/secret/data/a', { body: { data: { x: 1, y: 2 } } });
    const bad = await call('PATCH', '/v1/secret/data/a', {
      body: { data: { x: 3 } },
      headers: { 'Content-Type': 'application/json' },
    });
    expect(bad).toMatchObject({
      status: 415,
      json: {
        errors: ['PATCH requires Content-Type of application/merge-patch+json, provided application/json'],
      },
    });
    const good = await call('PATCH', '/v1/secret/data/a', {
      body: { data: { x: 3, y: null } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(good.status).toBe(200);
    expect((await call('GET', '/v1/secret/data/a')).json.data.data).toEqual({ x: 3 });
  });

  it('malformed JSON → 400 error parsing JSON', async () => {
    expect(await call('POST', '/v1/secret/data/a', { rawBody: '{nope' })).toMatchObject({
      status: 400,
      json: { errors: ['error parsing JSON'] },
    });
  });
});

describe('§8.2–8.4 envelopes and statuses', () => {
  it('success envelope has every key, JSON content type and Cache-Control: no-store', async () => {
    const r = await call('POST', '/v1/secret/data/a', { body: { data: { k: 'v' } } });
    expect(Object.keys(r.json).sort()).toEqual(ENVELOPE_KEYS);
    expect(r.json).toMatchObject({
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      wrap_info: null,
      auth: null,
    });
    expect(r.json.warnings).toBeNull();
    expect(r.json.mount_type).toBe('kv');
    expect(r.json.request_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('204 with empty body for DELETE, metadata POST, delete/undelete/destroy', async () => {
    await call('POST', '/v1/secret/data/a', { body: { data: { k: 'v' } } });
    for (const [m, p, b] of [
      ['POST', '/v1/secret/metadata/a', { max_versions: 5 }],
      ['POST', '/v1/secret/delete/a', { versions: [1] }],
      ['POST', '/v1/secret/undelete/a', { versions: [1] }],
      ['PUT', '/v1/secret/destroy/a', { versions: [1] }],
      ['DELETE', '/v1/secret/data/a', undefined],
      ['DELETE', '/v1/secret/metadata/a', undefined],
    ] as const) {
      const r = await call(m, p, b === undefined ? {} : { body: b });
      expect(r.status, `${m} ${p}`).toBe(204);
      expect(r.text).toBe('');
    }
  });

  it('plain not found is exactly {"errors":[]}; unknown route names the path', async () => {
    expect((await call('GET', '/v1/secret/data/missing')).text).toBe('{"errors":[]}');
    expect(await call('GET', '/v1/nowhere/x')).toMatchObject({
      status: 404,
      json: { errors: ['no handler for route "nowhere/x". route entry not found.'] },
    });
  });
});

describe('§8.5–8.9 KV v2 semantics', () => {
  it('5: deleted and destroyed versions read as 404 envelopes without an errors key', async () => {
    await call('POST', '/v1/secret/data/a', { body: { data: { k: 1 } } });
    await call('POST', '/v1/secret/data/a', { body: { data: { k: 2 } } });
    clock.advance(500);
    await call('DELETE', '/v1/secret/data/a');
    const del = await call('GET', '/v1/secret/data/a');
    expect(del.status).toBe(404);
    expect(del.json.errors).toBeUndefined();
    expect(del.json.data).toEqual({
      data: null,
      metadata: {
        created_time: '2026-03-01T10:20:30.12Z',
        custom_metadata: null,
        deletion_time: '2026-03-01T10:20:30.62Z',
        destroyed: false,
        version: 2,
      },
    });
    await call('POST', '/v1/secret/destroy/a', { body: { versions: [1] } });
    const des = await call('GET', '/v1/secret/data/a?version=1');
    expect(des.status).toBe(404);
    expect(des.json.data.metadata).toMatchObject({ destroyed: true, version: 1 });
    expect((await call('GET', '/v1/secret/data/a?version=9')).text).toBe('{"errors":[]}');
    await call('POST', '/v1/secret/undelete/a', { body: { versions: [2] } });
    expect((await call('GET', '/v1/secret/data/a')).json.data.data).toEqual({ k: 2 });
  });

  it('6: versions increase, cas rules and their exact texts, cas 0 = create only, deleted latest still counts', async () => {
    const w = (cas: unknown) =>
      call('POST', '/v1/secret/data/c', { body: { options: { cas }, data: { n: 1 } } });
    expect((await w(0)).json.data.version).toBe(1);
    expect(await w(0)).toMatchObject({
      status: 400,
      json: { errors: ['check-and-set parameter did not match the current version'] },
    });
    expect((await w('1')).json.data.version).toBe(2);
    expect(await w('x')).toMatchObject({
      status: 400,
      json: { errors: ['error parsing check-and-set parameter'] },
    });
    await call('DELETE', '/v1/secret/data/c');
    expect((await w(2)).json.data.version).toBe(3);
    await call('POST', '/v1/secret/metadata/c', { body: { cas_required: true } });
    expect(await call('POST', '/v1/secret/data/c', { body: { data: { n: 1 } } })).toMatchObject({
      status: 400,
      json: { errors: ['check-and-set parameter required for this call'] },
    });
    expect(await call('POST', '/v1/secret/data/d', { body: {} })).toMatchObject({
      status: 400,
      json: { errors: ['no data provided'] },
    });
    await call('DELETE', '/v1/secret/metadata/c');
    expect((await w(0)).json.data.version).toBe(1);
  });

  it('6: two concurrent writers with the same cas: exactly one wins', async () => {
    const rs = await Promise.all(
      [1, 2, 3, 4].map((n) =>
        call('POST', '/v1/secret/data/race', { body: { options: { cas: 0 }, data: { n } } }),
      ),
    );
    expect(rs.filter((r) => r.status === 200)).toHaveLength(1);
    expect(rs.filter((r) => r.status === 400)).toHaveLength(3);
  });

  it('7: versions beyond max_versions are trimmed and oldest_version advances', async () => {
    await call('POST', '/v1/secret/metadata/t', { body: { max_versions: 3 } });
    for (let i = 1; i <= 5; i++) await call('POST', '/v1/secret/data/t', { body: { data: { i } } });
    const m = await call('GET', '/v1/secret/metadata/t');
    expect(Object.keys(m.json.data.versions)).toEqual(['3', '4', '5']);
    expect(m.json.data).toMatchObject({ current_version: 5, oldest_version: 3, max_versions: 3 });
    expect((await call('GET', '/v1/secret/data/t?version=2')).text).toBe('{"errors":[]}');
    // Default effective max is 10.
    for (let i = 1; i <= 12; i++) await call('POST', '/v1/secret/data/u', { body: { data: { i } } });
    expect((await call('GET', '/v1/secret/metadata/u')).json.data.oldest_version).toBe(3);
  });

  it('8: timestamps, delete_version_after rendering, custom_metadata replace and limits', async () => {
    clock.set(new Date('2026-03-01T10:20:30.000Z'));
    const w = await call('POST', '/v1/secret/data/m', { body: { data: { a: 'b' } } });
    expect(w.json.data).toEqual({
      created_time: '2026-03-01T10:20:30Z',
      custom_metadata: null,
      deletion_time: '',
      destroyed: false,
      version: 1,
    });
    await call('POST', '/v1/secret/metadata/m', {
      body: { custom_metadata: { a: '1', b: '2' }, delete_version_after: '3h25m19s' },
    });
    await call('POST', '/v1/secret/metadata/m', { body: { custom_metadata: { c: 3 } } });
    const m = await call('GET', '/v1/secret/metadata/m');
    expect(m.json.data.custom_metadata).toEqual({ c: '3' });
    expect(m.json.data.delete_version_after).toBe('3h25m19s');
    const tooLong = await call('POST', '/v1/secret/metadata/m', {
      body: { custom_metadata: { k: 'x'.repeat(513) } },
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.errors[0]).toMatch(/^custom_metadata validation failed: 1 error occurred:/);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    expect((await call('POST', '/v1/secret/metadata/m', { body: { custom_metadata: many } })).status).toBe(
      400,
    );
    expect(
      (await call('POST', '/v1/secret/metadata/m', { body: { custom_metadata: { e: '' } } })).status,
    ).toBe(400);
  });

  it('9: metadata POST creates a key with current_version 0; engine cas_required is enforced', async () => {
    expect((await call('POST', '/v1/secret/metadata/fresh', { body: { max_versions: 2 } })).status).toBe(204);
    expect((await call('GET', '/v1/secret/metadata/fresh')).json.data.current_version).toBe(0);
    expect((await call('GET', '/v1/secret/data/fresh')).text).toBe('{"errors":[]}');
    expect((await call('POST', '/v1/secret/config', { body: { cas_required: true } })).status).toBe(204);
    expect((await call('POST', '/v1/secret/data/fresh', { body: { data: { a: 1 } } })).status).toBe(400);
    const warn = await call('POST', '/v1/secret/metadata/fresh', { body: { cas_required: false } });
    expect(warn.status).toBe(200);
    expect(warn.json.warnings).toEqual([
      '"cas_required" set to false, but is mandated by backend config. This value will be ignored.',
    ]);
    expect((await call('GET', '/v1/secret/config')).json.data).toEqual({
      cas_required: true,
      delete_version_after: '0s',
      max_versions: 0,
    });
  });
});

describe('§8.10–8.13 listing, paths, KV v1, mount preflight', () => {
  it('10: LIST sorted with folders; empty → 404 {"errors":[]}', async () => {
    for (const k of ['b', 'a/x', 'a/y/z', 'c'])
      await call('POST', `/v1/secret/data/${k}`, { body: { data: { k } } });
    expect((await call('LIST', '/v1/secret/metadata/')).json.data.keys).toEqual(['a/', 'b', 'c']);
    expect((await call('LIST', '/v1/secret/metadata/a')).json.data.keys).toEqual(['x', 'y/']);
    expect((await call('LIST', '/v1/secret/metadata/none')).text).toBe('{"errors":[]}');
  });

  it("11: a write to a path ending in '/' is refused", async () => {
    expect(await call('POST', '/v1/secret/data/a/', { body: { data: {} } })).toMatchObject({
      status: 400,
      json: { errors: ["cannot write to a path ending in '/'"] },
    });
  });

  it('12: v1-style path on a v2 mount → 404 warning envelope; v2 paths on a v1 mount silently succeed', async () => {
    const r = await call('GET', '/v1/secret/foo');
    expect(r.status).toBe(404);
    expect(r.json.errors).toBeUndefined();
    expect(r.json.warnings[0]).toMatch(/^Invalid path for a versioned K\/V secrets engine\..*'vault kv get'/);
    expect((await call('POST', '/v1/secret/foo', { body: { a: 1 } })).json.warnings[0]).toMatch(
      /'vault kv put'/,
    );
    expect((await call('GET', '/v1/secret/data')).json.warnings).toEqual([
      'Non-listing operations on the root of a K/V v2 mount are not supported.',
    ]);
    expect((await call('GET', '/v1/kv1/data/foo')).text).toBe('{"errors":[]}');
    const w = await call('POST', '/v1/kv1/data/foo', { body: { options: { cas: 0 }, data: { a: 1 } } });
    expect(w.status).toBe(204);
    expect((await call('GET', '/v1/kv1/data/foo')).json.data).toEqual({
      options: { cas: 0 },
      data: { a: 1 },
    });
  });

  it('13: sys/internal/ui/mounts: longest prefix, version as a string, trailing slash, 403 / 400', async () => {
    const r = await call('GET', '/v1/sys/internal/ui/mounts/team/kv/some/key');
    expect(r.status).toBe(200);
    expect(r.json.data).toMatchObject({ path: 'team/kv/', type: 'kv', options: { version: '2' } });
    expect((await call('GET', '/v1/sys/internal/ui/mounts/kv1')).json.data.options).toBeNull();
    expect(await call('GET', '/v1/sys/internal/ui/mounts/ghost')).toMatchObject({
      status: 403,
      json: {
        errors: [
          'preflight capability check returned 403, please ensure client\'s policies grant access to path "ghost/"',
        ],
      },
    });
    const limited = v.control.createToken({ policies: ['default'] });
    expect((await call('GET', '/v1/sys/internal/ui/mounts/secret', { token: limited })).status).toBe(403);
    expect(await call('GET', '/v1/sys/internal/ui/mounts/')).toMatchObject({
      status: 400,
      json: { errors: ['path not set'] },
    });
  });
});

describe('§8.14–8.17 tokens, ACL, logins', () => {
  it('14: X-Vault-Token or Bearer; missing/unknown/expired token → 403, never 401; ACL denial text', async () => {
    v.control.putPolicy('reader', [{ path: 'secret/data/r/*', capabilities: ['read'] }]);
    const t = v.control.createToken({ policies: ['default', 'reader'], ttl: 60 });
    await call('POST', '/v1/secret/data/r/x', { body: { data: { a: 1 } } });
    const bearer = await call('GET', '/v1/secret/data/r/x', {
      token: null,
      headers: { Authorization: `Bearer ${t}` },
    });
    expect(bearer.status).toBe(200);
    const none = await call('GET', '/v1/secret/data/r/x', { token: null });
    expect(none.status).toBe(403);
    expect(none.json.errors[0]).toMatch(/permission denied/);
    expect(none.json.errors[0]).toMatch(/invalid token/);
    const denied = await call('POST', '/v1/secret/data/r/x', { token: t, body: { data: { a: 2 } } });
    expect(denied).toMatchObject({
      status: 403,
      json: { errors: ['1 error occurred:\n\t* permission denied\n\n'] },
    });
    clock.advance(61_000);
    expect((await call('GET', '/v1/secret/data/r/x', { token: t })).status).toBe(403);
  });

  it('14: create vs update capability follows the existence check; capabilities-self answers per path', async () => {
    v.control.putPolicy('creator', [{ path: 'secret/data/p/*', capabilities: ['create', 'read'] }]);
    const t = v.control.createToken({ policies: ['default', 'creator'] });
    expect((await call('POST', '/v1/secret/data/p/new', { token: t, body: { data: { a: 1 } } })).status).toBe(
      200,
    );
    expect((await call('POST', '/v1/secret/data/p/new', { token: t, body: { data: { a: 2 } } })).status).toBe(
      403,
    );
    const caps = await call('POST', '/v1/sys/capabilities-self', {
      token: t,
      body: { paths: ['secret/data/p/x', 'secret/metadata/p/x'] },
    });
    expect(caps.json.data).toEqual({
      'secret/data/p/x': ['create', 'read'],
      'secret/metadata/p/x': ['deny'],
    });
    expect(caps.json['secret/data/p/x']).toEqual(['create', 'read']);
    const one = await call('POST', '/v1/sys/capabilities-self', {
      token: t,
      body: { paths: ['secret/data/p/y'] },
    });
    expect(one.json.data.capabilities).toEqual(['create', 'read']);
    const root = await call('POST', '/v1/sys/capabilities-self', { body: { paths: ['anything'] } });
    expect(root.json.data.capabilities).toEqual(['root']);
  });

  it('15: kubernetes login error table and auth block', async () => {
    v.control.configureKubernetes({
      roles: [
        {
          name: 'rot',
          boundServiceAccountNames: ['sa'],
          boundServiceAccountNamespaces: ['ns'],
          policies: ['w'],
          ttl: 1200,
        },
      ],
    });
    v.control.registerJwt('jwt-ok', { name: 'sa', namespace: 'ns', uid: 'u-1' });
    v.control.registerJwt('jwt-wrong-sa', { name: 'other', namespace: 'ns' });
    v.control.registerJwt('jwt-wrong-ns', { name: 'sa', namespace: 'elsewhere' });
    const login = (body: unknown) => call('POST', '/v1/auth/kubernetes/login', { token: null, body });
    expect(await login({ jwt: 'jwt-ok' })).toMatchObject({ status: 400, json: { errors: ['missing role'] } });
    expect(await login({ role: 'rot' })).toMatchObject({ status: 400, json: { errors: ['missing jwt'] } });
    expect(await login({ role: 'nope', jwt: 'jwt-ok' })).toMatchObject({
      status: 400,
      json: { errors: ['invalid role name "nope"'] },
    });
    expect(await login({ role: 'rot', jwt: 'jwt-wrong-sa' })).toMatchObject({
      status: 403,
      json: { errors: ['service account name not authorized'] },
    });
    expect(await login({ role: 'rot', jwt: 'jwt-wrong-ns' })).toMatchObject({
      status: 403,
      json: { errors: ['namespace not authorized'] },
    });
    expect((await login({ role: 'rot', jwt: 'not-a-jwt' })).status).toBe(403);
    const ok = await login({ role: 'rot', jwt: 'jwt-ok' });
    expect(ok.status).toBe(200);
    expect(ok.json.data).toBeNull();
    expect(Object.keys(ok.json.auth).sort()).toEqual(
      [
        'accessor',
        'client_token',
        'entity_id',
        'lease_duration',
        'metadata',
        'mfa_requirement',
        'num_uses',
        'orphan',
        'policies',
        'renewable',
        'token_policies',
        'token_type',
      ].sort(),
    );
    expect(ok.json.auth).toMatchObject({
      lease_duration: 1200,
      renewable: true,
      token_type: 'service',
      orphan: true,
      policies: ['default', 'w'],
      metadata: {
        role: 'rot',
        service_account_name: 'sa',
        service_account_namespace: 'ns',
        service_account_uid: 'u-1',
      },
    });
    v.control.setTokenReviewFails(true);
    expect(await login({ role: 'rot', jwt: 'jwt-ok' })).toMatchObject({
      status: 403,
      json: { errors: ['permission denied'] },
    });
  });

  it('16: approle: missing role_id → 500, bad credentials → 400', async () => {
    const { roleId, secretId } = v.control.addAppRole({ roleName: 'ci', policies: ['w'], ttl: 600 });
    const login = (body: unknown) => call('POST', '/v1/auth/approle/login', { token: null, body });
    expect(await login({ secret_id: secretId })).toMatchObject({
      status: 500,
      json: { errors: ['missing role_id'] },
    });
    expect(await login({ role_id: roleId, secret_id: 'wrong' })).toMatchObject({
      status: 400,
      json: { errors: ['invalid role or secret ID'] },
    });
    expect(await login({ role_id: 'nope', secret_id: secretId })).toMatchObject({ status: 400 });
    const ok = await login({ role_id: roleId, secret_id: secretId });
    expect(ok.json.auth).toMatchObject({ lease_duration: 600, metadata: { role_name: 'ci' } });
  });

  it('17: lookup-self ttl decreases; renew-self caps at max TTL with the exact warning; non-renewable → 400', async () => {
    const t = v.control.createToken({ policies: ['default'], ttl: 3600, maxTtl: 5400 });
    const l1 = await call('GET', '/v1/auth/token/lookup-self', { token: t });
    expect(l1.json.data).toMatchObject({ ttl: 3600, renewable: true, creation_ttl: 3600, type: 'service' });
    expect(l1.json.auth).toBeNull();
    clock.advance(1000_000);
    expect((await call('GET', '/v1/auth/token/lookup-self', { token: t })).json.data.ttl).toBe(2600);
    clock.advance(1000_000);
    const r = await call('POST', '/v1/auth/token/renew-self', { token: t, body: { increment: '1h' } });
    expect(r.status).toBe(200);
    expect(r.json.auth).toMatchObject({ client_token: t, lease_duration: 3400 });
    expect(r.json.warnings).toEqual([
      'TTL of "1h0m0s" exceeded the effective max_ttl of "56m40s"; TTL value is capped accordingly',
    ]);
    const fixed = v.control.createToken({ policies: ['default'], ttl: 100, renewable: false });
    expect(await call('POST', '/v1/auth/token/renew-self', { token: fixed })).toMatchObject({
      status: 400,
      json: { errors: ['lease is not renewable'] },
    });
    expect(await call('POST', '/v1/auth/token/renew-self')).toMatchObject({
      status: 400,
      json: { errors: ['lease not found'] },
    });
    const root = await call('GET', '/v1/auth/token/lookup-self');
    expect(root.json.data).toMatchObject({ ttl: 0, expire_time: null, policies: ['root'] });
    clock.advance(3401_000);
    expect((await call('GET', '/v1/auth/token/lookup-self', { token: t })).status).toBe(403);
  });
});

describe('§8.18–8.20 modes and faults', () => {
  it('18: sealed → 503 Vault is sealed; health and seal-status keep answering', async () => {
    v.control.seal();
    expect(await call('GET', '/v1/secret/data/a')).toMatchObject({
      status: 503,
      json: { errors: ['Vault is sealed'] },
    });
    const h = await call('GET', '/v1/sys/health');
    expect(h.status).toBe(503);
    expect(h.json.sealed).toBe(true);
    expect((await call('GET', '/v1/sys/seal-status')).json).toMatchObject({ sealed: true, t: 3, n: 5 });
    expect((await call('GET', '/v1/sys/health?sealedcode=200')).status).toBe(200);
    v.control.unseal();
    expect((await call('GET', '/v1/sys/health')).status).toBe(200);
  });

  it('18: standby redirect (307 + Location + query), no-leader 503, quota 429 + Retry-After, one-shot faults', async () => {
    v.control.setStandby({ mode: 'redirect', activeUrl: 'http://127.0.0.1:1' });
    const r = await call('GET', '/v1/secret/data/a?version=2');
    expect(r.status).toBe(307);
    expect(r.headers.get('location')).toBe('http://127.0.0.1:1/v1/secret/data/a?version=2');
    expect(r.text).toBe('');
    v.control.setStandby({ mode: 'no-leader' });
    expect(await call('GET', '/v1/secret/data/a')).toMatchObject({
      status: 503,
      json: { errors: ['no active Vault instance found'] },
    });
    v.control.setStandby(null);
    v.control.quota(1, 3);
    const q = await call('GET', '/v1/secret/data/a');
    expect(q.status).toBe(429);
    expect(q.headers.get('retry-after')).toBe('3');
    expect(q.json.errors).toEqual(['request path "secret/data/a": rate limit quota exceeded']);
    v.control.failNext({ status: 502, errors: ['upstream'], pathPrefix: 'secret/' });
    expect((await call('GET', '/v1/secret/data/a')).status).toBe(502);
    expect((await call('GET', '/v1/secret/data/a')).status).toBe(404);
    v.control.setKvUpgrading('secret', true);
    expect((await call('GET', '/v1/secret/data/a')).json.errors[0]).toMatch(/^Upgrading from non-versioned/);
  });

  it('18: connection dropped after commit: the write landed although no reply came', async () => {
    v.control.dropAfterCommit(1);
    await expect(call('POST', '/v1/secret/data/a', { body: { data: { a: 1 } } })).rejects.toThrow();
    expect((await call('GET', '/v1/secret/data/a')).json.data.data).toEqual({ a: 1 });
  });

  it('19: health codes and overrides', async () => {
    expect((await call('GET', '/v1/sys/health', { token: null })).json).toMatchObject({
      initialized: true,
      sealed: false,
      standby: false,
    });
    v.control.setStandby({ mode: 'redirect', activeUrl: 'http://127.0.0.1:1' });
    expect((await call('GET', '/v1/sys/health')).status).toBe(429);
    expect((await call('GET', '/v1/sys/health?standbyok=true')).status).toBe(200);
    expect((await call('GET', '/v1/sys/health?standbycode=299')).status).toBe(299);
    v.control.setStandby({ mode: 'performance' });
    expect((await call('GET', '/v1/sys/health')).status).toBe(473);
    expect((await call('GET', '/v1/sys/health?perfstandbyok=true')).status).toBe(200);
  });

  it('20: namespace header ignored by default; strict mode → 404 namespace not found', async () => {
    await call('POST', '/v1/secret/data/a', { body: { data: { a: 1 } } });
    expect((await call('GET', '/v1/secret/data/a', { headers: { 'X-Vault-Namespace': 'x/' } })).status).toBe(
      200,
    );
    const strict = await startVaultEmulator({
      clock,
      namespaces: ['ns1'],
      mounts: [{ path: 'kv', version: 2, namespace: 'ns1' }],
    });
    try {
      const h = { 'X-Vault-Token': strict.rootToken };
      const bad = await fetch(`${strict.url}/v1/kv/data/a`, {
        headers: { ...h, 'X-Vault-Namespace': 'ns2' },
      });
      expect(bad.status).toBe(404);
      expect(await bad.json()).toEqual({ errors: ['namespace not found'] });
      const mounts = await fetch(`${strict.url}/v1/sys/internal/ui/mounts/kv`, {
        headers: { ...h, 'X-Vault-Namespace': 'ns1/' },
      });
      expect(((await mounts.json()) as { data: { path: string } }).data.path).toBe('ns1/kv/');
    } finally {
      await strict.close();
    }
  });
});
