/**
 * Who signed a commit or a tag, and whether that signer is trusted. See docs/design/git-source.md
 * ("Verification").
 *
 * Trust is exactly what the settings list, nothing else:
 * - OpenPGP: the public keys of `verify.openpgpKeys` are imported into a private GNUPGHOME that
 *   holds nothing else (created afresh at each start, `no-autostart`: no agent, no network).
 *   A signature is trusted when gpg reports it good (`GOODSIG` + `VALIDSIG`) and the primary key
 *   fingerprint of `VALIDSIG` is one of the imported keys. Expired or revoked keys, bad
 *   signatures and unknown keys are refused, each with its own reason.
 * - SSH: `verify.allowedSigners` is git's `gpg.ssh.allowedSignersFile` (namespace `git`); a
 *   signature is trusted when `ssh-keygen -Y verify` finds a principal for the key.
 * The commit's author and committer lines are claims anyone can write; they are never used for
 * trust, only shown next to the verified signer.
 *
 * `verifyObject` never throws for an unsigned or untrusted object: it returns the verdict. It
 * throws only when git itself cannot run.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GitVerifySettings } from '../config/settings.js';
import { ConfigError } from '../errors.js';
import type { GitRunner } from './git-command.js';

export type VerificationStatus =
  /** signed by a trusted key */
  | 'verified'
  /** no signature at all (or a lightweight tag) */
  | 'unsigned'
  /** a valid signature by a key that is not trusted */
  | 'untrusted'
  /** the signature does not match the content, or is malformed */
  | 'bad-signature'
  /** signed by a trusted key that has expired */
  | 'expired-key'
  /** signed by a trusted key that was revoked */
  | 'revoked-key'
  /** verification is off */
  | 'not-checked';

export interface Signer {
  readonly type: 'openpgp' | 'ssh';
  /** OpenPGP primary key fingerprint, or the SSH key fingerprint (`SHA256:…`). */
  readonly key: string;
  /** OpenPGP user id, or the allowed-signers principal. */
  readonly identity?: string;
}

export interface Verification {
  readonly status: VerificationStatus;
  /** What was verified: the commit (branch, commit refs) or the tag (tag, semver refs). */
  readonly object: 'commit' | 'tag';
  readonly signer?: Signer;
  /** One line, for logs, /status and commit statuses. */
  readonly reason: string;
}

/** `Alice <alice@example.com> (openpgp B0DA…641E)`, or the key alone. */
export function formatSigner(signer: Signer | undefined): string | undefined {
  if (!signer) return undefined;
  return signer.identity
    ? `${signer.identity} (${signer.type} ${signer.key})`
    : `${signer.type} ${signer.key}`;
}

/** The trusted keys, ready for git: a private GNUPGHOME and/or an allowed-signers file. */
export class TrustStore {
  private constructor(
    readonly gnupgHome: string,
    readonly fingerprints: ReadonlySet<string>,
    readonly allowedSigners: string | undefined,
  ) {}

  /**
   * Build the store under `dir` (replaced). ConfigError when a key file cannot be read or holds no
   * public key, or when the allowed-signers file is missing or empty.
   */
  static async create(settings: GitVerifySettings, dir: string, git: GitRunner): Promise<TrustStore> {
    const home = path.join(dir, 'gnupg');
    await rm(home, { recursive: true, force: true });
    await mkdir(home, { recursive: true, mode: 0o700 });
    await writeFile(path.join(home, 'gpg.conf'), 'no-autostart\nno-auto-key-retrieve\n', { mode: 0o600 });
    const files = await keyFiles(settings.openpgpKeys);
    for (const file of files) {
      const before = (await listFingerprints(git, home)).size;
      const imported = await runGpg(git, home, ['--import', file]);
      const after = (await listFingerprints(git, home)).size;
      if (imported.code !== 0 || after === before) {
        throw new ConfigError(
          `source.git.verify.openpgpKeys: ${file} holds no OpenPGP public key (or only keys already listed)`,
        );
      }
    }
    if (settings.allowedSigners !== undefined) {
      let text: string;
      try {
        text = await readFile(settings.allowedSigners, 'utf8');
      } catch (err) {
        throw new ConfigError(
          `source.git.verify.allowedSigners: cannot read ${settings.allowedSigners} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
      if (!text.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('#'))) {
        throw new ConfigError(`source.git.verify.allowedSigners: ${settings.allowedSigners} lists no signer`);
      }
    }
    return new TrustStore(home, await listFingerprints(git, home), settings.allowedSigners);
  }

  /** `-c` options for git verify-commit / verify-tag. */
  gitConfig(): string[] {
    return this.allowedSigners !== undefined
      ? ['-c', `gpg.ssh.allowedSignersFile=${this.allowedSigners}`]
      : [];
  }

  env(): Record<string, string> {
    return { GNUPGHOME: this.gnupgHome };
  }
}

async function keyFiles(entries: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const entry of entries) {
    let s: Awaited<ReturnType<typeof stat>>;
    try {
      s = await stat(entry);
    } catch (err) {
      throw new ConfigError(
        `source.git.verify.openpgpKeys: cannot read ${entry} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (s.isDirectory()) {
      // A mounted Secret or ConfigMap: every visible regular file (not the `..data` links).
      const names = (await readdir(entry, { withFileTypes: true }))
        .filter((d) => !d.name.startsWith('.') && (d.isFile() || d.isSymbolicLink()))
        .map((d) => path.join(entry, d.name))
        .sort();
      if (names.length === 0)
        throw new ConfigError(`source.git.verify.openpgpKeys: ${entry} is an empty directory`);
      out.push(...names);
    } else out.push(entry);
  }
  return out;
}

function runGpg(git: GitRunner, home: string, args: readonly string[]) {
  return git.runProgram('gpg', ['--batch', '--no-tty', '--homedir', home, ...args], {
    env: { GNUPGHOME: home },
    allowFailure: true,
    what: 'gpg',
  });
}

async function listFingerprints(git: GitRunner, home: string): Promise<Set<string>> {
  const r = await runGpg(git, home, ['--with-colons', '--fingerprint', '--list-keys']);
  const out = new Set<string>();
  let expectPrimary = false;
  for (const line of r.stdout.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub') expectPrimary = true;
    else if (f[0] === 'fpr' && expectPrimary) {
      if (f[9]) out.add(f[9].toUpperCase());
      expectPrimary = false;
    }
  }
  return out;
}

/** Does the raw object carry a signature, and of which format? */
function signatureFormat(raw: string, kind: 'commit' | 'tag'): 'openpgp' | 'ssh' | 'x509' | undefined {
  const text =
    kind === 'commit' ? (/^gpgsig(?:-sha256)? ([^\n]*)/m.exec(raw.split('\n\n')[0] ?? '')?.[1] ?? '') : raw;
  if (text.includes('-----BEGIN SSH SIGNATURE-----')) return 'ssh';
  if (text.includes('-----BEGIN PGP SIGNATURE-----')) return 'openpgp';
  if (text.includes('-----BEGIN SIGNED MESSAGE-----')) return 'x509';
  return undefined;
}

/**
 * Verify the signature of a commit (`kind: 'commit'`, `object` a commit hash) or an annotated tag
 * (`kind: 'tag'`, `object` the tag ref or tag object hash; a lightweight tag is `unsigned`).
 */
export async function verifyObject(
  git: GitRunner,
  gitDir: string,
  trust: TrustStore,
  kind: 'commit' | 'tag',
  object: string,
  signal?: AbortSignal,
): Promise<Verification> {
  const common = { gitDir, ...(signal ? { signal } : {}) };
  const type = (
    await git.run(['cat-file', '-t', object], { ...common, what: `reading ${object}` })
  ).stdout.trim();
  if (kind === 'tag' && type !== 'tag') {
    return {
      status: 'unsigned',
      object: 'tag',
      reason: 'the tag is a lightweight tag: it carries no signature',
    };
  }
  const raw = (await git.run(['cat-file', type, object], { ...common, what: `reading ${object}` })).stdout;
  const format = signatureFormat(raw, kind);
  if (format === undefined) {
    return { status: 'unsigned', object: kind, reason: `the ${kind} is not signed` };
  }
  if (format === 'x509') {
    return {
      status: 'untrusted',
      object: kind,
      reason: `the ${kind} has an X.509 signature; only OpenPGP and SSH keys can be trusted`,
    };
  }
  if (format === 'ssh' && trust.allowedSigners === undefined) {
    return {
      status: 'untrusted',
      object: kind,
      reason: `the ${kind} is signed with an SSH key, and no verify.allowedSigners file is configured`,
    };
  }
  const r = await git.run(
    [...trust.gitConfig(), kind === 'commit' ? 'verify-commit' : 'verify-tag', '--raw', object],
    {
      ...common,
      env: trust.env(),
      allowFailure: true,
      what: `verifying ${kind} ${object}`,
    },
  );
  const output = `${r.stderr}\n${r.stdout}`;
  return format === 'openpgp' ? parseGpgStatus(output, kind, trust) : parseSshVerify(output, r.code, kind);
}

/** gpg `--status-fd` lines → verdict (see the module comment for the rules). */
export function parseGpgStatus(
  output: string,
  kind: 'commit' | 'tag',
  trust: { fingerprints: ReadonlySet<string> },
): Verification {
  const lines = output
    .split('\n')
    .filter((l) => l.startsWith('[GNUPG:] '))
    .map((l) => l.slice(9).split(' '));
  const find = (tag: string) => lines.find((l) => l[0] === tag);
  const uidOf = (l: string[] | undefined) => (l && l.length > 2 ? l.slice(2).join(' ') : undefined);
  const valid = find('VALIDSIG');
  const primary = valid ? (valid[10] ?? valid[1])?.toUpperCase() : undefined;
  const good = find('GOODSIG');
  const signer = (key: string | undefined, identity: string | undefined) =>
    key ? { type: 'openpgp' as const, key, ...(identity ? { identity } : {}) } : undefined;
  const withSigner = (v: Omit<Verification, 'signer'>, s: Signer | undefined): Verification =>
    s ? { ...v, signer: s } : v;
  if (good && valid && primary) {
    const s = signer(primary, uidOf(good));
    if (trust.fingerprints.has(primary)) {
      return withSigner(
        { status: 'verified', object: kind, reason: `signed by trusted OpenPGP key ${primary}` },
        s,
      );
    }
    return withSigner(
      { status: 'untrusted', object: kind, reason: `signed by OpenPGP key ${primary}, which is not trusted` },
      s,
    );
  }
  const exp = find('EXPKEYSIG');
  if (exp) {
    const key = primary ?? exp[1] ?? 'unknown';
    return withSigner(
      { status: 'expired-key', object: kind, reason: `signed by OpenPGP key ${key}, which has expired` },
      signer(key, uidOf(exp)),
    );
  }
  const rev = find('REVKEYSIG');
  if (rev) {
    const key = primary ?? rev[1] ?? 'unknown';
    return withSigner(
      { status: 'revoked-key', object: kind, reason: `signed by OpenPGP key ${key}, which was revoked` },
      signer(key, uidOf(rev)),
    );
  }
  const bad = find('BADSIG');
  if (bad) {
    return withSigner(
      {
        status: 'bad-signature',
        object: kind,
        reason: `the OpenPGP signature of key ${bad[1] ?? 'unknown'} does not match the ${kind}`,
      },
      signer(bad[1], uidOf(bad)),
    );
  }
  const err = find('ERRSIG');
  const noKey = find('NO_PUBKEY');
  if (err || noKey) {
    // ERRSIG <keyid> <algo> <hash> <class> <time> <rc> [<fpr>]
    const key = (err?.[7] ?? err?.[1] ?? noKey?.[1] ?? 'unknown').toUpperCase();
    return withSigner(
      {
        status: 'untrusted',
        object: kind,
        reason: `signed by OpenPGP key ${key}, which is not among the trusted keys`,
      },
      signer(key, undefined),
    );
  }
  if (find('EXPSIG'))
    return { status: 'bad-signature', object: kind, reason: 'the OpenPGP signature has expired' };
  return {
    status: 'bad-signature',
    object: kind,
    reason: `the OpenPGP signature of the ${kind} could not be checked`,
  };
}

/** `git verify-* --raw` output for SSH signatures (ssh-keygen -Y) → verdict. */
export function parseSshVerify(output: string, exitCode: number, kind: 'commit' | 'tag'): Verification {
  const principal = /Good "git" signature for (.+?) with (\S+) key (SHA256:[A-Za-z0-9+/=]+)/.exec(output);
  if (principal && exitCode === 0) {
    return {
      status: 'verified',
      object: kind,
      signer: { type: 'ssh', key: principal[3]!, identity: principal[1]! },
      reason: `signed by trusted SSH key ${principal[3]} (${principal[1]})`,
    };
  }
  const anyKey = /Good "git" signature (?:for .+? )?with (\S+) key (SHA256:[A-Za-z0-9+/=]+)/.exec(output);
  if (anyKey) {
    return {
      status: 'untrusted',
      object: kind,
      signer: { type: 'ssh', key: anyKey[2]! },
      reason: `signed by SSH key ${anyKey[2]}, which is not in the allowed signers`,
    };
  }
  const fp = /(SHA256:[A-Za-z0-9+/=]{43})/.exec(output)?.[1];
  if (/No principal matched|not in allowed|no matching principal/i.test(output)) {
    return {
      status: 'untrusted',
      object: kind,
      ...(fp ? { signer: { type: 'ssh' as const, key: fp } } : {}),
      reason: `signed by ${fp ? `SSH key ${fp}` : 'an SSH key'}, which is not in the allowed signers`,
    };
  }
  if (/expired|not yet valid/i.test(output)) {
    return {
      status: 'expired-key',
      object: kind,
      ...(fp ? { signer: { type: 'ssh' as const, key: fp } } : {}),
      reason: `signed by ${fp ? `SSH key ${fp}` : 'an SSH key'} outside its validity in the allowed signers`,
    };
  }
  return {
    status: 'bad-signature',
    object: kind,
    ...(fp ? { signer: { type: 'ssh' as const, key: fp } } : {}),
    reason: `the SSH signature of the ${kind} does not verify`,
  };
}
