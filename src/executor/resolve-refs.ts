/**
 * Name → id resolution while applying. A step's references (`after` is by name) are resolved
 * from, in order: the plan's `refs` (an id, or the id produced by an earlier create step of this
 * run), objects created earlier in this run, then the live state the plan was made from. The
 * org default project is `Project/default`.
 */
import { AppError } from '../errors.js';
import type { LiveState } from '../model/live.js';
import { ownerFromTags, parseProjectDescription } from '../model/ownership.js';
import type { PlanStep } from '../model/plan.js';
import { type Address, address, type Kind } from '../model/resources.js';

export class UnresolvedReferenceError extends AppError {
  constructor(subject: string, message: string) {
    super('unresolved-reference', `${subject}: ${message}`, { subject });
  }
}

export class RunRegistry {
  /** Ids of objects created (or adopted) in this run, by step id. */
  readonly byStep = new Map<string, string>();
  /** Ids of objects created (or adopted) in this run, by address. */
  readonly byAddress = new Map<Address, string>();

  constructor(
    readonly live: LiveState,
    readonly instance: string,
  ) {}

  record(step: PlanStep, id: string): void {
    this.byStep.set(step.id, id);
    this.byAddress.set(step.address, id);
  }

  /** The id of the object at `target` as `step` sees it. Throws UnresolvedReferenceError. */
  resolve(step: PlanStep, target: Address): string {
    const ref = step.refs?.[target];
    if (ref) {
      if ('id' in ref) return ref.id;
      const id = this.byStep.get(ref.step);
      if (id === undefined) {
        throw new UnresolvedReferenceError(
          step.address,
          `${target} was to be created by step ${ref.step}, which produced no id`,
        );
      }
      return id;
    }
    const inRun = this.byAddress.get(target);
    if (inRun !== undefined) return inRun;
    return this.resolveLive(step.address, target);
  }

  resolveName(step: PlanStep, kind: Kind, name: string): string {
    return this.resolve(step, address(kind, name));
  }

  private resolveLive(subject: string, target: Address): string {
    const i = target.indexOf('/');
    const kind = target.slice(0, i) as Kind;
    const name = target.slice(i + 1);
    const mine = (owner: string | undefined) => owner === this.instance;
    let candidates: { id: string; ours: boolean }[];
    switch (kind) {
      case 'Project':
        if (name === 'default') {
          const def = this.live.projects.find((p) => p.isDefault);
          return def?.id ?? this.live.organizationId;
        }
        candidates = this.live.projects
          .filter((p) => p.name === name)
          .map((p) => ({ id: p.id, ours: mine(parseProjectDescription(p.description).instance) }));
        break;
      case 'Application':
        candidates = this.live.applications
          .filter((a) => a.name === name)
          .map((a) => ({ id: a.id, ours: mine(ownerFromTags(a.tags)) }));
        break;
      case 'Group':
        candidates = this.live.groups
          .filter((g) => g.name === name)
          .map((g) => ({ id: g.id, ours: mine(ownerFromTags(g.tags)) }));
        break;
      case 'Policy':
        candidates = this.live.policies
          .filter((p) => p.name === name)
          .map((p) => ({ id: p.id, ours: mine(ownerFromTags(p.tags)) }));
        break;
      case 'ApiKey':
        throw new UnresolvedReferenceError(subject, `API keys are not referenced by id (${target})`);
    }
    const ours = candidates.filter((c) => c.ours);
    const pick = ours.length > 0 ? ours : candidates;
    if (pick.length === 1) return pick[0]!.id;
    if (pick.length === 0) throw new UnresolvedReferenceError(subject, `${target} does not exist`);
    throw new UnresolvedReferenceError(
      subject,
      `${target} is ambiguous: ${pick.length} objects have that name (${pick.map((c) => c.id).join(', ')})`,
    );
  }
}
