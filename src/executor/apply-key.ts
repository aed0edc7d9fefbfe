/**
 * API keys: one plan step against the Scaleway port and the secret sinks, after its point read.
 *
 * - create / replace: the application's keys are listed first (no second current key), then the
 *   custody protocol (deliver-secret.ts) delivers the new secret to the step's planned sink and,
 *   for a replace, disposes of the old key as the step says;
 * - update: PATCH description (with the key's marker) and default project;
 * - adopt: mark an existing key `external` (its secret never passed through us);
 * - delete: only a key still carrying this instance's marker, in the state the plan saw; the
 *   records of it the plan names are removed first (remove-records.ts).
 */
import type { pino } from 'pino';
import { toAppError } from '../errors.js';
import type { ApiKey } from '../model/live.js';
import type { CreateStep, KeyExpiryRule, PlannedApiKey, PlanStep, ReplaceStep } from '../model/plan.js';
import { toSinkLocation } from '../model/sink-location.js';
import { isNotFound, quotasExceeded } from '../scaleway/errors.js';
import { type DeliveryContext, deliverNewKey, keyDescription } from './deliver-secret.js';
import { checkKeySlot, confirmAdoptable, confirmOwnedTarget } from './point-reads.js';
import { removeKeyRecords } from './remove-records.js';
import { type RetryContext, withApiRetry } from './retry.js';
import { refId, type RunContext, type StepEffect, StepError } from './run-context.js';

/** expires_at for a key created now. */
export function expiresAtFor(rule: KeyExpiryRule, now: Date): string | null {
  switch (rule.type) {
    case 'at':
      return rule.at;
    case 'lifetime':
      return new Date(now.getTime() + rule.lifetimeMs).toISOString();
    case 'never':
      return null;
  }
}

function plannedKey(step: PlanStep): PlannedApiKey {
  if (step.action === 'delete' || step.after.kind !== 'ApiKey') {
    throw new StepError('plan-invalid', step.address, `${step.action} step has no planned API key`);
  }
  return step.after;
}

async function newKey(
  ctx: RunContext,
  step: CreateStep | ReplaceStep,
  log: pino.Logger,
  retry: RetryContext,
  onAccessKey: (accessKey: string) => void,
): Promise<StepEffect> {
  const value = plannedKey(step);
  // One new key per name and run: never a second one while one is pending delivery (or after
  // one failed, or was already delivered). Checked and set with no await in between.
  const state = ctx.deliveries.get(step.address);
  if (state !== undefined) {
    throw new StepError(
      'key-delivery-in-progress',
      step.address,
      `another key of this name is ${state === 'pending' ? 'pending delivery' : state === 'failed' ? 'undelivered' : 'already delivered'} in this run; no second key is created`,
    );
  }
  if (value.sink.type === 'none') {
    throw new StepError(
      'no-sink',
      step.address,
      'no secret sink is declared in the settings; no key was created',
    );
  }
  const sink = ctx.sinks.get(value.sink.sink);
  if (!sink)
    throw new StepError('sink-unknown', step.address, `no sink named ${value.sink.sink}; no key was created`);
  const applicationId = refId(ctx, step, value.application);
  const defaultProjectId = refId(ctx, step, value.defaultProject);
  ctx.deliveries.set(step.address, 'pending');
  try {
    const existing = await checkKeySlot(ctx, step, applicationId, retry);
    const delivery: DeliveryContext = {
      client: ctx.client,
      clock: ctx.clock,
      logger: log,
      revision: ctx.plan.revision,
      policy: ctx.policy,
      retry: { ...retry, signal: undefined },
      crash: ctx.crash,
      signal: ctx.signal,
    };
    const result = await deliverNewKey(
      {
        subject: step.address,
        description: value.description,
        marker: value.marker,
        recordedRotation: value.recordedRotation,
        applicationId,
        defaultProjectId,
        expiresAt: expiresAtFor(value.expiry, ctx.clock.now()),
        sink,
        location: toSinkLocation(value.sink),
        previous: step.action === 'replace' ? step.before.object : undefined,
        disposal: step.action === 'replace' ? step.disposeBefore : undefined,
        knownAccessKeys: existing,
        onCreated: onAccessKey,
      },
      delivery,
    );
    ctx.deliveries.set(step.address, 'delivered');
    const note = await removeReplacedRecords(ctx, step, result.previous, log);
    return {
      result: step.action === 'create' ? 'created' : 'replaced',
      accessKey: result.accessKey,
      ...(note !== undefined ? { note } : {}),
    };
  } catch (err) {
    const quotas = quotasExceeded(err);
    if (quotas) {
      // Nothing was created: an organization quota is full (reported with the keys that could go,
      // src/reconciler/quota-report.ts).
      ctx.deliveries.set(step.address, 'failed');
      const which = quotas.map((q) => `${q.resource}: ${q.current} of ${q.quota}`).join(', ');
      throw new StepError('quotas-exceeded', step.address, `quota reached (${which}); no key was created`, {
        cause: err,
      });
    }
    // Delivered but a later step (mark ready / dispose) failed: the secret is in custody.
    const code = toAppError(err).code;
    const delivered = code === 'key-mark-ready-failed' || code === 'previous-key-disposal-failed';
    if (code === 'stale-listing') ctx.deliveries.delete(step.address);
    else ctx.deliveries.set(step.address, delivered ? 'delivered' : 'failed');
    throw err;
  }
}

/**
 * A replaced key deleted at once (`disposeBefore: delete`): its records elsewhere go too
 * (remove-records.ts). The new key is delivered by now, so a failure here is only noted.
 */
async function removeReplacedRecords(
  ctx: RunContext,
  step: CreateStep | ReplaceStep,
  previous: { readonly accessKey: string; readonly disposed: string } | undefined,
  log: pino.Logger,
): Promise<string | undefined> {
  if (step.action !== 'replace' || !step.removeRecords?.length || previous?.disposed === 'retired')
    return undefined;
  const { notes, failures } = await removeKeyRecords(ctx, step, step.before.object.accessKey, log);
  const all = [...notes, ...failures.map((f) => `record not removed: ${f}; remove it by hand`)];
  return all.length > 0 ? all.join('; ') : undefined;
}

export async function applyKey(
  ctx: RunContext,
  step: PlanStep,
  log: pino.Logger,
  retry: RetryContext,
  onAccessKey: (accessKey: string) => void,
): Promise<StepEffect> {
  const client = ctx.client;
  switch (step.action) {
    case 'create':
    case 'replace':
      return newKey(ctx, step, log, retry, onAccessKey);
    case 'update': {
      const value = plannedKey(step);
      const fresh = (await confirmOwnedTarget(ctx, step, retry)) as ApiKey;
      onAccessKey(fresh.accessKey);
      const fields = new Set(step.changes.map((c) => c.field));
      const writeAll = fields.size === 0;
      await withApiRetry(
        () =>
          client.updateApiKey(fresh.accessKey, {
            // `state`: a duplicate current key marked retiring (src/planner/duplicates.ts).
            ...(writeAll || fields.has('description') || fields.has('state')
              ? { description: keyDescription(value, value.marker.state) }
              : {}),
            ...(writeAll || fields.has('defaultProject')
              ? { defaultProjectId: refId(ctx, step, value.defaultProject) }
              : {}),
          }),
        retry,
      );
      return { result: 'updated', accessKey: fresh.accessKey };
    }
    case 'adopt': {
      const value = plannedKey(step);
      const fresh = (await confirmAdoptable(ctx, step, retry)) as ApiKey;
      onAccessKey(fresh.accessKey);
      // A key whose secret never passed through us: marked `external` (in use, custody not
      // checked) until its first rotation delivers a new key.
      const moveProject = step.changes.some((c) => c.field === 'defaultProject');
      await withApiRetry(
        () =>
          client.updateApiKey(fresh.accessKey, {
            description: keyDescription(value, 'external'),
            ...(moveProject ? { defaultProjectId: refId(ctx, step, value.defaultProject) } : {}),
          }),
        retry,
      );
      log.info({ accessKey: fresh.accessKey, state: 'external' }, 'key adopted');
      return { result: 'adopted', accessKey: fresh.accessKey };
    }
    case 'delete': {
      const accessKey = step.before.kind === 'ApiKey' ? step.before.object.accessKey : '';
      onAccessKey(accessKey);
      const fresh = await confirmOwnedTarget(ctx, step, retry);
      // Its records first (remove-records.ts): each checked by its own point read.
      const records = await removeKeyRecords(ctx, step, accessKey, log);
      let gone = fresh === 'gone';
      if (!gone) {
        await withApiRetry(() => client.deleteApiKey(accessKey), retry).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
          gone = true;
        });
      }
      if (gone) log.info('already gone');
      if (records.failures.length > 0) {
        throw new StepError(
          'record-removal-failed',
          step.address,
          `key ${accessKey} ${gone ? 'was already gone' : 'deleted'}, but its record could not be removed: ${records.failures.join('; ')}; remove it by hand, or set removeRecords: false on the sink`,
          { accessKey },
        );
      }
      const note = [...(gone ? ['already gone'] : []), ...records.notes].join('; ');
      return { result: 'deleted', accessKey, ...(note !== '' ? { note } : {}) };
    }
  }
}
