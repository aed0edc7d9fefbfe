/**
 * The custody protocol for every new API key (create, replace/rotation). Scaleway returns a key's
 * `secret_key` exactly once, in the create response, so the order below is the whole safety story:
 *
 *   1. preflight the sink (reachable, writable) ............ nothing created yet; failure = no key
 *   2. create the key, description marked `pending` ........ the marker says "secret not in custody"
 *   3. write access key + secret + metadata to the sink ..... retried
 *   4. read back and verify ................................ retried together with 3
 *   5. PATCH the description to the `ready` marker .......... the key now counts as delivered
 *   6. replace only: retire (mark `retiring`) or delete the previous key
 *
 * Failure handling:
 * - 3/4 fail after retries: delete the new key (compensation), restore the sink's previous record
 *   if the failed write clobbered it, and throw SecretDeliveryError saying what was done. If the
 *   delete fails too, the key stays `pending` and the next reconcile's planner replaces it
 *   (custody-lost): no key is ever left active without its secret in custody and a marker saying so.
 * - 5 fails: the secret is delivered and verified; the key stays `pending`. Not compensated
 *   (consumers may already read the new secret); the step fails and the next reconcile settles it.
 * - 6 fails: the new key is ready; the previous key keeps its marker and the step fails.
 * - A create whose outcome is unknown (AmbiguousWriteError) is never re-sent: keys carrying our
 *   pending marker that did not exist before are looked up and deleted (their secret is lost).
 * - A crash anywhere leaves at worst a `pending` key (replaced by the next reconcile) or a `ready`
 *   key whose previous key is still `ready` (retired by the next plan).
 *
 * The Secret is revealed only inside `sink.write`; it never reaches a log line, an error message
 * or a StepOutcome. Once a key exists, no abort signal is honoured until its custody is settled.
 */
import type { pino } from 'pino';
import type { Clock } from '../clock.js';
import { AppError, SecretDeliveryError, SinkError, toAppError } from '../errors.js';
import type { ApiKey } from '../model/live.js';
import { type KeyState, markKeyDescription, parseKeyDescription } from '../model/ownership.js';
import type { KeyDisposal, KeyMarkerSpec } from '../model/plan.js';
import type { Secret } from '../model/secret.js';
import { AmbiguousWriteError, isNotFound } from '../scaleway/errors.js';
import type { ScalewayClient } from '../scaleway/port.js';
import type { SecretMetadata, SecretRecord, SecretSink, SinkLocation, StoredRecord } from '../sinks/sink.js';
import type { CrashHook } from './crash-points.js';
import { backoffMs, type RetryContext, type RetryPolicy, withApiRetry } from './retry.js';

export interface DeliveryContext {
  readonly client: ScalewayClient;
  readonly clock: Clock;
  readonly logger: pino.Logger;
  readonly revision?: string | undefined;
  readonly policy: RetryPolicy;
  readonly retry: RetryContext;
  readonly crash: CrashHook;
  /** Honoured only before the key is created (preflight). */
  readonly signal?: AbortSignal | undefined;
}

export interface DeliveryRequest {
  /** Address of the key, for messages (`ApiKey/ci`). */
  readonly subject: string;
  /** The key's description as written in git (the marker is appended). */
  readonly description: string;
  /** The marker the key carries: pending at creation, `marker.state` once delivered. */
  readonly marker: KeyMarkerSpec;
  /** How git declared the key's expiry and rotation, stored with the secret (src/model/rotation-record.ts). */
  readonly recordedRotation: string;
  readonly applicationId: string;
  /** Absent: the API's default (the organization's default project). */
  readonly defaultProjectId?: string | undefined;
  /** ISO, or null for a key that never expires. */
  readonly expiresAt: string | null;
  readonly sink: SecretSink;
  readonly location: SinkLocation;
  /** Replace: the key being replaced, and what to do with it once the new one is ready. */
  readonly previous?: ApiKey | undefined;
  readonly disposal?: KeyDisposal | undefined;
  /** Access keys that existed before this create (live + created in this run). */
  readonly knownAccessKeys: ReadonlySet<string>;
  /** Called as soon as the new key exists (so the outcome can name it even on failure). */
  readonly onCreated?: (accessKey: string) => void;
}

export interface DeliveryResult {
  readonly accessKey: string;
  readonly expiresAt: string | null;
  readonly previous?: { readonly accessKey: string; readonly disposed: 'retired' | 'deleted' | 'gone' };
}

/** A step of the protocol failed in a way that is not a delivery failure (see module doc). */
export class KeyCustodyError extends AppError {
  readonly accessKey: string | undefined;
  constructor(code: string, subject: string, message: string, accessKey?: string, cause?: unknown) {
    super(code, `${subject}: ${message}`, { subject, cause });
    this.accessKey = accessKey;
  }
}

function short(err: unknown): string {
  return toAppError(err).message;
}

/** The description written on the key in `state`: the user's text plus our marker. */
export function keyDescription(
  req: Pick<DeliveryRequest, 'description' | 'marker'>,
  state: KeyState,
): string {
  return markKeyDescription(
    req.description,
    req.marker.instance,
    req.marker.name,
    state,
    req.marker.preventDestroy,
  );
}

async function preflight(req: DeliveryRequest, ctx: DeliveryContext): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await req.sink.preflight(req.location, ctx.signal);
      return;
    } catch (err) {
      if (ctx.signal?.aborted) throw err;
      if (attempt >= ctx.policy.sinkAttempts) {
        throw new KeyCustodyError(
          'sink-preflight-failed',
          req.subject,
          `sink ${req.sink.describe(req.location)} is not ready, no key was created: ${short(err)}`,
          undefined,
          err,
        );
      }
      await ctx.clock.sleep(backoffMs(ctx.policy, attempt, ctx.policy.sinkDelayMs), ctx.signal);
    }
  }
}

/** An ambiguous create: find keys with our pending marker that did not exist before, delete them. */
async function resolveAmbiguousCreate(
  req: DeliveryRequest,
  ctx: DeliveryContext,
  pendingDescription: string,
  cause: unknown,
): Promise<never> {
  let found: ApiKey[] = [];
  try {
    const keys = await ctx.client.listApiKeys({ bearerId: req.applicationId, bearerType: 'application' });
    found = keys.filter((k) => k.description === pendingDescription && !req.knownAccessKeys.has(k.accessKey));
  } catch (err) {
    throw new KeyCustodyError(
      'key-create-ambiguous',
      req.subject,
      `create outcome unknown and the key listing failed (${short(err)}); not retried: a key created by it stays marked pending and the next reconcile replaces it`,
      undefined,
      cause,
    );
  }
  if (found.length === 0) {
    throw new KeyCustodyError(
      'key-create-ambiguous',
      req.subject,
      'create outcome unknown and no new pending key was found; not retried in this run (never create twice); the next reconcile creates it',
      undefined,
      cause,
    );
  }
  const notes: string[] = [];
  for (const k of found) {
    req.onCreated?.(k.accessKey);
    try {
      await withApiRetry(() => ctx.client.deleteApiKey(k.accessKey), ctx.retry);
      notes.push(`${k.accessKey} deleted`);
    } catch (err) {
      if (isNotFound(err)) notes.push(`${k.accessKey} already gone`);
      else
        notes.push(
          `${k.accessKey} could not be deleted (${short(err)}), it stays pending for the next reconcile`,
        );
    }
  }
  throw new KeyCustodyError(
    'key-create-ambiguous',
    req.subject,
    `create outcome unknown; the key it created has no secret in custody: ${notes.join('; ')}; the next reconcile creates it again`,
    found[0]!.accessKey,
    cause,
  );
}

async function writeAndVerify(
  req: DeliveryRequest,
  ctx: DeliveryContext,
  record: SecretRecord,
): Promise<void> {
  let last: unknown;
  for (let attempt = 1; attempt <= ctx.policy.sinkAttempts; attempt++) {
    try {
      await req.sink.write(req.location, record);
      if (attempt === 1) ctx.crash('secret-written');
      if (await req.sink.verify(req.location, record)) return;
      last = new SinkError(
        req.sink.name,
        `verification failed: ${req.sink.describe(req.location)} does not hold access key ${record.accessKey} with its secret`,
      );
    } catch (err) {
      last = err;
    }
    ctx.logger.warn(
      {
        attempt,
        accessKey: record.accessKey,
        sinkLocation: req.sink.describe(req.location),
        error: short(last),
      },
      'secret delivery attempt failed',
    );
    if (attempt < ctx.policy.sinkAttempts) {
      await ctx.clock.sleep(backoffMs(ctx.policy, attempt, ctx.policy.sinkDelayMs));
    }
  }
  throw last;
}

/** Put back the record the sink held before a failed delivery overwrote it (best effort). */
async function restorePrevious(
  req: DeliveryRequest,
  prior: StoredRecord | undefined,
  newAccessKey: string,
): Promise<string> {
  if (!prior?.secretKey || !prior.accessKey || prior.accessKey === newAccessKey) return '';
  try {
    const now = await req.sink.read(req.location);
    if (now?.accessKey === prior.accessKey) return '';
    const meta: SecretMetadata = {
      keyName: prior.metadata.keyName ?? req.marker.name,
      accessKey: prior.accessKey,
      expiresAt: prior.metadata.expiresAt ?? null,
      deliveredAt: prior.metadata.deliveredAt ?? new Date(0).toISOString(),
      ...(prior.metadata.revision !== undefined ? { revision: prior.metadata.revision } : {}),
      ...(prior.metadata.previousAccessKey !== undefined
        ? { previousAccessKey: prior.metadata.previousAccessKey }
        : {}),
      ...(prior.metadata.organizationId !== undefined
        ? { organizationId: prior.metadata.organizationId }
        : {}),
      ...(prior.metadata.defaultProjectId !== undefined
        ? { defaultProjectId: prior.metadata.defaultProjectId }
        : {}),
      ...(prior.metadata.instance !== undefined ? { instance: prior.metadata.instance } : {}),
      ...(prior.metadata.rotation !== undefined ? { rotation: prior.metadata.rotation } : {}),
    };
    const record: SecretRecord = { accessKey: prior.accessKey, secretKey: prior.secretKey, metadata: meta };
    await req.sink.write(req.location, record);
    return (await req.sink.verify(req.location, record))
      ? `; the sink's previous record (${prior.accessKey}) was restored`
      : `; restoring the sink's previous record (${prior.accessKey}) could not be verified`;
  } catch (err) {
    return `; restoring the sink's previous record (${prior.accessKey}) failed: ${short(err)}`;
  }
}

async function compensate(
  req: DeliveryRequest,
  ctx: DeliveryContext,
  accessKey: string,
  prior: StoredRecord | undefined,
): Promise<string> {
  let what: string;
  try {
    await withApiRetry(() => ctx.client.deleteApiKey(accessKey), ctx.retry);
    what = `the new key ${accessKey} was deleted (compensation)`;
  } catch (err) {
    if (isNotFound(err)) {
      what = `the new key ${accessKey} is already gone`;
    } else {
      ctx.logger.error(
        { accessKey, error: short(err) },
        'compensation failed: the new key could not be deleted; it stays marked pending',
      );
      what = `the new key ${accessKey} could NOT be deleted (${short(err)}): it stays marked pending and the next reconcile replaces it`;
    }
  }
  return what + (await restorePrevious(req, prior, accessKey));
}

async function disposePrevious(
  req: DeliveryRequest,
  ctx: DeliveryContext,
  previous: ApiKey,
  disposal: KeyDisposal,
): Promise<'retired' | 'deleted' | 'gone'> {
  try {
    if (disposal === 'delete') {
      await withApiRetry(() => ctx.client.deleteApiKey(previous.accessKey), ctx.retry);
      return 'deleted';
    }
    const base = parseKeyDescription(previous.description).description;
    await withApiRetry(
      () =>
        ctx.client.updateApiKey(previous.accessKey, {
          description: markKeyDescription(
            base,
            req.marker.instance,
            req.marker.name,
            'retiring',
            req.marker.preventDestroy,
          ),
        }),
      ctx.retry,
    );
    return 'retired';
  } catch (err) {
    if (isNotFound(err)) return 'gone';
    throw err;
  }
}

/**
 * Create a key and take custody of its secret (see the module doc for the protocol and what each
 * failure leaves behind). Throws KeyCustodyError or SecretDeliveryError; never includes the secret.
 */
export async function deliverNewKey(req: DeliveryRequest, ctx: DeliveryContext): Promise<DeliveryResult> {
  const log = ctx.logger;
  // 1. The sink must work before a secret exists that would need it.
  await preflight(req, ctx);
  if (ctx.signal?.aborted) throw ctx.signal.reason;
  if (req.expiresAt !== null && Date.parse(req.expiresAt) <= ctx.clock.now().getTime()) {
    throw new KeyCustodyError(
      'key-expiry-past',
      req.subject,
      `expiresAt ${req.expiresAt} is not in the future; no key was created`,
    );
  }
  ctx.crash('before-create');

  // 2. Create, marked pending. No abort signal from here on.
  const pendingDescription = keyDescription(req, 'pending');
  let apiKey: ApiKey;
  let secretKey: Secret;
  try {
    const created = await withApiRetry(
      () =>
        ctx.client.createApiKey({
          applicationId: req.applicationId,
          description: pendingDescription,
          ...(req.defaultProjectId !== undefined ? { defaultProjectId: req.defaultProjectId } : {}),
          expiresAt: req.expiresAt,
        }),
      ctx.retry,
    );
    apiKey = created.apiKey;
    secretKey = created.secretKey;
  } catch (err) {
    if (err instanceof AmbiguousWriteError) {
      return resolveAmbiguousCreate(req, ctx, pendingDescription, err);
    }
    throw new KeyCustodyError(
      'key-create-failed',
      req.subject,
      `create failed: ${short(err)}`,
      undefined,
      err,
    );
  }
  const accessKey = apiKey.accessKey;
  req.onCreated?.(accessKey);
  log.info({ accessKey, expiresAt: apiKey.expiresAt }, 'key created (pending delivery)');
  ctx.crash('key-created');

  // 3 + 4. Deliver and verify. Once settled (delivered and verified, or compensated), the
  // plaintexts leave memory and the live scrub registry (model/secret.ts).
  let prior: StoredRecord | undefined;
  try {
    prior = await req.sink.read(req.location);
  } catch {
    prior = undefined;
  }
  const record: SecretRecord = {
    accessKey,
    secretKey,
    metadata: {
      keyName: req.marker.name,
      accessKey,
      expiresAt: apiKey.expiresAt,
      deliveredAt: ctx.clock.now().toISOString(),
      ...(ctx.revision !== undefined ? { revision: ctx.revision } : {}),
      ...(req.previous ? { previousAccessKey: req.previous.accessKey } : {}),
      organizationId: ctx.client.organizationId,
      defaultProjectId: apiKey.defaultProjectId,
      instance: req.marker.instance,
      rotation: req.recordedRotation,
    },
  };
  try {
    await writeAndVerify(req, ctx, record);
  } catch (err) {
    const compensation = await compensate(req, ctx, accessKey, prior);
    log.error(
      { accessKey, sinkLocation: req.sink.describe(req.location), error: short(err), compensation },
      'secret delivery failed',
    );
    throw new SecretDeliveryError(
      req.subject,
      `the secret of the new key ${accessKey} could not be delivered to ${req.sink.describe(req.location)}: ${short(err)}`,
      compensation,
      err,
    );
  } finally {
    secretKey.release();
    prior?.secretKey?.release();
  }
  log.info({ accessKey, sinkLocation: req.sink.describe(req.location) }, 'secret delivered and verified');
  ctx.crash('secret-verified');

  // 5. The key counts as delivered.
  try {
    await withApiRetry(
      () => ctx.client.updateApiKey(accessKey, { description: keyDescription(req, req.marker.state) }),
      ctx.retry,
    );
  } catch (err) {
    throw new KeyCustodyError(
      'key-mark-ready-failed',
      req.subject,
      `the secret of the new key ${accessKey} is delivered to ${req.sink.describe(req.location)} and verified, but marking the key ready failed (${short(err)}); it stays marked pending until the next reconcile`,
      accessKey,
      err,
    );
  }
  ctx.crash('key-ready');

  // 6. The key it replaces.
  if (!req.previous) return { accessKey, expiresAt: apiKey.expiresAt };
  const disposal = req.disposal ?? 'retire';
  let disposed: 'retired' | 'deleted' | 'gone';
  try {
    disposed = await disposePrevious(req, ctx, req.previous, disposal);
  } catch (err) {
    throw new KeyCustodyError(
      'previous-key-disposal-failed',
      req.subject,
      `the new key ${accessKey} is delivered and ready, but ${disposal === 'delete' ? 'deleting' : 'retiring'} the previous key ${req.previous.accessKey} failed (${short(err)}); the next reconcile retries`,
      accessKey,
      err,
    );
  }
  log.info({ accessKey, previousAccessKey: req.previous.accessKey, disposed }, `previous key ${disposed}`);
  ctx.crash('previous-disposed');
  return {
    accessKey,
    expiresAt: apiKey.expiresAt,
    previous: { accessKey: req.previous.accessKey, disposed },
  };
}
