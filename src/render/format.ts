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
import type { DesiredResource } from '../model/desired.js';
import type { Action, FieldChange, Plan, PlanStep } from '../model/plan.js';

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

/** The live identity of the object a step acts on: id, or access key for API keys. */
export function liveId(step: PlanStep): string | undefined {
  const b = step.before;
  if (!b) return undefined;
  return b.kind === 'ApiKey' ? b.object.accessKey : b.object.id;
}

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

/** Attributes of a desired resource, shown on create (all) — references by name. */
export function desiredAttributes(d: DesiredResource, step?: PlanStep): [string, string][] {
  const out: [string, string][] = [];
  const add = (k: string, v: unknown) => out.push([k, formatValue(v)]);
  switch (d.kind) {
    case 'Project':
      add('description', d.description);
      break;
    case 'Application':
      add('description', d.description);
      add('tags', d.tags);
      break;
    case 'Group':
      add('description', d.description);
      add('tags', d.tags);
      add('members', d.memberApplications);
      break;
    case 'Policy':
      add('description', d.description);
      add('tags', d.tags);
      add('principal', d.principal.type === 'none' ? 'none' : `${d.principal.type}:${d.principal.name}`);
      add(
        'rules',
        d.rules.map(
          (r) =>
            `${[...r.permissionSets].sort().join(', ')} on ${
              r.scope.type === 'organization' ? 'organization' : `projects [${r.scope.projects.join(', ')}]`
            }${r.condition ? ` if ${r.condition}` : ''}`,
        ),
      );
      break;
    case 'ApiKey': {
      add('application', d.application);
      add('defaultProject', d.defaultProject);
      add('description', d.description);
      const rot = step?.rotation;
      if (step?.expiresAt ?? d.expiresAt) add('expiresAt', step?.expiresAt ?? d.expiresAt);
      else if (rot?.lifetimeMs !== undefined)
        out.push(['expiresAt', `(creation + ${formatDuration(rot.lifetimeMs)})`]);
      else out.push(['expiresAt', '(never)']);
      if (rot) {
        const parts: string[] = [];
        if (rot.rotateBeforeMs !== undefined)
          parts.push(`rotateBefore ${formatDuration(rot.rotateBeforeMs)}`);
        if (rot.maxAgeMs !== undefined) parts.push(`maxAge ${formatDuration(rot.maxAgeMs)}`);
        parts.push(`overlap ${formatDuration(rot.overlapMs)}`);
        out.push(['rotation', parts.join(', ')]);
      }
      const sink = [d.sink.sink ?? '(default sink)', d.sink.path, d.sink.namespace, d.sink.secretName]
        .filter((x) => x !== undefined)
        .join(' ');
      out.push(['secret', `(sensitive: delivered to ${sink})`]);
      break;
    }
  }
  return out;
}

/** Body lines of a step (without indentation or colour). */
export function stepBody(step: PlanStep): string[] {
  const lines: string[] = [];
  if (step.action === 'create' && step.after) {
    for (const [k, v] of desiredAttributes(step.after, step)) lines.push(`+ ${k}: ${v}`);
  } else {
    for (const c of step.changes) lines.push(changeLine(c));
  }
  if (step.action === 'replace') {
    if (step.after && !step.changes.some((c) => c.field === 'expiresAt')) {
      const expiry = desiredAttributes(step.after, step).find(([k]) => k === 'expiresAt');
      if (expiry) lines.push(`+ new key expiresAt: ${expiry[1]}`);
    }
    const old = liveId(step);
    const rot = step.rotation;
    lines.push(
      step.disposeBefore === 'retire'
        ? `then: ${old} is marked retiring, and deleted ${rot ? formatDuration(rot.overlapMs) : 'one overlap'} after the new secret is delivered`
        : `then: ${old} is deleted as soon as the new secret is delivered`,
    );
  }
  for (const w of step.warnings) lines.push(`! ${w}`);
  return lines;
}
