/**
 * The daemon (`scw-gitops run`, built, a fresh process per round): time from spawn to ready
 * (/readyz 200, after its first successful pass over examples/basic) and RSS once idle, with the
 * sandbox in its own process, and as `npm start` runs it (the sandbox in-process). Then the time
 * from a file written in the desired-state directory to the change in the organization (watch,
 * 1 s debounce, 20 ms latency).
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemonProcess } from '../lib/daemon-process.js';
import type { SandboxReady } from '../lib/org-fixture.js';
import { baseEnv, forkRpc, REPO, runNode, CLI } from '../lib/proc.js';
import { type BenchScenario, type Target, target } from '../lib/report.js';
import { fmtMiB, fmtTime, interleave, summarize } from '../lib/stats.js';

const IDLE_MS = 3000;
const LATENCY_MS = 20;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function settings(desired: string, scaleway: string): string {
  return `apiVersion: scw-gitops/v1alpha1
kind: Settings
instance: bench
source:
  dir: ${desired}
scaleway:
${scaleway}
sinks:
  - name: local
    type: file
    dir: secrets
    format: dotenv
defaults:
  sink: local
prune: { Project: true, Application: true, Group: true, Policy: true, ApiKey: true }
log:
  level: info
  pretty: false
`;
}

export const scenario: BenchScenario = {
  name: 'daemon',
  description:
    'run: time to ready and idle RSS (sandbox in its own process, and npm start); file change → applied',
  async run(ctx) {
    const base = await mkdtemp(join(tmpdir(), 'bench-daemon-'));
    const sandbox = await forkRpc<SandboxReady>('bench/servers/sandbox-server.ts');
    try {
      await sandbox.call('faults', {});
      const desired = join(base, 'desired');
      await cp(join(REPO, 'examples/basic'), desired, { recursive: true });
      const external = join(base, 'external.yaml');
      await writeFile(
        external,
        settings(
          desired,
          `  apiUrl: ${sandbox.ready.url}\n  organizationId: ${sandbox.ready.organizationId}`,
        ),
      );
      const env = baseEnv({
        SCW_ACCESS_KEY: sandbox.ready.adminAccessKey,
        SCW_SECRET_KEY: sandbox.ready.adminSecretKey,
        SCW_DEFAULT_ORGANIZATION_ID: sandbox.ready.organizationId,
      });
      // converge once, so every measured start-up is the same no-op pass
      const r = await runNode([CLI, 'reconcile', '--config', external], { env, cwd: base });
      if (r.code !== 0) throw new Error(`reconcile exited ${r.code}: ${r.stderr}`);
      const inProcess = join(base, 'npm-start.yaml');
      await writeFile(
        inProcess,
        settings(desired, '  sandbox:\n    enabled: true\n    port: 0\n    stateFile: .sandbox/state.json'),
      );
      const startOnce = async (file: string) => {
        const d = await startDaemonProcess(file, env, base);
        try {
          await sleep(IDLE_MS);
          return { readyMs: d.readyMs, rssBytes: await d.rssBytes() };
        } finally {
          await d.stop();
        }
      };
      const samples = await interleave(
        ctx.rounds,
        [
          { name: 'external', run: () => startOnce(external) },
          { name: 'npm-start', run: () => startOnce(inProcess) },
        ],
        (name, round, s) =>
          ctx.log(
            `daemon ${name} round ${round}: ready ${s.readyMs.toFixed(0)} ms, RSS ${(s.rssBytes / 2 ** 20).toFixed(0)} MiB`,
          ),
      );

      // file change → applied
      await sandbox.call('faults', { latencyMs: LATENCY_MS });
      const d = await startDaemonProcess(external, env, base);
      const changes: number[] = [];
      try {
        await sleep(1500);
        for (let i = 0; i < Math.max(3, ctx.rounds); i++) {
          const name = `probe-${i}`;
          const t0 = performance.now();
          await writeFile(
            join(desired, `${name}.yaml`),
            `apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n  description: latency probe\n`,
          );
          while (!(await sandbox.call<boolean>('hasApplication', { name }))) {
            if (performance.now() - t0 > 60_000) throw new Error('the daemon did not apply the change');
            await sleep(5);
          }
          changes.push(performance.now() - t0);
          await sleep(1500); // the pass ends before the next change
        }
      } finally {
        await d.stop();
      }

      const rows = (['external', 'npm-start'] as const).map((k) => {
        const xs = samples.get(k)!;
        return [
          k === 'external'
            ? '`run`, sandbox in its own process'
            : '`run` as `npm start` runs it (sandbox in-process)',
          fmtTime(summarize(xs.map((x) => x.readyMs))),
          fmtMiB(summarize(xs.map((x) => x.rssBytes))),
        ];
      });
      const ext = samples.get('external')!;
      const ready = summarize(ext.map((x) => x.readyMs));
      const rss = summarize(ext.map((x) => x.rssBytes));
      const change = summarize(changes);
      const targets: Target[] = [
        target('`run` time to ready', ready.median, 500, 'ms', fmtTime(ready)),
        target('`run` idle RSS', rss.median / 2 ** 20, 90, 'MiB', fmtMiB(rss)),
      ];
      return {
        tables: [
          {
            title: 'Daemon start-up (examples/basic, converged)',
            columns: ['daemon', 'time to ready', `RSS after ${IDLE_MS / 1000} s idle`],
            rows,
            notes: [
              `the built CLI, a fresh process per round: spawn to the first 200 of /readyz (after its first successful pass; 0 ms latency); median (min–max) of ${ctx.rounds} interleaved rounds`,
            ],
          },
          {
            title: 'Daemon: file change → applied',
            columns: ['measurement', 'time'],
            rows: [
              ['a new Application file → the application exists (1 s debounce included)', fmtTime(change)],
            ],
            notes: [
              `${changes.length} changes in one daemon process, ${LATENCY_MS} ms latency; ${(change.median - 1000).toFixed(0)} ms after the debounce`,
            ],
          },
        ],
        targets,
        raw: { startup: Object.fromEntries(samples), changes },
      };
    } finally {
      await sandbox.close();
      await rm(base, { recursive: true, force: true });
    }
  },
};
