/**
 * The README's install section is run as written (see CONTRIBUTING.md#checking-a-change-as-a-stranger):
 * this keeps the facts it quotes in line with the package, so a version bump or a rename cannot
 * leave it stale, and checks what `npm publish --provenance` needs from package.json.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const repo = path.resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(path.join(repo, f), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  repository: { type: string; url: string };
};
const readme = read('README.md');
const install = readme.slice(readme.indexOf('\n## Install\n'));

describe("the README's install section", () => {
  it('names the current version in the tarball and the image tag', () => {
    expect(install).toContain(`npm install -g ./${pkg.name}-${pkg.version}.tgz`);
    expect(install).toContain(`writes ${pkg.name}-${pkg.version}.tgz`);
    expect(install).toContain(
      `docker build -t ${pkg.name}:${pkg.version} --build-arg VERSION=${pkg.version}`,
    );
  });

  it('installs from source the way the brief and issue #15 describe, and never by name today', () => {
    expect(install).toContain('npm ci && npm run build && npm link');
    expect(install).toContain('npm ci && npm pack');
    expect(install).toContain('**not published yet**');
    expect(install).not.toMatch(/npx --yes/);
  });

  it('quotes the supported Node.js majors of engines.node', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const majors = [...engines.matchAll(/\^(\d+)\.(\d+)/g)].map((m) => [m[1]!, m[2]!] as const);
    const [oldest, ...rest] = majors;
    expect(install).toContain(
      `Node.js ${oldest![0]} (${oldest![0]}.${oldest![1]} or later), ${rest.map(([m]) => m).join(' or ')}`,
    );
  });

  it('names the image and chart the release workflow publishes', () => {
    const workflow = parseYaml(read('.github/workflows/release.yml')) as { env: Record<string, string> };
    expect(install).toContain(`${workflow.env['IMAGE']}:X.Y.Z@sha256:`);
    expect(install).toContain(`${workflow.env['CHART_REPOSITORY']}/${pkg.name} --version X.Y.Z`);
  });
});

describe('package.json for a published release', () => {
  it('has the bin the README puts on the PATH', () => {
    expect(Object.keys(pkg.bin)).toEqual([pkg.name]);
  });

  it('points at its GitHub repository (npm provenance requires repository.url to match)', () => {
    expect(pkg.repository).toEqual({ type: 'git', url: 'git+https://github.com/scw-gitops/scw-gitops.git' });
    expect(install).toContain('git clone https://github.com/scw-gitops/scw-gitops.git');
    const chart = parseYaml(read('helm/scw-gitops/Chart.yaml')) as { home: string };
    expect(chart.home).toBe('https://github.com/scw-gitops/scw-gitops');
  });
});
