/**
 * Git remote URLs: which forms are accepted, how credentials are taken out of them, and how they
 * are shown. See docs/design/git-source.md ("Credentials").
 *
 * Accepted forms: `https://`, `http://`, `ssh://`, `git://`, `file://`, the scp-like
 * `user@host:path`, and an absolute local path (taken as `file://`). Anything else (`ext::`,
 * `fd::`, relative paths) is refused: git would run programs or read the daemon's working
 * directory for them.
 *
 * A password or token in the URL (`https://user:token@host/repo`) is never passed to git (the
 * process list, `.git/config` and git's own messages would show it): it is moved to the
 * credentials (a `Secret`, registered with the log scrubber) and the URL keeps no userinfo but a
 * plain user name for ssh. `display` is what logs, /status and errors show.
 */
import { Secret } from '../model/secret.js';

export type GitTransport = 'https' | 'http' | 'ssh' | 'git' | 'file';

export interface GitRemote {
  /** What git is given: no password, no token. */
  readonly fetchUrl: string;
  /** What people see: like fetchUrl, with `***` where a credential was. */
  readonly display: string;
  readonly transport: GitTransport;
  /** Host name (empty for file URLs). */
  readonly host: string;
  /** Repository path on the host, without leading `/` and trailing `.git`. */
  readonly repoPath: string;
  /** Credentials found in the URL (`user:password@`), for http(s) only. */
  readonly credentials?: { readonly username: string; readonly password: Secret };
}

export class GitUrlError extends Error {}

const SCP_LIKE = /^(?:([^@/\s]+)@)?([^:/\s]+):(?!\/\/)(.+)$/;

/** Parse a remote URL (throws GitUrlError with a message naming what is wrong). */
export function parseGitRemote(raw: string): GitRemote {
  const text = raw.trim();
  if (text === '') throw new GitUrlError('the git URL is empty');
  if (/\s/.test(text)) throw new GitUrlError('the git URL contains white space');
  if (text.startsWith('/')) {
    return parseGitRemote(`file://${text}`);
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    const scp = SCP_LIKE.exec(text);
    if (scp && !text.includes('::')) {
      const [, user, host, path] = scp;
      const fetchUrl = `${user ? `${user}@` : ''}${host}:${path}`;
      return { fetchUrl, display: fetchUrl, transport: 'ssh', host: host!, repoPath: repoPathOf(path!) };
    }
    throw new GitUrlError(
      `unsupported git URL ${JSON.stringify(redactUrlText(text))}: use https://, ssh://, git@host:path or file://`,
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new GitUrlError(`invalid git URL ${JSON.stringify(redactUrlText(text))}`);
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  if (!['https', 'http', 'ssh', 'git', 'file'].includes(scheme)) {
    throw new GitUrlError(`unsupported git URL scheme '${scheme}': use https, http, ssh, git or file`);
  }
  const transport = scheme as GitTransport;
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  let credentials: GitRemote['credentials'];
  let display: string;
  if (password !== '') {
    if (transport !== 'https' && transport !== 'http') {
      throw new GitUrlError(`a password in a ${transport} URL is not supported: use auth.sshKeyFile`);
    }
    credentials = { username: username || 'git', password: new Secret(password) };
    url.username = '';
    url.password = '';
    display = url.href.replace('://', '://***@');
  } else if (username !== '' && (transport === 'https' || transport === 'http')) {
    // `https://token@host/repo`: GitHub-style token as the user name.
    credentials = { username: 'x-access-token', password: new Secret(username) };
    url.username = '';
    display = url.href.replace('://', '://***@');
  } else {
    display = url.href;
  }
  const fetchUrl = url.href;
  return {
    fetchUrl,
    display,
    transport,
    host: transport === 'file' ? '' : url.hostname,
    repoPath: repoPathOf(decodeURIComponent(url.pathname)),
    ...(credentials ? { credentials } : {}),
  };
}

function repoPathOf(path: string): string {
  return path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
}

/** Replace the userinfo of every URL in free text (`scheme://user:pass@` → `scheme://***@`). */
export function redactUrlText(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@');
}

/** A one-off source given on the command line: `URL#REF:PATH` (REF and PATH optional). */
export interface GitSpec {
  readonly url: string;
  readonly ref?: string;
  readonly path?: string;
}

/**
 * Split `URL#REF:PATH`. REF is a branch (`main`, `refs/heads/main`), a tag (`refs/tags/v1.2.0`),
 * a semver range (`semver:^1.2`) or a full commit hash; PATH is the sub-directory.
 * Examples: `https://host/org/iam.git#main:iam`, `file:///srv/iam.git`, `git@host:org/iam#:envs/prod`.
 */
export function parseGitSpec(text: string): GitSpec {
  const hash = text.lastIndexOf('#');
  if (hash < 0) return { url: text };
  const url = text.slice(0, hash);
  const fragment = text.slice(hash + 1);
  let ref = fragment;
  let path: string | undefined;
  // `semver:` carries a colon of its own.
  const colon = fragment.startsWith('semver:')
    ? fragment.indexOf(':', 'semver:'.length)
    : fragment.indexOf(':');
  if (colon >= 0) {
    ref = fragment.slice(0, colon);
    path = fragment.slice(colon + 1);
  }
  return {
    url,
    ...(ref !== '' ? { ref } : {}),
    ...(path !== undefined && path !== '' ? { path } : {}),
  };
}
