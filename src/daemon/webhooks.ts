/**
 * Git-host webhook verification (docs/design/kubernetes.md §12) and secret resolution.
 *
 * - GitHub: `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(secret, raw body bytes), compared in
 *   constant time (`timingSafeEqual` on equal-length buffers, length checked first).
 * - GitLab: `X-Gitlab-Token` is the secret in plain text; both sides are hashed with SHA-256 first,
 *   so the comparison is constant-time and does not leak the length.
 * - Secrets come from the environment or a file named in the settings, never from the file itself,
 *   and are wrapped in `Secret` (registered with the log sanitiser).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFile as fsReadFile } from 'node:fs/promises';
import type { WebhookSettings } from '../config/settings.js';
import { ConfigError } from '../errors.js';
import { Secret } from '../model/secret.js';

export interface WebhookSecrets {
  readonly github?: Secret;
  readonly gitlab?: Secret;
  readonly gitSync: boolean;
  readonly maxBodyBytes: number;
}

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' };

/** Check a GitHub `X-Hub-Signature-256` header against the raw body. */
export function verifyGithubSignature(
  secret: Secret,
  body: Buffer,
  header: string | undefined,
): SignatureCheck {
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  const m = SIGNATURE.exec(header.trim().toLowerCase());
  if (!m) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', secret.reveal()).update(body).digest();
  const given = Buffer.from(m[1]!, 'hex');
  if (given.length !== expected.length) return { ok: false, reason: 'malformed' };
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** `sha256=<hex>` for a body (tests and clients use it to sign). */
export function signGithubBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Check a GitLab `X-Gitlab-Token` header. */
export function verifyGitlabToken(expected: Secret, header: string | undefined): SignatureCheck {
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  const a = createHash('sha256').update(expected.reveal(), 'utf8').digest();
  const b = createHash('sha256').update(header, 'utf8').digest();
  return timingSafeEqual(a, b) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

export interface ResolveWebhookDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (file: string) => Promise<string>;
}

/** Read the configured webhook secrets. Throws ConfigError naming the variable or file. */
export async function resolveWebhookSecrets(
  settings: WebhookSettings,
  deps: ResolveWebhookDeps,
): Promise<WebhookSecrets> {
  const read = deps.readFile ?? ((f: string) => fsReadFile(f, 'utf8'));
  const one = async (what: string, envName?: string, file?: string): Promise<Secret | undefined> => {
    if (file !== undefined) {
      let text: string;
      try {
        text = (await read(file)).trim();
      } catch (err) {
        throw new ConfigError(
          `${what}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
      if (!text) throw new ConfigError(`${what}: ${file} is empty`);
      return new Secret(text);
    }
    if (envName !== undefined) {
      const v = deps.env[envName]?.trim();
      if (!v) throw new ConfigError(`${what}: environment variable ${envName} is not set or empty`);
      return new Secret(v);
    }
    return undefined;
  };
  const github = settings.github
    ? await one('webhooks.github', settings.github.secretEnv, settings.github.secretFile)
    : undefined;
  const gitlab = settings.gitlab
    ? await one('webhooks.gitlab', settings.gitlab.tokenEnv, settings.gitlab.tokenFile)
    : undefined;
  return {
    ...(github ? { github } : {}),
    ...(gitlab ? { gitlab } : {}),
    gitSync: settings.gitSync?.enabled ?? false,
    maxBodyBytes: settings.maxBodyBytes,
  };
}

/** Remembers recent delivery ids to drop replays and host retries (bounded). */
export class RecentIds {
  readonly #ids = new Set<string>();
  constructor(private readonly capacity = 512) {}

  /** True when `id` was seen before; records it otherwise. */
  seen(id: string): boolean {
    if (this.#ids.has(id)) return true;
    this.#ids.add(id);
    if (this.#ids.size > this.capacity) {
      const first = this.#ids.values().next().value;
      if (first !== undefined) this.#ids.delete(first);
    }
    return false;
  }
}
