/**
 * The CI examples (examples/ci): they parse, every scw-gitops command in them is accepted by the
 * real command-line parser, their settings file loads, and their exit-code handling and
 * sticky-comment logic do what the comments say: the scripts are run with a fake `npx` (exit
 * 0, 2 or 1), the GitHub comment script against a fake Octokit, the GitLab note script against a
 * local fake of the GitLab notes API.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { commandOptions } from '../../src/cli/options.js';
import { loadSettings } from '../../src/config/load-settings.js';

const repo = resolve(import.meta.dirname, '../..');
const read = (f: string) => readFile(join(repo, 'examples/ci', f), 'utf8');

interface GhStep {
  name?: string;
  id?: string;
  if?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
interface GhWorkflow {
  on: Record<string, unknown>;
  env: Record<string, string>;
  jobs: Record<string, { if: string; steps: GhStep[]; permissions?: Record<string, string> }>;
}
interface GlJob {
  script: string[];
  rules: { if: string }[];
  artifacts?: { paths: string[] };
}

let tmp: string;
let gh: GhWorkflow;
let gl: Record<string, GlJob>;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'scw-gitops-ci-'));
  gh = parse(await read('github-actions.yml')) as GhWorkflow;
  gl = parse(await read('gitlab-ci.yml')) as Record<string, GlJob>;
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Every `npx … scw-gitops@… <args>` invocation in a script, split like a shell would (simple quoting). */
function invocations(script: string): string[][] {
  const out: string[][] = [];
  for (const line of script.split('\n')) {
    const m = /npx --yes "scw-gitops@\$\{SCW_GITOPS_VERSION\}" (.*)$/.exec(line.trim());
    if (!m) continue;
    out.push(m[1]!.split(/\s+/).map((w) => w.replace(/^"|"$/g, '')));
  }
  return out;
}

function allScripts(): string[] {
  const ghScripts = Object.values(gh.jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ? [s.run] : [])));
  const glScripts = Object.values(gl).flatMap((j) => (j && Array.isArray(j.script) ? j.script : []));
  return [...ghScripts, ...glScripts];
}

describe('CI examples: commands', () => {
  it('run validate, a markdown dry-run plan and an apply, in both files', () => {
    for (const file of [gh, gl]) {
      const cmds = (
        file === gh
          ? Object.values(gh.jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ? invocations(s.run) : [])))
          : Object.values(gl).flatMap((j) =>
              j && Array.isArray(j.script) ? j.script.flatMap(invocations) : [],
            )
      ).map((argv) => argv.join(' '));
      expect(cmds).toEqual([
        'validate iam/ --config scw-gitops.yaml',
        'reconcile iam/ --config scw-gitops.yaml --dry-run --output markdown --out plan.md',
        'reconcile iam/ --config scw-gitops.yaml',
      ]);
    }
  });

  it('use only options the real parsers accept', async () => {
    const argvs = allScripts().flatMap(invocations);
    expect(argvs.length).toBe(6);
    for (const argv of argvs) {
      // Every command parses its flags strictly before looking at --help: exit 0 + the help
      // text means every option in the line exists (and nothing touched the network).
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIO = {
        stdout: (t) => out.push(t),
        stderr: (t) => err.push(t),
        env: {},
        cwd: tmp,
        isTTY: false,
        signal: new AbortController().signal,
      };
      // …and against the option table the CLI reference is generated from.
      const table = commandOptions(argv[0]!).options;
      for (const flag of argv.filter((w) => w.startsWith('--'))) {
        expect(table.map((o) => `--${o.flag}`)).toContain(flag);
      }
      const code = await main([...argv, '--help'], io);
      expect({ argv, code, err: err.join('') }).toEqual({ argv, code: 0, err: '' });
      expect(out.join('')).toContain(`Usage: scw-gitops ${argv[0]}`);
    }
  });

  it('ship a settings file that loads', async () => {
    const settings = await loadSettings(join(repo, 'examples/ci/scw-gitops.yaml'), {
      env: { VAULT_TOKEN: 'x' },
      cwd: repo,
    });
    expect(settings.instance).toBe('prod');
    expect(settings.sinks.map((s) => s.name)).toEqual(['vault']);
    expect(settings.source.dir).toBe(join(repo, 'examples/ci/iam'));
  });
});

/** Runs a shell script with a fake `npx` that prints a plan and exits with `code`. */
async function runWithFakeNpx(
  script: string,
  code: number,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; cwd: string }> {
  const cwd = await mkdtemp(join(tmp, 'job-'));
  const bin = join(cwd, 'bin');
  await import('node:fs/promises').then((fs) => fs.mkdir(bin));
  await writeFile(
    join(bin, 'npx'),
    `#!/bin/sh\necho "$@" >> "${join(cwd, 'npx-calls')}"\necho '## scw-gitops plan (fake)' > plan.md\nexit ${code}\n`,
  );
  await chmod(join(bin, 'npx'), 0o755);
  return new Promise((res) => {
    execFile(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script],
      {
        cwd,
        env: {
          PATH: `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`,
          SCW_GITOPS_VERSION: '0.1.0',
          HOME: cwd,
          ...env,
        },
      },
      (err, stdout, stderr) => {
        const exit = err ? ((err as { code?: number }).code ?? 1) : 0;
        res({ code: typeof exit === 'number' ? exit : 1, stdout, stderr, cwd });
      },
    );
  });
}

describe('GitHub Actions example', () => {
  const planStep = () => gh.jobs['plan']!.steps.find((s) => s.id === 'plan')!;

  it('plans on pull requests, applies on pushes to main, with the Scaleway secrets', () => {
    expect(Object.keys(gh.on).sort()).toEqual(['pull_request', 'push']);
    expect(gh.jobs['plan']!.if).toBe("github.event_name == 'pull_request'");
    expect(gh.jobs['apply']!.if).toBe("github.event_name == 'push'");
    expect(gh.jobs['plan']!.permissions).toMatchObject({ 'pull-requests': 'write' });
    for (const v of ['SCW_ACCESS_KEY', 'SCW_SECRET_KEY', 'SCW_DEFAULT_ORGANIZATION_ID']) {
      expect(gh.env[v]).toBe(`\${{ secrets.${v} }}`);
    }
  });

  it.each([
    [0, 'false'],
    [2, 'true'],
  ])('exit %i of the dry run is a success (changes=%s)', async (code, changes) => {
    const out = join(tmp, `gh-output-${code}`);
    await writeFile(out, '');
    const r = await runWithFakeNpx(planStep().run!, code, { GITHUB_OUTPUT: out });
    expect(r.code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe(`exit-code=${code}\nchanges=${changes}\n`);
    expect(await readFile(join(r.cwd, 'plan.md'), 'utf8')).toContain('scw-gitops plan');
  });

  it('exit 1 keeps the step going (so the comment is posted) and fails the job afterwards', async () => {
    const out = join(tmp, 'gh-output-1');
    await writeFile(out, '');
    const r = await runWithFakeNpx(planStep().run!, 1, { GITHUB_OUTPUT: out });
    expect(r.code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe('exit-code=1\n');
    expect(r.stdout).toContain('::error::');
    const steps = gh.jobs['plan']!.steps;
    const comment = steps.find((s) => s.uses?.startsWith('actions/github-script'))!;
    expect(comment.if).toBe("always() && steps.plan.outputs.exit-code != ''");
    const fail = steps.at(-1)!;
    expect(fail.if).toBe("steps.plan.outputs.exit-code != '0' && steps.plan.outputs.exit-code != '2'");
    expect(fail.run).toBe('exit 1');
  });

  it('keeps one sticky comment: creates it, then updates it', async () => {
    const step = gh.jobs['plan']!.steps.find((s) => s.uses?.startsWith('actions/github-script'))!;
    const comments: { id: number; body: string; user: { type: string } }[] = [
      { id: 1, body: 'LGTM', user: { type: 'User' } },
    ];
    const calls: string[] = [];
    const github = {
      paginate: async (fn: (a: unknown) => Promise<unknown>, args: unknown) => fn(args),
      rest: {
        issues: {
          listComments: async () => comments,
          createComment: async (a: { body: string }) => {
            calls.push('create');
            comments.push({ id: comments.length + 1, body: a.body, user: { type: 'Bot' } });
          },
          updateComment: async (a: { comment_id: number; body: string }) => {
            calls.push(`update ${a.comment_id}`);
            comments.find((c) => c.id === a.comment_id)!.body = a.body;
          },
        },
      },
    };
    const context = { repo: { owner: 'acme', repo: 'iam' }, issue: { number: 7 } };
    const cwd = await mkdtemp(join(tmp, 'gh-comment-'));
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...a: unknown[]) => Promise<void>;
    const script = new AsyncFunction('require', 'github', 'context', 'process', step.with!['script']!);
    const fakeRequire = (m: string) => {
      if (m !== 'node:fs') throw new Error(`unexpected require ${m}`);
      return {
        existsSync: (p: string) => p === 'plan.md',
        readFileSync: () => '## Plan: 3 to adopt',
      };
    };
    await script(fakeRequire, github, context, { env: { EXIT_CODE: '2' }, cwd });
    await script(fakeRequire, github, context, { env: { EXIT_CODE: '1' }, cwd });
    expect(calls).toEqual(['create', 'update 2']);
    expect(comments).toHaveLength(2);
    expect(comments[1]!.body).toMatch(
      /^<!-- scw-gitops-plan -->\n## Plan: 3 to adopt\n\n\*\*The plan failed \(exit 1\)/,
    );
  });
});

describe('GitLab CI example', () => {
  let server: Server;
  let url: string;
  const notes: { id: number; body: string }[] = [];
  const requests: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        requests.push(`${req.method} ${req.url} ${req.headers['private-token']}`);
        const base = '/api/v4/projects/42/merge_requests/7/notes';
        if (req.method === 'GET' && req.url?.startsWith(`${base}?`)) {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(notes));
        } else if (req.method === 'POST' && req.url === base) {
          notes.push({ id: 100 + notes.length, body: (JSON.parse(body) as { body: string }).body });
          res.statusCode = 201;
          res.end('{}');
        } else if (req.method === 'PUT' && req.url?.startsWith(`${base}/`)) {
          const id = Number(req.url.slice(base.length + 1));
          notes.find((n) => n.id === id)!.body = (JSON.parse(body) as { body: string }).body;
          res.end('{}');
        } else {
          res.statusCode = 404;
          res.end('{}');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`;
    notes.push({ id: 99, body: 'please review' });
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const planScript = () => gl['scw-gitops:plan']!.script.find((s) => s.includes('--dry-run'))!;
  const env = () => ({
    CI_API_V4_URL: url,
    CI_PROJECT_ID: '42',
    CI_MERGE_REQUEST_IID: '7',
    GITLAB_API_TOKEN: 'glpat-test',
  });

  it('plans on merge requests, applies on the default branch', () => {
    expect(gl['scw-gitops:plan']!.rules[0]!.if).toBe('$CI_PIPELINE_SOURCE == "merge_request_event"');
    expect(gl['scw-gitops:apply']!.rules[0]!.if).toBe(
      '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"',
    );
    expect(gl['scw-gitops:plan']!.artifacts!.paths).toEqual(['plan.md']);
  });

  it('exit 2 succeeds and posts one note; a second run updates it', async () => {
    const first = await runWithFakeNpx(planScript(), 2, env());
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('posted the plan note on !7');
    const second = await runWithFakeNpx(planScript(), 0, env());
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('updated the plan note on !7');
    expect(notes).toHaveLength(2);
    expect(notes[1]!.body).toBe('<!-- scw-gitops-plan -->\n## scw-gitops plan (fake)\n\n\nNo changes.\n');
    expect(requests.every((r) => r.endsWith(' glpat-test'))).toBe(true);
  });

  it('exit 1 posts the failure and fails the job', async () => {
    const r = await runWithFakeNpx(planScript(), 1, env());
    expect(r.code).toBe(1);
    expect(notes[1]!.body).toContain('**The plan failed (exit 1)');
    expect(notes).toHaveLength(2);
  });

  it('without GITLAB_API_TOKEN it still plans and keeps the exit code', async () => {
    const { GITLAB_API_TOKEN: _t, ...rest } = env();
    const r = await runWithFakeNpx(planScript(), 2, rest);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('GITLAB_API_TOKEN is not set');
  });
});

describe('CI examples: the rules cache', () => {
  it('keeps the cache directory the settings file implies, in every job', async () => {
    const settings = await loadSettings(join(repo, 'examples/ci/scw-gitops.yaml'), { env: {}, cwd: repo });
    const cacheDir = settings.cacheDir!;
    expect(dirname(cacheDir)).toBe(join(repo, 'examples/ci'));
    const name = cacheDir.slice(dirname(cacheDir).length + 1); // `.scw-gitops-cache`, beside the settings
    for (const job of Object.values(gh.jobs)) {
      const cache = job.steps.find((s) => s.uses?.startsWith('actions/cache@'));
      expect(cache?.with?.['path']).toBe(name);
      // a fresh key per run (caches are immutable), restored from the latest one
      expect(cache?.with?.['key']).toContain(['${{', 'github.run_id', '}}'].join(' '));
      expect(cache!.with!['key']!.startsWith(cache!.with!['restore-keys']!)).toBe(true);
    }
    const base = gl['.scw-gitops'] as unknown as { cache: { paths: string[] } };
    expect(base.cache.paths).toEqual([`${name}/`]);
  });
});
