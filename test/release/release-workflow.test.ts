/**
 * .github/workflows/release.yml, checked without GitHub: it parses, it runs on version tags only,
 * every action is pinned to a commit, every job has only the permissions it needs, every job
 * output and environment variable it reads is defined, every script, file and npm script it
 * calls exists, every shell step is valid bash, and the release helpers it calls
 * (scripts/release.ts) do their job on this repository. The package's file list is checked by
 * package-files.slow.test.ts (it compiles the sources).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseDocument } from 'yaml';
import {
  CHART_DIR,
  changelogSection,
  pinChartImage,
  readReleaseFiles,
  releaseProblems,
} from '../../scripts/release.js';

const repo = path.resolve(import.meta.dirname, '../..');
const WORKFLOW = '.github/workflows/release.yml';
const source = readFileSync(path.join(repo, WORKFLOW), 'utf8');
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
};

interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string>;
  readonly outputs?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly steps: Step[];
}
interface Workflow {
  readonly on: { push: { tags: string[] } } & Record<string, unknown>;
  readonly permissions: Record<string, string>;
  readonly env: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const workflow = parseYaml(source) as Workflow;
const jobs = Object.entries(workflow.jobs);
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : [job.needs].flat());
const steps = jobs.flatMap(([name, job]) => job.steps.map((step) => ({ job: name, jobDef: job, step })));
const runSteps = steps.filter((s) => s.step.run !== undefined);

describe('release.yml', () => {
  it('parses as YAML without errors or warnings', () => {
    const doc = parseDocument(source);
    expect(doc.errors).toEqual([]);
    expect(doc.warnings).toEqual([]);
    expect(Object.keys(workflow.jobs)).toEqual(['test', 'npm', 'image', 'chart', 'release']);
  });

  it('runs on version tags only, one release at a time per tag', () => {
    expect(Object.keys(workflow.on)).toEqual(['push']);
    expect(Object.keys(workflow.on.push)).toEqual(['tags']);
    // GitHub's tag filters are globs; each accepts v1.2.3 or v1.2.3-rc.1 and nothing else.
    expect(workflow.on.push.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+', 'v[0-9]+.[0-9]+.[0-9]+-*']);
    expect(source).toMatch(
      /^concurrency:\n {2}group: release-\$\{\{ github\.ref \}\}\n {2}cancel-in-progress: false$/m,
    );
  });

  it('publishes nothing before the tests pass, and releases last', () => {
    const needs = Object.fromEntries(jobs.map(([n, j]) => [n, needsOf(j)]));
    expect(needs['test']).toEqual([]);
    for (const publish of ['npm', 'image', 'chart']) expect(needs[publish]).toContain('test');
    expect(needs['chart']).toContain('image'); // the chart pins the image's digest
    expect([...(needs['release'] ?? [])].sort()).toEqual(['chart', 'image', 'npm', 'test']);
    const test = workflow.jobs['test']!;
    expect(test.steps.map((s) => s.run ?? '').join('\n')).toMatch(/^\.ci\/run$/m);
  });

  it('pins every action to a full commit SHA (with its version as a comment)', () => {
    const lines = source.split('\n').filter((l) => /^\s*(- )?uses:/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+(\.\d+){0,2}$/);
  });

  it('grants each job only the permissions it needs', () => {
    expect(workflow.permissions).toEqual({ contents: 'read' });
    const perms = Object.fromEntries(jobs.map(([n, j]) => [n, j.permissions ?? workflow.permissions]));
    expect(perms).toEqual({
      test: { contents: 'read' },
      npm: { contents: 'read', 'id-token': 'write' },
      image: { contents: 'read', packages: 'write', 'id-token': 'write' },
      chart: { contents: 'read', packages: 'write' },
      release: { contents: 'write' },
    });
  });

  it('publishes to npm with provenance, pre-releases under the "next" dist-tag', () => {
    const run = workflow.jobs['npm']!.steps.map((s) => s.run ?? '').join('\n');
    expect(run).toContain('npm publish --provenance --access public --tag "$dist_tag"');
    expect(run).toMatch(/if \[ "\$PRERELEASE" = "true" \]; then dist_tag=next; else dist_tag=latest; fi/);
  });

  it('builds the image for amd64 and arm64 with an SBOM and provenance, and outputs its digest', () => {
    const image = workflow.jobs['image']!;
    const build = image.steps.find((s) => s.id === 'build')!;
    expect(build.uses).toMatch(/^docker\/build-push-action@/);
    expect(build.with).toMatchObject({
      context: '.',
      file: 'Dockerfile',
      platforms: 'linux/amd64,linux/arm64',
      push: true,
      sbom: true,
      provenance: 'mode=max',
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, not a template
    expect(image.outputs).toEqual({ digest: '${{ steps.build.outputs.digest }}' });
    expect(image.steps.some((s) => s.uses?.startsWith('docker/setup-qemu-action@'))).toBe(true);
    expect(image.steps.some((s) => s.uses?.startsWith('docker/setup-buildx-action@'))).toBe(true);
    // The build arguments are the Dockerfile's.
    const dockerfile = readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
    for (const arg of String(build.with?.['build-args']).match(/^\s*\w+(?==)/gm) ?? []) {
      expect(dockerfile).toMatch(new RegExp(`^ARG ${arg.trim()}=`, 'm'));
    }
  });

  it('pushes the chart, pinned to that digest, to an OCI registry, and the image it names is the one built', async () => {
    const chart = workflow.jobs['chart']!.steps.map((s) => s.run ?? '').join('\n');
    expect(chart).toContain('npx tsx scripts/release.ts pin-chart "$CHART_DIR" "$VERSION" "$DIGEST"');
    expect(chart).toContain('helm package "$CHART_DIR" --version "$VERSION" --app-version "$VERSION"');
    expect(chart).toContain('helm push "chart-dist/scw-gitops-$VERSION.tgz" "$CHART_REPOSITORY"');
    expect(workflow.env['CHART_REPOSITORY']).toMatch(/^oci:\/\//);
    const values = parseYaml(await readFile(path.join(repo, CHART_DIR, 'values.yaml'), 'utf8')) as {
      image: { repository: string };
    };
    expect(values.image.repository).toBe(workflow.env['IMAGE']);
    const chartYaml = parseYaml(await readFile(path.join(repo, CHART_DIR, 'Chart.yaml'), 'utf8')) as {
      name: string;
    };
    expect(chart).toContain(`chart-dist/${chartYaml.name}-$VERSION.tgz`);
  });

  it('creates the release with the CHANGELOG section of the tag', () => {
    const run = workflow.jobs['release']!.steps.map((s) => s.run ?? '').join('\n');
    expect(run).toContain('npx tsx scripts/release.ts notes "$VERSION" > notes.md');
    expect(run).toContain('gh release create "$GITHUB_REF_NAME" --verify-tag');
    expect(run).toContain('--notes-file notes.md');
  });

  it('reads only job outputs that exist, from jobs it needs', () => {
    for (const [name, job] of jobs) {
      const text = JSON.stringify(job);
      for (const m of text.matchAll(/needs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        expect(needsOf(job), `${name} reads needs.${m[1]}`).toContain(m[1]);
        expect(Object.keys(workflow.jobs[m[1]!]?.outputs ?? {}), `${m[1]}.outputs.${m[2]}`).toContain(m[2]);
      }
      for (const m of text.matchAll(/steps\.([\w-]+)\.outputs\./g)) {
        expect(
          job.steps.map((s) => s.id),
          `${name}: step ${m[1]}`,
        ).toContain(m[1]);
      }
    }
  });

  it('every shell variable a step reads is defined (workflow, job or step env, GitHub, or the script)', () => {
    const github = /^(GITHUB_\w+|RUNNER_\w+|HOME|PATH|CI)$/;
    for (const { job, jobDef, step } of runSteps) {
      const defined = new Set([
        ...Object.keys(workflow.env),
        ...Object.keys(jobDef.env ?? {}),
        ...Object.keys(step.env ?? {}),
        ...[...step.run!.matchAll(/(?:^|[\s;(])(\w+)(?:\+?=)/g)].map((m) => m[1]!),
        ...[...step.run!.matchAll(/\bfor (\w+) in\b/g)].map((m) => m[1]!),
      ]);
      for (const m of step.run!.matchAll(/\$\{?(\w+)/g)) {
        const v = m[1]!;
        if (/^\d+$/.test(v) || github.test(v)) continue;
        expect(defined.has(v), `${job}: "${step.name ?? step.run}" reads $${v}`).toBe(true);
      }
    }
  });

  it('every script, file and npm script it calls exists', () => {
    const commands = runSteps.map((s) => s.step.run!).join('\n');
    for (const m of commands.matchAll(/npm run ([\w:-]+)/g)) expect(Object.keys(pkg.scripts)).toContain(m[1]);
    const scripts = [...commands.matchAll(/npx tsx (scripts\/[\w./-]+\.ts) ([\w-]+)/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, file, sub] of scripts) {
      expect(existsSync(path.join(repo, file!)), file).toBe(true);
      expect(['check', 'notes', 'pin-chart']).toContain(sub);
    }
    expect(commands).toMatch(/^\.ci\/run$/m);
    expect(statSync(path.join(repo, '.ci/run')).mode & 0o111).not.toBe(0);
    expect(existsSync(path.join(repo, workflow.env['CHART_DIR']!, 'Chart.yaml'))).toBe(true);
    expect(existsSync(path.join(repo, 'Dockerfile'))).toBe(true);
    for (const { step } of steps) {
      const file = step.with?.['node-version-file'];
      if (file !== undefined) expect(existsSync(path.join(repo, String(file))), String(file)).toBe(true);
    }
  });

  it('every shell step is valid bash', async () => {
    for (const { job, step } of runSteps) {
      // `${{ … }}` is replaced by GitHub before bash sees the script.
      const script = step.run!.replace(/\$\{\{[^}]*\}\}/g, 'x');
      const check = await promisify(execFile)('bash', ['-n', '-c', script]).catch(
        (e: { stderr: string }) => e,
      );
      expect('stderr' in check ? check.stderr : '', `${job}: ${step.name ?? step.run}`).toBe('');
    }
  });
});

describe('scripts/release.ts', () => {
  it('finds this version releasable: tag, package.json, lockfile, chart version and appVersion agree', () => {
    expect(releaseProblems(`v${pkg.version}`, readReleaseFiles())).toEqual([]);
  });

  it('names every disagreement of another tag, and refuses a tag that is not a version', () => {
    expect(releaseProblems('v99.0.0', readReleaseFiles())).toEqual([
      `package.json version is ${pkg.version}, the tag says 99.0.0`,
      `package-lock.json version is ${pkg.version}, the tag says 99.0.0 (run npm install)`,
      `helm/scw-gitops/Chart.yaml version is ${pkg.version}, the tag says 99.0.0`,
      `helm/scw-gitops/Chart.yaml appVersion is ${pkg.version}, the tag says 99.0.0`,
      'CHANGELOG.md has no "## [99.0.0]" section',
    ]);
    expect(releaseProblems('release-1', readReleaseFiles())).toEqual([
      'tag "release-1" is not v<semver> (v1.2.3, v1.2.3-rc.1)',
    ]);
  });

  it('extracts exactly one version section of the CHANGELOG, without empty subsections', () => {
    const changelog = [
      '# Changelog',
      '',
      '## [Unreleased]',
      '',
      '### Added',
      '',
      '- next thing',
      '',
      '## [1.1.0] - 2026-12-01',
      '',
      '### Added',
      '',
      '- the thing',
      '  continued',
      '',
      '### Changed',
      '',
      '### Fixed',
      '',
      '- a bug',
      '',
      '## [1.0.0] - 2026-11-01',
      '',
      '### Added',
      '',
      '- first',
      '',
      '[1.1.0]: https://example.org/compare/v1.0.0...v1.1.0',
      '[1.0.0]: https://example.org/releases/v1.0.0',
      '',
    ].join('\n');
    expect(changelogSection(changelog, '1.1.0')).toBe(
      '### Added\n\n- the thing\n  continued\n\n### Fixed\n\n- a bug\n',
    );
    expect(changelogSection(changelog, '1.0.0')).toBe('### Added\n\n- first\n');
    expect(() => changelogSection(changelog, '1.0')).toThrow('CHANGELOG.md has no "## [1.0]" section');
    expect(() => changelogSection(changelog, 'Unreleased')).toThrow(/needs a release date/);
    expect(() => changelogSection('## [2.0.0] - 2026-01-01\n\n### Added\n\n', '2.0.0')).toThrow(/is empty/);
  });

  it("reads this repository's CHANGELOG section of the current version", () => {
    const section = changelogSection(readReleaseFiles().changelog, pkg.version);
    expect(section).toMatch(/^### /);
    expect(section).not.toContain('## [');
  });

  describe('pin-chart', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'scw-gitops-pin-chart-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('sets image.tag to version@digest and changes nothing else', async () => {
      const original = await readFile(path.join(repo, CHART_DIR, 'values.yaml'), 'utf8');
      const digest = `sha256:${'ab12'.repeat(16)}`;
      await writeFile(path.join(dir, 'values.yaml'), original);
      await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', 'scripts/release.ts', 'pin-chart', dir, '1.2.3', digest],
        { cwd: repo },
      );
      const pinned = await readFile(path.join(dir, 'values.yaml'), 'utf8');
      const before = parseYaml(original) as { image: Record<string, unknown> };
      const after = parseYaml(pinned) as { image: Record<string, unknown> };
      expect(after).toEqual({ ...before, image: { ...before.image, tag: `1.2.3@${digest}` } });
      expect(pinned.split('\n').filter((l, i) => l !== original.split('\n')[i])).toHaveLength(1);
      expect(() => pinChartImage(original, '1.2.3', 'sha256:short')).toThrow(/not an image digest/);
    });
  });
});
