/**
 * The settings file (`config/*.yaml`), parsed and validated by `src/config/load-settings.ts`.
 * Secrets (tokens, webhook secrets, AppRole secret ids) are never in the file itself: the file
 * names an environment variable (`*Env`) or a file (`*File`) to read them from.
 *
 *   apiVersion: scw-gitops/v1alpha1
 *   kind: Settings
 *   instance: default
 *   source: { dir: examples/basic }
 *   scaleway: { sandbox: { enabled: true } }          # or { apiUrl?, profile?, organizationId? }
 *   sinks: [ { name: local, type: file, dir: .secrets/sandbox, format: dotenv } ]
 *   defaults: { sink: local, rotation: { overlap: 1h }, ignoreTags: ["cost-center=*"] }
 *   ...
 */
import type { SourceLocation } from '../model/diagnostics.js';

export interface FileSinkSettings {
  readonly name: string;
  readonly type: 'file';
  /** Directory the per-key files go to (created 0700). */
  readonly dir: string;
  readonly format: 'dotenv' | 'json';
  /**
   * Remove the record of a key scw-gitops deletes (pruned, or retired after a secret move) from
   * this sink; default true. False keeps them (docs/concepts.md, "Secret moves and records").
   */
  readonly removeRecords?: boolean;
}

export type VaultAuthSettings =
  | { readonly method: 'token'; readonly tokenEnv?: string; readonly tokenFile?: string }
  | {
      readonly method: 'kubernetes';
      readonly role: string;
      /** Auth mount, default `kubernetes`. */
      readonly mount: string;
      /** Projected service-account token, re-read at each login. */
      readonly tokenPath: string;
    }
  | {
      readonly method: 'approle';
      readonly mount: string;
      readonly roleId: string;
      readonly secretIdEnv?: string;
      readonly secretIdFile?: string;
    };

export interface VaultSinkSettings {
  readonly name: string;
  readonly type: 'vault';
  /** e.g. https://vault.example:8200 */
  readonly address: string;
  /** KV v2 mount, e.g. `secret`. */
  readonly mount: string;
  /** Prefix under the mount for per-key paths. */
  readonly pathPrefix: string;
  /** Vault Enterprise namespace (X-Vault-Namespace). */
  readonly namespace?: string;
  readonly auth: VaultAuthSettings;
  readonly caFile?: string;
  readonly timeoutMs: number;
  /**
   * Remove the record of a key scw-gitops deletes (pruned, or retired after a secret move) from
   * this sink; default true. False keeps them (docs/concepts.md, "Secret moves and records").
   */
  readonly removeRecords?: boolean;
}

export interface KubernetesSinkSettings {
  readonly name: string;
  readonly type: 'kubernetes';
  /** Default namespace for Secrets. */
  readonly namespace: string;
  /** Absent = in-cluster config, else this kubeconfig file (and optional context). */
  readonly kubeconfig?: string;
  readonly context?: string;
  /** Add `reloader.stakater.com/match: "true"`-style annotations so consumers restart. */
  readonly reloader: boolean;
  /** Extra labels on every Secret. */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Remove the record of a key scw-gitops deletes (pruned, or retired after a secret move) from
   * this sink; default true. False keeps them (docs/concepts.md, "Secret moves and records").
   */
  readonly removeRecords?: boolean;
}

export type SinkSettings = FileSinkSettings | VaultSinkSettings | KubernetesSinkSettings;

export interface RotationDefaults {
  readonly lifetimeMs?: number;
  readonly rotateBeforeMs?: number;
  readonly maxAgeMs?: number;
  /** Default 1h. */
  readonly overlapMs: number;
}

export type PruneSettings = Readonly<
  Record<'Project' | 'Application' | 'Group' | 'Policy' | 'ApiKey', boolean>
>;

export interface SafetySettings {
  /** Refuse a plan deleting more than this many objects (absolute). Default 10. */
  readonly maxDeletes: number;
  /** Refuse a plan deleting more than this share of owned objects (0-100). Default 25. */
  readonly maxDeletePercent: number;
}

export interface ScalewaySettings {
  /** Run the built-in sandbox emulator in-process and point the client at it. */
  readonly sandbox?: { readonly enabled: boolean; readonly port: number; readonly stateFile?: string };
  readonly apiUrl?: string;
  readonly profile?: string;
  readonly organizationId?: string;
  /** Requests in flight at the start (default 8); grows to `maxConcurrency` while no 429 is seen. */
  readonly listConcurrency: number;
  /** Ceiling of requests in flight (default 16); halved at a 429, grown back on success. */
  readonly maxConcurrency: number;
  readonly requestTimeoutMs: number;
  /**
   * Retries of a request that failed transiently (429, 5xx, timeout, connection failure), with
   * exponential backoff (default 6: about 30 s in total; 0 gives up at the first failure).
   */
  readonly retries: number;
}

export interface WebhookSettings {
  /** `optional`: a missing secret file or unset variable turns the hook off instead of failing. */
  readonly github?: {
    readonly secretEnv?: string;
    readonly secretFile?: string;
    readonly optional?: boolean;
  };
  readonly gitlab?: { readonly tokenEnv?: string; readonly tokenFile?: string; readonly optional?: boolean };
  /**
   * git-sync's `--webhook-url`. Without a token only local peers (127.0.0.1, ::1: the sidecar)
   * are accepted; with one, the token is required from everyone.
   */
  readonly gitSync?: { readonly enabled: boolean; readonly tokenEnv?: string; readonly tokenFile?: string };
  /** Max request body in bytes (default 1 MiB). */
  readonly maxBodyBytes: number;
  /**
   * Minimum time between two webhook-triggered passes; triggers in between coalesce into one.
   * Absent: DEFAULT_WEBHOOK_MIN_INTERVAL_MS (10 s).
   */
  readonly minIntervalMs?: number;
}

/**
 * The access guard of the control endpoints (`/status`, and the dashboard's `/ui`): a bearer token
 * and/or the admin listener, bound to loopback by default (docs/operations.md, "Access to /status").
 * Absent fields take the defaults of `adminSettings()`.
 */
export interface AdminSettings {
  /** Serve the admin listener (default true). */
  readonly enabled?: boolean;
  /** Default 127.0.0.1; any other address requires a token. */
  readonly host?: string;
  /** Default: the main port + 1 (0 when the main port is 0: any free port). */
  readonly port?: number;
  readonly tokenEnv?: string;
  readonly tokenFile?: string;
}

/** AdminSettings with every default filled in. */
export interface ResolvedAdminSettings extends AdminSettings {
  readonly enabled: boolean;
  readonly host: string;
  readonly port: number;
}

export interface ServerSettings {
  readonly host: string;
  readonly port: number;
  /** Absent: the defaults of `adminSettings()` (loopback listener on port + 1, no token). */
  readonly admin?: AdminSettings;
}

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
export const DEFAULT_WEBHOOK_MIN_INTERVAL_MS = 10_000;

/**
 * The admin listener's settings with defaults filled in. The default port follows the effective
 * main port (after `SCW_GITOPS_PORT`): port + 1, and 0 (any free port) when the main port is 0.
 */
export function adminSettings(server: ServerSettings): ResolvedAdminSettings {
  const a = server.admin ?? {};
  const port = a.port ?? (server.port === 0 || server.port >= 65535 ? 0 : server.port + 1);
  return { ...a, enabled: a.enabled ?? true, host: a.host ?? '127.0.0.1', port };
}

export interface SourceSettings {
  /** The desired-state directory (or one file); absent when the command line gives DIR. */
  readonly dir?: string;
  /** A git repository the daemon fetches itself (exclusive with `dir`). */
  readonly git?: GitSourceSettings;
  /** Files larger than this are refused unread. Absent: DEFAULT_MAX_FILE_BYTES (1 MiB). */
  readonly maxFileBytes?: number;
}

/** Which commit of the repository to follow (exactly one of branch, tag, semver, commit). */
export type GitRefSettings =
  | { readonly branch: string }
  | { readonly tag: string }
  /** The highest tag that is a semantic version inside this range (`^1.2`, `>=1.0.0 <2`). */
  | { readonly semver: string }
  /** A pinned commit; with `branch`, the commit must be on that branch. */
  | { readonly commit: string; readonly branch?: string };

/** Credentials of the git remote; secrets only through env vars or files. */
export interface GitAuthSettings {
  readonly sshKeyFile?: string;
  readonly knownHostsFile?: string;
  readonly tokenEnv?: string;
  readonly tokenFile?: string;
  readonly username?: string;
  readonly usernameEnv?: string;
  readonly passwordEnv?: string;
  readonly passwordFile?: string;
}

export type VerifyMode = 'off' | 'warn' | 'enforce';

export interface GitVerifySettings {
  readonly mode: VerifyMode;
  /** ASCII-armored OpenPGP public keys: files, or directories of such files. */
  readonly openpgpKeys: readonly string[];
  /** An SSH allowed-signers file (`ssh-keygen -Y verify` format). */
  readonly allowedSigners?: string;
}

export interface CommitStatusSettings {
  readonly provider: 'github' | 'gitlab';
  /** API base URL (default https://api.github.com, https://gitlab.com/api/v4). */
  readonly apiUrl: string;
  /** GitHub `owner/name`, GitLab project path or numeric id (default: from the URL). */
  readonly repository: string;
  readonly tokenEnv?: string;
  readonly tokenFile?: string;
  /** Status name (GitHub `context`, GitLab `name`). */
  readonly context: string;
  /** Base URL of the daemon as people reach it: statuses link to `<publicUrl>/ui`. */
  readonly publicUrl?: string;
}

export interface GitSourceSettings {
  /** Remote URL without credentials (https, http, ssh, scp-like `git@host:path`, file). */
  readonly url: string;
  readonly ref: GitRefSettings;
  /** Sub-directory of the repository holding the desired state ('' = the root). */
  readonly path: string;
  readonly intervalMs: number;
  /** Timeout of one git command (fetch, ls-remote). */
  readonly timeoutMs: number;
  /** Where the repository and its checked-out trees are kept (a data path). */
  readonly cacheDir: string;
  /** A branch rewritten under the applied commit (or a moved tag): refuse it or follow it. */
  readonly forcePush: 'refuse' | 'follow';
  readonly auth: GitAuthSettings;
  readonly verify: GitVerifySettings;
  readonly commitStatus?: CommitStatusSettings;
}

/** What a notification target can be told about (docs/operations.md#notifications). */
export const NOTIFICATION_EVENTS = [
  'pass-failed',
  'object-blocked',
  'key-rotated',
  'key-expiring',
  'delivery-failed',
  'desired-state-invalid',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const DEFAULT_EXPIRING_WITHIN_MS = 14 * 86_400_000;
export const DEFAULT_NOTIFICATIONS_PER_MINUTE = 20;

interface NotificationCommon {
  /** For logs and metrics (default `<type>-<index>`); never the URL. */
  readonly name: string;
  /** The events sent to this target (default: all of NOTIFICATION_EVENTS). */
  readonly events: readonly NotificationEvent[];
  /** `key-expiring`: a current key expiring within this window (default 14 days). */
  readonly expiringWithinMs: number;
  /** At most this many messages per minute; the rest are counted and reported with the next one. */
  readonly maxPerMinute: number;
}

/** An outgoing webhook: Slack-compatible JSON (`slack`) or the documented JSON body (`webhook`). */
export interface WebhookNotificationSettings extends NotificationCommon {
  readonly type: 'slack' | 'webhook';
  /** The URL is a secret (it carries the hook's token): from the environment or a file, never inline. */
  readonly urlEnv?: string;
  readonly urlFile?: string;
}

/** Kubernetes Events on the daemon's Pod (POD_NAME and POD_NAMESPACE from the downward API). */
export interface KubernetesNotificationSettings extends NotificationCommon {
  readonly type: 'kubernetes';
  /** Absent: in-cluster configuration. */
  readonly kubeconfig?: string;
}

export type NotificationSettings = WebhookNotificationSettings | KubernetesNotificationSettings;

export interface LeaderElectionSettings {
  readonly enabled: boolean;
  readonly namespace: string;
  readonly leaseName: string;
  readonly identity?: string;
  readonly kubeconfig?: string;
  readonly leaseDurationSeconds: number;
  readonly renewDeadlineSeconds: number;
  readonly retryPeriodSeconds: number;
}

export interface Settings {
  /** Path of the settings file (for messages and relative paths). */
  readonly file?: string;
  readonly instance: string;
  /**
   * Absolute directory the relative data paths (file-sink dirs, the sandbox state file) were
   * resolved against: `dataDir` in the file, or SCW_GITOPS_DATA_DIR. Informational.
   */
  readonly dataDir?: string;
  /**
   * Absolute directory of the caches (the policy rules cache): `$SCW_GITOPS_CACHE_DIR`, else
   * `.scw-gitops-cache` under the data directory (or the working directory without a settings
   * file); `--cache-dir` wins on the command line. Absent: nothing is persisted (tests).
   */
  readonly cacheDir?: string;
  /**
   * The desired state: a directory (`dir`, e.g. git-sync's checkout), or a git repository the
   * daemon fetches itself (`git`). `dir` is optional in a settings file: `plan`, `reconcile` and
   * `validate` take DIR on the command line instead; `run` requires `dir` or `git`
   * (src/config/source-dir.ts, src/daemon/source-driver.ts).
   */
  readonly source: SourceSettings;
  readonly scaleway: ScalewaySettings;
  readonly sinks: readonly SinkSettings[];
  readonly defaults: {
    readonly sink?: string;
    readonly rotation: RotationDefaults;
    /** Tag patterns left alone on every application, group and policy (src/model/ignore-tags.ts). */
    readonly ignoreTags?: readonly string[];
  };
  readonly prune: PruneSettings;
  readonly safety: SafetySettings;
  readonly server: ServerSettings;
  readonly schedule: { readonly resync: string; readonly rotationCheck: string; readonly debounceMs: number };
  readonly webhooks: WebhookSettings;
  /** Where the daemon reports failures, blocked objects, rotations and expiring keys. */
  readonly notifications: readonly NotificationSettings[];
  readonly leaderElection: LeaderElectionSettings;
  readonly log: { readonly level: string; readonly pretty: boolean | 'auto' };
  /** Concurrency of the apply engine (default 4). */
  readonly applyConcurrency: number;
  /**
   * Where fields were written in the settings file, by dotted path (`source`, `sinks[0].dir`;
   * `` for the document), for diagnostics found after loading. Absent without a file.
   */
  readonly fieldSources?: Readonly<Record<string, SourceLocation>>;
}
