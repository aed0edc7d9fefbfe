/**
 * Reading a secret the settings name by environment variable (`…Env`) or file (`…File`): the one
 * place the daemon's own credentials (webhook secrets, the admin token) are read. The value is
 * trimmed, must not be empty, and comes back as a `Secret`; errors name the setting and the
 * variable or file, never the content.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { Secret } from '../model/secret.js';

export interface SecretSourceDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (file: string) => Promise<string>;
}

/** Where a secret comes from; neither set = not configured. */
export interface SecretSource {
  readonly env?: string | undefined;
  readonly file?: string | undefined;
  /** A missing file (ENOENT) or an unset variable means "not configured" instead of an error. */
  readonly optional?: boolean | undefined;
}

/**
 * The secret of `source`, or undefined when neither a variable nor a file is named. Throws
 * ConfigError (`<what>: cannot read <file> (ENOENT)`, `<what>: environment variable X is not set
 * or empty`) when the named one is missing or empty.
 */
export async function readSecretSource(
  what: string,
  source: SecretSource,
  deps: SecretSourceDeps,
): Promise<Secret | undefined> {
  if (source.file !== undefined) {
    const read = deps.readFile ?? ((f: string) => fsReadFile(f, 'utf8'));
    let text: string;
    try {
      text = (await read(source.file)).trim();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (source.optional && code === 'ENOENT') return undefined;
      throw new ConfigError(`${what}: cannot read ${source.file} (${code ?? 'error'})`);
    }
    if (!text) throw new ConfigError(`${what}: ${source.file} is empty`);
    return new Secret(text);
  }
  if (source.env !== undefined) {
    const v = deps.env[source.env]?.trim();
    if (!v && source.optional && deps.env[source.env] === undefined) return undefined;
    if (!v) throw new ConfigError(`${what}: environment variable ${source.env} is not set or empty`);
    return new Secret(v);
  }
  return undefined;
}
