/**
 * Credentials of the git remote, resolved once at start from environment variables and files
 * (never from the settings file itself), and turned into the environment of the git child
 * process. See docs/design/git-source.md ("Credentials").
 *
 * - HTTP(S): `Authorization: Basic …` through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_0`/
 *   `GIT_CONFIG_VALUE_0` = `http.extraHeader`: not an argument (the process list), not in
 *   `.git/config`, and git never prints it. A token is sent as `x-access-token:<token>`, which
 *   GitHub and GitLab both accept.
 * - SSH: `GIT_SSH_COMMAND` with the key file, `IdentitiesOnly`, the known-hosts file and strict
 *   host key checking; no agent, no prompt.
 * Every secret value is a `Secret` (registered with the log scrubber) from the moment it is read.
 */
import { readSecretRef, readSettingEnv, readSettingFile, type SecretRefDeps } from '../config/secret-ref.js';
import type { GitAuthSettings } from '../config/settings.js';
import { ConfigError } from '../errors.js';
import { Secret } from '../model/secret.js';
import type { GitRemote } from './git-url.js';

export interface GitCredentials {
  readonly basic?: { readonly username: string; readonly password: Secret };
  readonly ssh?: { readonly keyFile: string; readonly knownHostsFile?: string };
}

export type ResolveGitAuthDeps = SecretRefDeps;

/** Read the configured credentials; ConfigError naming the variable or file when one is missing. */
export async function resolveGitCredentials(
  auth: GitAuthSettings,
  remote: GitRemote,
  deps: ResolveGitAuthDeps,
): Promise<GitCredentials> {
  let basic: GitCredentials['basic'] = remote.credentials;
  if (auth.tokenEnv !== undefined || auth.tokenFile !== undefined) {
    const token = await readSecretRef(
      'source.git.auth.token',
      { env: auth.tokenEnv, file: auth.tokenFile },
      deps,
    );
    basic = { username: 'x-access-token', password: token };
  } else if (auth.passwordEnv !== undefined || auth.passwordFile !== undefined) {
    const password = await readSecretRef(
      'source.git.auth.password',
      { env: auth.passwordEnv, file: auth.passwordFile },
      deps,
    );
    const username =
      auth.usernameEnv !== undefined
        ? readSettingEnv('source.git.auth.usernameEnv', auth.usernameEnv, deps)
        : auth.username;
    if (!username) throw new ConfigError('source.git.auth: a password needs username or usernameEnv');
    basic = { username, password };
  }
  if (basic && remote.transport !== 'https' && remote.transport !== 'http') {
    throw new ConfigError(
      `source.git.auth: a token or password works over https only, the URL is ${remote.transport} (use sshKeyFile)`,
    );
  }
  let ssh: GitCredentials['ssh'];
  if (auth.sshKeyFile !== undefined) {
    if (remote.transport !== 'ssh') {
      throw new ConfigError(`source.git.auth.sshKeyFile needs an ssh URL, the URL is ${remote.transport}`);
    }
    // Fail at start, not at the first fetch, when the key cannot be read.
    await readSettingFile('source.git.auth.sshKeyFile', auth.sshKeyFile, deps);
    if (auth.knownHostsFile !== undefined) {
      await readSettingFile('source.git.auth.knownHostsFile', auth.knownHostsFile, deps);
    }
    ssh = {
      keyFile: auth.sshKeyFile,
      ...(auth.knownHostsFile !== undefined ? { knownHostsFile: auth.knownHostsFile } : {}),
    };
  }
  return { ...(basic ? { basic } : {}), ...(ssh ? { ssh } : {}) };
}

/** Single-quote a word for the shell that runs GIT_SSH_COMMAND. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The git child's environment for these credentials (empty when there are none). */
export function credentialEnv(
  creds: GitCredentials,
  remote: GitRemote,
  opts: { readonly useAgent?: boolean } = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  if (creds.basic) {
    const value = Buffer.from(`${creds.basic.username}:${creds.basic.password.reveal()}`).toString('base64');
    // The header value is a credential too: register it with the scrubber.
    new Secret(value);
    env['GIT_CONFIG_COUNT'] = '1';
    env['GIT_CONFIG_KEY_0'] = 'http.extraHeader';
    env['GIT_CONFIG_VALUE_0'] = `Authorization: Basic ${value}`;
  }
  if (remote.transport === 'ssh') {
    const parts = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'];
    if (!creds.ssh && !opts.useAgent) parts.push('-o', 'IdentityAgent=none');
    if (creds.ssh) {
      parts.push('-i', shellQuote(creds.ssh.keyFile), '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none');
      if (creds.ssh.knownHostsFile) {
        parts.push('-o', shellQuote(`UserKnownHostsFile=${creds.ssh.knownHostsFile}`));
      }
    }
    env['GIT_SSH_COMMAND'] = parts.join(' ');
    env['GIT_SSH_VARIANT'] = 'ssh';
  }
  return env;
}
