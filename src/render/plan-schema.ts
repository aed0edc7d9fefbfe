/**
 * The saved plan's schema, checked field by field: `apply --plan` reads a file anyone could have
 * edited, so every field is decoded with its type, no unknown field is accepted, and a problem is
 * reported with the path of the field (`steps[3].after.application.id: expected a string`).
 * Then the plan must hold together: unique step ids, dependencies and step references that point
 * at steps of the plan (a reference at the create of that very address), addresses, kinds and
 * names that agree, and markers of this plan's instance. Whether the steps agree with the live
 * organization is checked later, against a fresh listing (src/planner/verify-plan.ts).
 *
 * Pure; the format is documented in docs/plan-format.md.
 */
import type { Diagnostic, RelatedLocation, SourceLocation } from '../model/diagnostics.js';
import type {
  ApiKey,
  ApiKeyBearer,
  Application,
  Group,
  Policy,
  PolicyPrincipal,
  Project,
  Rule,
  RuleScope,
} from '../model/live.js';
import type { KeyState } from '../model/ownership.js';
import {
  ACTIONS,
  type EffectiveRotation,
  type FieldChange,
  type FingerprintScope,
  type KeyExpiry,
  type KeyExpiryRule,
  type LiveObject,
  type ObjectRef,
  PLAN_FORMAT_VERSION,
  type Plan,
  type PlannedPrincipal,
  type PlannedRule,
  type PlannedSink,
  type PlannedValue,
  type PlanStep,
  type PlanSummary,
  type PartialPlan,
  REASON_CODES,
  referencesOf,
} from '../model/plan.js';
import { type Address, KINDS, type Kind, parseAddress } from '../model/resources.js';

/** A problem at one path of the document. */
export class PlanSchemaError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

type Decoder<T> = (value: unknown, path: string) => T;

function fail(path: string, problem: string): never {
  throw new PlanSchemaError(path || '(top level)', problem);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}

const str: Decoder<string> = (v, path) =>
  typeof v === 'string' ? v : fail(path, `expected a string, got ${describe(v)}`);
const bool: Decoder<boolean> = (v, path) =>
  typeof v === 'boolean' ? v : fail(path, `expected true or false, got ${describe(v)}`);
const int: Decoder<number> = (v, path) =>
  typeof v === 'number' && Number.isInteger(v) ? v : fail(path, `expected an integer, got ${describe(v)}`);
const nonNegative: Decoder<number> = (v, path) => {
  const n = int(v, path);
  return n >= 0 ? n : fail(path, `expected a non-negative integer, got ${n}`);
};
const instant: Decoder<string> = (v, path) => {
  const s = str(v, path);
  return /^\d{4}-\d{2}-\d{2}T/.test(s) && !Number.isNaN(Date.parse(s))
    ? s
    : fail(path, `expected an RFC 3339 time, got ${JSON.stringify(s)}`);
};
const unknownValue: Decoder<unknown> = (v) => v;

function nullable<T>(d: Decoder<T>): Decoder<T | null> {
  return (v, path) => (v === null ? null : d(v, path));
}

function oneOf<T extends string>(values: readonly T[]): Decoder<T> {
  return (v, path) => {
    const s = str(v, path);
    return (values as readonly string[]).includes(s)
      ? (s as T)
      : fail(path, `expected one of ${values.join(', ')}, got ${JSON.stringify(s)}`);
  };
}

function arrayOf<T>(d: Decoder<T>): Decoder<T[]> {
  return (v, path) =>
    Array.isArray(v)
      ? v.map((item, i) => d(item, `${path}[${i}]`))
      : fail(path, `expected an array, got ${describe(v)}`);
}

type Fields = Record<string, Decoder<unknown>>;
type Decoded<F extends Fields> = { [K in keyof F]: F[K] extends Decoder<infer T> ? T : never };

/**
 * An object with `required` and `optional` fields and nothing else. Optional fields absent from
 * the input are absent from the output (never `undefined`).
 */
function object<R extends Fields, O extends Fields = Record<never, never>>(
  required: R,
  optional?: O,
): Decoder<Decoded<R> & Partial<Decoded<O>>> {
  return (v, path) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      fail(path, `expected an object, got ${describe(v)}`);
    const input = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const at = (key: string) => (path ? `${path}.${key}` : key);
    for (const key of Object.keys(input)) {
      if (!(key in required) && !(optional && key in optional)) fail(at(key), 'unknown field');
    }
    for (const [key, decode] of Object.entries(required)) {
      if (!(key in input)) fail(at(key), 'missing');
      out[key] = decode(input[key], at(key));
    }
    for (const [key, decode] of Object.entries(optional ?? {})) {
      if (key in input && input[key] !== undefined) out[key] = decode(input[key], at(key));
    }
    return out as Decoded<R> & Partial<Decoded<O>>;
  };
}

/** A union told apart by the string field `tag`. */
function tagged<T>(tag: string, variants: Record<string, Decoder<T>>): Decoder<T> {
  return (v, path) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      fail(path, `expected an object, got ${describe(v)}`);
    const value = (v as Record<string, unknown>)[tag];
    const decode = typeof value === 'string' ? variants[value] : undefined;
    if (!decode)
      fail(`${path}.${tag}`, `expected one of ${Object.keys(variants).join(', ')}, got ${describe(value)}`);
    return decode(v, path);
  };
}

const address: Decoder<Address> = (v, path) => {
  const s = str(v, path);
  return parseAddress(s)
    ? (s as Address)
    : fail(path, `expected a Kind/name address, got ${JSON.stringify(s)}`);
};
const kind = oneOf<Kind>(KINDS);
const strings = arrayOf(str);
const flags = { editable: bool, deletable: bool, managed: bool };

// ------------------------------------------------------------------ live snapshots

const project: Decoder<Project> = object({
  id: str,
  name: str,
  organizationId: str,
  createdAt: str,
  updatedAt: str,
  description: str,
  isDefault: bool,
});
const application: Decoder<Application> = object({
  id: str,
  name: str,
  description: str,
  createdAt: str,
  updatedAt: str,
  organizationId: str,
  nbApiKeys: nonNegative,
  tags: strings,
  ...flags,
});
const bearer: Decoder<ApiKeyBearer> = object({ type: oneOf(['application', 'user'] as const), id: str });
const apiKey: Decoder<ApiKey> = object({
  accessKey: str,
  description: str,
  createdAt: str,
  updatedAt: str,
  expiresAt: nullable(str),
  defaultProjectId: str,
  creationIp: str,
  bearer,
  ...flags,
});
const group: Decoder<Group> = object({
  id: str,
  createdAt: str,
  updatedAt: str,
  organizationId: str,
  name: str,
  description: str,
  userIds: strings,
  applicationIds: strings,
  tags: strings,
  ...flags,
});
const principal: Decoder<PolicyPrincipal> = tagged<PolicyPrincipal>('type', {
  none: object({ type: oneOf(['none'] as const) }),
  user: object({ type: oneOf(['user'] as const), id: str }),
  group: object({ type: oneOf(['group'] as const), id: str }),
  application: object({ type: oneOf(['application'] as const), id: str }),
});
const policy: Decoder<Policy> = object({
  id: str,
  name: str,
  description: str,
  organizationId: str,
  createdAt: str,
  updatedAt: str,
  nbRules: nonNegative,
  nbScopes: nonNegative,
  nbPermissionSets: nonNegative,
  tags: strings,
  principal,
  ...flags,
});
const ruleScope: Decoder<RuleScope> = tagged<RuleScope>('type', {
  projects: object({ type: oneOf(['projects'] as const), projectIds: strings }),
  organization: object({ type: oneOf(['organization'] as const), organizationId: str }),
  account_root_user: object({ type: oneOf(['account_root_user'] as const), accountRootUserId: str }),
});
const rule: Decoder<Rule> = object({
  id: str,
  permissionSetNames: strings,
  permissionSetsScopeType: str,
  condition: str,
  scope: ruleScope,
});
const liveObject: Decoder<LiveObject> = tagged<LiveObject>('kind', {
  Project: object({ kind: oneOf(['Project'] as const), object: project }),
  Application: object({ kind: oneOf(['Application'] as const), object: application }),
  Group: object({ kind: oneOf(['Group'] as const), object: group }),
  Policy: object({ kind: oneOf(['Policy'] as const), object: policy }, { rules: arrayOf(rule) }),
  ApiKey: object({ kind: oneOf(['ApiKey'] as const), object: apiKey }),
});

// ------------------------------------------------------------------ planned values

const objectRef: Decoder<ObjectRef> = (v, path) => {
  if (v !== null && typeof v === 'object' && 'step' in v) return object({ address, step: str })(v, path);
  return object({ address, id: str })(v, path);
};
const marker = object({ instance: str });
const keyMarker = object({
  instance: str,
  name: str,
  state: oneOf<KeyState>(['pending', 'ready', 'retiring', 'external']),
});
const plannedPrincipal: Decoder<PlannedPrincipal> = tagged<PlannedPrincipal>('type', {
  none: object({ type: oneOf(['none'] as const) }),
  application: object({ type: oneOf(['application'] as const), ref: objectRef }),
  group: object({ type: oneOf(['group'] as const), ref: objectRef }),
});
const plannedRule: Decoder<PlannedRule> = object({
  permissionSets: strings,
  scope: tagged<PlannedRule['scope']>('type', {
    organization: object({ type: oneOf(['organization'] as const) }),
    projects: object({ type: oneOf(['projects'] as const), projects: arrayOf(objectRef) }),
  }),
  condition: str,
});
const expiry: Decoder<KeyExpiryRule> = tagged<KeyExpiryRule>('type', {
  at: object({ type: oneOf(['at'] as const), at: instant }),
  lifetime: object({ type: oneOf(['lifetime'] as const), lifetimeMs: nonNegative }),
  never: object({ type: oneOf(['never'] as const) }),
});
const rotation: Decoder<EffectiveRotation> = object(
  { overlapMs: nonNegative },
  { lifetimeMs: nonNegative, rotateBeforeMs: nonNegative, maxAgeMs: nonNegative },
);
const plannedSink: Decoder<PlannedSink> = object(
  { sink: str, type: oneOf(['file', 'vault', 'kubernetes', 'none'] as const), target: str },
  { path: str, namespace: str, secretName: str },
);
const described = { name: str, description: str };
const plannedValue: Decoder<PlannedValue> = tagged<PlannedValue>('kind', {
  Project: object({ kind: oneOf(['Project'] as const), ...described, marker }),
  Application: object({ kind: oneOf(['Application'] as const), ...described, tags: strings, marker }),
  Group: object({
    kind: oneOf(['Group'] as const),
    ...described,
    tags: strings,
    marker,
    members: arrayOf(objectRef),
  }),
  Policy: object({
    kind: oneOf(['Policy'] as const),
    ...described,
    tags: strings,
    marker,
    principal: plannedPrincipal,
    rules: arrayOf(plannedRule),
  }),
  ApiKey: object({
    kind: oneOf(['ApiKey'] as const),
    ...described,
    marker: keyMarker,
    application: objectRef,
    defaultProject: objectRef,
    expiry,
    rotation,
    sink: plannedSink,
    recordedRotation: str,
  }),
});

// ------------------------------------------------------------------ steps and plan

const change: Decoder<FieldChange> = object(
  { field: str },
  { before: unknownValue, after: unknownValue, forcesReplacement: bool },
);
const common = {
  id: str,
  kind,
  name: str,
  address,
  reason: oneOf(REASON_CODES),
  changes: arrayOf(change),
  dependsOn: strings,
  wave: nonNegative,
  warnings: strings,
};
const step: Decoder<PlanStep> = tagged<PlanStep>('action', {
  create: object(
    { ...common, action: oneOf(['create'] as const), after: plannedValue },
    { detail: str, knownKeys: strings },
  ),
  update: object(
    { ...common, action: oneOf(['update'] as const), before: liveObject, after: plannedValue },
    { detail: str },
  ),
  adopt: object(
    { ...common, action: oneOf(['adopt'] as const), before: liveObject, after: plannedValue },
    { detail: str },
  ),
  replace: (v, path) => {
    const decoded = object(
      {
        ...common,
        action: oneOf(['replace'] as const),
        before: liveObject,
        after: plannedValue,
        disposeBefore: oneOf(['retire', 'delete'] as const),
        knownKeys: strings,
      },
      { detail: str },
    )(v, path);
    if (decoded.kind !== 'ApiKey' || decoded.before.kind !== 'ApiKey' || decoded.after.kind !== 'ApiKey') {
      fail(`${path}.kind`, 'only API keys are replaced');
    }
    return decoded as PlanStep;
  },
  delete: object(
    { ...common, action: oneOf(['delete'] as const), before: liveObject, countsTowardMassDelete: bool },
    { detail: str },
  ),
});

const location: Decoder<SourceLocation> = object({ file: str, line: nonNegative, col: nonNegative });
const related: Decoder<RelatedLocation> = object({ resource: str }, { location });
const diagnostic: Decoder<Diagnostic> = object(
  { severity: oneOf(['error', 'warning'] as const), code: str, message: str },
  { location, resource: str, field: str, hint: str, details: arrayOf(str), related: arrayOf(related) },
);
const keyExpiry: Decoder<KeyExpiry> = object({
  address,
  accessKey: str,
  expiresAt: nullable(str),
  secondsToExpiry: nullable(int),
  rotateAt: nullable(str),
});
const summary: Decoder<PlanSummary> = object(
  Object.fromEntries(ACTIONS.map((action) => [action, nonNegative])) as Record<
    keyof PlanSummary,
    Decoder<number>
  >,
);
const scope: Decoder<FingerprintScope> = object({}, Object.fromEntries(KINDS.map((k) => [k, strings])));
const partial: Decoder<PartialPlan> = (v, path) => {
  const decoded = object({ targets: arrayOf(address), scope: arrayOf(address) })(v, path);
  if (decoded.targets.length === 0) fail(`${path}.targets`, 'a partial plan names at least one target');
  return decoded;
};

const plan: Decoder<Plan> = object(
  {
    formatVersion: (v: unknown, path: string): typeof PLAN_FORMAT_VERSION =>
      v === PLAN_FORMAT_VERSION
        ? PLAN_FORMAT_VERSION
        : fail(
            path,
            `unsupported plan formatVersion ${JSON.stringify(v)} (this scw-gitops reads ${PLAN_FORMAT_VERSION}; make the plan again)`,
          ),
    createdAt: instant,
    organizationId: str,
    instance: str,
    liveFingerprint: (v, path) => {
      const s = str(v, path);
      return /^sha256:[0-9a-f]{64}$/.test(s) ? s : fail(path, 'expected sha256:<64 hex digits>');
    },
    fingerprintScope: scope,
    steps: arrayOf(step),
    summary,
    diagnostics: arrayOf(diagnostic),
    keys: arrayOf(keyExpiry),
    upcoming: arrayOf(keyExpiry),
  },
  { revision: str, signer: str, nextDueAt: instant, partial },
);

/** The plan's steps must hold together (see the module comment); throws PlanSchemaError. */
function checkConsistency(value: Plan): void {
  const byId = new Map<string, { step: PlanStep; index: number }>();
  value.steps.forEach((s, index) => {
    if (byId.has(s.id)) fail(`steps[${index}].id`, `duplicate step id ${JSON.stringify(s.id)}`);
    byId.set(s.id, { step: s, index });
  });
  value.steps.forEach((s, index) => {
    const at = `steps[${index}]`;
    const parsed = parseAddress(s.address)!;
    if (parsed.kind !== s.kind || parsed.name !== s.name)
      fail(`${at}.address`, `${s.address} does not match kind ${s.kind} and name ${JSON.stringify(s.name)}`);
    if (s.action !== 'create' && s.before.kind !== s.kind) fail(`${at}.before.kind`, `expected ${s.kind}`);
    if (s.action !== 'delete') {
      if (s.after.kind !== s.kind) fail(`${at}.after.kind`, `expected ${s.kind}`);
      if (s.after.name !== s.name) fail(`${at}.after.name`, `expected ${JSON.stringify(s.name)}`);
      if (s.after.marker.instance !== value.instance) {
        fail(`${at}.after.marker.instance`, `the plan is for instance ${JSON.stringify(value.instance)}`);
      }
      if (s.after.kind === 'ApiKey' && s.after.marker.name !== s.name)
        fail(`${at}.after.marker.name`, `expected ${JSON.stringify(s.name)}`);
      for (const ref of referencesOf(s.after)) {
        if (!('step' in ref)) continue;
        const target = byId.get(ref.step);
        if (!target)
          fail(`${at}.after`, `refers to step ${JSON.stringify(ref.step)}, which is not in the plan`);
        if (target.step.action !== 'create' || target.step.address !== ref.address) {
          fail(
            `${at}.after`,
            `refers to step ${JSON.stringify(ref.step)} for ${ref.address}, which does not create it`,
          );
        }
        if (!s.dependsOn.includes(ref.step))
          fail(`${at}.dependsOn`, `must include ${JSON.stringify(ref.step)}, which creates ${ref.address}`);
      }
    }
    for (const dep of s.dependsOn) {
      const target = byId.get(dep);
      if (!target) fail(`${at}.dependsOn`, `step ${JSON.stringify(dep)} is not in the plan`);
      if (target.index >= index)
        fail(`${at}.dependsOn`, `step ${JSON.stringify(dep)} must come before this step`);
    }
  });
  if (value.partial) checkPartial(value, value.partial);
  const counts = { create: 0, update: 0, replace: 0, delete: 0, adopt: 0 };
  for (const s of value.steps) counts[s.action]++;
  for (const action of ACTIONS) {
    if (value.summary[action] !== counts[action])
      fail(`summary.${action}`, `the plan has ${counts[action]} ${action} steps`);
  }
}

/**
 * A partial plan (`--target`) stays inside what it covers: its targets are in its scope, every
 * step acts on an address of the scope, and only a target is pruned.
 */
function checkPartial(value: Plan, mark: PartialPlan): void {
  const scope = new Set(mark.scope);
  const targets = new Set(mark.targets);
  mark.targets.forEach((target, i) => {
    if (!scope.has(target)) fail(`partial.targets[${i}]`, `${target} is not in partial.scope`);
  });
  const pruned = (s: PlanStep) => s.action === 'delete' && s.reason === 'pruned';
  // A pruned target application takes its keys with it: those keys may be pruned alongside.
  const prunedTargetApplications = new Set(
    value.steps
      .filter((s) => pruned(s) && s.kind === 'Application' && targets.has(s.address))
      .map((s) => (s.action === 'delete' ? s.before.object : undefined))
      .map((o) => (o && 'id' in o ? o.id : '')),
  );
  value.steps.forEach((s, index) => {
    if (!scope.has(s.address))
      fail(`steps[${index}].address`, `${s.address} is outside the partial plan's scope (partial.scope)`);
    if (!pruned(s) || targets.has(s.address)) return;
    const bearer =
      s.action === 'delete' && s.before.kind === 'ApiKey' ? s.before.object.bearer.id : undefined;
    if (bearer === undefined || !prunedTargetApplications.has(bearer))
      fail(`steps[${index}]`, `prunes ${s.address}, which is not a target of this partial plan`);
  });
}

/** Decode and check a parsed JSON document as a saved plan. Throws PlanSchemaError naming the field. */
export function decodePlan(doc: unknown): Plan {
  const value = plan(doc, '');
  checkConsistency(value);
  return value;
}
