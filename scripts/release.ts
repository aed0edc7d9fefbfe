/**
 * Release helpers for .github/workflows/release.yml (see docs/releasing.md):
 *
 *   npx tsx scripts/release.ts check v1.2.3        # the tag matches package.json, the lockfile,
 *                                                  # the chart and a dated CHANGELOG section
 *   npx tsx scripts/release.ts notes 1.2.3         # that CHANGELOG section (the release's body)
 *   npx tsx scripts/release.ts pin-chart DIR 1.2.3 sha256:…
 *                                                  # the chart in DIR deploys image 1.2.3 by digest
 *
 * Each command exits 1 with one line per problem on stderr.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const CHART_DIR = 'helm/scw-gitops';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * The body of CHANGELOG.md's section for `version` (Keep a Changelog: `## [1.2.3] - 2026-01-31`),
 * without its heading, up to the next `## ` heading or the link definitions at the end. Empty
 * subsections (`### Fixed` with nothing under it) are dropped.
 */
export function changelogSection(changelog: string, version: string): string {
  const lines = changelog.split('\n');
  const heading = new RegExp(`^## \\[${version.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\](?: - (.*))?\\s*$`);
  const start = lines.findIndex((l) => heading.test(l));
  if (start < 0) throw new Error(`CHANGELOG.md has no "## [${version}]" section`);
  const date = heading.exec(lines[start]!)?.[1]?.trim();
  if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    throw new Error(`CHANGELOG.md: "## [${version}]" needs a release date ("## [${version}] - YYYY-MM-DD")`);
  }
  let end = lines.findIndex((l, i) => i > start && (/^## /.test(l) || /^\[[^\]]+\]: /.test(l)));
  if (end < 0) end = lines.length;
  const body = lines.slice(start + 1, end);
  // Drop subsections with nothing under them.
  const kept: string[] = [];
  for (let i = 0; i < body.length; i++) {
    const line = body[i]!;
    if (/^### /.test(line)) {
      let j = i + 1;
      while (j < body.length && body[j]!.trim() === '') j++;
      if (j >= body.length || /^#{2,3} /.test(body[j]!)) {
        i = j - 1;
        continue;
      }
    }
    kept.push(line);
  }
  const text = kept.join('\n').trim();
  if (text === '') throw new Error(`CHANGELOG.md: the "## [${version}]" section is empty`);
  return `${text}\n`;
}

export interface ReleaseFiles {
  readonly packageJson: string;
  readonly packageLock: string;
  readonly chartYaml: string;
  readonly changelog: string;
}

export function readReleaseFiles(repo = REPO): ReleaseFiles {
  const read = (f: string) => readFileSync(join(repo, f), 'utf8');
  return {
    packageJson: read('package.json'),
    packageLock: read('package-lock.json'),
    chartYaml: read(join(CHART_DIR, 'Chart.yaml')),
    changelog: read('CHANGELOG.md'),
  };
}

/** Everything that must agree before `tag` is released; returns the problems (none = releasable). */
export function releaseProblems(tag: string, files: ReleaseFiles): string[] {
  const problems: string[] = [];
  const m = /^v(.+)$/.exec(tag);
  const version = m?.[1];
  if (!version || !SEMVER.test(version)) return [`tag "${tag}" is not v<semver> (v1.2.3, v1.2.3-rc.1)`];
  const pkg = JSON.parse(files.packageJson) as { name: string; version: string };
  const lock = JSON.parse(files.packageLock) as {
    version: string;
    packages: Record<string, { version?: string }>;
  };
  const chart = parseYaml(files.chartYaml) as { version?: unknown; appVersion?: unknown };
  if (pkg.version !== version)
    problems.push(`package.json version is ${pkg.version}, the tag says ${version}`);
  if (lock.version !== version || lock.packages['']?.version !== version) {
    problems.push(`package-lock.json version is ${lock.version}, the tag says ${version} (run npm install)`);
  }
  if (String(chart.version) !== version) {
    problems.push(`${CHART_DIR}/Chart.yaml version is ${String(chart.version)}, the tag says ${version}`);
  }
  if (String(chart.appVersion) !== version) {
    problems.push(
      `${CHART_DIR}/Chart.yaml appVersion is ${String(chart.appVersion)}, the tag says ${version}`,
    );
  }
  try {
    changelogSection(files.changelog, version);
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}

/**
 * values.yaml with the image pinned: `image.tag: "<version>@<digest>"`, so the packaged chart
 * deploys exactly the image the release built (the digest wins over the tag). Only that line
 * changes; comments and layout stay.
 */
export function pinChartImage(valuesYaml: string, version: string, digest: string): string {
  if (!SEMVER.test(version)) throw new Error(`"${version}" is not a version`);
  if (!DIGEST.test(digest)) throw new Error(`"${digest}" is not an image digest (sha256:<64 hex>)`);
  const lines = valuesYaml.split('\n');
  const image = lines.findIndex((l) => /^image:\s*$/.test(l));
  if (image < 0) throw new Error('values.yaml has no top-level "image:" block');
  let tag = -1;
  for (let i = image + 1; i < lines.length && /^(\s+|$)/.test(lines[i]!); i++) {
    if (/^ {2}tag:/.test(lines[i]!)) tag = i;
  }
  if (tag < 0) throw new Error('values.yaml has no image.tag');
  const comment = / #.*$/.exec(lines[tag]!)?.[0] ?? '';
  lines[tag] =
    `  tag: "${version}@${digest}"${comment ? ' # pinned by the release to the image it built' : ''}`;
  return lines.join('\n');
}

function main(argv: readonly string[]): number {
  const [command, ...args] = argv;
  const fail = (problems: readonly string[]) => {
    for (const p of problems) process.stderr.write(`release: ${p}\n`);
    return problems.length ? 1 : 0;
  };
  try {
    if (command === 'check' && args.length === 1) {
      const problems = releaseProblems(args[0]!, readReleaseFiles());
      if (!problems.length) process.stdout.write(`release: ${args[0]} is consistent\n`);
      return fail(problems);
    }
    if (command === 'notes' && args.length === 1) {
      process.stdout.write(changelogSection(readReleaseFiles().changelog, args[0]!));
      return 0;
    }
    if (command === 'pin-chart' && args.length === 3) {
      const file = join(args[0]!, 'values.yaml');
      writeFileSync(file, pinChartImage(readFileSync(file, 'utf8'), args[1]!, args[2]!));
      return 0;
    }
  } catch (err) {
    return fail([(err as Error).message]);
  }
  return fail(['usage: release.ts check vX.Y.Z | notes X.Y.Z | pin-chart DIR X.Y.Z sha256:…']);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
