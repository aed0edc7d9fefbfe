/**
 * Start-up of one-shot commands, each run a fresh process of the built CLI, from spawn to exit,
 * against `node -e 0` in the same rounds: `--help`, `validate examples/basic`, and
 * `plan examples/basic` against the sandbox (its own process, no latency, the examples not
 * applied: the full create plan, exit 2).
 *
 * Then the HTTP client options for the fetch-parser question (docs/design/performance.md): one
 * GET to the mock server and exit, with the global fetch (as is, with a V8 flag set at the entry
 * point), node:http, and ky over node:http (what the transport does).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxReady } from '../lib/org-fixture.js';
import { baseEnv, CLI, forkRpc, REPO, runNode } from '../lib/proc.js';
import { type BenchScenario, type Table, type Target, target } from '../lib/report.js';
import { fmtMiB, fmtTime, interleave, summarize } from '../lib/stats.js';

interface Sample {
  wallMs: number;
  cpuMs: number;
  maxRssBytes: number;
  code: number | null;
}

const MOCK_TOKEN = '11111111-2222-4333-8444-555555555555';

export const scenario: BenchScenario = {
  name: 'startup',
  description: 'one-shot command start-up (spawn to exit) against node -e 0; HTTP client options',
  async run(ctx) {
    const examples = join(REPO, 'examples/basic');
    const base = await mkdtemp(join(tmpdir(), 'bench-startup-'));
    const sandbox = await forkRpc<SandboxReady>('bench/servers/sandbox-server.ts');
    const mock = await forkRpc<SandboxReady>('bench/servers/mock-iam.ts', [
      '--applications',
      '10',
      '--token',
      MOCK_TOKEN,
    ]);
    try {
      await sandbox.call('faults', {});
      const env = baseEnv({
        SCW_ACCESS_KEY: sandbox.ready.adminAccessKey,
        SCW_SECRET_KEY: sandbox.ready.adminSecretKey,
        SCW_DEFAULT_ORGANIZATION_ID: sandbox.ready.organizationId,
        SCW_API_URL: sandbox.ready.url,
        SCW_GITOPS_CACHE_DIR: join(base, 'cache'),
      });
      const node = (label: string, args: string[], e: Record<string, string> = env) => ({
        name: label,
        run: async (): Promise<Sample> => {
          const r = await runNode(args, { env: e, cwd: base, usage: true });
          return { wallMs: r.wallMs, cpuMs: r.usage!.cpuMs, maxRssBytes: r.usage!.maxRssBytes, code: r.code };
        },
      });
      const http = join(REPO, 'bench/children/http-startup.mjs');
      const mockEnv = baseEnv({ BENCH_TOKEN: MOCK_TOKEN });
      const commands = [
        node('`node -e 0`', ['-e', '0']),
        node('`scw-gitops --help`', [CLI, '--help']),
        node('`scw-gitops validate examples/basic`', [CLI, 'validate', examples]),
        node('`scw-gitops plan examples/basic`', [CLI, 'plan', examples]),
      ];
      const clients = [
        node('global fetch', [http, 'fetch', mock.ready.url], mockEnv),
        node(
          'global fetch, `--no-wasm-tier-up` at the entry point',
          [http, 'fetch-no-tier-up', mock.ready.url],
          mockEnv,
        ),
        node(
          'global fetch, `--liftoff-only` at the entry point',
          [http, 'fetch-liftoff-only', mock.ready.url],
          mockEnv,
        ),
        node('node:http, keep-alive agent', [http, 'node-http', mock.ready.url], mockEnv),
        node('ky over node:http (the transport)', [http, 'ky-node-http', mock.ready.url], mockEnv),
      ];
      const samples = await interleave(ctx.rounds, [...commands, ...clients], (name, round, s) =>
        ctx.log(`startup ${name} round ${round}: ${s.wallMs.toFixed(0)} ms (exit ${s.code})`),
      );
      const baseline = summarize(samples.get('`node -e 0`')!.map((s) => s.wallMs));
      const table = (title: string, variants: typeof commands, notes: string[]): Table => ({
        title,
        columns: ['run', 'wall', 'vs `node -e 0`', 'CPU', 'max RSS', 'exit'],
        rows: variants.map((v) => {
          const xs = samples.get(v.name)!;
          const wall = summarize(xs.map((x) => x.wallMs));
          return [
            v.name,
            fmtTime(wall),
            v.name === '`node -e 0`' ? '1.0x' : `${(wall.median / baseline.median).toFixed(1)}x`,
            fmtTime(summarize(xs.map((x) => x.cpuMs))),
            fmtMiB(summarize(xs.map((x) => x.maxRssBytes))),
            [...new Set(xs.map((x) => String(x.code)))].join(', '),
          ];
        }),
        notes,
      });
      const plan = summarize(samples.get('`scw-gitops plan examples/basic`')!.map((s) => s.wallMs));
      const targets: Target[] = [target('`plan examples/basic`', plan.median, 400, 'ms', fmtTime(plan))];
      return {
        tables: [
          table('Start-up of one-shot commands', commands, [
            `a fresh process each, spawn to exit; median (min–max) of ${ctx.rounds} interleaved rounds; plan: 0 ms latency, exit 2 (changes pending)`,
          ]),
          table('HTTP client start-up: one GET, then exit', clients, [
            'the choice behind the Scaleway transport (src/scaleway/node-http-fetch.ts); same rounds as above',
          ]),
        ],
        targets,
        raw: Object.fromEntries(samples),
      };
    } finally {
      await sandbox.close();
      await mock.close();
      await rm(base, { recursive: true, force: true });
    }
  },
};
