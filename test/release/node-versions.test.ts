/**
 * The Node.js majors are one fact kept in five places: package.json `engines.node` (what users
 * may run), `.ci/run` (which runs `npm run test:fast` on each of them), the Dockerfile (the
 * image's major), `.nvmrc` (the developers' default: the image's) and `@types/node` (the oldest
 * major's API, so nothing newer is used by accident). And every dependency must run on each of
 * them: its own `engines.node` (from the lockfile) admits the oldest version we claim per major.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const read = (f: string) => readFileSync(path.join(repo, f), 'utf8');

const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { version: string; dev?: boolean; engines?: { node?: string } | string[] }>;
};

/** `^22.12.0 || ^24.0.0 || ^26.0.0` → the floor of each major: 22.12.0, 24.0.0, 26.0.0. */
function claimedFloors(range: string): semver.SemVer[] {
  return range.split('||').map((part) => {
    const m = /^\s*\^(\d+\.\d+\.\d+)\s*$/.exec(part);
    if (!m) throw new Error(`engines.node: "${part.trim()}" is not of the form ^MAJOR.MINOR.PATCH`);
    return new semver.SemVer(m[1]!);
  });
}

const floors = claimedFloors(pkg.engines.node);
const majors = floors.map((v) => v.major);
const imageMajor = Number(/^ARG NODE_VERSION=(\d+)$/m.exec(read('Dockerfile'))?.[1]);

describe('Node.js versions', () => {
  it('engines.node claims whole even (LTS) majors, each once, oldest first', () => {
    expect(majors.length).toBeGreaterThanOrEqual(2);
    expect([...majors].sort((a, b) => a - b)).toEqual(majors);
    expect(new Set(majors).size).toBe(majors.length);
    for (const m of majors) expect(m % 2, `Node.js ${m} is not an LTS line`).toBe(0);
    // Node.js 20 reached its end of life in April 2026.
    expect(majors[0]).toBeGreaterThanOrEqual(22);
  });

  it('the image runs a claimed major, and .nvmrc names the same', () => {
    expect(majors).toContain(imageMajor);
    expect(read('.nvmrc').trim()).toBe(String(imageMajor));
  });

  it('.ci/run runs the fast tests on every claimed major, with node from the npm registry', () => {
    const ci = read('.ci/run');
    expect(ci).toContain('npm ci && npm test');
    // The loop reads the majors from engines.node and the image's from the Dockerfile.
    expect(ci).toContain("require('./package.json').engines.node");
    expect(ci).toContain('ARG NODE_VERSION=');
    expect(ci).toMatch(/npx --yes --package "node@\$major" -c 'node --version && npm run test:fast'/);
  });

  it('@types/node describes the oldest claimed major', () => {
    const spec = pkg.devDependencies['@types/node']!;
    expect(semver.minVersion(spec)?.major).toBe(majors[0]);
    expect(semver.major(lock.packages['node_modules/@types/node']!.version)).toBe(majors[0]);
  });

  it('every locked dependency supports the oldest version claimed of every major', () => {
    const refused: string[] = [];
    for (const [where, entry] of Object.entries(lock.packages)) {
      const range = !where || Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!range) continue;
      for (const floor of floors) {
        if (!semver.satisfies(floor, range, { includePrerelease: true })) {
          refused.push(
            `${where.replace(/^.*node_modules\//, '')}@${entry.version} (node ${range}): ${floor}`,
          );
        }
      }
    }
    expect(refused).toEqual([]);
  });
});
