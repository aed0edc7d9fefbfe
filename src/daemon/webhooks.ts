/**
 * Webhooks, in one place: who may deliver, which deliveries count once, and how many passes they
 * may cause (docs/operations.md, "Threat model").
 *
 * A delivery goes through `WebhookIntake.receive` in this order (the hosts' headers and signatures:
 * docs/design/kubernetes.md §12):
 *
 *   1. authenticate      GitHub: `X-Hub-Signature-256` = HMAC-SHA256(secret, raw body), compared in
 *                        constant time. GitLab: `X-Gitlab-Token`, hashed on both sides then compared
 *                        in constant time. git-sync: a local peer (127.0.0.1, ::1: the sidecar), or
 *                        the configured token from anyone (access-guard.ts).       → 401
 *   2. interpret         ping / other events / a malformed commit hash: answered, no pass.
 *   3. dedupe            a delivery already seen is answered 200 `duplicate`. GitHub and GitLab
 *                        deliveries are keyed by the SHA-256 of the authenticated body AND by the
 *                        delivery id: a host's redelivery repeats both, and a captured signed body
 *                        replayed under a new id still matches its hash (the id is not signed).
 *   4. coalesce          the trigger goes through a TriggerThrottle: at most one pass per
 *                        `webhooks.minInterval` (10 s by default), triggers in between merged.
 *
 * Every outcome is counted (`scw_gitops_webhook_deliveries_total{hook,result}`); rejections are
 * logged without the payload, at most once per 10 s per hook and reason (a flood of forged
 * deliveries must not become a flood of log lines).
 *
 * A new kind of hook (a git host that pushes commits, for instance) is one more WebhookProvider.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { DEFAULT_WEBHOOK_MIN_INTERVAL_MS, type WebhookSettings } from '../config/settings.js';
import { readSecretSource, type SecretSourceDeps } from '../config/secret-source.js';
import type { Secret } from '../model/secret.js';
import { AccessGuard, type Listener, tokenMatches } from './access-guard.js';
import { type ThrottleOutcome, type TriggerDetail, TriggerThrottle } from './trigger-throttle.js';

export interface WebhookSecrets {
  readonly github?: Secret;
  readonly gitlab?: Secret;
  readonly gitSync: boolean;
  /** git-sync hook token; absent: local peers only. */
  readonly gitSyncToken?: Secret;
  /** Hooks configured as optional whose secret is absent: they are off. */
  readonly absent?: readonly string[];
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
  return tokenMatches(expected, header) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** Read the configured webhook secrets. Throws ConfigError naming the variable or file. */
export async function resolveWebhookSecrets(
  settings: WebhookSettings,
  deps: SecretSourceDeps,
): Promise<WebhookSecrets> {
  const github = settings.github
    ? await readSecretSource(
        'webhooks.github',
        {
          env: settings.github.secretEnv,
          file: settings.github.secretFile,
          optional: settings.github.optional,
        },
        deps,
      )
    : undefined;
  const gitlab = settings.gitlab
    ? await readSecretSource(
        'webhooks.gitlab',
        {
          env: settings.gitlab.tokenEnv,
          file: settings.gitlab.tokenFile,
          optional: settings.gitlab.optional,
        },
        deps,
      )
    : undefined;
  const gitSyncToken = settings.gitSync
    ? await readSecretSource(
        'webhooks.gitSync',
        { env: settings.gitSync.tokenEnv, file: settings.gitSync.tokenFile },
        deps,
      )
    : undefined;
  const absent = [
    ...(settings.github && !github ? ['github'] : []),
    ...(settings.gitlab && !gitlab ? ['gitlab'] : []),
  ];
  return {
    ...(github ? { github } : {}),
    ...(gitlab ? { gitlab } : {}),
    ...(absent.length > 0 ? { absent } : {}),
    gitSync: settings.gitSync?.enabled ?? false,
    ...(gitSyncToken ? { gitSyncToken } : {}),
    maxBodyBytes: settings.maxBodyBytes,
  };
}

/** Remembers recent keys (delivery ids, body hashes) to drop replays and host retries (bounded). */
export class RecentIds {
  readonly #ids = new Set<string>();
  constructor(private readonly capacity = 1024) {}

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    this.#ids.delete(id);
    this.#ids.add(id);
    while (this.#ids.size > this.capacity) {
      const first = this.#ids.values().next().value;
      if (first === undefined) break;
      this.#ids.delete(first);
    }
  }

  /** True when `id` was seen before; records it otherwise. */
  seen(id: string): boolean {
    if (this.#ids.has(id)) return true;
    this.add(id);
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Providers

/** One HTTP delivery, as the intake sees it. `body` is absent before it is read. */
export interface WebhookDelivery {
  readonly headers: IncomingHttpHeaders;
  readonly peer: string | undefined;
  readonly listener: Listener;
  readonly body?: Buffer;
}

export type AuthCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: string /** For the client; never about the secret. */;
      readonly message?: string;
    };

/** What an authenticated delivery asks for. */
export type Interpretation =
  | { readonly kind: 'trigger'; readonly detail: Readonly<Record<string, string | undefined>> }
  | {
      readonly kind: 'reply';
      readonly status: number;
      readonly result: 'ignored' | 'invalid';
      readonly body: Readonly<Record<string, unknown>>;
    };

export interface WebhookProvider {
  /** `github` → `POST /hooks/github`, metrics label `hook="github"`. */
  readonly hook: string;
  /** Trigger reason of its passes (`webhook-github`). */
  readonly reason: string;
  readonly methods: readonly string[];
  /** Status of an accepted delivery (git-sync counts only its success status as delivered). */
  readonly acceptedStatus: number;
  /** Authentication covers the body (HMAC): the body must be read first. */
  readonly needsBody: boolean;
  authenticate(d: WebhookDelivery): AuthCheck;
  interpret(d: WebhookDelivery): Interpretation;
  /** Keys under which an accepted delivery is remembered; a delivery matching any is a duplicate. */
  dedupeKeys(d: WebhookDelivery): string[];
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function bodyHash(hook: string, body: Buffer | undefined): string {
  return `${hook}:body:${createHash('sha256')
    .update(body ?? Buffer.alloc(0))
    .digest('hex')}`;
}

/** Best effort: `ref` and `after` of a push payload (JSON or GitHub's form encoding). */
export function parsePush(
  body: Buffer | undefined,
  contentType: string | undefined,
): { ref?: string; after?: string } {
  try {
    let text = (body ?? Buffer.alloc(0)).toString('utf8');
    if (contentType?.startsWith('application/x-www-form-urlencoded')) {
      text = new URLSearchParams(text).get('payload') ?? '{}';
    }
    const json = JSON.parse(text) as { ref?: unknown; after?: unknown; checkout_sha?: unknown } | null;
    const out: { ref?: string; after?: string } = {};
    if (json === null || typeof json !== 'object') return out;
    if (typeof json.ref === 'string') out.ref = json.ref.slice(0, 200);
    const after = typeof json.after === 'string' ? json.after : json.checkout_sha;
    if (typeof after === 'string' && /^[0-9a-f]{7,64}$/.test(after)) out.after = after;
    return out;
  } catch {
    return {};
  }
}

/** The answer to an event that asks for no pass (pings, issues, merge requests…). */
function ignoredEvent(event: string | undefined): Interpretation {
  return {
    kind: 'reply',
    status: 200,
    result: 'ignored',
    body: { ok: true, ignored: `event ${event ?? '(none)'}` },
  };
}

/** A push: trigger a pass; logged with its delivery id, ref and commit. */
function pushTrigger(d: WebhookDelivery, delivery: string | undefined): Interpretation {
  return { kind: 'trigger', detail: { delivery, ...parsePush(d.body, header(d.headers, 'content-type')) } };
}

/** The SHA-256 of the authenticated body and the host's delivery id (which the signature does not cover). */
function deliveryKeys(hook: string, d: WebhookDelivery, id: string | undefined): string[] {
  return [bodyHash(hook, d.body), ...(id ? [`${hook}:id:${id}`] : [])];
}

export function githubProvider(secret: Secret): WebhookProvider {
  const deliveryId = (d: WebhookDelivery) => header(d.headers, 'x-github-delivery');
  return {
    hook: 'github',
    reason: 'webhook-github',
    methods: ['POST'],
    acceptedStatus: 202,
    needsBody: true,
    authenticate: (d) => {
      const check = verifyGithubSignature(
        secret,
        d.body ?? Buffer.alloc(0),
        header(d.headers, 'x-hub-signature-256'),
      );
      return check.ok ? check : { ok: false, reason: `signature ${check.reason}` };
    },
    interpret: (d) => {
      const event = header(d.headers, 'x-github-event');
      if (event === 'ping')
        return { kind: 'reply', status: 200, result: 'ignored', body: { ok: true, event: 'ping' } };
      return event === 'push' ? pushTrigger(d, deliveryId(d)) : ignoredEvent(event);
    },
    dedupeKeys: (d) => deliveryKeys('github', d, deliveryId(d)),
  };
}

export function gitlabProvider(token: Secret): WebhookProvider {
  const deliveryId = (d: WebhookDelivery) =>
    header(d.headers, 'x-gitlab-event-uuid') ?? header(d.headers, 'idempotency-key');
  return {
    hook: 'gitlab',
    reason: 'webhook-gitlab',
    methods: ['POST'],
    acceptedStatus: 202,
    needsBody: false,
    authenticate: (d) => {
      const check = verifyGitlabToken(token, header(d.headers, 'x-gitlab-token'));
      return check.ok ? check : { ok: false, reason: `token ${check.reason}` };
    },
    interpret: (d) => {
      const event = header(d.headers, 'x-gitlab-event');
      return event === 'Push Hook' || event === 'Tag Push Hook'
        ? pushTrigger(d, deliveryId(d))
        : ignoredEvent(event);
    },
    dedupeKeys: (d) => deliveryKeys('gitlab', d, deliveryId(d)),
  };
}

const COMMIT_HASH = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export function gitSyncProvider(guard: AccessGuard): WebhookProvider {
  return {
    hook: 'git-sync',
    reason: 'webhook-git-sync',
    methods: ['POST', 'PUT'],
    // git-sync counts the hook delivered only on its success status (default 200).
    acceptedStatus: 200,
    needsBody: false,
    authenticate: (d) => {
      const decision = guard.check(d);
      return decision.allowed
        ? { ok: true }
        : { ok: false, reason: decision.reason, message: decision.message };
    },
    interpret: (d) => {
      const hash = header(d.headers, 'gitsync-hash');
      if (hash !== undefined && !COMMIT_HASH.test(hash)) {
        return {
          kind: 'reply',
          status: 400,
          result: 'invalid',
          body: { error: 'Gitsync-Hash is not a commit hash' },
        };
      }
      return { kind: 'trigger', detail: { hash } };
    },
    // git-sync calls only when its commit changed; the throttle bounds everything else.
    dedupeKeys: () => [],
  };
}

// ---------------------------------------------------------------------------------------------
// The intake

export type DeliveryResult = 'accepted' | 'duplicate' | 'unauthorized' | 'ignored' | 'invalid' | 'too_large';

export interface WebhookReply {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface WebhookIntakeOptions {
  readonly secrets: WebhookSecrets;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Minimum time between webhook-triggered passes (default 10 s). */
  readonly minIntervalMs?: number;
  /**
   * Ask for one pass for these reasons (after coalescing); `detail` is the newest delivery's
   * (a push's `ref` and `after`: a source that fetches on webhooks fetches that commit).
   */
  readonly release: (reasons: readonly string[], detail: TriggerDetail) => void;
  /** Counts: one call per delivery with its result. */
  readonly onDelivery?: (hook: string, result: DeliveryResult) => void;
  /** One call per accepted trigger with what the throttle did with it. */
  readonly onTrigger?: (reason: string, outcome: ThrottleOutcome) => void;
  /** How to reach git-sync's hook with a token (for the 401 body). */
  readonly gitSyncHint?: string;
}

const LOG_EVERY_MS = 10_000;

export class WebhookIntake {
  readonly #o: WebhookIntakeOptions;
  readonly #providers = new Map<string, WebhookProvider>();
  readonly #seen = new RecentIds(1024);
  readonly #throttle: TriggerThrottle;
  readonly #lastLog = new Map<string, { at: number; suppressed: number }>();

  constructor(opts: WebhookIntakeOptions) {
    this.#o = opts;
    const s = opts.secrets;
    if (s.github) this.add(githubProvider(s.github));
    if (s.gitlab) this.add(gitlabProvider(s.gitlab));
    if (s.gitSync) {
      this.add(
        gitSyncProvider(
          new AccessGuard({
            name: 'git-sync hook',
            token: s.gitSyncToken,
            trust: 'local-peer',
            hint:
              opts.gitSyncHint ?? 'the pod-local address 127.0.0.1, or webhooks.gitSync.tokenEnv/tokenFile',
          }),
        ),
      );
    }
    this.#throttle = new TriggerThrottle({
      clock: opts.clock,
      minIntervalMs: opts.minIntervalMs ?? DEFAULT_WEBHOOK_MIN_INTERVAL_MS,
      release: opts.release,
    });
  }

  /** Register a provider (one per hook name). */
  add(provider: WebhookProvider): void {
    if (this.#providers.has(provider.hook)) throw new Error(`webhook ${provider.hook} registered twice`);
    this.#providers.set(provider.hook, provider);
  }

  /** The provider serving `/hooks/<hook>`, if that hook is configured. */
  provider(hook: string): WebhookProvider | undefined {
    return this.#providers.get(hook);
  }

  get maxBodyBytes(): number {
    return this.#o.secrets.maxBodyBytes;
  }

  /**
   * Before the body is read: refuse a delivery whose authentication does not need the body
   * (so an unauthenticated peer cannot make the daemon read a megabyte). Undefined: go on.
   */
  admit(provider: WebhookProvider, d: WebhookDelivery): WebhookReply | undefined {
    if (provider.needsBody) return undefined;
    return this.#authenticate(provider, d);
  }

  /** The whole pipeline for one delivery (body read). Never throws for bad input. */
  receive(provider: WebhookProvider, d: WebhookDelivery): WebhookReply {
    const refused = this.#authenticate(provider, d);
    if (refused) return refused;
    const meaning = provider.interpret(d);
    if (meaning.kind === 'reply') {
      this.#o.onDelivery?.(provider.hook, meaning.result);
      return { status: meaning.status, body: meaning.body };
    }
    const keys = provider.dedupeKeys(d);
    if (keys.some((k) => this.#seen.has(k))) {
      for (const k of keys) this.#seen.add(k);
      this.#o.onDelivery?.(provider.hook, 'duplicate');
      this.#o.logger.info(
        { hook: provider.hook, ...meaning.detail },
        'webhook delivery already seen; ignored',
      );
      return { status: 200, body: { ok: true, duplicate: true } };
    }
    for (const k of keys) this.#seen.add(k);
    this.#o.onDelivery?.(provider.hook, 'accepted');
    const outcome = this.#throttle.request(provider.reason, meaning.detail);
    this.#o.onTrigger?.(provider.reason, outcome);
    this.#o.logger.info(
      { hook: provider.hook, trigger: provider.reason, outcome, ...meaning.detail },
      'webhook received',
    );
    return { status: provider.acceptedStatus, body: { ok: true, accepted: provider.hook, pass: outcome } };
  }

  /** A delivery refused before the intake saw it (body over the limit). */
  rejected(provider: WebhookProvider, result: Extract<DeliveryResult, 'too_large'>): void {
    this.#o.onDelivery?.(provider.hook, result);
  }

  /** Stop: a scheduled pass is cancelled. */
  stop(): void {
    this.#throttle.stop();
  }

  #authenticate(provider: WebhookProvider, d: WebhookDelivery): WebhookReply | undefined {
    const check = provider.authenticate(d);
    if (check.ok) return undefined;
    this.#o.onDelivery?.(provider.hook, 'unauthorized');
    this.#logRejection(provider.hook, check.reason, d.peer);
    return {
      status: 401,
      body: { error: check.message ?? `${provider.hook} webhook: ${check.reason}` },
      headers: provider.hook === 'git-sync' ? { 'WWW-Authenticate': 'Bearer realm="scw-gitops"' } : {},
    };
  }

  #logRejection(hook: string, reason: string, peer: string | undefined): void {
    const key = `${hook}\0${reason}`;
    const now = this.#o.clock.now().getTime();
    const last = this.#lastLog.get(key);
    if (last && now - last.at < LOG_EVERY_MS) {
      last.suppressed += 1;
      return;
    }
    this.#lastLog.set(key, { at: now, suppressed: 0 });
    this.#o.logger.warn(
      { hook, reason, remote: peer, ...(last?.suppressed ? { suppressedSinceLast: last.suppressed } : {}) },
      'webhook rejected',
    );
  }
}
