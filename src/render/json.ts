/**
 * Stable JSON of a plan: the saved-plan format read back by `apply --plan`.
 *
 * Format (formatVersion 1), one JSON object with:
 *   formatVersion   1
 *   createdAt       ISO instant the plan was computed for
 *   organizationId, instance, revision?, signer? (who signed the revision, when verified)
 *   liveFingerprint `sha256:<hex>`; apply refuses when the organization changed since
 *   fingerprintScope non-owned objects the fingerprint covers, by kind
 *   steps[]         ordered (semantic order); each: id, action, kind, name, address, reason,
 *                   detail?, before? (live object), after? (desired resource), changes[],
 *                   dependsOn[], wave, warnings[], refs?, disposeBefore?, rotation?,
 *                   expiresAt?, countsTowardMassDelete?
 *   summary         {create, update, replace, delete, adopt}
 *   diagnostics[]   {severity, code, message, location?, resource?, field?, hint?}
 *   keys[], upcoming[]  {address, accessKey, expiresAt, secondsToExpiry, rotateAt}
 *
 * Byte-stable: object keys are sorted at every level (their order is not semantic); arrays keep
 * their order (it is). Two-space indentation, trailing newline. No secret is ever present.
 */
import { ConfigError } from '../errors.js';
import { type Plan, PLAN_FORMAT_VERSION } from '../model/plan.js';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function renderPlanJson(plan: Plan): string {
  // A saved plan without it could never be applied (apply compares it with a fresh listing).
  if (plan.liveFingerprint === undefined) throw new Error('renderPlanJson: the plan has no liveFingerprint');
  return `${JSON.stringify(sortKeys(plan), null, 2)}\n`;
}

/** Read a saved plan. Throws ConfigError naming the file when it is not a plan we can apply. */
export function parsePlanJson(text: string, file = 'plan.json'): Plan {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`${file}: not a scw-gitops plan (expected a JSON object)`);
  }
  const o = doc as Record<string, unknown>;
  if (o.formatVersion !== PLAN_FORMAT_VERSION) {
    throw new ConfigError(
      `${file}: unsupported plan formatVersion ${JSON.stringify(o.formatVersion)} (this scw-gitops reads ${PLAN_FORMAT_VERSION})`,
    );
  }
  for (const field of ['createdAt', 'organizationId', 'instance', 'liveFingerprint'] as const) {
    if (typeof o[field] !== 'string')
      throw new ConfigError(`${file}: field ${field} is missing or not a string`);
  }
  for (const field of ['steps', 'diagnostics', 'keys', 'upcoming'] as const) {
    if (!Array.isArray(o[field])) throw new ConfigError(`${file}: field ${field} is missing or not an array`);
  }
  if (o.summary === null || typeof o.summary !== 'object') {
    throw new ConfigError(`${file}: field summary is missing`);
  }
  for (const [i, s] of (o.steps as unknown[]).entries()) {
    const step = s as Record<string, unknown> | null;
    if (
      !step ||
      typeof step.id !== 'string' ||
      typeof step.action !== 'string' ||
      !['create', 'update', 'replace', 'delete', 'adopt'].includes(step.action) ||
      !Array.isArray(step.dependsOn) ||
      typeof step.wave !== 'number'
    ) {
      throw new ConfigError(`${file}: steps[${i}] is not a valid plan step`);
    }
  }
  return doc as Plan;
}
