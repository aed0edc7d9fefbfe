/**
 * A saved plan is a contract, checked against a fresh listing before `apply --plan` runs any of
 * it (Terraform refuses a plan whose state changed; this also refuses a plan that was edited):
 *
 *  - every step target exists, and its snapshot (`before`) is the live object, counters aside;
 *  - update, replace and delete targets carry this instance's marker (keys: for the step's name,
 *    in the state the snapshot shows); adopt targets carry nobody else's and are in the plan's
 *    fingerprint scope;
 *  - every id a step references (`ObjectRef`) exists, as an object of the referenced kind that
 *    the plan fingerprinted (owned, or in its scope).
 *
 * The saved form itself (types, step/ref consistency, markers) was checked by the parser
 * (src/render/plan-schema.ts). Pure: returns the problems, one line each.
 */
import type { ApiKey, LiveState } from '../model/live.js';
import { ownerFromTags, parseKeyDescription, parseProjectDescription } from '../model/ownership.js';
import type { LiveObject, Plan, PlanStep } from '../model/plan.js';
import { referencesOf, targetId } from '../model/plan.js';
import { type Kind, parseAddress } from '../model/resources.js';
import { canonicalJson } from './fingerprint.js';

type LiveTarget = LiveObject['object'];

const COUNTERS = new Set(['nbApiKeys', 'nbRules', 'nbScopes', 'nbPermissionSets']);

function withoutCounters(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!COUNTERS.has(k)) out[k] = v;
  return out;
}

function liveIndex(live: LiveState): Map<Kind, Map<string, LiveTarget>> {
  const byKind = new Map<Kind, Map<string, LiveTarget>>();
  const put = (kind: Kind, items: readonly LiveTarget[], idOf: (o: LiveTarget) => string) =>
    byKind.set(kind, new Map(items.map((o) => [idOf(o), o])));
  const id = (o: LiveTarget) => (o as { id: string }).id;
  put('Project', live.projects, id);
  put('Application', live.applications, id);
  put('Group', live.groups, id);
  put('Policy', live.policies, id);
  put('ApiKey', live.apiKeys, (o) => (o as ApiKey).accessKey);
  return byKind;
}

function ownerOf(kind: Kind, object: LiveTarget): { instance?: string; name?: string; state?: string } {
  if (kind === 'ApiKey') return parseKeyDescription((object as ApiKey).description).marker ?? {};
  if (kind === 'Project') {
    const instance = parseProjectDescription((object as { description: string }).description).instance;
    return instance === undefined ? {} : { instance };
  }
  const instance = ownerFromTags((object as { tags: readonly string[] }).tags);
  return instance === undefined ? {} : { instance };
}

export function verifySavedPlan(plan: Plan, live: LiveState): string[] {
  const problems: string[] = [];
  const index = liveIndex(live);
  const instance = plan.instance;
  const scope = (kind: Kind) => new Set(plan.fingerprintScope[kind] ?? []);
  const fingerprinted = (kind: Kind, id: string, object: LiveTarget) =>
    ownerOf(kind, object).instance === instance ||
    scope(kind).has(id) ||
    (kind === 'Project' && id === live.organizationId);

  const checkTarget = (step: Exclude<PlanStep, { action: 'create' }>) => {
    const id = targetId(step)!;
    const object = index.get(step.kind)?.get(id);
    const subject = `step ${step.id}: ${step.kind} ${id}`;
    if (!object) {
      problems.push(`${subject} does not exist in the organization`);
      return;
    }
    const owner = ownerOf(step.kind, object);
    if (step.action === 'adopt') {
      if (owner.instance !== undefined && owner.instance !== instance) {
        problems.push(`${subject} belongs to instance "${owner.instance}"; it cannot be adopted`);
      } else if (!scope(step.kind).has(id)) {
        problems.push(`${subject} is not among the objects the plan fingerprinted; it cannot be adopted`);
      }
    } else if (owner.instance !== instance) {
      problems.push(
        `${subject} does not carry the marker of instance "${instance}": it is not owned by this instance`,
      );
    } else if (step.kind === 'ApiKey' && owner.name !== step.name) {
      problems.push(
        `${subject} is marked as ApiKey/${owner.name}, not ${step.address}: it is not owned by this step`,
      );
    }
    const snapshot = canonicalJson(withoutCounters(step.before.object));
    if (snapshot !== canonicalJson(withoutCounters(object))) {
      problems.push(`${subject}: the plan's snapshot of it differs from the organization`);
    }
  };

  for (const step of plan.steps) {
    if (step.action !== 'create') checkTarget(step);
    if (step.action === 'delete') continue;
    for (const ref of referencesOf(step.after)) {
      if (!('id' in ref)) continue;
      const kind = parseAddress(ref.address)?.kind;
      const object = kind ? index.get(kind)?.get(ref.id) : undefined;
      if (!kind || !object) {
        problems.push(
          `step ${step.id}: ${ref.address} refers to ${ref.id}, which does not exist in the organization`,
        );
      } else if (!fingerprinted(kind, ref.id, object)) {
        problems.push(
          `step ${step.id}: ${ref.address} refers to ${ref.id}, which the plan did not fingerprint`,
        );
      }
    }
  }
  return problems;
}
