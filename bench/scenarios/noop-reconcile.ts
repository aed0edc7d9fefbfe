/**
 * Benchmark: a no-op reconcile (everything already converged) of a full default-quota
 * organization (25 projects, 100 applications, 50 keys, 50 policies, 50 groups) and of a 10k
 * stress organization, against the sandbox with 20 ms latency per request.
 *
 * The organization is first created by scw-gitops itself (apply passes without latency), then
 * one measured pass runs in a fresh child process: requests by kind (target: one list request per
 * 100 objects per kind, zero writes), wall time, CPU, and peak RSS growth during the pass (target
 * ≤ 2 KiB per resource). Policy rules are read per owned policy (one request each): they are
 * reported as their own kind.
 */
import type { BenchResult, BenchScenario } from '../run.js';
import {
  childPass,
  DEFAULT_QUOTA,
  desiredFiles,
  type OrgSize,
  requestsSince,
  seedOwnedApplications,
  STRESS_10K,
  startOrg,
  total,
} from './org.js';

const LATENCY_MS = 20;
const BYTES_PER_RESOURCE = 2048;

export interface NoopResult extends BenchResult {
  /** Result kind of the measured pass (`no-changes` when the org was converged). */
  readonly passKind: string;
  readonly writes: number;
  /** GETs of single objects or filtered lookups (the checks made just before a write): none on a no-op pass. */
  readonly pointReads: number;
  readonly byKind: Record<string, number>;
  readonly cpuMs: number;
  readonly rssGrowthBytes: number;
  readonly maxRssBytes: number;
  readonly bytesPerResource: number;
  readonly resources: number;
}

export async function measureNoop(
  label: string,
  size: OrgSize,
  latencyMs = LATENCY_MS,
  opts: { seededApplications?: number } = {},
): Promise<NoopResult> {
  const org = await startOrg(desiredFiles(size), { applyConcurrency: 16 });
  try {
    // applications beyond the ones keys, policies and groups refer to can be seeded as owned
    const seeded = Math.min(opts.seededApplications ?? 0, size.applications);
    if (seeded > 0) seedOwnedApplications(org.sandbox, size.applications - seeded, size.applications);
    // converge (scw-gitops creates everything), no latency
    for (let i = 0; i < 4; i++) {
      const r = await childPass(org);
      if (r.kind === 'no-changes') break;
      if (r.kind === 'error') throw new Error(`setup pass failed: ${r.error}`);
    }
    org.sandbox.faults.adjust({ latencyMs });
    const before = org.sandbox.requestCount();
    const pass = await childPass(org);
    const req = requestsSince(org.sandbox, before);
    const n = total(size);
    const lists: Record<string, number> = {
      projects: size.projects + 1,
      applications: size.applications + 2, // + managed VPN gateway applications
      api_keys: size.keys + 1,
      policies: size.policies + 2,
      groups: size.groups,
    };
    const targets: Record<string, { limit: number; met: boolean }> = {
      writes: { limit: 0, met: req.writes === 0 },
      'point reads': { limit: 0, met: req.pointReads === 0 },
    };
    for (const [kind, objects] of Object.entries(lists)) {
      const limit = Math.max(1, Math.ceil(objects / 100));
      targets[`${kind} lists`] = { limit, met: (req.byKind[kind] ?? 0) <= limit };
    }
    const growth = Math.max(0, pass.rssPeak - pass.rssBefore);
    targets['bytes/resource'] = { limit: BYTES_PER_RESOURCE, met: growth / n <= BYTES_PER_RESOURCE };
    return {
      variant: `${label} (${n} resources)`,
      requests: req.total,
      maxInFlight: 0,
      wallMs: pass.wallMs,
      items: n,
      targets,
      passKind: pass.kind,
      writes: req.writes,
      pointReads: req.pointReads,
      byKind: req.byKind,
      cpuMs: pass.cpuMs,
      rssGrowthBytes: growth,
      maxRssBytes: pass.maxRss,
      bytesPerResource: growth / n,
      resources: n,
      notes: `${pass.kind}${seeded > 0 ? ` (${seeded} applications seeded as owned, the rest created by scw-gitops)` : ''}; requests by kind ${JSON.stringify(req.byKind)}; CPU ${pass.cpuMs.toFixed(0)} ms; RSS +${(growth / 1024 / 1024).toFixed(1)} MiB during the pass (${(growth / n).toFixed(0)} B/resource), max RSS ${(pass.maxRss / 1024 / 1024).toFixed(0)} MiB; ${latencyMs} ms latency`,
    };
  } finally {
    await org.close();
  }
}

export const scenario: BenchScenario = {
  name: 'noop-reconcile',
  description: `no-op reconcile, default-quota org and 10k org, ${LATENCY_MS} ms latency`,
  async run() {
    const small = await measureNoop('no-op, default quota', DEFAULT_QUOTA);
    const big = await measureNoop('no-op, 10k org', STRESS_10K, LATENCY_MS, {
      seededApplications: STRESS_10K.applications,
    });
    // The fixed cost of a pass (code loaded and compiled on first use) dominates a small org; the
    // marginal memory per resource is the growth between the two sizes.
    const marginal = (big.rssGrowthBytes - small.rssGrowthBytes) / (big.resources - small.resources);
    return [
      small,
      {
        ...big,
        targets: {
          ...big.targets,
          'marginal bytes/resource': { limit: BYTES_PER_RESOURCE, met: marginal <= BYTES_PER_RESOURCE },
        },
        marginalBytesPerResource: marginal,
        notes: `${big.notes}; marginal ${marginal.toFixed(0)} B/resource over the default-quota pass; ratio to default quota: ${(big.items / small.items).toFixed(0)}x resources, ${(big.requests / small.requests).toFixed(1)}x requests, ${(big.wallMs / small.wallMs).toFixed(1)}x wall, ${(big.cpuMs / small.cpuMs).toFixed(1)}x CPU`,
      },
    ];
  },
};
