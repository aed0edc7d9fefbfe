/**
 * A value with object keys sorted at every level (arrays keep their order: it is meaningful),
 * `undefined` members dropped and Maps turned into objects: the canonical form behind
 * byte-stable JSON (plans, fingerprints, `--output json`).
 */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value instanceof Map) {
    return sortKeys(Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), v])));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = sortKeys(member);
    }
    return out;
  }
  return value;
}
