/**
 * A secret named by the settings file: an environment variable (`…Env`) or a file (`…File`),
 * never the value itself (src/config/load-settings.ts refuses literal secrets). Read once, at
 * start, into a `Secret` (registered with the log scrubber); a missing variable or an unreadable
 * or empty file is a ConfigError naming the setting and the variable or file.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../errors.js';
import { Secret } from '../model/secret.js';

export interface SecretRefDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (file: string) => Promise<string>;
}

/** The trimmed text of `file`, or ConfigError `<what>: cannot read <file> (<code>)` / `is empty`. */
export async function readSettingFile(what: string, file: string, deps: SecretRefDeps): Promise<string> {
  let text: string;
  try {
    text = (await (deps.readFile ?? ((f: string) => readFile(f, 'utf8')))(file)).trim();
  } catch (err) {
    throw new ConfigError(`${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!text) throw new ConfigError(`${what}: ${file} is empty`);
  return text;
}

/** The trimmed value of variable `name`, or ConfigError `<what>: environment variable … is not set`. */
export function readSettingEnv(what: string, name: string, deps: SecretRefDeps): string {
  const value = deps.env[name]?.trim();
  if (!value) throw new ConfigError(`${what}: environment variable ${name} is not set or empty`);
  return value;
}

/**
 * The secret of `{ file }` (wins) or `{ env }`, as a Secret. `prefix` is the settings path of the
 * pair (`source.git.auth.token`): errors name `<prefix>File` or `<prefix>Env`.
 */
export async function readSecretRef(
  prefix: string,
  ref: { readonly env?: string | undefined; readonly file?: string | undefined },
  deps: SecretRefDeps,
): Promise<Secret> {
  if (ref.file !== undefined) return new Secret(await readSettingFile(`${prefix}File`, ref.file, deps));
  if (ref.env !== undefined) return new Secret(readSettingEnv(`${prefix}Env`, ref.env, deps));
  throw new ConfigError(`${prefix}Env or ${prefix}File is required`);
}
