/** The kind of an API request by its route or path (the columns of the request-count tables). */
const KINDS: ReadonlyArray<[string, RegExp]> = [
  ['projects', /^\/account\/v3\/projects/],
  ['applications', /^\/iam\/v1alpha1\/applications/],
  ['api_keys', /^\/iam\/v1alpha1\/api-keys/],
  ['policies', /^\/iam\/v1alpha1\/policies/],
  ['rules', /^\/iam\/v1alpha1\/rules/],
  ['groups', /^\/iam\/v1alpha1\/groups/],
  ['permission_sets', /^\/iam\/v1alpha1\/permission-sets/],
];

export const KIND_ORDER = KINDS.map(([k]) => k);

export function kindOf(method: string, path: string): string {
  const kind = KINDS.find(([, re]) => re.test(path.split('?')[0]!))?.[0] ?? 'other';
  return method === 'GET' ? kind : `${kind} ${method}`;
}

/** `projects 2, applications 61, …, rules 1,500` in a fixed order. */
export function fmtKinds(byKind: Readonly<Record<string, number>>): string {
  const keys = [
    ...KIND_ORDER.filter((k) => k in byKind),
    ...Object.keys(byKind).filter((k) => !KIND_ORDER.includes(k)),
  ];
  return keys.map((k) => `${k} ${byKind[k]!.toLocaleString('en')}`).join(', ');
}
