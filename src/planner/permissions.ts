/**
 * Permission-set checks for policies: dangerous grants to applications, and unknown names.
 *
 * Dangerous permission sets (granting them to an application — a machine credential whose key
 * lives in a sink — needs `acknowledgeDangerousPermissions: true` on the policy):
 * - at any scope: the desired-state validator's list (`DANGEROUS_PERMISSION_SETS` in
 *   src/desired/fields.ts: `IAMManager`, `OrganizationManager`, `IAMFullAccess`,
 *   `OrganizationFullAccess`): they control IAM or the organization, so a leaked key could mint
 *   more keys;
 * - at organization scope: `AllProductsFullAccess`, and every set whose name starts with `IAM`,
 *   `Organization`, `Account` or `Billing` and contains `FullAccess`.
 * A grant reaches an application directly (principal application) or through a group that has
 * application members.
 */
import { editDistance } from '../desired/did-you-mean.js';
import { DANGEROUS_PERMISSION_SETS } from '../desired/fields.js';

export const DANGEROUS_ANY_SCOPE: readonly string[] = DANGEROUS_PERMISSION_SETS;
export const DANGEROUS_AT_ORGANIZATION_SCOPE: readonly string[] = ['AllProductsFullAccess'];
const DANGEROUS_ORG_PATTERN = /^(IAM|Organization|Account|Billing)[A-Za-z]*FullAccess[A-Za-z]*$/;

export function isDangerous(permissionSet: string, scope: 'projects' | 'organization'): boolean {
  if (DANGEROUS_ANY_SCOPE.includes(permissionSet)) return true;
  if (scope !== 'organization') return false;
  return DANGEROUS_AT_ORGANIZATION_SCOPE.includes(permissionSet) || DANGEROUS_ORG_PATTERN.test(permissionSet);
}

/** The closest known name, if close enough to be a plausible typo. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const exactCase = known.find((k) => k.toLowerCase() === lower);
  if (exactCase !== undefined) return exactCase;
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of [...known].sort()) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return bestD <= limit ? best : undefined;
}
