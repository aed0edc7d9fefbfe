/**
 * Live model → wire request bodies (snake_case). One-of members are emitted alone (never a
 * null for the others), as the API and the SDKs do.
 */
import type { PolicyPrincipal, RuleSpec } from '../model/live.js';

export function encodePrincipal(p: PolicyPrincipal): Record<string, string | boolean> {
  switch (p.type) {
    case 'user':
      return { user_id: p.id };
    case 'group':
      return { group_id: p.id };
    case 'application':
      return { application_id: p.id };
    case 'none':
      return { no_principal: true };
  }
}

export function encodeRuleSpec(r: RuleSpec): Record<string, unknown> {
  const scope =
    r.scope.type === 'projects'
      ? { project_ids: [...r.scope.projectIds] }
      : { organization_id: r.scope.organizationId };
  return { permission_set_names: [...r.permissionSetNames], condition: r.condition ?? '', ...scope };
}

/** Copy only the keys whose value is defined (PATCH semantics: absent = unchanged). */
export function definedOnly(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}
