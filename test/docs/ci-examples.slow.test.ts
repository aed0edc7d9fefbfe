/**
 * The CI examples (examples/ci), run as written.
 *
 * Statically: they parse, they install scw-gitops only from the config repository's lockfile
 * (`npm ci`, version and integrity pinned; never `npx` of a name), every scw-gitops command line
 * is accepted by the real parser, and their settings file loads.
 *
 * For real: a scratch config repository per pipeline, pinned like examples/ci/README.md says
 * before publication (`npm install --save-exact` of a release tarball: package.json plus a
 * lockfile with its integrity). The tarball is a stand-in of the published package whose bin
 * runs this repository's CLI (transpiled like `npm start` does). Each pipeline's own install step (`npm ci`) installs it; then its
 * plan script runs against the sandbox, and its comment script posts to a fake GitHub (Octokit)
 * or GitLab (notes API on loopback). Four outcomes, each with a comment: changes pending,
 * invalid YAML, a refused plan (mass delete) and an API outage (every request a 5xx).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run as reconcile } from '../../src/cli/commands/reconcile.js';
import { main } from '../../src/cli/main.js';
import { commandOptions } from '../../src/cli/options.js';
import { loadSettings } from '../../src/config/load-settings.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { captureIO, sandboxSettingsYaml } from '../helpers/sandbox-cli.js';

const repo = resolve(import.meta.dirname, '../..');
const read = (f: string) => readFile(join(repo, 'examples/ci', f), 'utf8');
const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string };

interface GhStep {
  name?: string;
  id?: string;
  if?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number>;
}
interface GhWorkflow {
  on: Record<string, { paths: string[] }>;
  env: Record<string, string>;
  jobs: Record<string, { if: string; steps: GhStep[]; permissions?: Record<string, string> }>;
}
interface GlJob {
  extends?: string;
  script: string[];
  before_script?: string[];
  rules: { if: string; changes?: string[] }[];
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

const BIN = './node_modules/.bin/scw-gitops';

/** Every `./node_modules/.bin/scw-gitops <args>` invocation in a script, split on blanks. */
function invocations(script: string): string[][] {
  const out: string[][] = [];
  for (const line of script.split('\n')) {
    const words = line.trim().split(/\s+/);
    const at = words.indexOf(BIN);
    if (at >= 0) out.push(words.slice(at + 1));
  }
  return out;
}

const ghJobScripts = (job: string) => gh.jobs[job]!.steps.flatMap((s) => (s.run ? [s.run] : []));
const glJob = (name: string): GlJob => ({ ...gl['.scw-gitops'], ...gl[name]! }) as GlJob;
const glJobScripts = (name: string) => [...(glJob(name).before_script ?? []), ...glJob(name).script];
const allScripts = () => [
  ...Object.keys(gh.jobs).flatMap(ghJobScripts),
  ...['scw-gitops:plan', 'scw-gitops:apply'].flatMap(glJobScripts),
];

describe('CI examples: install and commands', () => {
  it('never run npx, npm exec, dlx or an unpinned install: only npm ci from the lockfile', () => {
    const text = allScripts().join('\n');
    expect(text).not.toMatch(/\bnpx\b/);
    expect(text).not.toMatch(/\bnpm (exec|install|i|x)\b/);
    expect(text).not.toMatch(/\b(pnpm|yarn) dlx\b/);
    expect(text).not.toMatch(/scw-gitops@/);
    for (const job of Object.keys(gh.jobs)) {
      const steps = gh.jobs[job]!.steps;
      const install = steps.findIndex((s) => s.run?.startsWith('npm ci '));
      const firstUse = steps.findIndex((s) => s.run?.includes(BIN));
      expect({ job, install: install >= 0, before: install < firstUse }).toEqual({
        job,
        install: true,
        before: true,
      });
      const setup = steps.find((s) => s.uses?.startsWith('actions/setup-node'))!;
      expect(setup.with?.['cache']).toBe('npm'); // keyed by package-lock.json
    }
    for (const name of ['scw-gitops:plan', 'scw-gitops:apply']) {
      expect(gl[name]!.extends).toBe('.scw-gitops');
      expect(glJob(name).before_script!.some((s) => s.startsWith('npm ci '))).toBe(true);
    }
    // A changed pin (package.json / package-lock.json) runs the pipelines.
    expect(gh.on['pull_request']!.paths).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json']),
    );
    expect(gl['scw-gitops:plan']!.rules[0]!.changes).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json']),
    );
  });

  it('pin scw-gitops to one exact version in the example package.json', async () => {
    const pkg = JSON.parse(await read('package.json')) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies).toEqual({ 'scw-gitops': version });
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('run a markdown dry-run plan on reviews and an apply on the main branch, in both files', () => {
    const cmds = (scripts: string[]) => scripts.flatMap(invocations).map((argv) => argv.join(' '));
    const expected = [
      'reconcile iam/ --config scw-gitops.yaml --dry-run --output markdown --out plan.md',
      'reconcile iam/ --config scw-gitops.yaml',
    ];
    expect(cmds([...ghJobScripts('plan'), ...ghJobScripts('apply')])).toEqual(expected);
    expect(cmds([...glJobScripts('scw-gitops:plan'), ...glJobScripts('scw-gitops:apply')])).toEqual(expected);
  });

  it('use only options the real parsers accept', async () => {
    const argvs = allScripts().flatMap(invocations);
    expect(argvs.length).toBe(4);
    for (const argv of argvs) {
      const t = captureIO({ env: {}, cwd: tmp });
      const table = commandOptions(argv[0]!).options;
      for (const flag of argv.filter((w) => w.startsWith('--'))) {
        expect(table.map((o) => `--${o.flag}`)).toContain(flag);
      }
      // Flags are parsed strictly before --help is looked at: exit 0 means every option exists.
      const code = await main([...argv, '--help'], t.io);
      expect({ argv, code, err: t.err() }).toEqual({ argv, code: 0, err: '' });
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

  it('plan on reviews, apply on the main branch, with the Scaleway secrets', () => {
    expect(Object.keys(gh.on).sort()).toEqual(['pull_request', 'push']);
    expect(gh.jobs['plan']!.if).toBe("github.event_name == 'pull_request'");
    expect(gh.jobs['apply']!.if).toBe("github.event_name == 'push'");
    expect(gh.jobs['plan']!.permissions).toMatchObject({ 'pull-requests': 'write' });
    for (const v of ['SCW_ACCESS_KEY', 'SCW_SECRET_KEY', 'SCW_DEFAULT_ORGANIZATION_ID']) {
      expect(gh.env[v]).toBe(`\${{ secrets.${v} }}`);
    }
    const steps = gh.jobs['plan']!.steps;
    expect(steps.find((s) => s.uses?.startsWith('actions/github-script'))!.if).toBe(
      "always() && steps.plan.outputs.exit-code != ''",
    );
    expect(steps.at(-1)!).toMatchObject({
      if: "steps.plan.outputs.exit-code != '0' && steps.plan.outputs.exit-code != '2'",
      run: 'exit 1',
    });
    expect(gl['scw-gitops:plan']!.rules[0]!.if).toBe('$CI_PIPELINE_SOURCE == "merge_request_event"');
    expect(gl['scw-gitops:apply']!.rules[0]!.if).toBe(
      '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"',
    );
    expect(gl['scw-gitops:plan']!.artifacts!.paths).toEqual(['plan.md']);
  });
});

// ---------------------------------------------------------------- running the pipelines

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sh(script: string, cwd: string, env: Record<string, string>): Promise<Run> {
  return new Promise((res) => {
    execFile(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script],
      { cwd, env, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (err as { code?: number | string }).code : 0;
        res({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

let sandbox: SandboxHandle;
let ghJob: string;
let glJobDir: string;
let baseEnv: Record<string, string>;

/**
 * This repository's CLI, transpiled like `npm start` does (scripts/build-fast.mjs) into a
 * scratch directory that resolves the repository's node_modules: starts in a fraction of the
 * time `tsx` needs to compile the sources at every run.
 */
async function scratchCli(): Promise<string> {
  const dir = join(tmp, 'cli');
  await mkdir(dir);
  const built = await sh(`node ${join(repo, 'scripts/build-fast.mjs')} --out-dir dist`, dir, baseEnv);
  expect(built.code, built.stderr).toBe(0);
  await cp(join(repo, 'package.json'), join(dir, 'package.json'));
  await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return join(dir, 'dist/cli/main.js');
}

/** A package named scw-gitops, at this version, whose bin runs this repository's CLI. */
async function standInTarball(): Promise<string> {
  const dir = join(tmp, 'stand-in');
  await mkdir(dir);
  const cli = await scratchCli();
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'scw-gitops', version, type: 'module', bin: { 'scw-gitops': 'bin.js' } }),
  );
  await writeFile(
    join(dir, 'bin.js'),
    `#!/usr/bin/env node
// Stand-in for the published scw-gitops (test/docs/ci-examples.slow.test.ts): this repository's CLI,
// run in this process as its entry point (it checks process.argv[1]).
process.argv[1] = ${JSON.stringify(cli)};
await import(${JSON.stringify(pathToFileURL(cli).href)});
`,
  );
  const packed = await sh('npm pack --silent --ignore-scripts', dir, baseEnv);
  expect(packed.code, packed.stderr).toBe(0);
  return join(dir, packed.stdout.trim().split('\n').at(-1)!);
}

/**
 * A config repository as examples/ci/README.md has it pinned before publication: the example
 * package.json, then `npm install --save-exact` of the tarball (package.json + lockfile).
 */
async function pinnedRepo(tarball: string): Promise<string> {
  const dir = join(tmp, 'pinned');
  await mkdir(join(dir, 'vendor'), { recursive: true });
  await cp(join(repo, 'examples/ci/package.json'), join(dir, 'package.json'));
  await cp(tarball, join(dir, 'vendor', `scw-gitops-${version}.tgz`));
  const pinned = await sh(
    `npm install --save-dev --save-exact ./vendor/scw-gitops-${version}.tgz --ignore-scripts --no-audit --no-fund`,
    dir,
    baseEnv,
  );
  expect(pinned.code, pinned.stderr).toBe(0);
  const lock = JSON.parse(await readFile(join(dir, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; integrity?: string }>;
  };
  expect(lock.packages['node_modules/scw-gitops']).toMatchObject({
    version,
    integrity: expect.stringMatching(/^sha512-/),
  });
  await rm(join(dir, 'node_modules'), { recursive: true, force: true });
  return dir;
}

/** A fresh checkout of the pinned config repository, with the pipeline's install step run. */
async function checkout(pinned: string, name: string, install: string): Promise<string> {
  const dir = join(tmp, name);
  await cp(pinned, dir, { recursive: true });
  const r = await sh(install, dir, baseEnv);
  expect(r.code, r.stderr).toBe(0);
  expect(existsSync(join(dir, BIN))).toBe(true);
  return dir;
}

// The GitLab notes API of merge request `iid` in project 42, on loopback.
const notes = new Map<string, { id: number; body: string }[]>();
const noteRequests: string[] = [];
let gitlab: Server;
let gitlabUrl: string;

function startGitlab(): Promise<void> {
  gitlab = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      noteRequests.push(`${req.method} ${req.url} ${req.headers['private-token']}`);
      const m = /^\/api\/v4\/projects\/42\/merge_requests\/(\d+)\/notes(?:\/(\d+))?(\?.*)?$/.exec(
        req.url ?? '',
      );
      if (!m) {
        res.statusCode = 404;
        res.end('{}');
        return;
      }
      const list = notes.get(m[1]!) ?? [];
      notes.set(m[1]!, list);
      if (req.method === 'GET' && m[2] === undefined) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(list));
      } else if (req.method === 'POST' && m[2] === undefined) {
        list.push({ id: 100 + list.length, body: (JSON.parse(body) as { body: string }).body });
        res.statusCode = 201;
        res.end('{}');
      } else if (req.method === 'PUT' && m[2] !== undefined) {
        list.find((n) => n.id === Number(m[2]))!.body = (JSON.parse(body) as { body: string }).body;
        res.end('{}');
      } else {
        res.statusCode = 405;
        res.end('{}');
      }
    });
  });
  return new Promise((r) =>
    gitlab.listen(0, '127.0.0.1', () => {
      gitlabUrl = `http://127.0.0.1:${(gitlab.address() as AddressInfo).port}/api/v4`;
      r();
    }),
  );
}

/** GitHub: the plan step, then the comment script (actions/github-script) with a fake Octokit. */
async function githubPlan(pr: number, comments: { id: number; body: string; user: { type: string } }[]) {
  const steps = gh.jobs['plan']!.steps;
  const output = join(tmp, `github-output-${pr}`);
  await writeFile(output, '');
  const plan = await sh(steps.find((s) => s.id === 'plan')!.run!, ghJob, {
    ...baseEnv,
    GITHUB_OUTPUT: output,
  });
  const outputs = Object.fromEntries(
    (await readFile(output, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('=') as [string, string]),
  );
  const github = {
    paginate: async (fn: (a: unknown) => Promise<unknown>, args: unknown) => fn(args),
    rest: {
      issues: {
        listComments: async () => comments,
        createComment: async (a: { issue_number: number; body: string }) => {
          expect(a.issue_number).toBe(pr);
          comments.push({ id: comments.length + 1, body: a.body, user: { type: 'Bot' } });
        },
        updateComment: async (a: { comment_id: number; body: string }) => {
          comments.find((c) => c.id === a.comment_id)!.body = a.body;
        },
      },
    },
  };
  // The script reads plan.md relative to the workspace, like the runner's working directory.
  const inWorkspace = (p: string) => (isAbsolute(p) ? p : join(ghJob, p));
  const fsInWorkspace = {
    existsSync: (p: string) => existsSync(inWorkspace(p)),
    readFileSync: (p: string, enc: BufferEncoding) => readFileSync(inWorkspace(p), enc),
  };
  const comment = steps.find((s) => s.uses?.startsWith('actions/github-script'))!;
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<void>;
  const script = new AsyncFunction(
    'require',
    'github',
    'context',
    'process',
    String(comment.with!['script']),
  );
  const require = (m: string) => {
    if (m !== 'node:fs') throw new Error(`unexpected require ${m}`);
    return fsInWorkspace;
  };
  await script(
    require,
    github,
    { repo: { owner: 'acme', repo: 'iam' }, issue: { number: pr } },
    {
      env: { EXIT_CODE: outputs['exit-code'] },
    },
  );
  return { plan, outputs, failsJob: !['0', '2'].includes(outputs['exit-code'] ?? '') };
}

/** GitLab: the plan job's script (its install ran in before_script), posting to the fake notes API. */
async function gitlabPlan(iid: number): Promise<Run> {
  const script = gl['scw-gitops:plan']!.script.join('\n');
  return sh(script, glJobDir, {
    ...baseEnv,
    CI_API_V4_URL: gitlabUrl,
    CI_PROJECT_ID: '42',
    CI_MERGE_REQUEST_IID: String(iid),
    GITLAB_API_TOKEN: 'glpat-test',
  });
}

/** Writes the desired state and the settings of a scenario into both checkouts. */
async function configRepo(iam: Record<string, string> | 'examples'): Promise<void> {
  for (const dir of [ghJob, glJobDir]) {
    await rm(join(dir, 'iam'), { recursive: true, force: true });
    if (iam === 'examples') await cp(join(repo, 'examples/basic'), join(dir, 'iam'), { recursive: true });
    else {
      for (const [file, text] of Object.entries(iam)) {
        await mkdir(dirname(join(dir, 'iam', file)), { recursive: true });
        await writeFile(join(dir, 'iam', file), text);
      }
    }
    await writeFile(join(dir, 'scw-gitops.yaml'), settingsYaml());
  }
}

/** CI settings against the sandbox; `retries: 0` so the outage is reported at once, not in ~30 s. */
function settingsYaml(): string {
  return sandboxSettingsYaml(sandbox, {
    sourceDir: 'iam',
    sinkDir: 'secrets',
    instance: 'ci',
    prune: true,
    retries: 0,
  });
}

describe('the pipelines, run', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    sandbox = await startSandbox({ env: {}, randomSeed: 19 });
    baseEnv = {
      PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
      HOME: tmp,
      npm_config_cache: join(tmp, 'npm-cache'),
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
      SCW_ACCESS_KEY: sandbox.adminAccessKey,
      SCW_SECRET_KEY: sandbox.adminSecretKey,
      SCW_DEFAULT_ORGANIZATION_ID: sandbox.organizationId,
      SCW_CONFIG_PATH: join(tmp, 'no-scw-config.yaml'),
      NO_COLOR: '1',
    };
    const pinned = await pinnedRepo(await standInTarball());
    ghJob = await checkout(
      pinned,
      'github',
      gh.jobs['plan']!.steps.find((s) => s.run?.startsWith('npm ci '))!.run!,
    );
    glJobDir = await checkout(pinned, 'gitlab', glJob('scw-gitops:plan').before_script!.join('\n'));
    await startGitlab();
  }, 120_000);
  afterAll(async () => {
    await sandbox?.close();
    await new Promise<void>((r) => (gitlab ? gitlab.close(() => r()) : r()));
  });

  const MARKER = '<!-- scw-gitops-plan -->';

  describe('changes pending (exit 2)', () => {
    beforeAll(() => configRepo('examples'));

    it('GitHub: a success, the plan as the comment', async () => {
      const comments: { id: number; body: string; user: { type: string } }[] = [];
      const r = await githubPlan(1, comments);
      expect(r.plan.code, r.plan.stderr).toBe(0);
      expect(r.outputs).toEqual({ 'exit-code': '2', changes: 'true' });
      expect(r.failsJob).toBe(false);
      expect(comments).toHaveLength(1);
      expect(comments[0]!.body).toMatch(new RegExp(`^${MARKER}\\n### scw-gitops plan\\n`));
      expect(comments[0]!.body).toContain(
        'Changes pending: they are applied when this pull request is merged.',
      );
    });

    it('GitLab: a success, the plan as the note; the next run updates it', async () => {
      const r = await gitlabPlan(1);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('posted the plan note on !1');
      const again = await gitlabPlan(1);
      expect(again.stdout).toContain('updated the plan note on !1');
      expect(notes.get('1')).toHaveLength(1);
      expect(notes.get('1')![0]!.body).toMatch(new RegExp(`^${MARKER}\\n### scw-gitops plan\\n`));
      expect(noteRequests.every((l) => l.endsWith(' glpat-test'))).toBe(true);
    });

    it('GitLab without GITLAB_API_TOKEN: plans, keeps the exit code, posts nothing', async () => {
      const script = gl['scw-gitops:plan']!.script.join('\n');
      const r = await sh(script, glJobDir, baseEnv);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('GITLAB_API_TOKEN is not set');
    });
  });

  describe('invalid YAML (exit 1)', () => {
    beforeAll(() =>
      configRepo({
        'apps/web.yaml':
          'apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: "web app!"\n',
      }),
    );

    const expectReport = (body: string) => {
      expect(body).toContain('### scw-gitops reconcile --dry-run failed');
      expect(body).toContain('**The desired state in iam is invalid (1 error).**');
      expect(body).toMatch(/`iam\/apps\/web\.yaml:4:9` `Application\/web app! metadata\.name`/);
      expect(body).toContain('The plan failed (exit 1)');
    };

    it('GitHub: the diagnostics as the comment, then the job fails', async () => {
      const comments: { id: number; body: string; user: { type: string } }[] = [];
      const r = await githubPlan(2, comments);
      expect(r.outputs).toEqual({ 'exit-code': '1' });
      expect(r.plan.stdout).toContain('::error::');
      expect(r.failsJob).toBe(true);
      expect(comments).toHaveLength(1);
      expectReport(comments[0]!.body);
    });

    it('GitLab: the diagnostics as the note, then the job fails', async () => {
      const r = await gitlabPlan(2);
      expect(r.code).toBe(1);
      expect(notes.get('2')).toHaveLength(1);
      expectReport(notes.get('2')![0]!.body);
    });
  });

  describe('a refused plan (mass delete, exit 1)', () => {
    beforeAll(async () => {
      // The organization holds what examples/basic declares, owned by instance ci...
      await configRepo('examples');
      const t = captureIO({ env: baseEnv, cwd: ghJob });
      expect(await reconcile(['--config', 'scw-gitops.yaml'], t.io, { homeDir: tmp }), t.err()).toBe(0);
      // ...and the pull request keeps one project of it.
      await configRepo({
        'projects.yaml':
          'apiVersion: scw-gitops/v1alpha1\nkind: Project\nmetadata:\n  name: web-platform\nspec:\n  description: Web platform\n',
      });
    });

    const expectReport = (body: string) => {
      expect(body).toContain('### scw-gitops reconcile --dry-run failed');
      expect(body).toContain('**The plan was refused (1 error).**');
      expect(body).toMatch(/\[`mass-delete`\]/);
      expect(body).toContain('The plan failed (exit 1)');
    };

    it('GitHub: the refusal as the comment, then the job fails', async () => {
      const comments: { id: number; body: string; user: { type: string } }[] = [];
      const r = await githubPlan(3, comments);
      expect(r.outputs).toEqual({ 'exit-code': '1' });
      expect(r.failsJob).toBe(true);
      expectReport(comments[0]!.body);
    });

    it('GitLab: the refusal as the note, then the job fails', async () => {
      const r = await gitlabPlan(3);
      expect(r.code).toBe(1);
      expectReport(notes.get('3')![0]!.body);
    });
  });

  describe('an API outage (exit 1)', () => {
    beforeAll(async () => {
      await configRepo('examples');
      sandbox.faults.adjust({ rate5xx: 1 });
    });
    afterAll(() => {
      sandbox.faults.adjust({ rate5xx: undefined });
    });

    const expectReport = (body: string) => {
      expect(body).toContain('### scw-gitops reconcile --dry-run failed');
      expect(body).toMatch(/\*\*Listing the organization failed: .*HTTP 5\d\d/);
      expect(body).toContain('This is not a problem of the desired state: run the job again.');
      expect(body).toContain('The plan failed (exit 1)');
    };

    it('GitHub: the error as the comment, then the job fails', async () => {
      const comments: { id: number; body: string; user: { type: string } }[] = [];
      const r = await githubPlan(4, comments);
      expect(r.outputs).toEqual({ 'exit-code': '1' });
      expect(r.failsJob).toBe(true);
      expectReport(comments[0]!.body);
    });

    it('GitLab: the error as the note, then the job fails', async () => {
      const r = await gitlabPlan(4);
      expect(r.code).toBe(1);
      expectReport(notes.get('4')![0]!.body);
    });
  });
});

describe('GitHub comment script', () => {
  it('keeps one sticky comment: creates it, then updates it (other comments untouched)', async () => {
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
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...a: unknown[]) => Promise<void>;
    const script = new AsyncFunction('require', 'github', 'context', 'process', String(step.with!['script']));
    const fakeRequire = () => ({ existsSync: () => false, readFileSync: () => '' });
    await script(fakeRequire, github, context, { env: { EXIT_CODE: '2' } });
    await script(fakeRequire, github, context, { env: { EXIT_CODE: '1' } });
    expect(calls).toEqual(['create', 'update 2']);
    expect(comments[0]!.body).toBe('LGTM');
    expect(comments[1]!.body).toMatch(
      /^<!-- scw-gitops-plan -->\n_scw-gitops wrote no report; see the job log._\n\n\*\*The plan failed \(exit 1\)/,
    );
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
      const key = String(cache?.with?.['key']);
      expect(key).toContain(['${{', 'github.run_id', '}}'].join(' '));
      expect(key.startsWith(String(cache?.with?.['restore-keys']))).toBe(true);
    }
    const caches = (gl['.scw-gitops'] as unknown as { cache: Array<{ key: unknown; paths: string[] }> })
      .cache;
    expect(caches.find((c) => c.key === 'scw-gitops-rules')?.paths).toEqual([`${name}/`]);
  });
});
