/**
 * Benchmarks of change: (1) apply 100 changes (100 new applications) in one reconcile pass,
 * against a sequential loop of the same 100 POSTs, both with 20 ms latency; (2) time from a file
 * change in the desired-state directory to the change applied in the organization, with the
 * daemon running in this process (chokidar watch, debounce 1 s) against the sandbox.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { systemClock } from '../../src/clock.js';
import { loadSettings } from '../../src/config/load-settings.js';
import { startDaemon } from '../../src/daemon/daemon.js';
import type { BenchResult, BenchScenario } from '../run.js';
import { childPass, desiredFiles, requestsSince, startOrg } from './org.js';

const LATENCY_MS = 20;
const CHANGES = 100;
const DAEMON_SAMPLES = 5;

export async function apply100(changes = CHANGES, latencyMs = LATENCY_MS): Promise<BenchResult[]> {
  const size = { projects: 0, applications: changes, keys: 0, policies: 0, groups: 0 };
  const org = await startOrg(desiredFiles(size), { applyConcurrency: 4 });
  try {
    org.sandbox.faults.adjust({ latencyMs });
    const before = org.sandbox.requestCount();
    const pass = await childPass(org);
    const req = requestsSince(org.sandbox, before);

    // baseline: the same creations one POST after the other
    const b0 = org.sandbox.requestCount();
    const t0 = performance.now();
    for (let i = 0; i < changes; i++) {
      const res = await fetch(`${org.sandbox.url}/iam/v1alpha1/applications`, {
        method: 'POST',
        headers: { 'X-Auth-Token': org.sandbox.adminSecretKey, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: `seq-${i}`,
          organization_id: org.sandbox.organizationId,
          description: '',
        }),
      });
      if (!res.ok) throw new Error(`POST: HTTP ${res.status}`);
      await res.arrayBuffer();
    }
    const seqMs = performance.now() - t0;
    const seqReq = org.sandbox.requestCount() - b0;
    return [
      {
        variant: `scw-gitops reconcile, ${changes} creates`,
        requests: req.total,
        maxInFlight: 0,
        wallMs: pass.wallMs,
        items: pass.steps,
        targets: {
          failed: { limit: 0, met: pass.failed === 0 && pass.kind === 'applied' },
          // Every write is checked by one point read just before it (a lookup by name for a create).
          'point reads per write': { limit: 1, met: req.pointReads <= req.writes },
        },
        notes: `${pass.kind}; ${req.writes} writes, ${req.pointReads} point reads (${(req.pointReads / Math.max(1, req.writes)).toFixed(2)} per write), ${req.total - req.writes - req.pointReads} listing reads; CPU ${pass.cpuMs.toFixed(0)} ms; ${(pass.wallMs / seqMs).toFixed(2)}x the wall time of the sequential loop (${(seqMs / pass.wallMs).toFixed(1)}x faster), ${latencyMs} ms latency`,
      },
      {
        variant: `sequential POST loop, ${changes} creates`,
        requests: seqReq,
        maxInFlight: 1,
        wallMs: seqMs,
        items: changes,
        notes: `baseline: no listing, no planning, no verification; ${latencyMs} ms latency`,
      },
    ];
  } finally {
    await org.close();
  }
}

export async function fileChangeToApplied(
  samples = DAEMON_SAMPLES,
  latencyMs = LATENCY_MS,
): Promise<BenchResult> {
  const size = { projects: 2, applications: 20, keys: 2, policies: 2, groups: 2 };
  const org = await startOrg(desiredFiles(size));
  const logger = pino({ level: 'silent' });
  const base = await loadSettings(org.settingsFile, { env: {}, cwd: org.base });
  const settings = {
    ...base,
    server: { host: '127.0.0.1', port: 0 },
    schedule: { ...base.schedule, debounceMs: 1000 },
  };
  const env = {
    SCW_SECRET_KEY: org.sandbox.adminSecretKey,
    SCW_ACCESS_KEY: org.sandbox.adminAccessKey,
    SCW_DEFAULT_ORGANIZATION_ID: org.sandbox.organizationId,
  };
  const daemon = await startDaemon({ settings, env, logger, clock: systemClock, disable: { cron: true } });
  const appNamed = (name: string) =>
    [...org.sandbox.store.applications.values()].some((a) => a.name === name);
  const waitFor = async (cond: () => boolean, timeoutMs: number): Promise<void> => {
    const end = performance.now() + timeoutMs;
    while (!cond()) {
      if (performance.now() > end) throw new Error('daemon did not apply the change in time');
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  try {
    await waitFor(() => appNamed(`app-${size.applications - 1}`), 60_000); // initial pass converged
    await new Promise((r) => setTimeout(r, 1500));
    org.sandbox.faults.adjust({ latencyMs });
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const name = `probe-${i}`;
      const t0 = performance.now();
      await writeFile(
        join(org.desiredDir, `${name}.yaml`),
        `apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n  description: latency probe\n`,
      );
      await waitFor(() => appNamed(name), 60_000);
      times.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 1200)); // let the pass finish before the next change
    }
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return {
      variant: 'daemon: file change → applied',
      requests: 0,
      maxInFlight: 0,
      wallMs: median,
      items: samples,
      notes: `median of ${samples} (min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms); includes the 1 s debounce (${(median - 1000).toFixed(0)} ms after it); ${latencyMs} ms latency`,
    };
  } finally {
    await daemon.stop();
    await org.close();
  }
}

export const scenario: BenchScenario = {
  name: 'apply-and-daemon',
  description: `apply ${CHANGES} changes vs a sequential loop; daemon file change → applied (${LATENCY_MS} ms latency)`,
  async run() {
    return [...(await apply100()), await fileChangeToApplied()];
  },
};
