/**
 * Just enough of Vault's ACL model for the emulator: named policies made of path rules with
 * capabilities; `*` only as a trailing glob, `+` for exactly one segment; the most specific
 * matching pattern wins (capabilities of identical patterns across policies are merged);
 * `deny` anywhere in the winning set denies. `root` grants everything.
 */

export type Capability = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'sudo' | 'deny';

export interface PolicyRule {
  readonly path: string;
  readonly capabilities: readonly Capability[];
}

export type Policies = Map<string, readonly PolicyRule[]>;

/** Paths every token may use through the built-in `default` policy (subset of Vault's). */
export const DEFAULT_POLICY: readonly PolicyRule[] = [
  { path: 'auth/token/lookup-self', capabilities: ['read'] },
  { path: 'auth/token/renew-self', capabilities: ['update'] },
  { path: 'auth/token/revoke-self', capabilities: ['update'] },
  { path: 'sys/capabilities-self', capabilities: ['update'] },
  { path: 'sys/internal/ui/mounts', capabilities: ['read'] },
];

function segmentsMatch(pattern: string, path: string): boolean {
  const glob = pattern.endsWith('*');
  const p = glob ? pattern.slice(0, -1) : pattern;
  // Compare segment by segment so `+` matches exactly one segment.
  let i = 0;
  let j = 0;
  while (i < p.length) {
    const ch = p[i];
    if (ch === '+') {
      // consume one path segment (up to the next '/')
      if (j >= path.length && !glob) return false;
      while (j < path.length && path[j] !== '/') j++;
      i++;
      continue;
    }
    if (j >= path.length || path[j] !== ch) return false;
    i++;
    j++;
  }
  return glob ? true : j === path.length;
}

/** Higher = more specific (Vault compares wildcard position, then length, then glob-ness). */
function specificity(pattern: string): number {
  const firstWildcard = pattern.search(/[+*]/);
  const wildPos = firstWildcard < 0 ? pattern.length + 1 : firstWildcard;
  const glob = pattern.endsWith('*') ? 0 : 1;
  return wildPos * 100_000 + pattern.length * 10 + glob;
}

/**
 * The capabilities the given policy set grants on `path`, sorted; `['root']` for the root policy,
 * `['deny']` when nothing matches.
 */
export function capabilitiesFor(
  policies: Policies,
  tokenPolicies: readonly string[],
  path: string,
): string[] {
  if (tokenPolicies.includes('root')) return ['root'];
  const rules: PolicyRule[] = [];
  for (const name of tokenPolicies) {
    if (name === 'default') rules.push(...DEFAULT_POLICY);
    rules.push(...(policies.get(name) ?? []));
  }
  let best = -1;
  let caps = new Set<string>();
  for (const r of rules) {
    if (!segmentsMatch(r.path, path)) continue;
    const s = specificity(r.path);
    if (s > best) {
      best = s;
      caps = new Set(r.capabilities);
    } else if (s === best) {
      for (const c of r.capabilities) caps.add(c);
    }
  }
  if (caps.size === 0 || caps.has('deny')) return ['deny'];
  return [...caps].sort();
}

export function allows(
  policies: Policies,
  tokenPolicies: readonly string[],
  path: string,
  cap: Capability,
): boolean {
  const caps = capabilitiesFor(policies, tokenPolicies, path);
  return caps.includes('root') || caps.includes(cap);
}

/**
 * Whether any rule grants something under a mount (the check behind
 * `sys/internal/ui/mounts/<path>`): a rule whose path lies under the mount or whose glob covers it.
 */
export function hasMountAccess(
  policies: Policies,
  tokenPolicies: readonly string[],
  mountPath: string,
): boolean {
  if (tokenPolicies.includes('root')) return true;
  for (const name of tokenPolicies) {
    for (const r of policies.get(name) ?? []) {
      if (r.capabilities.includes('deny') || r.capabilities.length === 0) continue;
      const prefix = r.path.replace(/[+*].*$/, '');
      if (prefix.startsWith(mountPath) || mountPath.startsWith(prefix)) return true;
    }
  }
  return false;
}
