/**
 * Real git for tests: a bare "origin" repository in a temporary directory, a working clone that
 * commits and pushes to it (plain, GnuPG-signed or SSH-signed), and the keys to sign with:
 *
 * - OpenPGP: `alice` (trusted) and `mallory` (not trusted), generated in batch mode in a private
 *   GNUPGHOME (ed25519, no passphrase); the agent gpg starts for signing is killed by `close()`.
 * - SSH: `bob` (trusted) and `eve` (not trusted), `ssh-keygen -t ed25519`, and an allowed-signers
 *   file that lists bob for the `git` namespace.
 *
 * Everything runs with an isolated git configuration (no system or global config) and stays in
 * the temporary directory.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { GitSourceSettings } from '../../src/config/settings.js';

const exec = promisify(execFile);

export type Signing = { gpg: 'alice' | 'mallory' } | { ssh: 'bob' | 'eve' } | undefined;

export interface GitKeys {
  readonly gnupgHome: string;
  /** Armored public key files. */
  readonly alicePublic: string;
  readonly malloryPublic: string;
  readonly aliceFingerprint: string;
  readonly malloryFingerprint: string;
  readonly sshKey: { readonly bob: string; readonly eve: string };
  /** Allowed-signers file listing bob only. */
  readonly allowedSigners: string;
  readonly bobFingerprint: string;
}

export interface GitFixture {
  readonly root: string;
  /** Bare repository path (origin). */
  readonly origin: string;
  /** `file://` URL of origin. */
  readonly fileUrl: string;
  readonly keys: GitKeys;
  /**
   * Write (string) or delete (null) files, commit on `branch` (created from the current commit
   * when new), push to that branch (or to `pushRef`); returns the commit hash.
   */
  commit(
    files: Record<string, string | null>,
    opts?: { message?: string; sign?: Signing; branch?: string; pushRef?: string },
  ): Promise<string>;
  /** Force-push a new root history (the old commits are no longer on the branch). */
  rewrite(files: Record<string, string>, opts?: { sign?: Signing; branch?: string }): Promise<string>;
  tag(
    name: string,
    opts?: { sign?: Signing; annotated?: boolean; at?: string; force?: boolean },
  ): Promise<string>;
  deleteBranch(branch: string): Promise<void>;
  git(args: readonly string[], cwd?: string): Promise<string>;
  close(): Promise<void>;
}

function isolatedEnv(home: string, gnupgHome: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: home,
    GNUPGHOME: gnupgHome,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Test Author',
    GIT_AUTHOR_EMAIL: 'author@example.com',
    GIT_COMMITTER_NAME: 'Test Author',
    GIT_COMMITTER_EMAIL: 'author@example.com',
    LC_ALL: 'C',
  };
}

async function genGpgKey(env: NodeJS.ProcessEnv, uid: string, out: string): Promise<string> {
  await exec('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never'], {
    env,
  });
  const { stdout } = await exec('gpg', ['--batch', '--with-colons', '--fingerprint', '--list-keys', uid], {
    env,
  });
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(stdout)?.[1];
  if (!fpr) throw new Error(`no fingerprint for ${uid}`);
  const { stdout: armored } = await exec('gpg', ['--batch', '--armor', '--export', fpr], { env });
  await writeFile(out, armored);
  return fpr;
}

export async function createGitFixture(opts: { branch?: string } = {}): Promise<GitFixture> {
  const branch = opts.branch ?? 'main';
  const root = await mkdtemp(path.join(tmpdir(), 'scw-git-'));
  const gnupgHome = path.join(root, 'gnupg');
  await mkdir(gnupgHome, { mode: 0o700 });
  const env = isolatedEnv(root, gnupgHome);
  const run = async (cmd: string, args: readonly string[], cwd?: string) =>
    (await exec(cmd, [...args], { env, ...(cwd ? { cwd } : {}), maxBuffer: 64 * 1024 * 1024 })).stdout;

  const keysDir = path.join(root, 'keys');
  await mkdir(keysDir);
  const aliceFingerprint = await genGpgKey(env, 'Alice <alice@example.com>', path.join(keysDir, 'alice.asc'));
  const malloryFingerprint = await genGpgKey(
    env,
    'Mallory <mallory@example.com>',
    path.join(keysDir, 'mallory.asc'),
  );
  for (const who of ['bob', 'eve']) {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', who, '-f', path.join(keysDir, who)]);
  }
  const bobPub = (await run('cat', [path.join(keysDir, 'bob.pub')])).trim();
  const allowedSigners = path.join(keysDir, 'allowed_signers');
  await writeFile(allowedSigners, `# trusted committers\nbob@example.com namespaces="git" ${bobPub}\n`);
  const bobFingerprint = /(SHA256:\S+)/.exec(
    await run('ssh-keygen', ['-l', '-f', path.join(keysDir, 'bob.pub')]),
  )![1]!;

  const origin = path.join(root, 'origin.git');
  await run('git', ['init', '--quiet', '--bare', `--initial-branch=${branch}`, origin]);
  // Fetching a commit by hash (push webhooks) needs this on the serving side, as on the big hosts.
  await run('git', ['--git-dir', origin, 'config', 'uploadpack.allowReachableSHA1InWant', 'true']);
  await run('git', ['--git-dir', origin, 'config', 'uploadpack.allowAnySHA1InWant', 'true']);
  const work = path.join(root, 'work');
  await run('git', ['init', '--quiet', `--initial-branch=${branch}`, work]);
  await run('git', ['remote', 'add', 'origin', origin], work);

  const keys: GitKeys = {
    gnupgHome,
    alicePublic: path.join(keysDir, 'alice.asc'),
    malloryPublic: path.join(keysDir, 'mallory.asc'),
    aliceFingerprint,
    malloryFingerprint,
    sshKey: { bob: path.join(keysDir, 'bob'), eve: path.join(keysDir, 'eve') },
    allowedSigners,
    bobFingerprint,
  };

  const signArgs = (sign: Signing): string[] => {
    if (!sign) return [];
    if ('gpg' in sign) {
      const fpr = sign.gpg === 'alice' ? aliceFingerprint : malloryFingerprint;
      return ['-c', `user.signingkey=${fpr}`, '-c', 'gpg.format=openpgp'];
    }
    return ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${keys.sshKey[sign.ssh]}`];
  };

  const writeFiles = async (files: Record<string, string | null>) => {
    for (const [rel, content] of Object.entries(files)) {
      const file = path.join(work, rel);
      if (content === null) await rm(file, { force: true });
      else {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
      }
    }
  };

  const currentBranch = async (b: string) => {
    const exists = await run('git', ['rev-parse', '--verify', '--quiet', `refs/heads/${b}`], work).then(
      () => true,
      () => false,
    );
    await run('git', ['checkout', '--quiet', ...(exists ? [] : ['-b']), b], work).catch(async () => {
      // unborn branch: switch HEAD
      await run('git', ['symbolic-ref', 'HEAD', `refs/heads/${b}`], work);
    });
  };

  return {
    root,
    origin,
    fileUrl: `file://${origin}`,
    keys,
    async commit(files, o = {}) {
      const b = o.branch ?? branch;
      await currentBranch(b);
      await writeFiles(files);
      await run('git', ['add', '--all'], work);
      await run(
        'git',
        [
          ...signArgs(o.sign),
          'commit',
          '--quiet',
          '--allow-empty',
          ...(o.sign ? ['-S'] : []),
          '-m',
          o.message ?? 'change',
        ],
        work,
      );
      await run('git', ['push', '--quiet', 'origin', `HEAD:${o.pushRef ?? `refs/heads/${b}`}`], work);
      return (await run('git', ['rev-parse', 'HEAD'], work)).trim();
    },
    async rewrite(files, o = {}) {
      const b = o.branch ?? branch;
      await run('git', ['checkout', '--quiet', '--orphan', `rewrite-${Date.now()}`], work);
      await run('git', ['rm', '-r', '--quiet', '--cached', '--ignore-unmatch', '.'], work);
      await writeFiles(files);
      await run('git', ['add', '--all'], work);
      await run(
        'git',
        [...signArgs(o.sign), 'commit', '--quiet', ...(o.sign ? ['-S'] : []), '-m', 'rewritten'],
        work,
      );
      await run('git', ['push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${b}`], work);
      const sha = (await run('git', ['rev-parse', 'HEAD'], work)).trim();
      await run('git', ['branch', '--quiet', '--force', b, sha], work);
      await run('git', ['checkout', '--quiet', b], work);
      return sha;
    },
    async tag(name, o = {}) {
      const annotated = o.annotated ?? o.sign !== undefined;
      const args = [
        ...signArgs(o.sign),
        'tag',
        ...(o.force ? ['--force'] : []),
        ...(o.sign ? ['-s'] : annotated ? ['-a'] : []),
        ...(annotated ? ['-m', `release ${name}`] : []),
        name,
        ...(o.at ? [o.at] : []),
      ];
      await run('git', args, work);
      await run(
        'git',
        ['push', '--quiet', ...(o.force ? ['--force'] : []), 'origin', `refs/tags/${name}`],
        work,
      );
      return (await run('git', ['rev-parse', `${name}^{commit}`], work)).trim();
    },
    async deleteBranch(b) {
      await run('git', ['push', '--quiet', 'origin', `:refs/heads/${b}`], work);
    },
    git: (args, cwd) => run('git', args, cwd ?? work),
    async close() {
      await exec('gpgconf', ['--homedir', gnupgHome, '--kill', 'all'], { env }).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
}

let caches = 0;

/** Settings of a git source on the fixture's origin (file URL, branch main, path iam), each with its own cache. */
export function gitSourceSettings(fx: GitFixture, over: Partial<GitSourceSettings> = {}): GitSourceSettings {
  caches += 1;
  return {
    url: fx.fileUrl,
    ref: { branch: 'main' },
    path: 'iam',
    intervalMs: 60_000,
    timeoutMs: 30_000,
    cacheDir: path.join(fx.root, `cache-${caches}`),
    forcePush: 'refuse',
    auth: {},
    verify: { mode: 'off', openpgpKeys: [] },
    ...over,
  };
}
