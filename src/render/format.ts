/**
 * Shared pieces of the plan renderings: action symbols and words, value formatting, the
 * summary line, and the attribute lines of a step. Nothing here ever sees a secret (a Plan has
 * none); values are formatted as compact JSON so strings are quoted and arrays keep order.
 *
 * Symbols (documented, like terraform plan):
 *   `+`   create            `~`   update in place
 *   `-/+` replace (API keys: create the new key, deliver its secret, then retire/delete the old one)
 *   `-`   delete            `&`   adopt (take over an existing object by adding our marker)
 */
import { formatDuration } from '../model/duration.js';
import {
  type Action,
  type FieldChange,
  type KeyExpiryRule,
  type ObjectRef,
  type Plan,
  type PlannedRule,
  type PlannedValue,
  type PlanStep,
  targetId,
} from '../model/plan.js';

export const SYMBOL: Record<Action, string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
  adopt: '&',
};

export const VERB: Record<Action, string> = {
  create: 'will be created',
  update: 'will be updated in place',
  replace: 'will be replaced',
  delete: 'will be deleted',
  adopt: 'will be adopted',
};

export function formatValue(v: unknown): string {
  if (v === undefined) return '(none)';
  return JSON.stringify(v);
}

export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete, ${s.adopt} to adopt.`;
}

export const NO_CHANGES = 'No changes. Your organization matches the desired state.';

/** The note under a partial plan's header (`--target`), or undefined for a whole plan. */
export function partialNote(plan: Plan): string | undefined {
  const partial = plan.partial;
  if (!partial) return undefined;
  const needed = partial.scope.filter((a) => !partial.targets.includes(a));
  return `Partial plan (--target ${partial.targets.join(', ')}${
    needed.length > 0 ? `; with what they need: ${needed.join(', ')}` : ''
  }): other objects were not planned.`;
}

/** The live identity of the object a step acts on: id, or access key for API keys. */
export const liveId = targetId;

/** Header line of a step: `-/+ ApiKey/ci (SCW…)`. */
export function stepTitle(step: PlanStep): string {
  const id = liveId(step);
  return `${step.address}${id ? ` (${id})` : ''}`;
}

/** `# Application/app will be updated in place (drifted)` + detail. */
export function stepComment(step: PlanStep): string {
  return `# ${step.address} ${VERB[step.action]} (${step.reason})${step.detail ? `: ${step.detail}` : ''}`;
}

export function changeLine(c: FieldChange): string {
  return `~ ${c.field}: ${formatValue(c.before)} -> ${formatValue(c.after)}${c.forcesReplacement ? ' (forces replacement)' : ''}`;
}

/** The name part of a reference's address (`Application/ci` → `ci`). */
function refName(ref: ObjectRef): string {
  return ref.address.slice(ref.address.indexOf('/') + 1);
}

function describeRule(rule: PlannedRule): string {
  const sets = [...rule.permissionSets].sort().join(', ');
  const scope =
    rule.scope.type === 'organization'
      ? 'organization'
      : `projects [${rule.scope.projects.map(refName).join(', ')}]`;
  return `${sets} on ${scope}${rule.condition ? ` if ${rule.condition}` : ''}`;
}

/** `2026-08-30T00:00:00Z`, `(creation + 90d)` or `(never)`. */
export function describeExpiry(rule: KeyExpiryRule): string {
  switch (rule.type) {
    case 'at':
      return formatValue(rule.at);
    case 'lifetime':
      return `(creation + ${formatDuration(rule.lifetimeMs)})`;
    case 'never':
      return '(never)';
  }
}

/** Attributes of a planned value, shown on create (all): references by name, the secret's concrete destination. */
export function plannedAttributes(value: PlannedValue): [string, string][] {
  const out: [string, string][] = [];
  const add = (k: string, v: unknown) => out.push([k, formatValue(v)]);
  switch (value.kind) {
    case 'Project':
      add('description', value.description);
      break;
    case 'Application':
      add('description', value.description);
      add('tags', value.tags);
      break;
    case 'Group':
      add('description', value.description);
      add('tags', value.tags);
      add('members', value.members.map(refName));
      break;
    case 'Policy':
      add('description', value.description);
      add('tags', value.tags);
      add(
        'principal',
        value.principal.type === 'none' ? 'none' : `${value.principal.type}:${refName(value.principal.ref)}`,
      );
      add('rules', value.rules.map(describeRule));
      break;
    case 'ApiKey': {
      add('application', refName(value.application));
      add('defaultProject', refName(value.defaultProject));
      add('description', value.description);
      out.push(['expiresAt', describeExpiry(value.expiry)]);
      const rot = value.rotation;
      const parts: string[] = [];
      if (rot.rotateBeforeMs !== undefined) parts.push(`rotateBefore ${formatDuration(rot.rotateBeforeMs)}`);
      if (rot.maxAgeMs !== undefined) parts.push(`maxAge ${formatDuration(rot.maxAgeMs)}`);
      parts.push(`overlap ${formatDuration(rot.overlapMs)}`);
      out.push(['rotation', parts.join(', ')]);
      out.push(['secret', `(sensitive: delivered to ${value.sink.target}, sink ${value.sink.sink})`]);
      break;
    }
  }
  return out;
}

/** Body lines of a step (without indentation or colour). */
export function stepBody(step: PlanStep): string[] {
  const lines: string[] = [];
  if (step.action === 'create') {
    for (const [k, v] of plannedAttributes(step.after)) lines.push(`+ ${k}: ${v}`);
  } else {
    for (const c of step.changes) lines.push(changeLine(c));
  }
  if (step.action === 'replace') {
    if (!step.changes.some((c) => c.field === 'expiresAt')) {
      lines.push(`+ new key expiresAt: ${describeExpiry(step.after.expiry)}`);
    }
    lines.push(
      `+ new secret: (sensitive: delivered to ${step.after.sink.target}, sink ${step.after.sink.sink})`,
    );
    const old = liveId(step);
    lines.push(
      step.disposeBefore === 'retire'
        ? `then: ${old} is marked retiring, and deleted ${formatDuration(step.after.rotation.overlapMs)} after the new secret is delivered`
        : `then: ${old} is deleted as soon as the new secret is delivered`,
    );
  }
  for (const w of step.warnings) lines.push(`! ${w}`);
  return lines;
}
