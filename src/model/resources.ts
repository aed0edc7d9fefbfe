/** The kinds scw-gitops manages, in dependency order (creates go in this order, deletes in reverse). */
export const KINDS = ['Project', 'Application', 'Group', 'Policy', 'ApiKey'] as const;
export type Kind = (typeof KINDS)[number];

export const API_VERSION = 'scw-gitops/v1alpha1';

/** `Kind/name`: the only identity used in maps, plans and logs. */
export type Address = `${Kind}/${string}`;

export function address(kind: Kind, name: string): Address {
  return `${kind}/${name}`;
}

export function parseAddress(a: string): { kind: Kind; name: string } | undefined {
  const i = a.indexOf('/');
  if (i <= 0) return undefined;
  const kind = a.slice(0, i) as Kind;
  if (!KINDS.includes(kind)) return undefined;
  return { kind, name: a.slice(i + 1) };
}

export function kindRank(kind: Kind): number {
  return KINDS.indexOf(kind);
}

/** Sort addresses by kind order, then name (byte order). */
export function compareAddresses(a: Address, b: Address): number {
  const pa = parseAddress(a)!;
  const pb = parseAddress(b)!;
  const r = kindRank(pa.kind) - kindRank(pb.kind);
  if (r !== 0) return r;
  return pa.name < pb.name ? -1 : pa.name > pb.name ? 1 : 0;
}
