/**
 * `plan` / `reconcile` with `--git URL#REF:PATH` (or a settings file with `source.git`): fetch
 * the repository once into a temporary directory, verify the commit as the daemon would, and
 * hand the checked-out tree to the pass. See docs/design/git-source.md ("On the command line").
 *
 * - `--git` replaces the settings' URL, ref and path; credentials and verification come from the
 *   settings when the URL is the same, and from the flags (which win).
 * - Under `enforce`, a commit that is not signed by a trusted key is an error (exit 1): there is
 *   no "last verified revision" in a one-off run. Under `warn` the warning goes to stderr.
 * - Over SSH the user's agent and known_hosts are used unless --git-ssh-key/--git-known-hosts.
 * - The temporary directory is removed when the command ends.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import type { CliIO } from './io.js';
import type { Clock } from '../clock.js';
import type { GitRefSettings, GitSourceSettings, Settings, VerifyMode } from '../config/settings.js';
import { AppError } from '../errors.js';
import { GitRunner } from '../source/git-command.js';
import { GitSource } from '../source/git-source.js';
import { parseGitRemote, parseGitSpec } from '../source/git-url.js';
import { formatSigner } from '../source/git-verify.js';
import { type ParsedFlags, UsageError } from './command.js';

export interface CliSource {
  readonly dir: string;
  readonly revision?: string;
  readonly signer?: string;
  cleanup(): Promise<void>;
}

/** `main`, `refs/heads/main`, `refs/tags/v1`, `semver:^1.2`, a commit hash. */
export function refFromSpec(ref: string): GitRefSettings {
  if (ref.startsWith('refs/heads/')) return { branch: ref.slice('refs/heads/'.length) };
  if (ref.startsWith('refs/tags/')) return { tag: ref.slice('refs/tags/'.length) };
  if (ref.startsWith('semver:')) return { semver: ref.slice('semver:'.length) };
  if (/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(ref)) return { commit: ref.toLowerCase() };
  return { branch: ref };
}

function verifyMode(v: string | undefined): VerifyMode | undefined {
  if (v === undefined) return undefined;
  if (v !== 'off' && v !== 'warn' && v !== 'enforce') {
    throw new UsageError(`--verify must be off, warn or enforce, got ${JSON.stringify(v)}`);
  }
  return v;
}

function resolvePath(io: CliIO, file: string): string {
  return path.isAbsolute(file) ? file : path.resolve(io.cwd, file);
}

/** Does this command read a git repository (flag or settings)? */
export function wantsGit(flags: ParsedFlags, settings: Settings): boolean {
  return (
    flags.values.git !== undefined || (flags.positionals.length === 0 && settings.source.git !== undefined)
  );
}

export async function openCliGitSource(
  flags: ParsedFlags,
  settings: Settings,
  io: CliIO,
  deps: { readonly logger: Logger; readonly clock: Clock },
): Promise<CliSource> {
  const v = flags.values;
  if (v.git !== undefined && flags.positionals.length > 0) {
    throw new UsageError('--git and DIR are mutually exclusive');
  }
  const base = settings.source.git;
  const spec = v.git !== undefined ? parseGitSpec(v.git) : undefined;
  if (spec !== undefined) {
    try {
      parseGitRemote(spec.url);
    } catch (err) {
      throw new UsageError(`--git: ${(err as Error).message}`);
    }
  }
  const sameRepo = base !== undefined && (spec === undefined || spec.url === base.url);
  const mode = verifyMode(v.verify) ?? base?.verify.mode ?? 'off';
  const trusted = v['trusted-keys']
    ?.split(',')
    .map((f) => f.trim())
    .filter(Boolean)
    .map((f) => resolvePath(io, f));
  const allowedSigners =
    v['allowed-signers'] !== undefined ? resolvePath(io, v['allowed-signers']) : base?.verify.allowedSigners;
  const openpgpKeys = trusted ?? base?.verify.openpgpKeys ?? [];
  if (mode !== 'off' && openpgpKeys.length === 0 && allowedSigners === undefined) {
    throw new UsageError(
      `--verify ${mode} needs --trusted-keys and/or --allowed-signers (or source.git.verify in --config)`,
    );
  }
  const auth = {
    ...(sameRepo ? base.auth : {}),
    ...(v['git-token-env'] !== undefined ? { tokenEnv: v['git-token-env'] } : {}),
    ...(v['git-ssh-key'] !== undefined ? { sshKeyFile: resolvePath(io, v['git-ssh-key']) } : {}),
    ...(v['git-known-hosts'] !== undefined ? { knownHostsFile: resolvePath(io, v['git-known-hosts']) } : {}),
  };
  const cacheDir = await mkdtemp(path.join(tmpdir(), 'scw-gitops-git-'));
  const cleanup = () => rm(cacheDir, { recursive: true, force: true });
  try {
    const git = new GitRunner({
      home: io.env['HOME'] ?? cacheDir,
      env: io.env,
      passEnv: ['SSH_AUTH_SOCK'],
      ...(base ? { timeoutMs: base.timeoutMs } : {}),
    });
    const sourceDeps = { env: io.env, logger: deps.logger, clock: deps.clock, git, useSshAgent: true };
    const url = spec?.url ?? base!.url;
    const ref: GitRefSettings =
      spec?.ref !== undefined
        ? refFromSpec(spec.ref)
        : spec === undefined || sameRepo
          ? (base?.ref ?? { branch: await GitSource.defaultBranch({ url, auth, cacheDir }, sourceDeps) })
          : { branch: await GitSource.defaultBranch({ url, auth, cacheDir }, sourceDeps) };
    const gitSettings: GitSourceSettings = {
      url,
      ref,
      path: (spec?.path ?? (sameRepo ? base.path : '')).replace(/^\.?\/+|\/+$/g, ''),
      intervalMs: base?.intervalMs ?? 60_000,
      timeoutMs: base?.timeoutMs ?? 120_000,
      cacheDir,
      forcePush: 'follow',
      auth,
      verify: { mode, openpgpKeys, ...(allowedSigners !== undefined ? { allowedSigners } : {}) },
    };
    const source = await GitSource.open(gitSettings, sourceDeps);
    const result = await source.sync({ signal: io.signal });
    const snap = result.snapshot;
    if (result.refusal) {
      throw new AppError(
        'revision-refused',
        `revision ${result.refusal.revision.slice(0, 12)} of ${source.remote.display} refused: ${result.refusal.reason}`,
      );
    }
    if (!snap.accepted) {
      throw new AppError(
        'git-failed',
        snap.error?.message ?? `nothing fetched from ${source.remote.display}`,
      );
    }
    const signer = formatSigner(snap.accepted.verification.signer);
    io.stderr(
      `Desired state: ${source.remote.display} ${snap.accepted.ref ?? ''} at ${snap.accepted.revision}${gitSettings.path ? `, path ${gitSettings.path}` : ''}${
        mode === 'off'
          ? ''
          : `, ${snap.accepted.verification.status}${signer ? ` (signed by ${signer})` : ''}`
      }\n`,
    );
    return {
      dir: snap.accepted.dir,
      ...(snap.accepted.revision ? { revision: snap.accepted.revision } : {}),
      ...(signer ? { signer } : {}),
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
