import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings, loadSettings, parseSettings } from '../../src/config/load-settings.js';
import { adminSettings } from '../../src/config/settings.js';
import { ConfigError } from '../../src/errors.js';
import { formatDiagnostic } from '../../src/model/diagnostics.js';

const HEADER = 'apiVersion: scw-gitops/v1alpha1\nkind: Settings\nsource:\n  dir: desired\n';

function parse(body: string, header = HEADER) {
  return parseSettings(header + body, { file: 'settings.yaml', baseDir: '/etc/scw' });
}

function errors(body: string, header = HEADER) {
  return parse(body, header).diagnostics.filter((d) => d.severity === 'error');
}

describe('parseSettings', () => {
  it('applies defaults and resolves relative paths against the file directory', () => {
    const { settings, diagnostics } = parse('sinks:\n  - name: local\n    type: file\n    dir: ../secrets\n');
    expect(diagnostics).toEqual([]);
    expect(settings).toBeDefined();
    expect(settings!.source.dir).toBe('/etc/scw/desired');
    expect(settings!.sinks).toEqual([{ name: 'local', type: 'file', dir: '/etc/secrets', format: 'dotenv' }]);
    // a single sink becomes the default
    expect(settings!.defaults.sink).toBe('local');
    const d = defaultSettings();
    expect(settings!.schedule).toEqual(d.schedule);
    expect(settings!.prune).toEqual(d.prune);
    expect(settings!.server).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(settings!.leaderElection.enabled).toBe(false);
    expect(settings!.instance).toBe('default');
  });

  it('parses every section', () => {
    const { settings, diagnostics } = parse(`instance: prod-eu
scaleway:
  profile: prod
  organizationId: 11111111-2222-3333-4444-555555555555
  listConcurrency: 4
  requestTimeout: 45s
sinks:
  - name: vault
    type: vault
    address: https://vault.example:8200/
    pathPrefix: /iam/
    auth: { method: approle, roleId: r-1, secretIdFile: ./secret-id }
  - name: k8s
    type: kubernetes
    namespace: apps
    reloader: true
    labels: { team: iam, tier: 1 }
defaults:
  sink: vault
  rotation: { lifetime: 90d, rotateBefore: 30d, overlap: 2h }
prune: { Application: true, ApiKey: true }
safety: { maxDeletes: 3, maxDeletePercent: 10 }
server: { host: 127.0.0.1, port: 9090 }
schedule: { resync: "0 */10 * * * *", rotationCheck: "*/2 * * * *", debounce: 500ms }
webhooks:
  github: { secretEnv: GH_SECRET }
  gitlab: { tokenFile: gitlab-token }
  gitSync: { enabled: true }
  maxBodyBytes: 4096
leaderElection: { enabled: true, namespace: ops, leaseDuration: 20s, renewDeadline: 15s, retryPeriod: 3s }
log: { level: debug, pretty: false }
applyConcurrency: 8
`);
    // 500ms is not a supported duration unit: a diagnostic, not silently accepted
    expect(diagnostics.map((d) => d.field)).toEqual(['schedule.debounce']);
    expect(settings).toBeUndefined();
    const ok = parse(
      `instance: prod-eu
sinks:
  - name: vault
    type: vault
    address: https://vault.example:8200/
    pathPrefix: /iam/
    auth: { method: approle, roleId: r-1, secretIdFile: ./secret-id }
  - name: k8s
    type: kubernetes
    namespace: apps
    reloader: true
    labels: { team: iam, tier: 1 }
defaults:
  sink: vault
  rotation: { lifetime: 90d, rotateBefore: 30d, overlap: 2h }
prune: { Application: true, ApiKey: true }
schedule: { resync: "0 */10 * * * *", rotationCheck: "*/2 * * * *", debounce: 2s }
webhooks:
  github: { secretEnv: GH_SECRET }
  gitlab: { tokenFile: gitlab-token }
  gitSync: { enabled: true }
leaderElection: { enabled: true, namespace: ops, leaseDuration: 20s, renewDeadline: 15s, retryPeriod: 3s }
log: { level: debug, pretty: false }
applyConcurrency: 8
`,
    );
    expect(ok.diagnostics).toEqual([]);
    const s = ok.settings!;
    expect(s.instance).toBe('prod-eu');
    expect(s.sinks[0]).toEqual({
      name: 'vault',
      type: 'vault',
      address: 'https://vault.example:8200',
      mount: 'secret',
      pathPrefix: 'iam',
      auth: { method: 'approle', mount: 'approle', roleId: 'r-1', secretIdFile: '/etc/scw/secret-id' },
      timeoutMs: 10_000,
    });
    expect(s.sinks[1]).toEqual({
      name: 'k8s',
      type: 'kubernetes',
      namespace: 'apps',
      reloader: true,
      labels: { team: 'iam', tier: '1' },
    });
    expect(s.defaults).toEqual({
      sink: 'vault',
      rotation: { lifetimeMs: 90 * 86_400_000, rotateBeforeMs: 30 * 86_400_000, overlapMs: 7_200_000 },
    });
    expect(s.prune).toEqual({ Project: false, Application: true, Group: false, Policy: false, ApiKey: true });
    expect(s.schedule).toEqual({ resync: '0 */10 * * * *', rotationCheck: '*/2 * * * *', debounceMs: 2000 });
    expect(s.webhooks).toEqual({
      github: { secretEnv: 'GH_SECRET' },
      gitlab: { tokenFile: '/etc/scw/gitlab-token' },
      gitSync: { enabled: true },
      maxBodyBytes: 1024 * 1024,
    });
    expect(s.leaderElection).toMatchObject({
      enabled: true,
      namespace: 'ops',
      leaseDurationSeconds: 20,
      renewDeadlineSeconds: 15,
      retryPeriodSeconds: 3,
    });
    expect(s.log).toEqual({ level: 'debug', pretty: false });
    expect(s.applyConcurrency).toBe(8);
  });

  it('leaves the secrets-in-source check to the command, and says where the sink dirs are', () => {
    // Inside source.dir, but DIR on the command line may replace it: src/config/source-dir.ts.
    const { settings, diagnostics } = parse(
      'sinks:\n  - name: local\n    type: file\n    dir: desired/.secrets\n',
    );
    expect(diagnostics).toEqual([]);
    expect(settings!.fieldSources?.['sinks[0].dir']).toEqual({ file: 'settings.yaml', line: 8, col: 10 });
    expect(settings!.fieldSources?.['source']).toEqual({ file: 'settings.yaml', line: 4, col: 3 });
  });

  it('accepts prune: true for every kind', () => {
    const { settings } = parse('prune: true\n');
    expect(Object.values(settings!.prune)).toEqual([true, true, true, true, true]);
  });

  it('reports unknown keys with file:line:col and a did-you-mean', () => {
    const errs = errors('schedlue:\n  resync: "* * * * *"\nserver:\n  prot: 80\n');
    expect(errs.map(formatDiagnostic)).toEqual([
      "settings.yaml:5:1: error [unknown-field] schedlue: unknown field 'schedlue' (did you mean 'schedule'?)",
      "settings.yaml:8:3: error [unknown-field] server.prot: unknown field 'prot' (did you mean 'port'?)",
    ]);
  });

  it('refuses literal secrets anywhere, pointing to the Env/File alternatives', () => {
    const errs = errors(
      'webhooks:\n  github:\n    secret: hunter2-hunter2\n  gitlab:\n    token: abc\nscaleway:\n  secretKey: 11111111-2222-3333-4444-555555555555\n',
    );
    expect(errs.map((e) => [e.code, e.field, e.location?.line, e.location?.col])).toEqual([
      ['literal-secret', 'webhooks.github.secret', 7, 5],
      ['missing-field', 'webhooks.github.secretEnv', 7, 5],
      ['literal-secret', 'webhooks.gitlab.token', 9, 5],
      ['missing-field', 'webhooks.gitlab.tokenEnv', 9, 5],
      ['literal-secret', 'scaleway.secretKey', 11, 3],
    ]);
    expect(errs[0]!.hint).toBe("use 'secretEnv' or 'secretFile' instead");
    // the value itself never appears in a message
    expect(JSON.stringify(errs)).not.toContain('hunter2');
    const vault = errors(
      'sinks:\n  - name: v\n    type: vault\n    address: https://v:8200\n    auth: { method: token, token: s.abc }\n',
    );
    expect(vault.map((e) => e.code)).toEqual(['literal-secret']);
    expect(JSON.stringify(vault)).not.toContain('s.abc');
  });

  it('validates apiVersion, kind and instance', () => {
    const errs = errors('instance: Prod_1\n', 'apiVersion: v1\nkind: Setting\nsource: { dir: x }\n');
    expect(errs.map((e) => [e.field, e.code, e.location?.line])).toEqual([
      ['apiVersion', 'invalid-value', 1],
      ['kind', 'invalid-value', 2],
      ['instance', 'invalid-value', 4],
    ]);
  });

  it('reads the hardening keys: size limit, admin listener and token, git-sync token, webhook interval', () => {
    const { settings, diagnostics } = parse(
      `source:
  dir: desired
  maxFileBytes: 2097152
server:
  port: 9090
  admin: { host: 127.0.0.1, port: 9999, tokenEnv: ADMIN_TOKEN }
webhooks:
  gitSync: { enabled: true, tokenFile: ./hook-token }
  minInterval: 30s
`,
      'apiVersion: scw-gitops/v1alpha1\nkind: Settings\n',
    );
    expect(diagnostics).toEqual([]);
    expect(settings!.source).toEqual({ dir: '/etc/scw/desired', maxFileBytes: 2 * 1024 * 1024 });
    expect(settings!.server).toEqual({
      host: '0.0.0.0',
      port: 9090,
      admin: { host: '127.0.0.1', port: 9999, tokenEnv: 'ADMIN_TOKEN' },
    });
    expect(settings!.webhooks.gitSync).toEqual({ enabled: true, tokenFile: '/etc/scw/hook-token' });
    expect(settings!.webhooks.minIntervalMs).toBe(30_000);
  });

  it('defaults the admin listener to loopback on the next port, following a changed main port', () => {
    expect(adminSettings({ host: '0.0.0.0', port: 8080 })).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: 8081,
    });
    expect(adminSettings({ host: '0.0.0.0', port: 0 }).port).toBe(0);
    expect(adminSettings({ host: '0.0.0.0', port: 65535 }).port).toBe(0);
    expect(adminSettings({ host: '0.0.0.0', port: 0, admin: { enabled: false } }).enabled).toBe(false);
  });

  it('refuses an admin listener exposed without a token, or on the main port', () => {
    const exposed = errors('server:\n  admin: { host: 0.0.0.0 }\n');
    expect(exposed.map((e) => [e.field, e.code])).toEqual([['server.admin.host', 'admin-exposed']]);
    expect(exposed[0]!.hint).toMatch(/port-forward|tokenEnv/);
    expect(errors('server:\n  admin: { host: 0.0.0.0, tokenEnv: T }\n')).toEqual([]);
    expect(errors('server:\n  admin: { host: "::1" }\n')).toEqual([]);
    const clash = errors('server:\n  port: 8080\n  admin: { port: 8080 }\n');
    expect(clash.map((e) => [e.field, e.code])).toEqual([['server.admin.port', 'conflicting-fields']]);
    const both = errors('server:\n  admin: { tokenEnv: A, tokenFile: /b }\n');
    expect(both.map((e) => e.code)).toEqual(['conflicting-fields']);
    expect(
      errors(
        'source: { dir: x, maxFileBytes: 10 }\n',
        'apiVersion: scw-gitops/v1alpha1\nkind: Settings\n',
      ).map((e) => e.field),
    ).toEqual(['source.maxFileBytes']);
  });

  it('does not require source.dir (DIR on the command line replaces it)', () => {
    const { settings, diagnostics } = parse('', 'apiVersion: scw-gitops/v1alpha1\nkind: Settings\n');
    expect(diagnostics).toEqual([]);
    expect(settings!.source).toEqual({});
  });

  it('validates durations with H3 parseDuration', () => {
    const errs = errors('defaults:\n  rotation:\n    lifetime: 3 months\n    overlap: 1h\n');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ code: 'invalid-duration', field: 'defaults.rotation.lifetime' });
    expect(errs[0]!.location).toEqual({ file: 'settings.yaml', line: 7, col: 15 });
    expect(errors('defaults:\n  rotation: { lifetime: 30d, rotateBefore: 30d }\n')[0]).toMatchObject({
      field: 'defaults.rotation.rotateBefore',
      code: 'out-of-range',
    });
  });

  it('validates cron expressions with node-cron', () => {
    const errs = errors('schedule:\n  resync: "*/5 * * *"\n  rotationCheck: "61 * * * *"\n');
    expect(errs.map((e) => [e.code, e.field])).toEqual([
      ['invalid-cron', 'schedule.resync'],
      ['invalid-cron', 'schedule.rotationCheck'],
    ]);
  });

  it('validates sinks: type, names, duplicates, required fields, default sink', () => {
    const errs = errors(`sinks:
  - name: a
    type: fiel
  - name: b
    type: file
  - name: Bad_Name
    type: file
    dir: x
  - name: c
    type: file
    dir: x
  - name: c
    type: kubernetes
  - name: v
    type: vault
    auth: { method: kuberentes }
defaults:
  sink: cc
`);
    expect(errs.map((e) => [e.code, e.field])).toEqual([
      ['invalid-value', 'sinks[0].type'],
      ['missing-field', 'sinks[1].dir'],
      ['invalid-value', 'sinks[2].name'],
      ['duplicate-name', 'sinks[4].name'],
      ['missing-field', 'sinks[5].address'],
      ['invalid-value', 'sinks[5].auth.method'],
      ['unknown-sink', 'defaults.sink'],
    ]);
    expect(errs[0]!.hint).toBe("did you mean 'file'?");
    expect(errs[5]!.hint).toBe("did you mean 'kubernetes'?");
    expect(errs[6]!.hint).toBe("did you mean 'c'?");
  });

  it('validates types and ranges', () => {
    const errs = errors(
      'server: { port: 70000, host: [a] }\napplyConcurrency: "4"\nlog: { level: verbose, pretty: maybe }\n',
    );
    expect(errs.map((e) => [e.code, e.field])).toEqual([
      ['out-of-range', 'server.port'],
      ['wrong-type', 'server.host'],
      ['wrong-type', 'applyConcurrency'],
      ['invalid-value', 'log.level'],
      ['invalid-value', 'log.pretty'],
    ]);
  });

  it('checks leader election timing and refuses it with the sandbox', () => {
    const errs = errors(
      'scaleway: { sandbox: { enabled: true } }\nleaderElection: { enabled: true, leaseDuration: 10s, renewDeadline: 10s, retryPeriod: 9s }\n',
    );
    expect(errs.map((e) => [e.code, e.field])).toEqual([
      ['conflicting-fields', 'leaderElection.enabled'],
      ['out-of-range', 'leaderElection.leaseDuration'],
      ['out-of-range', 'leaderElection.renewDeadline'],
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with positions', () => {
    const e1 = errors('server:\n  port: [1\n');
    expect(e1[0]).toMatchObject({ code: 'yaml-syntax' });
    expect(e1[0]!.location!.line).toBeGreaterThanOrEqual(5);
    const e2 = errors('instance: a\ninstance: b\n');
    expect(e2[0]).toMatchObject({ code: 'yaml-syntax', location: { line: 6 } });
  });
});

describe('loadSettings', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'scw-settings-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the shipped config files', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const sandbox = await loadSettings('config/sandbox.yaml', { env: {}, cwd: root });
    expect(sandbox.instance).toBe('sandbox');
    expect(sandbox.scaleway.sandbox?.enabled).toBe(true);
    expect(sandbox.source.dir).toBe(path.join(root, 'examples/basic'));
    expect(sandbox.sinks).toEqual([
      { name: 'local', type: 'file', dir: path.join(root, '.secrets/sandbox'), format: 'dotenv' },
    ]);
    expect(sandbox.server.port).toBe(8080);
    expect(sandbox.file).toBe(path.join(root, 'config/sandbox.yaml'));
    const prod = await loadSettings('config/production.example.yaml', { env: {}, cwd: root });
    expect(prod.leaderElection.enabled).toBe(true);
    expect(prod.sinks.map((s) => s.type)).toEqual(['vault', 'kubernetes']);
    expect(prod.webhooks.github).toEqual({ secretEnv: 'GITHUB_WEBHOOK_SECRET' });
  });

  it('throws one ConfigError listing every diagnostic as file:line:col', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, `${HEADER}instanse: x\nserver: { port: -1 }\n`);
    const err = await loadSettings('bad.yaml', { env: {}, cwd: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const ce = err as ConfigError;
    expect(ce.diagnostics).toHaveLength(2);
    expect(ce.message).toContain(
      "bad.yaml:5:1: error [unknown-field] instanse: unknown field 'instanse' (did you mean 'instance'?)",
    );
    expect(ce.message).toContain('bad.yaml:6:17: error [out-of-range] server.port');
  });

  it('names a missing file', async () => {
    await expect(loadSettings('nope.yaml', { env: {}, cwd: dir })).rejects.toThrow(/nope\.yaml: not found/);
  });

  it('applies environment overrides and validates them', async () => {
    const file = path.join(dir, 'ok.yaml');
    await writeFile(file, HEADER);
    const s = await loadSettings(file, {
      env: { SCW_GITOPS_LOG_LEVEL: 'debug', SCW_GITOPS_INSTANCE: 'blue' },
      cwd: dir,
    });
    expect(s.log.level).toBe('debug');
    expect(s.instance).toBe('blue');
    await expect(loadSettings(file, { env: { SCW_GITOPS_LOG_LEVEL: 'loud' }, cwd: dir })).rejects.toThrow(
      /SCW_GITOPS_LOG_LEVEL/,
    );
  });

  it('moves the shipped sandbox data paths with SCW_GITOPS_DATA_DIR (read-only image, /data volume)', async () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const plain = await loadSettings('config/sandbox.yaml', { env: {}, cwd: root });
    expect(plain.dataDir).toBe(root);
    expect(plain.scaleway.sandbox?.stateFile).toBe(path.join(root, '.sandbox/state.json'));
    const moved = await loadSettings(path.join(root, 'config/sandbox.yaml'), {
      env: { SCW_GITOPS_DATA_DIR: '/data', SCW_GITOPS_PORT: '0', SCW_GITOPS_HOST: '0.0.0.0' },
      cwd: '/',
    });
    expect(moved.dataDir).toBe('/data');
    expect(moved.scaleway.sandbox?.stateFile).toBe('/data/.sandbox/state.json');
    expect(moved.sinks).toEqual([
      { name: 'local', type: 'file', dir: '/data/.secrets/sandbox', format: 'dotenv' },
    ]);
    // read-only inputs stay where the file says
    expect(moved.source.dir).toBe(path.join(root, 'examples/basic'));
    expect(moved.server).toEqual({ host: '0.0.0.0', port: 0 });
    // a relative override is relative to the working directory
    const rel = await loadSettings('config/sandbox.yaml', { env: { SCW_GITOPS_DATA_DIR: 'var' }, cwd: root });
    expect(rel.scaleway.sandbox?.stateFile).toBe(path.join(root, 'var/.sandbox/state.json'));
  });

  it('resolves data paths against dataDir, leaves absolute ones and the other paths alone', async () => {
    const file = path.join(dir, 'data.yaml');
    await writeFile(
      file,
      `${HEADER}dataDir: state\nscaleway: { sandbox: { stateFile: sb.json } }\nsinks:\n  - { name: a, type: file, dir: keys }\n  - { name: b, type: file, dir: /abs/keys }\nwebhooks: { github: { secretFile: gh-secret } }\n`,
    );
    const s = await loadSettings(file, { env: {}, cwd: '/' });
    expect(s.dataDir).toBe(path.join(dir, 'state'));
    expect(s.scaleway.sandbox?.stateFile).toBe(path.join(dir, 'state/sb.json'));
    expect(s.sinks.map((k) => (k.type === 'file' ? k.dir : ''))).toEqual([
      path.join(dir, 'state/keys'),
      '/abs/keys',
    ]);
    expect(s.webhooks.github).toEqual({ secretFile: path.join(dir, 'gh-secret') });
    const env = await loadSettings(file, { env: { SCW_GITOPS_DATA_DIR: '/data' }, cwd: '/' });
    expect(env.sinks.map((k) => (k.type === 'file' ? k.dir : ''))).toEqual(['/data/keys', '/abs/keys']);
  });

  it('refuses a port override that is not a port', async () => {
    const file = path.join(dir, 'ok.yaml');
    await writeFile(file, HEADER);
    for (const bad of ['http', '-1', '70000', '80.5']) {
      await expect(loadSettings(file, { env: { SCW_GITOPS_PORT: bad }, cwd: dir })).rejects.toThrow(
        /SCW_GITOPS_PORT/,
      );
    }
    expect((await loadSettings(file, { env: { SCW_GITOPS_PORT: '9090' }, cwd: dir })).server.port).toBe(9090);
  });

  it('without a file returns defaults rooted at cwd', async () => {
    const s = await loadSettings(undefined, { env: {}, cwd: dir });
    expect(s.source.dir).toBe(dir);
    expect(s.sinks).toEqual([]);
  });
});
