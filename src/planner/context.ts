/**
 * The one context every planning module shares: the inputs, the live index, and what has been
 * decided so far (steps, diagnostics, resolved references, blocked addresses, the live objects the
 * plan looked at). Modules add to it through the few methods below; nothing else is global.
 */
import type { Diagnostic, RelatedLocation, Severity } from '../model/diagnostics.js';
import { type DesiredResource, type DesiredState, fieldLocation } from '../model/desired.js';
import type { LiveState } from '../model/live.js';
import type { ObjectRef, PlanStep, SinkObservation } from '../model/plan.js';
import { defined } from '../model/defined.js';
import type { Address, Kind } from '../model/resources.js';
import { LiveIndex } from './live-index.js';
import type { PlanOptions } from './options.js';
import { targetScope } from './targets.js';

export interface BuildPlanInput {
  readonly desired: DesiredState;
  readonly live: LiveState;
  /** What each desired key's sink holds, by key address; a missing entry = not observed. */
  readonly sinkRecords: ReadonlyMap<Address, SinkObservation>;
  readonly options: PlanOptions;
  readonly now: Date;
  /**
   * Compute `liveFingerprint` (default true). Only a plan that is saved, rendered as JSON or
   * compared with a saved one needs it (docs/design/performance.md): a pass that only prints or
   * applies its own plan skips the hash.
   */
  readonly fingerprint?: boolean;
}

type WithoutOrder<T> = T extends unknown ? Omit<T, 'dependsOn' | 'wave'> : never;

/** A step before ordering (`dependsOn` and `wave` are computed last, by ordering.ts). */
export type DraftStep = WithoutOrder<PlanStep>;

/** What a diagnostic is about: a desired resource (its file:line), or a bare address. */
export type DiagnosticSubject = DesiredResource | Address;

export interface DiagnosticInit {
  readonly severity: Severity;
  readonly code: string;
  readonly message: string;
  readonly subject?: DiagnosticSubject;
  /** Dotted field path; its own source location is used when the desired resource recorded one. */
  readonly field?: string;
  readonly hint?: string;
  readonly related?: readonly RelatedLocation[];
  /** What the problem is about, when that is a list (bounded by the producer). */
  readonly details?: readonly string[];
}

/** A key's role as decided by api-keys.ts / key-steps.ts. */
export type KeyRole =
  | { readonly role: 'current' }
  | { readonly role: 'pending' }
  | { readonly role: 'retiring'; readonly retireAt: number };

export class PlanContext {
  readonly desired: DesiredState;
  readonly live: LiveState;
  readonly sinkRecords: ReadonlyMap<Address, SinkObservation>;
  readonly options: PlanOptions;
  /** The instant planned for, epoch ms. */
  readonly now: number;
  readonly index: LiveIndex;
  readonly desiredByAddress = new Map<Address, DesiredResource>();

  readonly steps: DraftStep[] = [];
  readonly diagnostics: Diagnostic[] = [];
  /** Resolved desired addresses: the live object matched, or the create step that makes it. */
  readonly refs = new Map<Address, ObjectRef>();
  /** Desired addresses that could not be matched (conflicts): their dependents stay quiet. */
  readonly blocked = new Set<Address>();
  /** Owned live ids matched to a desired resource (never pruned). */
  readonly matched = new Set<string>();
  /** Future instants (epoch ms) at which a new plan would differ without any input change. */
  readonly dueTimes: number[] = [];
  /**
   * The role the key decisions gave each owned key (by access key): the current one, and the
   * superseded ones with the end of their overlap (epoch ms). Read by the inventory (inventory.ts).
   */
  readonly keyRoles = new Map<string, KeyRole>();
  /** Live ids the plan looked at (owned, conflicting, referenced), per kind, for the fingerprint. */
  readonly #touched = new Map<Kind, Set<string>>();
  /** `--target`: the addresses planned (targets and what they need); undefined = everything. */
  readonly scope: ReadonlySet<Address> | undefined;
  /** `--target`: the addresses asked for. */
  readonly targets: ReadonlySet<Address> | undefined;

  constructor(input: BuildPlanInput) {
    this.desired = input.desired;
    this.live = input.live;
    this.sinkRecords = input.sinkRecords;
    this.options = input.options;
    this.now = input.now.getTime();
    this.index = new LiveIndex(input.live, input.options.instance);
    for (const resource of input.desired.resources) this.desiredByAddress.set(resource.address, resource);
    const targets = input.options.targets;
    this.targets = targets !== undefined && targets.length > 0 ? new Set(targets) : undefined;
    this.scope = this.targets ? targetScope([...this.targets], this.desiredByAddress) : undefined;
  }

  /** Is this address planned (always, unless the plan is partial)? */
  inScope(target: Address): boolean {
    return this.scope === undefined || this.scope.has(target);
  }

  /** May this owned object, absent from git, be pruned by this plan (a partial plan: targets only)? */
  mayPrune(target: Address): boolean {
    return this.targets === undefined || this.targets.has(target);
  }

  get instance(): string {
    return this.options.instance;
  }

  /** Record that the plan depends on this live object (it joins the fingerprint scope). */
  touch(kind: Kind, id: string): void {
    let ids = this.#touched.get(kind);
    if (!ids) {
      ids = new Set();
      this.#touched.set(kind, ids);
    }
    ids.add(id);
  }

  touched(kind: Kind): ReadonlySet<string> {
    return this.#touched.get(kind) ?? new Set();
  }

  addStep(step: DraftStep): void {
    this.steps.push(step);
  }

  diagnose(init: DiagnosticInit): void {
    const { subject, field } = init;
    const resource = typeof subject === 'string' ? subject : subject?.address;
    const location =
      subject !== undefined && typeof subject !== 'string'
        ? ((field !== undefined ? fieldLocation(subject, field) : undefined) ?? subject.source)
        : undefined;
    const related = init.related !== undefined && init.related.length > 0 ? init.related : undefined;
    const details = init.details !== undefined && init.details.length > 0 ? init.details : undefined;
    this.diagnostics.push({
      severity: init.severity,
      code: init.code,
      message: init.message,
      ...defined({ location, resource, field, hint: init.hint, details, related }),
    });
  }

  hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === 'error');
  }
}
