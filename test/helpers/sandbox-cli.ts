/**
 * Builders for tests that run a command against the sandbox emulator: the environment that
 * reaches it as its admin, the settings file (the sandbox as Scaleway, one dotenv file sink as
 * the default), a CliIO that captures what the command prints, and the owned keys of a name.
 */
import type { CliIO } from '../../src/cli/io.js';
import { parseKeyDescription } from '../../src/model/ownership.js';
import type { SandboxHandle } from '../../src/sandbox/server.js';

/** SCW_API_URL and the sandbox admin's credentials, as a user would export them. */
export function sandboxEnv(sandbox: SandboxHandle): Record<string, string> {
  return {
    SCW_API_URL: sandbox.url,
    SCW_ACCESS_KEY: sandbox.adminAccessKey,
    SCW_SECRET_KEY: sandbox.adminSecretKey,
    SCW_DEFAULT_ORGANIZATION_ID: sandbox.organizationId,
  };
}

export interface SandboxSettingsOptions {
  /** `source.dir` (relative paths are resolved against the settings file). */
  readonly sourceDir: string;
  /** The `local` file sink's directory (default `./secrets`). */
  readonly sinkDir?: string;
  readonly instance?: string;
  /** `prune: true` for every kind. */
  readonly prune?: boolean;
  /** `scaleway.retries` (default: the settings' default, 6). */
  readonly retries?: number;
  /** More top-level YAML, appended as is. */
  readonly extra?: string;
}

/** A settings file's text: the sandbox as the Scaleway endpoint, sink `local` (dotenv) by default. */
export function sandboxSettingsYaml(sandbox: SandboxHandle, o: SandboxSettingsOptions): string {
  const prune = o.prune
    ? ['prune:', ...['Project', 'Application', 'Group', 'Policy', 'ApiKey'].map((k) => `  ${k}: true`), '']
    : [];
  return [
    'apiVersion: scw-gitops/v1alpha1',
    'kind: Settings',
    `instance: ${o.instance ?? 'default'}`,
    'source:',
    `  dir: ${o.sourceDir}`,
    'scaleway:',
    `  apiUrl: ${sandbox.url}`,
    `  organizationId: ${sandbox.organizationId}`,
    ...(o.retries !== undefined ? [`  retries: ${o.retries}`] : []),
    'sinks:',
    '  - name: local',
    '    type: file',
    `    dir: ${o.sinkDir ?? './secrets'}`,
    '    format: dotenv',
    'defaults:',
    '  sink: local',
    ...prune,
  ]
    .join('\n')
    .concat('\n', o.extra ?? '');
}

export interface CapturedIO {
  readonly io: CliIO;
  /** Everything printed on stdout so far. */
  out(): string;
  /** Everything printed on stderr so far. */
  err(): string;
}

/** A non-TTY CliIO that records stdout and stderr (and hands every chunk to `onOutput`). */
export function captureIO(o: {
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly signal?: AbortSignal;
  readonly onOutput?: (text: string) => void;
}): CapturedIO {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: (t) => {
      out.push(t);
      o.onOutput?.(t);
    },
    stderr: (t) => {
      err.push(t);
      o.onOutput?.(t);
    },
    env: { ...o.env },
    cwd: o.cwd,
    isTTY: false,
    signal: o.signal ?? new AbortController().signal,
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

export interface OwnedKey {
  readonly accessKey: string;
  /** Custody state from the ownership marker (pending, ready, retiring, …). */
  readonly state: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  /** The secret the sandbox issued (to check what reached a sink, or that it never leaked). */
  readonly secret: string;
  readonly applicationId: string | undefined;
}

/** The sandbox's keys owned by `instance` for the desired key `name`, oldest first. */
export function ownedKeys(sandbox: SandboxHandle, name: string, instance = 'default'): OwnedKey[] {
  return [...sandbox.store.apiKeys.values()]
    .map((k) => ({ k, m: parseKeyDescription(k.description).marker }))
    .filter(({ m }) => m?.instance === instance && m.name === name)
    .map(({ k, m }) => ({
      accessKey: k.access_key,
      state: m!.state,
      createdAt: k.created_at,
      expiresAt: k.expires_at,
      secret: k.secret_key,
      applicationId: 'application_id' in k.bearer ? k.bearer.application_id : undefined,
    }))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}
