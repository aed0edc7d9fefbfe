/**
 * Scaleway credentials and settings, resolved the way the Go SDK does (docs/design/scaleway-api.md §10):
 *
 * 1. Config file: `configPath` option, else `$SCW_CONFIG_PATH`, else
 *    `$XDG_CONFIG_HOME/scw/config.yaml`, else `~/.config/scw/config.yaml`; for the default
 *    locations `config.yml` is tried when `config.yaml` is missing. Top-level keys form the root
 *    profile; `profiles.<name>` are named profiles.
 * 2. Profile: `profile` option > `SCW_PROFILE` > `active_profile` > root. A named profile is
 *    overlaid on the root profile (its keys win, missing keys come from the root).
 * 3. Environment variables override the file: `SCW_ACCESS_KEY`, `SCW_SECRET_KEY`,
 *    `SCW_DEFAULT_ORGANIZATION_ID`, `SCW_DEFAULT_PROJECT_ID`, `SCW_API_URL`.
 *
 * Throws ConfigError when the secret key or organization id is missing (naming every place
 * looked at), when a value is malformed, when a requested profile does not exist, or when an
 * explicitly given config file cannot be read. A config file readable by others (mode looser
 * than 0600) adds a warning.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import { Secret } from '../model/secret.js';

export const DEFAULT_API_URL = 'https://api.scaleway.com';

export interface ResolveCredentialsOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Explicit profile (e.g. a CLI flag); beats SCW_PROFILE and active_profile. */
  readonly profile?: string;
  /** Explicit config file; must exist when given. */
  readonly configPath?: string;
  /** Home directory for `~/.config/scw`. Default: os.homedir(). */
  readonly homeDir?: string;
  /**
   * Organization id given explicitly (the settings' `scaleway.organizationId`); beats the env and
   * the profile, and makes SCW_DEFAULT_ORGANIZATION_ID optional.
   */
  readonly organizationId?: string;
}

export interface ScalewayCredentials {
  readonly accessKey?: string;
  readonly secretKey: Secret;
  readonly organizationId: string;
  readonly defaultProjectId?: string;
  /** Without trailing slash. */
  readonly apiUrl: string;
  /** `default` for the root profile. */
  readonly profile: string;
  /** Where the secret key came from, e.g. `env SCW_SECRET_KEY` or `profile prod in /x/config.yaml`. */
  readonly source: string;
  readonly warnings: string[];
}

interface ProfileValues {
  access_key?: string;
  secret_key?: string;
  default_organization_id?: string;
  default_project_id?: string;
  api_url?: string;
}

const PROFILE_KEYS: readonly (keyof ProfileValues)[] = [
  'access_key',
  'secret_key',
  'default_organization_id',
  'default_project_id',
  'api_url',
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACCESS_KEY = /^SCW[A-Z0-9]{17}$/i;

interface ConfigFile {
  readonly path: string;
  readonly root: ProfileValues;
  readonly activeProfile?: string;
  readonly profiles: ReadonlyMap<string, ProfileValues>;
}

function readProfile(path: string, where: string, raw: unknown): ProfileValues {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${path}: ${where} must be a mapping`);
  }
  const out: ProfileValues = {};
  for (const k of PROFILE_KEYS) {
    const v = (raw as Record<string, unknown>)[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw new ConfigError(`${path}: ${where}${k} must be a string`);
    out[k] = v;
  }
  return out;
}

function parseConfigFile(path: string, text: string): ConfigFile {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ConfigError(`${path}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${e.message}`);
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return { path, root: {}, profiles: new Map() };
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`${path}: the Scaleway config must be a YAML mapping`);
  }
  const obj = data as Record<string, unknown>;
  const profiles = new Map<string, ProfileValues>();
  const rawProfiles = obj['profiles'];
  if (rawProfiles !== undefined && rawProfiles !== null) {
    if (typeof rawProfiles !== 'object' || Array.isArray(rawProfiles)) {
      throw new ConfigError(`${path}: profiles must be a mapping of name to profile`);
    }
    for (const [name, p] of Object.entries(rawProfiles as Record<string, unknown>)) {
      profiles.set(name, readProfile(path, `profiles.${name}.`, p));
    }
  }
  const active = obj['active_profile'];
  if (active !== undefined && active !== null && typeof active !== 'string') {
    throw new ConfigError(`${path}: active_profile must be a string`);
  }
  return {
    path,
    root: readProfile(path, '', obj),
    ...(typeof active === 'string' && active.length > 0 ? { activeProfile: active } : {}),
    profiles,
  };
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`${path}: cannot read Scaleway config: ${(err as Error).message}`);
  }
}

function checkMode(path: string, warnings: string[]): void {
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      warnings.push(
        `${path}: mode ${mode.toString(8).padStart(4, '0')} lets other users read your Scaleway credentials; run chmod 600 ${path}`,
      );
    }
  } catch {
    // the read succeeded; stat failing is not worth an error
  }
}

/** Locate and parse the config file. `looked` collects every path tried. */
function loadConfig(
  opts: ResolveCredentialsOptions,
  looked: string[],
  warnings: string[],
): ConfigFile | undefined {
  const env = opts.env;
  if (opts.configPath !== undefined) {
    looked.push(opts.configPath);
    const text = tryRead(opts.configPath);
    if (text === undefined) throw new ConfigError(`Scaleway config file ${opts.configPath} does not exist`);
    checkMode(opts.configPath, warnings);
    return parseConfigFile(opts.configPath, text);
  }
  const fromEnv = env['SCW_CONFIG_PATH'];
  if (fromEnv) {
    looked.push(`${fromEnv} (SCW_CONFIG_PATH)`);
    const text = tryRead(fromEnv);
    if (text === undefined) {
      warnings.push(`SCW_CONFIG_PATH=${fromEnv} does not exist; using environment variables only`);
      return undefined;
    }
    checkMode(fromEnv, warnings);
    return parseConfigFile(fromEnv, text);
  }
  const xdg = env['XDG_CONFIG_HOME'];
  const dir = xdg ? join(xdg, 'scw') : join(opts.homeDir ?? homedir(), '.config', 'scw');
  for (const name of ['config.yaml', 'config.yml']) {
    const path = join(dir, name);
    looked.push(path);
    const text = tryRead(path);
    if (text !== undefined) {
      checkMode(path, warnings);
      return parseConfigFile(path, text);
    }
  }
  return undefined;
}

function validate(field: string, where: string, value: string, re: RegExp, what: string): void {
  if (!re.test(value)) {
    throw new ConfigError(`${field} from ${where} is not ${what} (got ${value.length} characters)`);
  }
}

function validateApiUrl(value: string, where: string): string {
  if (value.endsWith('/')) {
    throw new ConfigError(`api_url from ${where} must not end with a slash: ${value}`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`api_url from ${where} is not a valid URL: ${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(`api_url from ${where} must use http or https: ${value}`);
  }
  if (url.search || url.hash) {
    throw new ConfigError(`api_url from ${where} must not carry a query or fragment: ${value}`);
  }
  return value;
}

/** Resolve credentials; see the module comment for precedence and errors. */
export function resolveScalewayCredentials(opts: ResolveCredentialsOptions): ScalewayCredentials {
  const env = opts.env;
  const looked: string[] = [];
  const warnings: string[] = [];
  const file = loadConfig(opts, looked, warnings);

  const requested =
    opts.profile !== undefined
      ? { name: opts.profile, via: 'the profile option' }
      : env['SCW_PROFILE']
        ? { name: env['SCW_PROFILE'], via: 'SCW_PROFILE' }
        : file?.activeProfile !== undefined
          ? { name: file.activeProfile, via: `active_profile in ${file.path}` }
          : undefined;

  let values: ProfileValues = file?.root ?? {};
  let profile = 'default';
  let fileWhere = file ? `${file.path}` : '';
  if (requested !== undefined && requested.name !== 'default') {
    const named = file?.profiles.get(requested.name);
    if (named === undefined) {
      const known = file ? [...file.profiles.keys()] : [];
      throw new ConfigError(
        `Scaleway profile "${requested.name}" (from ${requested.via}) does not exist in ${file?.path ?? 'any config file'}` +
          (known.length ? `; known profiles: ${known.join(', ')}` : ''),
      );
    }
    values = { ...values, ...named };
    profile = requested.name;
    fileWhere = `profile ${profile} in ${file!.path}`;
  } else if (file) {
    fileWhere = `root profile in ${file.path}`;
  }

  const pick = (envName: string, key: keyof ProfileValues): { value?: string; where: string } => {
    const fromEnv = env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, where: `env ${envName}` };
    const v = values[key];
    return v !== undefined ? { value: v, where: `${key} of ${fileWhere}` } : { where: '' };
  };

  const secret = pick('SCW_SECRET_KEY', 'secret_key');
  if (secret.value === undefined) {
    const places = [
      'env SCW_SECRET_KEY',
      ...looked.map((p) => `${p} (secret_key${profile !== 'default' ? ` of profile ${profile}` : ''})`),
    ];
    throw new ConfigError(`no Scaleway secret key found; looked in: ${places.join(', ')}`);
  }
  validate('secret key', secret.where, secret.value, UUID, 'a UUID');

  const access = pick('SCW_ACCESS_KEY', 'access_key');
  if (access.value !== undefined) {
    validate('access key', access.where, access.value, ACCESS_KEY, 'SCW followed by 17 letters or digits');
  }

  const orgId =
    opts.organizationId !== undefined
      ? { value: opts.organizationId, where: 'the settings (scaleway.organizationId)' }
      : pick('SCW_DEFAULT_ORGANIZATION_ID', 'default_organization_id');
  if (orgId.value === undefined) {
    const places = [
      'env SCW_DEFAULT_ORGANIZATION_ID',
      ...looked.map((p) => `${p} (default_organization_id)`),
    ];
    throw new ConfigError(`no Scaleway organization id found; looked in: ${places.join(', ')}`);
  }
  validate('organization id', orgId.where, orgId.value, UUID, 'a UUID');

  const project = pick('SCW_DEFAULT_PROJECT_ID', 'default_project_id');
  if (project.value !== undefined) validate('project id', project.where, project.value, UUID, 'a UUID');

  const api = pick('SCW_API_URL', 'api_url');
  const apiUrl = api.value !== undefined ? validateApiUrl(api.value, api.where) : DEFAULT_API_URL;

  return {
    ...(access.value !== undefined ? { accessKey: access.value } : {}),
    secretKey: new Secret(secret.value),
    organizationId: orgId.value.toLowerCase(),
    ...(project.value !== undefined ? { defaultProjectId: project.value.toLowerCase() } : {}),
    apiUrl,
    profile,
    source: secret.where,
    warnings,
  };
}
