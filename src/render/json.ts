/**
 * Stable JSON of a plan: the saved-plan format read back by `apply --plan` (docs/plan-format.md
 * describes every field; src/render/plan-schema.ts checks them).
 *
 * Byte-stable: object keys are sorted at every level (their order is not semantic); arrays keep
 * their order (it is). Two-space indentation, trailing newline. No secret is ever present.
 */
import { ConfigError } from '../errors.js';
import type { Plan } from '../model/plan.js';
import { sortKeys } from '../model/sort-keys.js';
import { decodePlan, PlanSchemaError } from './plan-schema.js';

export function renderPlanJson(plan: Plan): string {
  // A saved plan without it could never be applied (apply compares it with a fresh listing).
  if (plan.liveFingerprint === undefined) throw new Error('renderPlanJson: the plan has no liveFingerprint');
  return `${JSON.stringify(sortKeys(plan), null, 2)}\n`;
}

/** Larger than any plan of a real organization (a 10k-object plan is a few MiB). */
export const MAX_PLAN_BYTES = 64 * 1024 * 1024;

/**
 * Read a saved plan. Every field is checked (plan-schema.ts); throws ConfigError naming the file
 * and the field when it is not a plan this scw-gitops can apply.
 */
export function parsePlanJson(text: string, file = 'plan.json'): Plan {
  if (text.length > MAX_PLAN_BYTES) {
    throw new ConfigError(
      `${file}: ${text.length} bytes, larger than any plan (${MAX_PLAN_BYTES} bytes at most)`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    return decodePlan(doc);
  } catch (err) {
    if (err instanceof PlanSchemaError)
      throw new ConfigError(`${file}: not a valid scw-gitops plan: ${err.message}`);
    throw err;
  }
}
