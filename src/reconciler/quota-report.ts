/**
 * A key create refused by an organization quota (`quotas_exceeded`, docs/design/scaleway-api.md
 * §9) even though the plan freed places first (src/planner/quota.ts): one error diagnostic per
 * refused create, naming the quota and the keys that could go, from the listing the plan was made
 * from minus what this apply deleted. The operator decides: scw-gitops never deletes a key a
 * consumer may hold, nor one it does not own. docs/concepts.md, "API-key quota".
 */
import type { Diagnostic } from '../model/diagnostics.js';
import type { LiveState } from '../model/live.js';
import { parseKeyDescription } from '../model/ownership.js';
import type { ApplySummary } from '../model/plan.js';

export const QUOTA_EXCEEDED = 'quota-exceeded';

/** `SCW… (ApiKey/ci, retiring: …)`, one line per key that could free a place. */
function keysThatCouldGo(
  live: LiveState,
  instance: string,
  deleted: ReadonlySet<string>,
  now: number,
): string[] {
  const lines: string[] = [];
  for (const key of live.apiKeys) {
    if (deleted.has(key.accessKey)) continue;
    const marker = parseKeyDescription(key.description).marker;
    const ours = marker?.instance === instance;
    const owner = ours
      ? `ApiKey/${marker!.name}`
      : marker
        ? `scw-gitops instance "${marker.instance}"`
        : 'not managed by scw-gitops';
    const expired = key.expiresAt !== null && Date.parse(key.expiresAt) <= now;
    if (expired) lines.push(`${key.accessKey} (${owner}): expired ${key.expiresAt}, authenticates nothing`);
    else if (ours && marker!.state === 'retiring')
      lines.push(`${key.accessKey} (${owner}): retiring, deleted by scw-gitops once its overlap ends`);
  }
  return lines.sort();
}

export function quotaDiagnostics(
  summary: ApplySummary,
  live: LiveState,
  instance: string,
  now: number,
): Diagnostic[] {
  const refused = summary.outcomes.filter((o) => o.result === 'failed' && o.code === 'quotas-exceeded');
  if (refused.length === 0) return [];
  const deleted = new Set(
    summary.outcomes.filter((o) => o.result === 'deleted' && o.accessKey).map((o) => o.accessKey!),
  );
  const candidates = keysThatCouldGo(live, instance, deleted, now);
  return refused.map(
    (o): Diagnostic => ({
      severity: 'error',
      code: QUOTA_EXCEEDED,
      message: `${o.error ?? `${o.address}: quota reached`}. ${
        candidates.length > 0
          ? `${candidates.length} key${candidates.length === 1 ? '' : 's'} could go (below)`
          : 'No expired or retiring key could go'
      }`,
      resource: o.address,
      ...(candidates.length > 0 ? { details: candidates } : {}),
      hint: 'delete keys nobody uses any more (expired ones first), or raise the quota in the Scaleway console; the key is created on the next pass once a place is free',
    }),
  );
}
