/** Scaleway credential resolution: file discovery, profiles, env precedence, validation. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_API_URL, resolveScalewayCredentials } from '../../src/config/scw-credentials.js';
import { ConfigError } from '../../src/errors.js';

const ORG = '11111111-2222-4333-8444-555555555555';
const ORG2 = '66666666-7777-4888-9999-000000000000';
const SECRET_ROOT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const SECRET_PROD = 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff';
const SECRET_ENV = 'cccccccc-dddd-4eee-8fff-000000000000';
const ACCESS = 'SCWABCDEFGHJKMNPQRST';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'scw-cred-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

function writeConfig(text: string, name = 'config.yaml', mode = 0o600): string {
  const dir = join(home, '.config', 'scw');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

const CONFIG = `access_key: ${ACCESS}
secret_key: ${SECRET_ROOT}
default_organization_id: ${ORG}
default_region: fr-par
profiles:
  prod:
    secret_key: ${SECRET_PROD}
    default_project_id: ${ORG2}
  other:
    default_organization_id: ${ORG2}
`;

describe('resolveScalewayCredentials', () => {
  it('reads the root profile of ~/.config/scw/config.yaml', () => {
    const path = writeConfig(CONFIG);
    const c = resolveScalewayCredentials({ env: {}, homeDir: home });
    expect(c.secretKey.reveal()).toBe(SECRET_ROOT);
    expect(c.accessKey).toBe(ACCESS);
    expect(c.organizationId).toBe(ORG);
    expect(c.apiUrl).toBe(DEFAULT_API_URL);
    expect(c.profile).toBe('default');
    expect(c.source).toBe(`secret_key of root profile in ${path}`);
    expect(c.warnings).toEqual([]);
    expect(String(c.secretKey)).not.toContain(SECRET_ROOT);
  });

  it('falls back to config.yml', () => {
    writeConfig(CONFIG, 'config.yml');
    expect(resolveScalewayCredentials({ env: {}, homeDir: home }).secretKey.reveal()).toBe(SECRET_ROOT);
  });

  it('uses XDG_CONFIG_HOME', () => {
    const xdg = join(home, 'xdg');
    mkdirSync(join(xdg, 'scw'), { recursive: true });
    writeFileSync(join(xdg, 'scw', 'config.yaml'), CONFIG, { mode: 0o600 });
    const c = resolveScalewayCredentials({ env: { XDG_CONFIG_HOME: xdg }, homeDir: join(home, 'nowhere') });
    expect(c.secretKey.reveal()).toBe(SECRET_ROOT);
  });

  it('overlays a named profile on the root: SCW_PROFILE > active_profile > root', () => {
    writeConfig(`active_profile: other\n${CONFIG}`);
    const viaActive = resolveScalewayCredentials({ env: {}, homeDir: home });
    expect(viaActive.profile).toBe('other');
    expect(viaActive.organizationId).toBe(ORG2);
    expect(viaActive.secretKey.reveal()).toBe(SECRET_ROOT);
    const viaEnv = resolveScalewayCredentials({ env: { SCW_PROFILE: 'prod' }, homeDir: home });
    expect(viaEnv.profile).toBe('prod');
    expect(viaEnv.secretKey.reveal()).toBe(SECRET_PROD);
    expect(viaEnv.organizationId).toBe(ORG);
    expect(viaEnv.defaultProjectId).toBe(ORG2);
    expect(viaEnv.accessKey).toBe(ACCESS);
    const viaOption = resolveScalewayCredentials({
      env: { SCW_PROFILE: 'prod' },
      profile: 'default',
      homeDir: home,
    });
    expect(viaOption.profile).toBe('default');
    expect(viaOption.secretKey.reveal()).toBe(SECRET_ROOT);
  });

  it('lets environment variables override the file', () => {
    writeConfig(CONFIG);
    const c = resolveScalewayCredentials({
      env: {
        SCW_SECRET_KEY: SECRET_ENV,
        SCW_DEFAULT_ORGANIZATION_ID: ORG2,
        SCW_API_URL: 'http://127.0.0.1:4000',
      },
      homeDir: home,
    });
    expect(c.secretKey.reveal()).toBe(SECRET_ENV);
    expect(c.organizationId).toBe(ORG2);
    expect(c.apiUrl).toBe('http://127.0.0.1:4000');
    expect(c.source).toBe('env SCW_SECRET_KEY');
  });

  it('works from the environment alone', () => {
    const c = resolveScalewayCredentials({
      env: { SCW_SECRET_KEY: SECRET_ENV, SCW_DEFAULT_ORGANIZATION_ID: ORG, SCW_ACCESS_KEY: ACCESS },
      homeDir: home,
    });
    expect(c.accessKey).toBe(ACCESS);
  });

  it('reads SCW_CONFIG_PATH and an explicit configPath', () => {
    const path = join(home, 'custom.yaml');
    writeFileSync(path, CONFIG, { mode: 0o600 });
    expect(resolveScalewayCredentials({ env: { SCW_CONFIG_PATH: path }, homeDir: home }).organizationId).toBe(
      ORG,
    );
    expect(resolveScalewayCredentials({ env: {}, configPath: path, homeDir: home }).organizationId).toBe(ORG);
    expect(() => resolveScalewayCredentials({ env: {}, configPath: join(home, 'missing.yaml') })).toThrow(
      /does not exist/,
    );
  });

  it('warns when the config file is readable by others', () => {
    const path = writeConfig(CONFIG, 'config.yaml', 0o644);
    const c = resolveScalewayCredentials({ env: {}, homeDir: home });
    expect(c.warnings).toHaveLength(1);
    expect(c.warnings[0]).toContain(path);
    expect(c.warnings[0]).toContain('0644');
  });

  it('names every place it looked when the secret key is missing', () => {
    const err = (() => {
      try {
        resolveScalewayCredentials({ env: { SCW_DEFAULT_ORGANIZATION_ID: ORG }, homeDir: home });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('no Scaleway secret key found');
    expect(msg).toContain('env SCW_SECRET_KEY');
    expect(msg).toContain(join(home, '.config', 'scw', 'config.yaml'));
    expect(msg).toContain(join(home, '.config', 'scw', 'config.yml'));
  });

  it('requires an organization id', () => {
    expect(() => resolveScalewayCredentials({ env: { SCW_SECRET_KEY: SECRET_ENV }, homeDir: home })).toThrow(
      /no Scaleway organization id found; looked in: env SCW_DEFAULT_ORGANIZATION_ID/,
    );
  });

  it('takes an explicit organization id (the settings) over the env, and validates it', () => {
    const other = '6c8a8f7e-2a53-4a40-9a8b-3f2c1d0e9b71';
    const creds = resolveScalewayCredentials({
      env: { SCW_SECRET_KEY: SECRET_ENV, SCW_DEFAULT_ORGANIZATION_ID: ORG },
      homeDir: home,
      organizationId: other,
    });
    expect(creds.organizationId).toBe(other);
    expect(
      resolveScalewayCredentials({
        env: { SCW_SECRET_KEY: SECRET_ENV },
        homeDir: home,
        organizationId: other,
      }).organizationId,
    ).toBe(other);
    expect(() =>
      resolveScalewayCredentials({
        env: { SCW_SECRET_KEY: SECRET_ENV },
        homeDir: home,
        organizationId: 'acme',
      }),
    ).toThrow(/organization id from the settings \(scaleway.organizationId\) is not a UUID/);
  });

  it('rejects an unknown profile', () => {
    writeConfig(CONFIG);
    expect(() => resolveScalewayCredentials({ env: { SCW_PROFILE: 'nope' }, homeDir: home })).toThrow(
      /profile "nope" \(from SCW_PROFILE\) does not exist .*known profiles: prod, other/,
    );
  });

  it('validates formats without echoing the secret', () => {
    const base = { SCW_SECRET_KEY: SECRET_ENV, SCW_DEFAULT_ORGANIZATION_ID: ORG };
    const bad = (env: Record<string, string>) => () =>
      resolveScalewayCredentials({ env: { ...base, ...env }, homeDir: home });
    let msg = '';
    try {
      bad({ SCW_SECRET_KEY: 'not-a-uuid-secret' })();
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toContain('secret key from env SCW_SECRET_KEY is not a UUID');
    expect(msg).not.toContain('not-a-uuid-secret');
    expect(bad({ SCW_ACCESS_KEY: 'AKIA123' })).toThrow(/access key from env SCW_ACCESS_KEY is not SCW/);
    expect(bad({ SCW_DEFAULT_ORGANIZATION_ID: 'org' })).toThrow(/organization id .* is not a UUID/);
    expect(bad({ SCW_DEFAULT_PROJECT_ID: 'p' })).toThrow(/project id .* is not a UUID/);
    expect(bad({ SCW_API_URL: 'https://api.scaleway.com/' })).toThrow(/must not end with a slash/);
    expect(bad({ SCW_API_URL: 'ftp://x' })).toThrow(/http or https/);
    expect(bad({ SCW_API_URL: 'not a url' })).toThrow(/not a valid URL/);
  });

  it('reports invalid YAML with its position', () => {
    const path = writeConfig('secret_key: [unclosed\n');
    expect(() => resolveScalewayCredentials({ env: {}, homeDir: home })).toThrow(
      new RegExp(`${path}:\\d+:\\d+: invalid YAML`),
    );
  });
});
