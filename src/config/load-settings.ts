/**
 * The settings file: YAML (`apiVersion: scw-gitops/v1alpha1`, `kind: Settings`) into `Settings`.
 *
 * - Every problem is collected (not only the first) as a Diagnostic with file:line:col, the dotted
 *   field path and, for unknown keys, a did-you-mean hint; `loadSettings` throws one ConfigError.
 * - Relative paths (source dir, sink dirs, CA files, kubeconfigs, secret files) are resolved
 *   against the settings file's directory, so the daemon can be started from anywhere.
 * - Data paths, the ones the daemon writes to (file sink `dir`, `scaleway.sandbox.stateFile`), are
 *   resolved against the data directory instead: `dataDir` in the file (itself relative to the
 *   file's directory; default the file's directory), replaced by `SCW_GITOPS_DATA_DIR` when set.
 *   That lets a container with a read-only root filesystem move them to a volume (the image sets
 *   SCW_GITOPS_DATA_DIR=/data) without editing the file. Absolute data paths never move.
 * - Secrets never live in the file: a literal secret field (`secret`, `token`, `password`,
 *   `secretKey`, `secretId`) is an error pointing at the `*Env` / `*File` alternatives.
 * - Durations are strings (`90d`, `12h`, `30s`) parsed with the desired-state `parseDuration`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { parseDuration } from '../model/duration.js';
import { ConfigError } from '../errors.js';
import { type CronValidator, cronValidatorSync, loadCronValidator, mentionsCron } from './cron.js';
import { type Diagnostic, type SourceLocation, sortDiagnostics } from '../model/diagnostics.js';
import { DEFAULT_INSTANCE, INSTANCE_PATTERN } from '../model/ownership.js';
import { API_VERSION, KINDS } from '../model/resources.js';
import semver from 'semver';
import { type GitRemote, parseGitRemote } from '../source/git-url.js';
import {
  type AdminSettings,
  adminSettings,
  type CommitStatusSettings,
  type FileSinkSettings,
  type GitAuthSettings,
  type GitRefSettings,
  type GitSourceSettings,
  type GitVerifySettings,
  type KubernetesSinkSettings,
  DEFAULT_EXPIRING_WITHIN_MS,
  DEFAULT_NOTIFICATIONS_PER_MINUTE,
  type LeaderElectionSettings,
  NOTIFICATION_EVENTS,
  type NotificationEvent,
  type NotificationSettings,
  type PruneSettings,
  type RotationDefaults,
  type ScalewaySettings,
  type ServerSettings,
  type Settings,
  type SinkSettings,
  type SourceSettings,
  type VaultAuthSettings,
  type VaultSinkSettings,
  type WebhookSettings,
} from './settings.js';

export const SETTINGS_KIND = 'Settings';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const SINK_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A git branch or tag name (git check-ref-format, in short). */
const REF_NAME = /^(?!\/|.*\.\.|.*\/\/|.*\/$|.*\.lock$|.*@\{|-)[^\s~^:?*[\\\p{Cc}]+$/u;
const K8S_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Keys that would hold a secret value in plain text. */
const LITERAL_SECRET_KEYS = new Set([
  'secret',
  'token',
  'password',
  'secretKey',
  'secret_key',
  'secretId',
  'secret_id',
  'apiKey',
]);

export const DEFAULT_RESYNC = '*/5 * * * *';
export const DEFAULT_ROTATION_CHECK = '* * * * *';

/** Built-in defaults: no sinks, no sandbox, listen on 0.0.0.0:8080, prune off everywhere. */
export function defaultSettings(): Settings {
  return {
    instance: DEFAULT_INSTANCE,
    source: { dir: '.' },
    scaleway: { listConcurrency: 8, maxConcurrency: 16, requestTimeoutMs: 30_000, retries: 6 },
    sinks: [],
    defaults: { rotation: { overlapMs: 3_600_000 } },
    prune: { Project: false, Application: false, Group: false, Policy: false, ApiKey: false },
    safety: { maxDeletes: 10, maxDeletePercent: 25 },
    server: { host: '0.0.0.0', port: 8080 },
    schedule: { resync: DEFAULT_RESYNC, rotationCheck: DEFAULT_ROTATION_CHECK, debounceMs: 1000 },
    webhooks: { maxBodyBytes: 1024 * 1024 },
    notifications: [],
    leaderElection: {
      enabled: false,
      namespace: 'default',
      leaseName: 'scw-gitops',
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
    },
    log: { level: 'info', pretty: 'auto' },
    applyConcurrency: 4,
  };
}

export interface LoadSettingsOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/**
 * Read and validate a settings file; `undefined` = built-in defaults (paths relative to `cwd`).
 * Environment overrides (see ENV_OVERRIDES): `SCW_GITOPS_LOG_LEVEL`, `SCW_GITOPS_INSTANCE`,
 * `SCW_GITOPS_HOST`, `SCW_GITOPS_PORT`, `SCW_GITOPS_DATA_DIR` (relative to `cwd`).
 * Throws ConfigError (with every diagnostic) when the file is missing or invalid.
 */
export async function loadSettings(file: string | undefined, opts: LoadSettingsOptions): Promise<Settings> {
  if (file === undefined) {
    const base = defaultSettings();
    const settings = applyEnv(
      { ...base, source: { dir: path.resolve(opts.cwd, base.source.dir ?? '.') } },
      opts.env,
    );
    return { ...settings, cacheDir: cacheDirOf(settings, opts) };
  }
  const abs = path.resolve(opts.cwd, file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `settings file ${file}: ${code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? String(err)})`}`,
    );
  }
  const dataDirEnv = opts.env['SCW_GITOPS_DATA_DIR'];
  const { settings, diagnostics } = parseSettings(text, {
    file,
    baseDir: path.dirname(abs),
    ...(mentionsCron(text) ? { validateCron: await loadCronValidator() } : {}),
    ...(dataDirEnv ? { dataDir: path.resolve(opts.cwd, dataDirEnv) } : {}),
  });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !settings) {
    throw new ConfigError(`settings file ${file} is invalid (${errors.length} error(s))`, diagnostics);
  }
  const withEnv = applyEnv({ ...settings, file: abs }, opts.env);
  return { ...withEnv, cacheDir: cacheDirOf(withEnv, opts) };
}

/** Name of the cache directory under the data directory (hidden: never read as desired state). */
export const CACHE_DIR_NAME = '.scw-gitops-cache';

/** `$SCW_GITOPS_CACHE_DIR`, else `.scw-gitops-cache` under the data directory (or cwd). */
function cacheDirOf(settings: Settings, opts: LoadSettingsOptions): string {
  const fromEnv = opts.env['SCW_GITOPS_CACHE_DIR'];
  if (fromEnv) return path.resolve(opts.cwd, fromEnv);
  const dataEnv = opts.env['SCW_GITOPS_DATA_DIR'];
  const base = settings.dataDir ?? (dataEnv ? path.resolve(opts.cwd, dataEnv) : opts.cwd);
  return path.join(base, CACHE_DIR_NAME);
}

/** Environment variables that override the settings file (documented in `run --help`). */
export const ENV_OVERRIDES = {
  SCW_GITOPS_LOG_LEVEL: 'log.level',
  SCW_GITOPS_INSTANCE: 'instance',
  SCW_GITOPS_HOST: 'server.host',
  SCW_GITOPS_PORT: 'server.port (0 = any free port)',
  SCW_GITOPS_DATA_DIR: 'dataDir: where relative file-sink dirs and the sandbox state file go',
  SCW_GITOPS_CACHE_DIR: 'cache directory (policy rules cache; default .scw-gitops-cache under dataDir)',
} as const;

function applyEnv(s: Settings, env: Readonly<Record<string, string | undefined>>): Settings {
  let out = s;
  const host = env['SCW_GITOPS_HOST'];
  if (host) out = { ...out, server: { ...out.server, host } };
  const port = env['SCW_GITOPS_PORT'];
  if (port) {
    const n = /^\d{1,5}$/.test(port) ? Number(port) : Number.NaN;
    if (!(n >= 0 && n <= 65535)) {
      throw new ConfigError(`SCW_GITOPS_PORT: '${port}' is not a TCP port (0-65535)`);
    }
    out = { ...out, server: { ...out.server, port: n } };
  }
  const level = env['SCW_GITOPS_LOG_LEVEL'];
  if (level) {
    if (!(LOG_LEVELS as readonly string[]).includes(level)) {
      throw new ConfigError(
        `SCW_GITOPS_LOG_LEVEL: unknown level '${level}' (one of ${LOG_LEVELS.join(', ')})`,
      );
    }
    out = { ...out, log: { ...out.log, level } };
  }
  const instance = env['SCW_GITOPS_INSTANCE'];
  if (instance) {
    if (!INSTANCE_PATTERN.test(instance)) {
      throw new ConfigError(`SCW_GITOPS_INSTANCE: '${instance}' must be 1-32 characters of [a-z0-9-]`);
    }
    out = { ...out, instance };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation

export interface ParseSettingsOptions {
  /** Name used in diagnostics. */
  readonly file: string;
  /** Relative paths are resolved against this directory. */
  readonly baseDir: string;
  /**
   * Absolute data directory that replaces the file's `dataDir` (SCW_GITOPS_DATA_DIR): relative
   * file-sink dirs and the sandbox state file are resolved against it.
   */
  readonly dataDir?: string;
  /** node-cron's validator, when the caller loaded it (else it is required on first use). */
  readonly validateCron?: CronValidator;
}

/** Pure-ish (no I/O): parse settings text, returning settings only when there is no error. */
export function parseSettings(
  text: string,
  opts: ParseSettingsOptions,
): { settings?: Settings; diagnostics: Diagnostic[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const v = new Validator(opts.file, opts.baseDir, lc, opts.dataDir);
  if (opts.validateCron) v.validateCron = opts.validateCron;
  for (const e of doc.errors) {
    const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
    v.diagnostics.push({
      severity: 'error',
      code: 'yaml-syntax',
      message: e.message.split('\n')[0] ?? e.message,
      location: { file: opts.file, line: pos?.line ?? 1, col: pos?.col ?? 1 },
    });
  }
  if (doc.errors.length > 0) return { diagnostics: v.diagnostics };
  const root = doc.contents;
  if (!isMap(root)) {
    v.error(root ?? undefined, '', 'not-a-mapping', 'the settings file must be a YAML mapping');
    return { diagnostics: v.diagnostics };
  }
  const settings = v.root(root);
  const diagnostics = sortDiagnostics(v.diagnostics);
  const hasError = diagnostics.some((d) => d.severity === 'error');
  return hasError ? { diagnostics } : { settings, diagnostics };
}

type Fields = Record<string, Node | null>;

class Validator {
  readonly diagnostics: Diagnostic[] = [];
  /** `at.key` of each known key an unknown one looks like (`sinks[0].dri` → `sinks[0].dir`). */
  private readonly meant = new Set<string>();
  /**
   * Sinks that were declared but rejected: their names (when readable), or `undefined` when one
   * had no readable name. `defaults.sink` naming one of them is not a second mistake.
   */
  private readonly rejectedSinks = new Set<string | undefined>();
  /** `dir` nodes of file sinks, by sink index (their locations go to `fieldSources`). */
  readonly fileSinkDirs = new Map<number, Node>();
  /** Base of the data paths (set by root() from `dataDir` or the override). */
  private dataBase: string;
  /** node-cron's validator (see cron.ts). */
  validateCron: CronValidator | undefined;
  constructor(
    private readonly file: string,
    private readonly baseDir: string,
    private readonly lc: LineCounter,
    private readonly dataDirOverride?: string,
  ) {
    this.dataBase = dataDirOverride ?? baseDir;
  }

  loc(node: Node | undefined | null): SourceLocation {
    const offset = node?.range?.[0] ?? 0;
    const p = this.lc.linePos(offset);
    return { file: this.file, line: p.line, col: p.col };
  }

  error(node: Node | undefined | null, field: string, code: string, message: string, hint?: string): void {
    this.diagnostics.push({
      severity: 'error',
      code,
      message,
      location: this.loc(node),
      ...(field ? { field } : {}),
      ...(hint ? { hint } : {}),
    });
  }

  warn(node: Node | undefined | null, field: string, code: string, message: string): void {
    this.diagnostics.push({ severity: 'warning', code, message, location: this.loc(node), field });
  }

  /** Fields of a mapping; unknown keys reported with a did-you-mean; literal secrets refused. */
  fields(node: Node | null | undefined, at: string, known: readonly string[]): Fields | undefined {
    if (node === null || node === undefined) return {};
    if (!isMap(node)) {
      this.error(node, at, 'wrong-type', `${at || 'document'} must be a mapping`);
      return undefined;
    }
    const out: Fields = {};
    for (const pair of (node as YAMLMap<unknown, unknown>).items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      const field = key === undefined ? at : join(at, key);
      if (key === undefined) {
        this.error(keyNode, at, 'wrong-type', 'keys must be plain strings');
        continue;
      }
      if (!known.includes(key)) {
        if (LITERAL_SECRET_KEYS.has(key)) {
          const alt = secretAlternatives(known);
          this.error(
            keyNode,
            field,
            'literal-secret',
            `secrets must not be written in the settings file`,
            alt ? `use ${alt} instead` : 'pass it through the environment or a file',
          );
          continue;
        }
        const guess = didYouMean(key, known);
        if (guess !== undefined) this.meant.add(join(at, guess));
        this.error(
          keyNode,
          field,
          'unknown-field',
          `unknown field '${key}'`,
          guess ? `did you mean '${guess}'?` : `known fields: ${known.join(', ')}`,
        );
        continue;
      }
      out[key] = (pair.value as Node | null) ?? null;
    }
    return out;
  }

  str(
    f: Fields,
    key: string,
    at: string,
    opts: { pattern?: RegExp; patternText?: string } = {},
  ): string | undefined {
    const node = f[key];
    if (node === undefined || node === null) return undefined;
    const field = join(at, key);
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') {
      if (isScalar(node) && (typeof node.value === 'number' || typeof node.value === 'boolean')) {
        // Allow `port: 8080`-like scalars to be read as text where text is wanted.
        return String(node.value);
      }
      this.error(node, field, 'wrong-type', `${field} must be a non-empty string`);
      return undefined;
    }
    if (opts.pattern && !opts.pattern.test(node.value)) {
      this.error(
        node,
        field,
        'invalid-value',
        `${field}: '${node.value}' ${opts.patternText ?? 'is invalid'}`,
      );
      return undefined;
    }
    return node.value;
  }

  envName(f: Fields, key: string, at: string): string | undefined {
    return this.str(f, key, at, {
      pattern: ENV_NAME,
      patternText: 'is not a valid environment variable name',
    });
  }

  path(f: Fields, key: string, at: string): string | undefined {
    const s = this.str(f, key, at);
    return s === undefined ? undefined : path.resolve(this.baseDir, s);
  }

  /** A path the daemon writes to: relative to the data directory. */
  dataPath(f: Fields, key: string, at: string): string | undefined {
    const s = this.str(f, key, at);
    return s === undefined ? undefined : path.resolve(this.dataBase, s);
  }

  bool(f: Fields, key: string, at: string): boolean | undefined {
    const node = f[key];
    if (node === undefined || node === null) return undefined;
    if (!isScalar(node) || typeof node.value !== 'boolean') {
      this.error(node, join(at, key), 'wrong-type', `${join(at, key)} must be true or false`);
      return undefined;
    }
    return node.value;
  }

  int(f: Fields, key: string, at: string, min: number, max: number): number | undefined {
    const node = f[key];
    if (node === undefined || node === null) return undefined;
    const field = join(at, key);
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value)) {
      this.error(node, field, 'wrong-type', `${field} must be an integer`);
      return undefined;
    }
    if (node.value < min || node.value > max) {
      this.error(
        node,
        field,
        'out-of-range',
        `${field} must be between ${min} and ${max}, got ${node.value}`,
      );
      return undefined;
    }
    return node.value;
  }

  enumOf<T extends string>(f: Fields, key: string, at: string, values: readonly T[]): T | undefined {
    const node = f[key];
    if (node === undefined || node === null) return undefined;
    const field = join(at, key);
    const value = isScalar(node) ? String(node.value) : undefined;
    if (value === undefined || !(values as readonly string[]).includes(value)) {
      const guess = value === undefined ? undefined : didYouMean(value, values);
      this.error(
        node,
        field,
        'invalid-value',
        `${field} must be one of ${values.join(', ')}`,
        guess ? `did you mean '${guess}'?` : undefined,
      );
      return undefined;
    }
    return value as T;
  }

  /** A duration string (`90d`, `1h30m`); returns milliseconds. */
  duration(f: Fields, key: string, at: string, opts: { min?: number } = {}): number | undefined {
    const node = f[key];
    if (node === undefined || node === null) return undefined;
    const field = join(at, key);
    const text = isScalar(node) ? String(node.value) : undefined;
    const ms = text === undefined ? undefined : parseDuration(text);
    if (ms === undefined) {
      this.error(
        node,
        field,
        'invalid-duration',
        `${field}: '${text ?? '…'}' is not a duration`,
        "write e.g. '90d', '12h', '30m', '45s', '1w' or '1d12h'",
      );
      return undefined;
    }
    if (opts.min !== undefined && ms < opts.min) {
      this.error(node, field, 'out-of-range', `${field} must be at least ${opts.min / 1000}s`);
      return undefined;
    }
    return ms;
  }

  cron(f: Fields, key: string, at: string): string | undefined {
    const text = this.str(f, key, at);
    if (text === undefined) return undefined;
    this.validateCron ??= cronValidatorSync();
    const result = this.validateCron(text);
    if (!result.valid) {
      const why = result.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
      this.error(
        f[key],
        join(at, key),
        'invalid-cron',
        `${join(at, key)}: '${text}' is not a valid cron expression${why ? ` (${why})` : ''}`,
        "e.g. '*/5 * * * *' (every 5 minutes) or '0 */1 * * * *' (with seconds)",
      );
      return undefined;
    }
    return text;
  }

  /** Only one of `a` / `b` may be set. */
  exclusive(f: Fields, a: string, b: string, at: string): boolean {
    if (f[a] !== undefined && f[b] !== undefined) {
      this.error(
        f[b],
        join(at, b),
        'conflicting-fields',
        `${join(at, a)} and ${join(at, b)} are mutually exclusive`,
      );
      return false;
    }
    return true;
  }

  // --- sections -------------------------------------------------------------------------------

  root(node: YAMLMap): Settings {
    const d = defaultSettings();
    const f =
      this.fields(node, '', [
        'apiVersion',
        'kind',
        'instance',
        'source',
        'scaleway',
        'sinks',
        'defaults',
        'prune',
        'safety',
        'server',
        'schedule',
        'webhooks',
        'notifications',
        'leaderElection',
        'log',
        'applyConcurrency',
        'dataDir',
      ]) ?? {};
    const dataDir = this.path(f, 'dataDir', '');
    if (this.dataDirOverride === undefined && dataDir !== undefined) this.dataBase = dataDir;
    const apiVersion = f['apiVersion'];
    if (apiVersion === undefined) {
      this.error(node, 'apiVersion', 'missing-field', `apiVersion is required ('${API_VERSION}')`);
    } else if (!isScalar(apiVersion) || apiVersion.value !== API_VERSION) {
      this.error(apiVersion, 'apiVersion', 'invalid-value', `apiVersion must be '${API_VERSION}'`);
    }
    const kind = f['kind'];
    if (kind === undefined) {
      this.error(node, 'kind', 'missing-field', `kind is required ('${SETTINGS_KIND}')`);
    } else if (!isScalar(kind) || kind.value !== SETTINGS_KIND) {
      this.error(kind, 'kind', 'invalid-value', `kind must be '${SETTINGS_KIND}'`);
    }
    const instance =
      this.str(f, 'instance', '', {
        pattern: INSTANCE_PATTERN,
        patternText: 'must be 1-32 characters of [a-z0-9-], starting with a letter or digit',
      }) ?? d.instance;

    const source = this.source(f['source']);
    const scaleway = this.scaleway(f['scaleway'], d.scaleway);
    const sinks = this.sinks(f['sinks']);
    const defaults = this.defaults(f['defaults'], sinks, d.defaults);
    const prune = this.prune(f['prune'], d.prune);
    const safety = this.safety(f['safety'], d.safety);
    const server = this.server(f['server'], d.server);
    const schedule = this.schedule(f['schedule'], d.schedule);
    const webhooks = this.webhooks(f['webhooks'], d.webhooks);
    const notifications = this.notifications(f['notifications']);
    const leaderElection = this.leaderElection(f['leaderElection'], d.leaderElection);
    const log = this.log(f['log'], d.log);
    const applyConcurrency = this.int(f, 'applyConcurrency', '', 1, 64) ?? d.applyConcurrency;

    // Secrets inside the desired-state tree (`secrets-in-source`) are checked against the
    // directory a command actually uses, which DIR on the command line may replace:
    // src/config/source-dir.ts.
    const fieldSources: Record<string, SourceLocation> = { '': this.loc(node) };
    if (f['source']) fieldSources['source'] = this.loc(f['source']);
    for (const [i, dirNode] of this.fileSinkDirs) fieldSources[`sinks[${i}].dir`] = this.loc(dirNode);
    if (scaleway.sandbox?.enabled && leaderElection.enabled) {
      this.error(
        f['leaderElection'],
        'leaderElection.enabled',
        'conflicting-fields',
        'leader election cannot be used with the in-process sandbox (each replica would have its own)',
      );
    }
    if (scaleway.sandbox?.enabled && scaleway.apiUrl) {
      this.error(
        f['scaleway'],
        'scaleway.apiUrl',
        'conflicting-fields',
        'scaleway.apiUrl and scaleway.sandbox.enabled are mutually exclusive',
      );
    }
    return {
      instance,
      dataDir: this.dataBase,
      source,
      scaleway,
      sinks,
      defaults,
      prune,
      safety,
      server,
      schedule,
      webhooks,
      notifications,
      leaderElection,
      log,
      applyConcurrency,
      fieldSources,
    };
  }

  /**
   * `source.dir` is optional: DIR on the command line replaces it (src/config/source-dir.ts).
   * `source.git` (exclusive with `dir`): a repository the daemon fetches itself.
   */
  source(node: Node | null | undefined): SourceSettings {
    if (node === undefined || node === null) return {};
    const f = this.fields(node, 'source', ['dir', 'git', 'maxFileBytes']) ?? {};
    const maxFileBytes = this.int(f, 'maxFileBytes', 'source', 1024, 256 * 1024 * 1024);
    const limit = maxFileBytes !== undefined ? { maxFileBytes } : {};
    if (!this.exclusive(f, 'dir', 'git', 'source')) return limit;
    if (f['git'] !== undefined) {
      const git = this.gitSource(f['git'], 'source.git');
      return git ? { git, ...limit } : limit;
    }
    const dir = this.path(f, 'dir', 'source');
    return { ...(dir !== undefined ? { dir } : {}), ...limit };
  }

  gitSource(node: Node | null, at: string): GitSourceSettings | undefined {
    const f =
      this.fields(node, at, [
        'url',
        'ref',
        'path',
        'interval',
        'timeout',
        'cacheDir',
        'forcePush',
        'auth',
        'verify',
        'commitStatus',
      ]) ?? {};
    const url = this.str(f, 'url', at);
    if (url === undefined && f['url'] === undefined) {
      this.error(node, `${at}.url`, 'missing-field', `${at}.url is required (the repository to fetch)`);
    }
    let remote: GitRemote | undefined;
    if (url !== undefined) {
      try {
        remote = parseGitRemote(url);
        if (remote.credentials) {
          this.error(
            f['url'],
            `${at}.url`,
            'literal-secret',
            'secrets must not be written in the settings file: the URL carries credentials',
            `remove them from the URL and use ${at}.auth.tokenEnv, tokenFile, passwordEnv or passwordFile`,
          );
        }
      } catch (err) {
        this.error(f['url'], `${at}.url`, 'invalid-value', (err as Error).message);
      }
    }
    const ref = this.gitRef(f['ref'], `${at}.ref`, node);
    const rawPath = this.str(f, 'path', at) ?? '';
    const subPath = rawPath.replace(/^\.?\/+/, '').replace(/\/+$/, '');
    if (subPath.split('/').includes('..')) {
      this.error(
        f['path'],
        `${at}.path`,
        'invalid-value',
        `${at}.path must stay inside the repository (no '..')`,
      );
    }
    const auth = this.gitAuth(f['auth'], `${at}.auth`, remote);
    const verify = this.gitVerify(f['verify'], `${at}.verify`);
    const commitStatus =
      f['commitStatus'] !== undefined
        ? this.commitStatus(f['commitStatus'], `${at}.commitStatus`, remote)
        : undefined;
    const intervalMs = this.duration(f, 'interval', at, { min: 1000 }) ?? 60_000;
    const timeoutMs = this.duration(f, 'timeout', at, { min: 1000 }) ?? 120_000;
    const cacheDir = this.dataPath(f, 'cacheDir', at) ?? path.resolve(this.dataBase, 'git-source');
    const forcePush = this.enumOf(f, 'forcePush', at, ['refuse', 'follow'] as const) ?? 'refuse';
    if (!url || !remote || !ref || !verify || (f['commitStatus'] !== undefined && !commitStatus))
      return undefined;
    return {
      url,
      ref,
      path: subPath,
      intervalMs,
      timeoutMs,
      cacheDir,
      forcePush,
      auth,
      verify,
      ...(commitStatus ? { commitStatus } : {}),
    };
  }

  private gitRef(node: Node | null | undefined, at: string, parent: Node | null): GitRefSettings | undefined {
    if (node === undefined || node === null) return { branch: 'main' };
    const f = this.fields(node, at, ['branch', 'tag', 'semver', 'commit']) ?? {};
    const set = ['branch', 'tag', 'semver', 'commit'].filter((k) => f[k] !== undefined);
    const branch = this.str(f, 'branch', at, {
      pattern: REF_NAME,
      patternText: 'is not a valid branch name',
    });
    const tag = this.str(f, 'tag', at, { pattern: REF_NAME, patternText: 'is not a valid tag name' });
    const range = this.str(f, 'semver', at);
    if (range !== undefined && semver.validRange(range) === null) {
      this.error(
        f['semver'],
        `${at}.semver`,
        'invalid-value',
        `${at}.semver: '${range}' is not a semver range`,
        "e.g. '^1.2', '~1.2.3', '>=1.0.0 <2.0.0'",
      );
    }
    const commit = this.str(f, 'commit', at, {
      pattern: /^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$/,
      patternText: 'must be a full commit hash (40 hexadecimal digits)',
    });
    const allowed =
      set.length === 1 || (set.length === 2 && set.includes('commit') && set.includes('branch'));
    if (!allowed) {
      this.error(
        node ?? parent,
        at,
        set.length === 0 ? 'missing-field' : 'conflicting-fields',
        `${at} needs exactly one of branch, tag, semver or commit (commit may be combined with branch)`,
      );
      return undefined;
    }
    if (commit !== undefined)
      return { commit: commit.toLowerCase(), ...(branch !== undefined ? { branch } : {}) };
    if (branch !== undefined) return { branch };
    if (tag !== undefined) return { tag };
    if (range !== undefined && semver.validRange(range) !== null) return { semver: range };
    return undefined;
  }

  private gitAuth(node: Node | null | undefined, at: string, remote: GitRemote | undefined): GitAuthSettings {
    const f =
      this.fields(node, at, [
        'sshKeyFile',
        'knownHostsFile',
        'tokenEnv',
        'tokenFile',
        'username',
        'usernameEnv',
        'passwordEnv',
        'passwordFile',
      ]) ?? {};
    this.exclusive(f, 'tokenEnv', 'tokenFile', at);
    this.exclusive(f, 'passwordEnv', 'passwordFile', at);
    this.exclusive(f, 'username', 'usernameEnv', at);
    const token = f['tokenEnv'] !== undefined || f['tokenFile'] !== undefined;
    const password = f['passwordEnv'] !== undefined || f['passwordFile'] !== undefined;
    if (token && password) {
      this.error(
        f['passwordEnv'] ?? f['passwordFile'],
        at,
        'conflicting-fields',
        `${at}: a token and a password are mutually exclusive`,
      );
    }
    if (password && f['username'] === undefined && f['usernameEnv'] === undefined) {
      this.error(node, `${at}.username`, 'missing-field', `${at}: a password needs username or usernameEnv`);
    }
    const ssh = f['sshKeyFile'] !== undefined;
    if (ssh && (token || password)) {
      this.error(
        f['sshKeyFile'],
        at,
        'conflicting-fields',
        `${at}: sshKeyFile and a token or password are mutually exclusive`,
      );
    }
    if (ssh && f['knownHostsFile'] === undefined) {
      this.error(
        f['sshKeyFile'],
        `${at}.knownHostsFile`,
        'missing-field',
        `${at}.sshKeyFile needs knownHostsFile: host keys are always checked`,
        'e.g. ssh-keyscan github.com > known_hosts, checked against the host documentation',
      );
    }
    if (remote && ssh && remote.transport !== 'ssh') {
      this.error(
        f['sshKeyFile'],
        `${at}.sshKeyFile`,
        'invalid-value',
        `${at}.sshKeyFile needs an ssh URL (ssh:// or git@host:path)`,
      );
    }
    if (remote && (token || password) && remote.transport !== 'https' && remote.transport !== 'http') {
      this.error(node, at, 'invalid-value', `${at}: a token or password works with an https URL only`);
    }
    const out: { -readonly [K in keyof GitAuthSettings]: GitAuthSettings[K] } = {};
    const set = <K extends keyof GitAuthSettings>(key: K, value: GitAuthSettings[K] | undefined) => {
      if (value !== undefined) out[key] = value;
    };
    set('sshKeyFile', this.path(f, 'sshKeyFile', at));
    set('knownHostsFile', this.path(f, 'knownHostsFile', at));
    set('tokenEnv', this.envName(f, 'tokenEnv', at));
    set('tokenFile', this.path(f, 'tokenFile', at));
    set('username', this.str(f, 'username', at));
    set('usernameEnv', this.envName(f, 'usernameEnv', at));
    set('passwordEnv', this.envName(f, 'passwordEnv', at));
    set('passwordFile', this.path(f, 'passwordFile', at));
    return out;
  }

  private gitVerify(node: Node | null | undefined, at: string): GitVerifySettings | undefined {
    const f = this.fields(node, at, ['mode', 'openpgpKeys', 'allowedSigners']) ?? {};
    const mode = this.enumOf(f, 'mode', at, ['off', 'warn', 'enforce'] as const) ?? 'off';
    const openpgpKeys = this.pathList(f, 'openpgpKeys', at);
    const allowedSigners = this.path(f, 'allowedSigners', at);
    if (
      mode !== 'off' &&
      openpgpKeys.length === 0 &&
      allowedSigners === undefined &&
      f['openpgpKeys'] === undefined &&
      f['allowedSigners'] === undefined
    ) {
      this.error(
        f['mode'] ?? node,
        `${at}.mode`,
        'missing-field',
        `${at}.mode ${mode} needs trusted keys: openpgpKeys (public key files) and/or allowedSigners (SSH)`,
      );
      return undefined;
    }
    return { mode, openpgpKeys, ...(allowedSigners !== undefined ? { allowedSigners } : {}) };
  }

  /** A path or a list of paths (relative to the file's directory). */
  private pathList(f: Fields, key: string, at: string): string[] {
    const node = f[key];
    if (node === undefined || node === null) return [];
    if (isScalar(node)) {
      const one = this.path(f, key, at);
      return one !== undefined ? [one] : [];
    }
    if (!isSeq(node)) {
      this.error(node, join(at, key), 'wrong-type', `${join(at, key)} must be a path or a list of paths`);
      return [];
    }
    const out: string[] = [];
    node.items.forEach((item, i) => {
      const p = this.path({ [String(i)]: item as Node | null }, String(i), join(at, key));
      if (p !== undefined) out.push(p);
    });
    return out;
  }

  private commitStatus(
    node: Node | null,
    at: string,
    remote: GitRemote | undefined,
  ): CommitStatusSettings | undefined {
    const f =
      this.fields(node, at, [
        'provider',
        'apiUrl',
        'repository',
        'tokenEnv',
        'tokenFile',
        'context',
        'publicUrl',
      ]) ?? {};
    const host = remote?.host ?? '';
    const guessed = host === 'github.com' ? 'github' : host === 'gitlab.com' ? 'gitlab' : undefined;
    const provider = this.enumOf(f, 'provider', at, ['github', 'gitlab'] as const) ?? guessed;
    if (provider === undefined && f['provider'] === undefined) {
      this.error(
        node,
        `${at}.provider`,
        'missing-field',
        `${at}.provider is required for ${host || 'this URL'} (github or gitlab)`,
      );
    }
    const urlPattern = { pattern: /^https?:\/\/[^\s/]+(\/[^\s]*)?$/, patternText: 'must be an http(s) URL' };
    const apiUrl = this.str(f, 'apiUrl', at, urlPattern);
    const publicUrl = this.str(f, 'publicUrl', at, urlPattern);
    const repository = this.str(f, 'repository', at) ?? remote?.repoPath;
    if (!repository && f['repository'] === undefined) {
      this.error(
        node,
        `${at}.repository`,
        'missing-field',
        `${at}.repository is required (owner/name, or the GitLab project)`,
      );
    }
    this.exclusive(f, 'tokenEnv', 'tokenFile', at);
    const tokenEnv = this.envName(f, 'tokenEnv', at);
    const tokenFile = this.path(f, 'tokenFile', at);
    if (f['tokenEnv'] === undefined && f['tokenFile'] === undefined) {
      this.error(
        node,
        `${at}.tokenEnv`,
        'missing-field',
        `${at} needs tokenEnv or tokenFile (a token allowed to set commit statuses)`,
      );
    }
    const context = this.str(f, 'context', at) ?? 'scw-gitops';
    if (!provider || !repository || (!tokenEnv && !tokenFile)) return undefined;
    return {
      provider,
      apiUrl: (
        apiUrl ?? (provider === 'github' ? 'https://api.github.com' : 'https://gitlab.com/api/v4')
      ).replace(/\/+$/, ''),
      repository,
      ...(tokenFile ? { tokenFile } : tokenEnv ? { tokenEnv } : {}),
      context,
      ...(publicUrl ? { publicUrl: publicUrl.replace(/\/+$/, '') } : {}),
    };
  }

  scaleway(node: Node | null | undefined, d: ScalewaySettings): ScalewaySettings {
    const f =
      this.fields(node, 'scaleway', [
        'sandbox',
        'apiUrl',
        'profile',
        'organizationId',
        'listConcurrency',
        'maxConcurrency',
        'requestTimeout',
        'retries',
      ]) ?? {};
    let sandbox: ScalewaySettings['sandbox'];
    if (f['sandbox'] !== undefined) {
      const s = this.fields(f['sandbox'], 'scaleway.sandbox', ['enabled', 'port', 'stateFile']) ?? {};
      const stateFile = this.dataPath(s, 'stateFile', 'scaleway.sandbox');
      sandbox = {
        enabled: this.bool(s, 'enabled', 'scaleway.sandbox') ?? true,
        port: this.int(s, 'port', 'scaleway.sandbox', 0, 65535) ?? 0,
        ...(stateFile !== undefined ? { stateFile } : {}),
      };
    }
    const apiUrl = this.str(f, 'apiUrl', 'scaleway', {
      pattern: /^https?:\/\/[^\s/]+(\/[^\s]*)?$/,
      patternText: 'must be an http(s) URL',
    });
    const profile = this.str(f, 'profile', 'scaleway');
    const organizationId = this.str(f, 'organizationId', 'scaleway', {
      pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      patternText: 'must be a UUID',
    });
    const listConcurrency = this.int(f, 'listConcurrency', 'scaleway', 1, 64) ?? d.listConcurrency;
    // a start above the default ceiling raises the ceiling with it
    const maxConcurrency =
      this.int(f, 'maxConcurrency', 'scaleway', 1, 64) ?? Math.max(d.maxConcurrency, listConcurrency);
    return {
      ...(sandbox ? { sandbox } : {}),
      ...(apiUrl ? { apiUrl: apiUrl.replace(/\/+$/, '') } : {}),
      ...(profile ? { profile } : {}),
      ...(organizationId ? { organizationId } : {}),
      listConcurrency,
      maxConcurrency: Math.max(listConcurrency, maxConcurrency),
      requestTimeoutMs: this.duration(f, 'requestTimeout', 'scaleway', { min: 1000 }) ?? d.requestTimeoutMs,
      retries: this.int(f, 'retries', 'scaleway', 0, 10) ?? d.retries,
    };
  }

  sinks(node: Node | null | undefined): SinkSettings[] {
    if (node === undefined || node === null) return [];
    if (!isSeq(node)) {
      this.error(node, 'sinks', 'wrong-type', 'sinks must be a list');
      return [];
    }
    const out: SinkSettings[] = [];
    const seen = new Map<string, number>();
    node.items.forEach((item, i) => {
      const at = `sinks[${i}]`;
      const itemNode = item as Node | null;
      const typeNode = isMap(itemNode) ? (itemNode.get('type', true) as Node | undefined) : undefined;
      const type = isScalar(typeNode) ? String(typeNode.value) : undefined;
      const common = ['name', 'type', 'removeRecords'];
      let sink: SinkSettings | undefined;
      if (!isMap(itemNode)) {
        this.error(itemNode, at, 'wrong-type', `${at} must be a mapping`);
        return;
      }
      if (type === undefined) {
        this.error(
          itemNode,
          `${at}.type`,
          'missing-field',
          `${at}.type is required (file, vault or kubernetes)`,
        );
        this.rejectSink(itemNode);
        return;
      }
      if (type === 'file') {
        const f = this.fields(itemNode, at, [...common, 'dir', 'format']) ?? {};
        const dir = this.dataPath(f, 'dir', at);
        if (dir === undefined) this.missing(f, 'dir', at, itemNode);
        else if (f['dir']) this.fileSinkDirs.set(i, f['dir']);
        const name = this.sinkName(f, at, itemNode);
        if (name && dir) {
          const s: FileSinkSettings = {
            name,
            type: 'file',
            dir,
            format: this.enumOf(f, 'format', at, ['dotenv', 'json'] as const) ?? 'dotenv',
          };
          sink = s;
        }
      } else if (type === 'vault') {
        sink = this.vaultSink(itemNode, at, common);
      } else if (type === 'kubernetes') {
        sink = this.kubernetesSink(itemNode, at, common);
      } else {
        const guess = didYouMean(type, ['file', 'vault', 'kubernetes']);
        this.error(
          typeNode,
          `${at}.type`,
          'invalid-value',
          `${at}.type must be file, vault or kubernetes`,
          guess ? `did you mean '${guess}'?` : undefined,
        );
        this.rejectSink(itemNode);
        return;
      }
      if (!sink) {
        this.rejectSink(itemNode);
        return;
      }
      const prev = seen.get(sink.name);
      if (prev !== undefined) {
        this.error(
          itemNode.get('name', true) as Node,
          `${at}.name`,
          'duplicate-name',
          `sink name '${sink.name}' is already used by sinks[${prev}]`,
        );
        return;
      }
      seen.set(sink.name, i);
      const removeRecords = this.bool(
        { removeRecords: itemNode.get('removeRecords', true) as Node },
        'removeRecords',
        at,
      );
      out.push(removeRecords === undefined ? sink : { ...sink, removeRecords });
    });
    return out;
  }

  /** A sink item that produced an error and no sink: remember its name for `defaults.sink`. */
  private rejectSink(item: Node): void {
    const nameNode = isMap(item) ? (item.get('name', true) as Node | undefined) : undefined;
    this.rejectedSinks.add(
      isScalar(nameNode) && typeof nameNode.value === 'string' ? nameNode.value : undefined,
    );
  }

  private missing(f: Fields, key: string, at: string, parent: Node): void {
    // A misspelt key was reported as unknown, with this one as its did-you-mean: one mistake.
    if (f[key] === undefined && !this.meant.has(join(at, key)))
      this.error(parent, join(at, key), 'missing-field', `${join(at, key)} is required`);
  }

  private sinkName(f: Fields, at: string, parent: Node): string | undefined {
    const name = this.str(f, 'name', at, {
      pattern: SINK_NAME,
      patternText: 'must be lower-case letters, digits and dashes',
    });
    if (name === undefined) this.missing(f, 'name', at, parent);
    return name;
  }

  private vaultSink(node: Node, at: string, common: string[]): VaultSinkSettings | undefined {
    const f =
      this.fields(node, at, [
        ...common,
        'address',
        'mount',
        'pathPrefix',
        'namespace',
        'auth',
        'caFile',
        'timeout',
      ]) ?? {};
    const name = this.sinkName(f, at, node);
    const address = this.str(f, 'address', at, {
      pattern: /^https?:\/\/[^\s/]+\/?$/,
      patternText: 'must be an http(s) URL without a path, e.g. https://vault.example:8200',
    });
    if (address === undefined) this.missing(f, 'address', at, node);
    const auth = this.vaultAuth(f['auth'], `${at}.auth`, node);
    const namespace = this.str(f, 'namespace', at);
    const caFile = this.path(f, 'caFile', at);
    if (!name || !address || !auth) return undefined;
    return {
      name,
      type: 'vault',
      address: address.replace(/\/+$/, ''),
      mount: (this.str(f, 'mount', at) ?? 'secret').replace(/^\/+|\/+$/g, ''),
      pathPrefix: (this.str(f, 'pathPrefix', at) ?? 'scw-gitops').replace(/^\/+|\/+$/g, ''),
      ...(namespace ? { namespace } : {}),
      auth,
      ...(caFile ? { caFile } : {}),
      timeoutMs: this.duration(f, 'timeout', at, { min: 100 }) ?? 10_000,
    };
  }

  private vaultAuth(node: Node | null | undefined, at: string, parent: Node): VaultAuthSettings | undefined {
    if (node === undefined || node === null) {
      // Default: token from VAULT_TOKEN, like the vault CLI.
      if (node === null) this.error(parent, at, 'wrong-type', `${at} must be a mapping`);
      return { method: 'token', tokenEnv: 'VAULT_TOKEN' };
    }
    const methodNode = isMap(node) ? (node.get('method', true) as Node | undefined) : undefined;
    const method = isScalar(methodNode) ? String(methodNode.value) : 'token';
    if (method === 'token') {
      const f = this.fields(node, at, ['method', 'tokenEnv', 'tokenFile']) ?? {};
      const tokenEnv = this.envName(f, 'tokenEnv', at);
      const tokenFile = this.path(f, 'tokenFile', at);
      this.exclusive(f, 'tokenEnv', 'tokenFile', at);
      return tokenFile ? { method, tokenFile } : { method, tokenEnv: tokenEnv ?? 'VAULT_TOKEN' };
    }
    if (method === 'kubernetes') {
      const f = this.fields(node, at, ['method', 'role', 'mount', 'tokenPath']) ?? {};
      const role = this.str(f, 'role', at);
      if (role === undefined) this.missing(f, 'role', at, node);
      return role
        ? {
            method,
            role,
            mount: this.str(f, 'mount', at) ?? 'kubernetes',
            tokenPath: this.path(f, 'tokenPath', at) ?? '/var/run/secrets/kubernetes.io/serviceaccount/token',
          }
        : undefined;
    }
    if (method === 'approle') {
      const f = this.fields(node, at, ['method', 'mount', 'roleId', 'secretIdEnv', 'secretIdFile']) ?? {};
      const roleId = this.str(f, 'roleId', at);
      if (roleId === undefined) this.missing(f, 'roleId', at, node);
      const secretIdEnv = this.envName(f, 'secretIdEnv', at);
      const secretIdFile = this.path(f, 'secretIdFile', at);
      this.exclusive(f, 'secretIdEnv', 'secretIdFile', at);
      if (
        !secretIdEnv &&
        !secretIdFile &&
        f['secretIdEnv'] === undefined &&
        f['secretIdFile'] === undefined
      ) {
        this.error(node, `${at}.secretIdEnv`, 'missing-field', `${at} needs secretIdEnv or secretIdFile`);
      }
      return roleId
        ? {
            method,
            mount: this.str(f, 'mount', at) ?? 'approle',
            roleId,
            ...(secretIdFile ? { secretIdFile } : secretIdEnv ? { secretIdEnv } : {}),
          }
        : undefined;
    }
    const guess = didYouMean(method, ['token', 'kubernetes', 'approle']);
    this.error(
      methodNode,
      `${at}.method`,
      'invalid-value',
      `${at}.method must be token, kubernetes or approle`,
      guess ? `did you mean '${guess}'?` : undefined,
    );
    return undefined;
  }

  private kubernetesSink(node: Node, at: string, common: string[]): KubernetesSinkSettings | undefined {
    const f =
      this.fields(node, at, [...common, 'namespace', 'kubeconfig', 'context', 'reloader', 'labels']) ?? {};
    const name = this.sinkName(f, at, node);
    const namespace =
      this.str(f, 'namespace', at, { pattern: K8S_NAME, patternText: 'is not a valid namespace name' }) ??
      'default';
    const kubeconfig = this.path(f, 'kubeconfig', at);
    const context = this.str(f, 'context', at);
    const labels: Record<string, string> = {};
    const labelsNode = f['labels'];
    if (labelsNode !== undefined && labelsNode !== null) {
      if (!isMap(labelsNode)) {
        this.error(labelsNode, `${at}.labels`, 'wrong-type', `${at}.labels must be a mapping of strings`);
      } else {
        for (const pair of labelsNode.items) {
          const k = isScalar(pair.key) ? String(pair.key.value) : undefined;
          const v = pair.value as Node | null;
          if (k === undefined || !isScalar(v) || v.value === null || typeof v.value === 'object') {
            this.error(v ?? labelsNode, `${at}.labels`, 'wrong-type', `${at}.labels values must be strings`);
            continue;
          }
          labels[k] = String(v.value);
        }
      }
    }
    if (!name) return undefined;
    return {
      name,
      type: 'kubernetes',
      namespace,
      ...(kubeconfig ? { kubeconfig } : {}),
      ...(context ? { context } : {}),
      reloader: this.bool(f, 'reloader', at) ?? false,
      labels,
    };
  }

  defaults(
    node: Node | null | undefined,
    sinks: readonly SinkSettings[],
    d: Settings['defaults'],
  ): Settings['defaults'] {
    const f = this.fields(node, 'defaults', ['sink', 'rotation', 'ignoreTags']) ?? {};
    const ignoreTags = this.tagPatterns(f['ignoreTags'], 'defaults.ignoreTags');
    let sink = this.str(f, 'sink', 'defaults');
    // A sink that is declared but invalid has its own error: naming it here is not another one.
    const rejected =
      sink !== undefined && (this.rejectedSinks.has(sink) || this.rejectedSinks.has(undefined));
    if (sink !== undefined && rejected) sink = undefined;
    if (sink !== undefined && !sinks.some((s) => s.name === sink)) {
      const guess = didYouMean(
        sink,
        sinks.map((s) => s.name),
      );
      this.error(
        f['sink'],
        'defaults.sink',
        'unknown-sink',
        `defaults.sink: no sink named '${sink}' in sinks`,
        guess ? `did you mean '${guess}'?` : undefined,
      );
      sink = undefined;
    }
    if (sink === undefined && f['sink'] === undefined && sinks.length === 1) sink = sinks[0]!.name;
    const r =
      this.fields(f['rotation'], 'defaults.rotation', ['lifetime', 'rotateBefore', 'maxAge', 'overlap']) ??
      {};
    const at = 'defaults.rotation';
    const lifetimeMs = this.duration(r, 'lifetime', at, { min: 60_000 });
    const rotateBeforeMs = this.duration(r, 'rotateBefore', at);
    const maxAgeMs = this.duration(r, 'maxAge', at, { min: 60_000 });
    const overlapMs = this.duration(r, 'overlap', at) ?? d.rotation.overlapMs;
    if (lifetimeMs !== undefined && rotateBeforeMs !== undefined && rotateBeforeMs >= lifetimeMs) {
      this.error(
        r['rotateBefore'],
        `${at}.rotateBefore`,
        'out-of-range',
        `${at}.rotateBefore must be shorter than lifetime`,
      );
    }
    const rotation: RotationDefaults = {
      ...(lifetimeMs !== undefined ? { lifetimeMs } : {}),
      ...(rotateBeforeMs !== undefined ? { rotateBeforeMs } : {}),
      ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
      overlapMs,
    };
    return {
      ...(sink !== undefined ? { sink } : {}),
      rotation,
      ...(ignoreTags !== undefined && ignoreTags.length > 0 ? { ignoreTags } : {}),
    };
  }

  /** A list of tag patterns (non-empty strings; `*` matches any run of characters). */
  tagPatterns(node: Node | null | undefined, at: string): string[] | undefined {
    if (node === undefined || node === null) return undefined;
    if (!isSeq(node)) {
      this.error(node, at, 'wrong-type', `${at} must be a list of tag patterns, such as ["cost-center=*"]`);
      return undefined;
    }
    const out: string[] = [];
    node.items.forEach((item, i) => {
      const value = isScalar(item) ? item.value : undefined;
      if (typeof value !== 'string' || value === '') {
        this.error(item as Node, `${at}[${i}]`, 'wrong-type', `${at}[${i}] must be a non-empty string`);
        return;
      }
      out.push(value);
    });
    return out;
  }

  prune(node: Node | null | undefined, d: PruneSettings): PruneSettings {
    if (node === undefined || node === null) return d;
    if (isScalar(node) && typeof node.value === 'boolean') {
      const all = node.value;
      return { Project: all, Application: all, Group: all, Policy: all, ApiKey: all };
    }
    const f = this.fields(node, 'prune', KINDS) ?? {};
    const out = { ...d } as Record<(typeof KINDS)[number], boolean>;
    for (const k of KINDS) out[k] = this.bool(f, k, 'prune') ?? d[k];
    return out;
  }

  safety(node: Node | null | undefined, d: Settings['safety']): Settings['safety'] {
    const f = this.fields(node, 'safety', ['maxDeletes', 'maxDeletePercent']) ?? {};
    return {
      maxDeletes: this.int(f, 'maxDeletes', 'safety', 0, 100_000) ?? d.maxDeletes,
      maxDeletePercent: this.int(f, 'maxDeletePercent', 'safety', 0, 100) ?? d.maxDeletePercent,
    };
  }

  server(node: Node | null | undefined, d: Settings['server']): Settings['server'] {
    const f = this.fields(node, 'server', ['host', 'port', 'admin']) ?? {};
    const out: ServerSettings = {
      host: this.str(f, 'host', 'server') ?? d.host,
      port: this.int(f, 'port', 'server', 0, 65535) ?? d.port,
    };
    if (f['admin'] === undefined) return out;
    const at = 'server.admin';
    const a = this.fields(f['admin'], at, ['enabled', 'host', 'port', 'tokenEnv', 'tokenFile']) ?? {};
    this.exclusive(a, 'tokenEnv', 'tokenFile', at);
    const admin: AdminSettings = omitUndefined({
      enabled: this.bool(a, 'enabled', at),
      host: this.str(a, 'host', at),
      port: this.int(a, 'port', at, 0, 65535),
      tokenEnv: this.envName(a, 'tokenEnv', at),
      tokenFile: this.path(a, 'tokenFile', at),
    });
    const resolved = adminSettings({ ...out, admin });
    const hasToken = admin.tokenEnv !== undefined || admin.tokenFile !== undefined;
    if (resolved.enabled && !hasToken && !isLoopbackHost(resolved.host)) {
      this.error(
        a['host'] ?? f['admin'],
        `${at}.host`,
        'admin-exposed',
        `${at}.host '${resolved.host}' is not a loopback address, and no token protects /status there`,
        `keep 127.0.0.1 (reach it with kubectl port-forward), or set ${at}.tokenEnv or tokenFile`,
      );
    }
    if (resolved.enabled && resolved.port !== 0 && resolved.port === out.port) {
      this.error(
        a['port'] ?? f['admin'],
        `${at}.port`,
        'conflicting-fields',
        `${at}.port must differ from server.port (${out.port})`,
      );
    }
    return { ...out, admin };
  }

  schedule(node: Node | null | undefined, d: Settings['schedule']): Settings['schedule'] {
    const f = this.fields(node, 'schedule', ['resync', 'rotationCheck', 'debounce']) ?? {};
    return {
      resync: this.cron(f, 'resync', 'schedule') ?? d.resync,
      rotationCheck: this.cron(f, 'rotationCheck', 'schedule') ?? d.rotationCheck,
      debounceMs: this.duration(f, 'debounce', 'schedule') ?? d.debounceMs,
    };
  }

  webhooks(node: Node | null | undefined, d: WebhookSettings): WebhookSettings {
    const f =
      this.fields(node, 'webhooks', ['github', 'gitlab', 'gitSync', 'maxBodyBytes', 'minInterval']) ?? {};
    let github: WebhookSettings['github'];
    if (f['github'] !== undefined) {
      const g = this.fields(f['github'], 'webhooks.github', ['secretEnv', 'secretFile', 'optional']) ?? {};
      this.exclusive(g, 'secretEnv', 'secretFile', 'webhooks.github');
      const secretEnv = this.envName(g, 'secretEnv', 'webhooks.github');
      const secretFile = this.path(g, 'secretFile', 'webhooks.github');
      if (g['secretEnv'] === undefined && g['secretFile'] === undefined) {
        this.error(
          f['github'],
          'webhooks.github.secretEnv',
          'missing-field',
          'webhooks.github needs secretEnv or secretFile (unsigned GitHub webhooks are refused)',
        );
      }
      const optional = this.bool(g, 'optional', 'webhooks.github');
      github = {
        ...(secretFile ? { secretFile } : secretEnv ? { secretEnv } : {}),
        ...(optional !== undefined ? { optional } : {}),
      };
    }
    let gitlab: WebhookSettings['gitlab'];
    if (f['gitlab'] !== undefined) {
      const g = this.fields(f['gitlab'], 'webhooks.gitlab', ['tokenEnv', 'tokenFile', 'optional']) ?? {};
      this.exclusive(g, 'tokenEnv', 'tokenFile', 'webhooks.gitlab');
      const tokenEnv = this.envName(g, 'tokenEnv', 'webhooks.gitlab');
      const tokenFile = this.path(g, 'tokenFile', 'webhooks.gitlab');
      if (g['tokenEnv'] === undefined && g['tokenFile'] === undefined) {
        this.error(
          f['gitlab'],
          'webhooks.gitlab.tokenEnv',
          'missing-field',
          'webhooks.gitlab needs tokenEnv or tokenFile',
        );
      }
      const optional = this.bool(g, 'optional', 'webhooks.gitlab');
      gitlab = {
        ...(tokenFile ? { tokenFile } : tokenEnv ? { tokenEnv } : {}),
        ...(optional !== undefined ? { optional } : {}),
      };
    }
    let gitSync: WebhookSettings['gitSync'];
    if (f['gitSync'] !== undefined) {
      const at = 'webhooks.gitSync';
      const g = this.fields(f['gitSync'], at, ['enabled', 'tokenEnv', 'tokenFile']) ?? {};
      this.exclusive(g, 'tokenEnv', 'tokenFile', at);
      gitSync = {
        enabled: this.bool(g, 'enabled', at) ?? true,
        ...omitUndefined({
          tokenEnv: this.envName(g, 'tokenEnv', at),
          tokenFile: this.path(g, 'tokenFile', at),
        }),
      };
    }
    const minIntervalMs = this.duration(f, 'minInterval', 'webhooks');
    return {
      ...(github ? { github } : {}),
      ...(gitlab ? { gitlab } : {}),
      ...(gitSync ? { gitSync } : {}),
      maxBodyBytes: this.int(f, 'maxBodyBytes', 'webhooks', 1024, 64 * 1024 * 1024) ?? d.maxBodyBytes,
      ...(minIntervalMs !== undefined ? { minIntervalMs } : {}),
    };
  }

  notifications(node: Node | null | undefined): NotificationSettings[] {
    // `notifications:` with nothing under it (a template with no target) is an empty list.
    if (node === undefined || node === null || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) {
      this.error(node, 'notifications', 'wrong-type', 'notifications must be a list');
      return [];
    }
    const out: NotificationSettings[] = [];
    const names = new Set<string>();
    node.items.forEach((item, i) => {
      const at = `notifications[${i}]`;
      const itemNode = item as Node | null;
      if (!isMap(itemNode)) {
        this.error(itemNode, at, 'wrong-type', `${at} must be a mapping`);
        return;
      }
      const typeNode = itemNode.get('type', true) as Node | undefined;
      const type = isScalar(typeNode) ? String(typeNode.value) : undefined;
      const common = ['type', 'name', 'events', 'expiringWithin', 'maxPerMinute'];
      const f =
        (type === 'kubernetes'
          ? this.fields(itemNode, at, [...common, 'kubeconfig'])
          : this.fields(itemNode, at, [...common, 'urlEnv', 'urlFile'])) ?? {};
      const kind = this.enumOf(f, 'type', at, ['slack', 'webhook', 'kubernetes'] as const);
      if (f['type'] === undefined) {
        this.error(
          itemNode,
          `${at}.type`,
          'missing-field',
          `${at}.type is required (slack, webhook or kubernetes)`,
        );
      }
      const name =
        this.str(f, 'name', at, { pattern: SINK_NAME, patternText: 'must be [a-z0-9-], 1-63 characters' }) ??
        `${kind ?? 'target'}-${i}`;
      if (names.has(name)) {
        this.error(
          f['name'] ?? itemNode,
          `${at}.name`,
          'duplicate-name',
          `${at}: the name '${name}' is used twice`,
        );
      }
      names.add(name);
      const events = this.notificationEvents(f, at);
      const expiringWithinMs =
        this.duration(f, 'expiringWithin', at, { min: 60_000 }) ?? DEFAULT_EXPIRING_WITHIN_MS;
      const maxPerMinute = this.int(f, 'maxPerMinute', at, 1, 600) ?? DEFAULT_NOTIFICATIONS_PER_MINUTE;
      const base = { name, events, expiringWithinMs, maxPerMinute };
      if (kind === 'kubernetes') {
        const kubeconfig = this.path(f, 'kubeconfig', at);
        out.push({ type: 'kubernetes', ...base, ...(kubeconfig ? { kubeconfig } : {}) });
      } else if (kind === 'slack' || kind === 'webhook') {
        this.exclusive(f, 'urlEnv', 'urlFile', at);
        const urlEnv = this.envName(f, 'urlEnv', at);
        const urlFile = this.path(f, 'urlFile', at);
        if (f['urlEnv'] === undefined && f['urlFile'] === undefined) {
          this.error(
            itemNode,
            `${at}.urlEnv`,
            'missing-field',
            `${at} needs urlEnv or urlFile (the URL carries the hook's token: it is never written in the settings file)`,
          );
        }
        out.push({ type: kind, ...base, ...(urlFile ? { urlFile } : urlEnv ? { urlEnv } : {}) });
      }
    });
    return out;
  }

  private notificationEvents(f: Fields, at: string): NotificationEvent[] {
    const node = f['events'];
    if (node === undefined || node === null) return [...NOTIFICATION_EVENTS];
    const field = join(at, 'events');
    if (!isSeq(node) || node.items.length === 0) {
      this.error(
        node,
        field,
        'wrong-type',
        `${field} must be a non-empty list of ${NOTIFICATION_EVENTS.join(', ')}`,
      );
      return [...NOTIFICATION_EVENTS];
    }
    const out: NotificationEvent[] = [];
    node.items.forEach((item, i) => {
      const v = this.enumOf({ [String(i)]: item as Node | null }, String(i), field, NOTIFICATION_EVENTS);
      if (v !== undefined && !out.includes(v)) out.push(v);
    });
    return out;
  }

  leaderElection(node: Node | null | undefined, d: LeaderElectionSettings): LeaderElectionSettings {
    const at = 'leaderElection';
    const f =
      this.fields(node, at, [
        'enabled',
        'namespace',
        'leaseName',
        'identity',
        'kubeconfig',
        'leaseDuration',
        'renewDeadline',
        'retryPeriod',
      ]) ?? {};
    const seconds = (key: string, def: number): number => {
      const ms = this.duration(f, key, at, { min: 1000 });
      return ms === undefined ? def : Math.round(ms / 1000);
    };
    const identity = this.str(f, 'identity', at);
    const kubeconfig = this.path(f, 'kubeconfig', at);
    const out: LeaderElectionSettings = {
      enabled: this.bool(f, 'enabled', at) ?? d.enabled,
      namespace:
        this.str(f, 'namespace', at, { pattern: K8S_NAME, patternText: 'is not a valid namespace name' }) ??
        d.namespace,
      leaseName:
        this.str(f, 'leaseName', at, { pattern: K8S_NAME, patternText: 'is not a valid object name' }) ??
        d.leaseName,
      ...(identity ? { identity } : {}),
      ...(kubeconfig ? { kubeconfig } : {}),
      leaseDurationSeconds: seconds('leaseDuration', d.leaseDurationSeconds),
      renewDeadlineSeconds: seconds('renewDeadline', d.renewDeadlineSeconds),
      retryPeriodSeconds: seconds('retryPeriod', d.retryPeriodSeconds),
    };
    // client-go's rules: leaseDuration > renewDeadline > 1.2 × retryPeriod.
    if (out.leaseDurationSeconds <= out.renewDeadlineSeconds) {
      this.error(
        f['leaseDuration'] ?? f['renewDeadline'] ?? node,
        `${at}.leaseDuration`,
        'out-of-range',
        `${at}.leaseDuration (${out.leaseDurationSeconds}s) must be longer than renewDeadline (${out.renewDeadlineSeconds}s)`,
      );
    }
    if (out.renewDeadlineSeconds <= 1.2 * out.retryPeriodSeconds) {
      this.error(
        f['renewDeadline'] ?? f['retryPeriod'] ?? node,
        `${at}.renewDeadline`,
        'out-of-range',
        `${at}.renewDeadline (${out.renewDeadlineSeconds}s) must be longer than 1.2 × retryPeriod (${out.retryPeriodSeconds}s)`,
      );
    }
    return out;
  }

  log(node: Node | null | undefined, d: Settings['log']): Settings['log'] {
    const f = this.fields(node, 'log', ['level', 'pretty']) ?? {};
    let pretty: boolean | 'auto' = d.pretty;
    const p = f['pretty'];
    if (p !== undefined && p !== null) {
      if (isScalar(p) && (typeof p.value === 'boolean' || p.value === 'auto'))
        pretty = p.value as boolean | 'auto';
      else this.error(p, 'log.pretty', 'invalid-value', "log.pretty must be true, false or 'auto'");
    }
    return { level: this.enumOf(f, 'level', 'log', LOG_LEVELS) ?? d.level, pretty };
  }
}

/** A copy without the keys whose value is undefined (optional settings stay absent). */
function omitUndefined<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** 127.0.0.1 (the 127/8 block), ::1 and `localhost`: addresses only the pod itself reaches. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function join(at: string, key: string): string {
  return at ? `${at}.${key}` : key;
}

function secretAlternatives(known: readonly string[]): string | undefined {
  const alts = known.filter((k) => /(Env|File)$/.test(k));
  return alts.length ? alts.map((a) => `'${a}'`).join(' or ') : undefined;
}

/** Closest candidate by edit distance (case-insensitive), if reasonably close. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const a = input.toLowerCase();
  for (const c of candidates) {
    const dist = levenshtein(a, c.toLowerCase());
    if (dist < bestDistance) {
      bestDistance = dist;
      best = c;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(best.length / 3));
  return bestDistance <= limit ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
