/**
 * Projects, applications, groups and policies: one plan step against the Scaleway port, after its
 * point read (point-reads.ts).
 *
 * | kind        | create                                   | update / adopt                               | delete |
 * |-------------|------------------------------------------|----------------------------------------------|--------|
 * | Project     | POST, description + `[scw-gitops:<i>]`   | PATCH description (+ marker)                 | DELETE |
 * | Application | POST, tags + `scw-gitops=<i>`            | PATCH description, tags (+ owner tag)        | DELETE |
 * | Group       | POST + PUT members                       | PATCH description/tags, PUT members          | DELETE |
 * | Policy      | POST with principal and rules            | PATCH fields/principal, PUT rules            | DELETE |
 *
 * Updates write the full planned value of each part named in the step's `changes` (an unknown
 * field name writes every part: the plan is the truth, and every write is idempotent). A create
 * that finds our object of that name already there (the listing missed it) writes the planned
 * value onto it instead. A create whose outcome is unknown (AmbiguousWriteError) is resolved by
 * looking the object up again; it is never sent twice. Deleting something already gone counts
 * as deleted.
 */
import type { pino } from 'pino';
import { toAppError } from '../errors.js';
import type { Group, PolicyPrincipal, RuleSpec } from '../model/live.js';
import { withIgnoredTags } from '../model/ignore-tags.js';
import { markProjectDescription, withOwnerTag } from '../model/ownership.js';
import type {
  CreateStep,
  PlannedApplication,
  PlannedGroup,
  PlannedPolicy,
  PlannedProject,
  PlannedValue,
  PlanStep,
} from '../model/plan.js';
import { targetId } from '../model/plan.js';
import { AmbiguousWriteError, isNotFound } from '../scaleway/errors.js';
import {
  confirmAdoptable,
  confirmOwnedTarget,
  lookupBeforeCreate,
  type NamedObject,
  type NameLookup,
  ownerOf,
} from './point-reads.js';
import { type RetryContext, withApiRetry } from './retry.js';
import { markPermissionChange, refId, type RunContext, type StepEffect, StepError } from './run-context.js';

type Part = 'meta' | 'members' | 'principal' | 'rules';
const PARTS: Readonly<Record<'Project' | 'Application' | 'Group' | 'Policy', readonly Part[]>> = {
  Project: ['meta'],
  Application: ['meta'],
  Group: ['meta', 'members'],
  Policy: ['meta', 'principal', 'rules'],
};

/** Which parts of the object a step's `changes` touch. Unknown fields → every part of the kind. */
function partsToWrite(step: PlanStep, all: readonly Part[]): Set<Part> {
  if (step.action !== 'update' || step.changes.length === 0) return new Set(all);
  const parts = new Set<Part>();
  for (const change of step.changes) {
    const head = change.field.replace(/^spec\./, '').split(/[.[]/)[0] ?? change.field;
    let part: Part | undefined;
    if (head === 'members') part = 'members';
    else if (head === 'principal') part = 'principal';
    else if (head === 'rules') part = 'rules';
    else if (head === 'description' || head === 'tags' || head === 'name' || head === 'metadata')
      part = 'meta';
    if (part === undefined || !all.includes(part)) return new Set(all);
    parts.add(part);
  }
  return parts;
}

function principalOf(ctx: RunContext, step: PlanStep, value: PlannedPolicy): PolicyPrincipal {
  const principal = value.principal;
  if (principal.type === 'none') return { type: 'none' };
  return { type: principal.type, id: refId(ctx, step, principal.ref) };
}

function rulesOf(ctx: RunContext, step: PlanStep, value: PlannedPolicy): RuleSpec[] {
  return value.rules.map((rule) => ({
    permissionSetNames: [...rule.permissionSets],
    ...(rule.condition ? { condition: rule.condition } : {}),
    scope:
      rule.scope.type === 'organization'
        ? { type: 'organization' as const, organizationId: ctx.client.organizationId }
        : { type: 'projects' as const, projectIds: rule.scope.projects.map((ref) => refId(ctx, step, ref)) },
  }));
}

async function setMembers(
  ctx: RunContext,
  step: PlanStep,
  groupId: string,
  value: PlannedGroup,
  userIds: readonly string[],
  retry: RetryContext,
): Promise<void> {
  const applicationIds = value.members.map((ref) => refId(ctx, step, ref));
  try {
    await withApiRetry(() => ctx.client.setGroupMembers(groupId, { applicationIds, userIds }), retry);
  } catch (err) {
    throw new StepError(
      'group-members-failed',
      step.address,
      `setting members failed: ${toAppError(err).message}`,
      {
        cause: err,
      },
    );
  }
  markPermissionChange(ctx);
}

/**
 * The user tags to write: the declared ones plus the tags other tools own on the object as just
 * read (`ignoreTags`: never removed, src/model/ignore-tags.ts).
 */
function keptTags(
  value: { readonly tags: readonly string[]; readonly ignoreTags?: readonly string[] },
  fresh: NamedObject,
): string[] {
  return withIgnoredTags(value.tags, 'tags' in fresh ? fresh.tags : [], value.ignoreTags);
}

/**
 * `{ name }` when the live object has another name: a rename planned from `metadata.renamedFrom`
 * (docs/concepts.md, "Cascades and renames"), written in place so its id, keys, rules and
 * memberships stay.
 */
function renamed(fresh: NamedObject, value: PlannedValue): { name?: string } {
  return fresh.name !== value.name ? { name: value.name } : {};
}

/** Write the planned value's `parts` onto the live object `id` (`fresh`: its state just read). */
async function writeValue(
  ctx: RunContext,
  step: PlanStep,
  id: string,
  value: PlannedValue,
  parts: ReadonlySet<Part>,
  fresh: NamedObject,
  retry: RetryContext,
): Promise<void> {
  const client = ctx.client;
  switch (value.kind) {
    case 'Project':
      await withApiRetry(
        () =>
          client.updateProject(id, {
            ...renamed(fresh, value),
            description: markProjectDescription(
              value.description,
              value.marker.instance,
              value.marker.preventDestroy,
            ),
          }),
        retry,
      );
      return;
    case 'Application':
      await withApiRetry(
        () =>
          client.updateApplication(id, {
            ...renamed(fresh, value),
            description: value.description,
            tags: withOwnerTag(keptTags(value, fresh), value.marker.instance, value.marker.preventDestroy),
          }),
        retry,
      );
      return;
    case 'Group':
      if (parts.has('meta')) {
        await withApiRetry(
          () =>
            client.updateGroup(id, {
              ...renamed(fresh, value),
              description: value.description,
              tags: withOwnerTag(keptTags(value, fresh), value.marker.instance, value.marker.preventDestroy),
            }),
          retry,
        );
      }
      // Users are not managed here: keep the members the group has now.
      if (parts.has('members')) await setMembers(ctx, step, id, value, (fresh as Group).userIds, retry);
      return;
    case 'Policy': {
      const principal = parts.has('principal') ? principalOf(ctx, step, value) : undefined;
      if (parts.has('meta') || principal) {
        const meta = parts.has('meta')
          ? {
              ...renamed(fresh, value),
              description: value.description,
              tags: withOwnerTag(keptTags(value, fresh), value.marker.instance, value.marker.preventDestroy),
            }
          : {};
        await withApiRetry(
          () => client.updatePolicy(id, { ...meta, ...(principal ? { principal } : {}) }),
          retry,
        );
        if (principal) markPermissionChange(ctx);
      }
      if (parts.has('rules')) {
        const rules = rulesOf(ctx, step, value);
        await withApiRetry(() => client.setRules(id, rules), retry);
        markPermissionChange(ctx);
      }
      return;
    }
    case 'ApiKey':
      throw new StepError('plan-invalid', step.address, 'an API key value on a named step');
  }
}

/** POST the planned value (members and rules included); returns the new object. */
async function createObject(ctx: RunContext, step: CreateStep, retry: RetryContext): Promise<NamedObject> {
  const client = ctx.client;
  const value = step.after;
  switch (value.kind) {
    case 'Project': {
      const project: PlannedProject = value;
      return withApiRetry(
        () =>
          client.createProject({
            name: project.name,
            description: markProjectDescription(
              project.description,
              project.marker.instance,
              project.marker.preventDestroy,
            ),
          }),
        retry,
      );
    }
    case 'Application': {
      const app: PlannedApplication = value;
      return withApiRetry(
        () =>
          client.createApplication({
            name: app.name,
            description: app.description,
            tags: withOwnerTag(app.tags, app.marker.instance, app.marker.preventDestroy),
          }),
        retry,
      );
    }
    case 'Group':
      return withApiRetry(
        () =>
          client.createGroup({
            name: value.name,
            description: value.description,
            tags: withOwnerTag(value.tags, value.marker.instance, value.marker.preventDestroy),
          }),
        retry,
      );
    case 'Policy': {
      const principal = principalOf(ctx, step, value);
      const rules = rulesOf(ctx, step, value);
      const policy = await withApiRetry(
        () =>
          client.createPolicy({
            name: value.name,
            description: value.description,
            tags: withOwnerTag(value.tags, value.marker.instance, value.marker.preventDestroy),
            principal,
            rules,
          }),
        retry,
      );
      markPermissionChange(ctx);
      return policy;
    }
    case 'ApiKey':
      throw new StepError('plan-invalid', step.address, 'an API key value on a named step');
  }
}

/**
 * A create whose outcome is unknown: look for our object of that name that was not there before
 * the create. Found → use it. Not found → fail, never re-send (the next pass decides).
 */
async function afterAmbiguousCreate(
  ctx: RunContext,
  step: CreateStep,
  existing: ReadonlySet<string>,
  cause: AmbiguousWriteError,
  retry: RetryContext,
): Promise<NamedObject> {
  let found: NamedObject[];
  try {
    const lookup: NameLookup = await lookupBeforeCreate(ctx, step, retry).catch((err: unknown) => {
      if (err instanceof StepError && err.code === 'create-conflict') return { existing: new Set<string>() };
      throw err;
    });
    found = lookup.ours && !existing.has(lookup.ours.id) ? [lookup.ours] : [];
  } catch (err) {
    throw new StepError(
      'create-ambiguous',
      step.address,
      `create outcome unknown and the lookup failed (${toAppError(err).message}); not re-sent, the next reconcile decides`,
      { cause },
    );
  }
  if (found.length === 1) return found[0]!;
  throw new StepError(
    'create-ambiguous',
    step.address,
    'create outcome unknown and no such object was found; not re-sent in this run (never create twice), the next reconcile creates it',
    { cause },
  );
}

async function create(
  ctx: RunContext,
  step: CreateStep,
  log: pino.Logger,
  retry: RetryContext,
): Promise<StepEffect> {
  const lookup = await lookupBeforeCreate(ctx, step, retry);
  const kind = step.kind as keyof typeof PARTS;
  if (lookup.ours) {
    const id = lookup.ours.id;
    await writeValue(ctx, step, id, step.after, new Set(PARTS[kind]), lookup.ours, retry);
    ctx.created.set(step.id, id);
    const note = `our ${kind} ${id} already exists (the listing missed it): used instead of creating`;
    log.warn({ id }, note);
    return { result: 'updated', note };
  }
  let object: NamedObject;
  try {
    object = await createObject(ctx, step, retry);
  } catch (err) {
    if (!(err instanceof AmbiguousWriteError)) throw err;
    log.warn({ error: err.message }, 'create outcome unknown; looking the object up');
    object = await afterAmbiguousCreate(ctx, step, lookup.existing, err, retry);
    log.info({ id: object.id }, 'the ambiguous create did happen; using the object it created');
  }
  ctx.created.set(step.id, object.id);
  if (step.after.kind === 'Group' && step.after.members.length > 0) {
    await setMembers(ctx, step, object.id, step.after, (object as Group).userIds, retry);
  }
  return { result: 'created' };
}

export async function applyNamed(
  ctx: RunContext,
  step: PlanStep,
  log: pino.Logger,
  retry: RetryContext,
): Promise<StepEffect> {
  const kind = step.kind as keyof typeof PARTS;
  switch (step.action) {
    case 'create':
      return create(ctx, step, log, retry);
    case 'update': {
      const fresh = (await confirmOwnedTarget(ctx, step, retry)) as NamedObject;
      await writeValue(ctx, step, fresh.id, step.after, partsToWrite(step, PARTS[kind]), fresh, retry);
      return { result: 'updated' };
    }
    case 'adopt': {
      const fresh = (await confirmAdoptable(ctx, step, retry)) as NamedObject;
      const parts = new Set([...partsToWrite(step, PARTS[kind]), 'meta' as const]);
      await writeValue(ctx, step, fresh.id, step.after, parts, fresh, retry);
      log.info({ id: fresh.id, previousOwner: ownerOf(kind, fresh) ?? null }, 'adopted');
      return { result: 'adopted' };
    }
    case 'delete': {
      const fresh = await confirmOwnedTarget(ctx, step, retry);
      if (fresh === 'gone') {
        log.info('already gone');
        return { result: 'deleted', note: 'already gone' };
      }
      await deleteObject(ctx, step, targetId(step)!, retry).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
        log.info('already gone');
      });
      return { result: 'deleted' };
    }
    case 'replace':
      throw new StepError('plan-invalid', step.address, `${step.kind} objects are never replaced`);
  }
}

async function deleteObject(ctx: RunContext, step: PlanStep, id: string, retry: RetryContext): Promise<void> {
  const client = ctx.client;
  switch (step.kind) {
    case 'Project':
      return withApiRetry(() => client.deleteProject(id), retry);
    case 'Application':
      return withApiRetry(() => client.deleteApplication(id), retry);
    case 'Group':
      await withApiRetry(() => client.deleteGroup(id), retry);
      markPermissionChange(ctx);
      return;
    case 'Policy':
      await withApiRetry(() => client.deletePolicy(id), retry);
      markPermissionChange(ctx);
      return;
    case 'ApiKey':
      throw new StepError('plan-invalid', step.address, 'API keys are deleted by apply-key.ts');
  }
}
