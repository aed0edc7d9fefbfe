/**
 * Heavy modules load only where they are needed (docs/design/performance.md, "Start-up"): the
 * static import graph of each command (imports that run when its module loads; `import()` and
 * `require` on first use are not followed) must not reach them.
 *
 *   @kubernetes/client-node  only for a Kubernetes sink or leader election (both imported lazily)
 *   pino-pretty              only when a log line is pretty-printed (a TTY)
 *   node-cron                only when `run` schedules or a settings file sets a schedule
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Modules a file imports statically (type-only imports are erased and left out). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*'([^']+)'|^\s*import\s+'([^']+)'/gms;
  for (const m of text.matchAll(re)) {
    if (m[5] !== undefined) {
      out.push(m[5]);
      continue;
    }
    if (m[2] !== undefined) continue; // import type … / export type …
    const clause = m[3] ?? '';
    // `import { type A, type B } from` is erased too
    const named = /^\{([^}]*)\}$/s.exec(clause.trim());
    if (named && named[1]!.split(',').every((s) => s.trim() === '' || s.trim().startsWith('type '))) continue;
    out.push(m[4]!);
  }
  return out;
}

/** Every module reached from `entry` through static imports: local files and package names. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:')) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  };
  visit(entry);
  return { files, packages };
}

const command = (name: string) => resolve(SRC, `cli/commands/${name}.ts`);

describe('lazy heavy modules', () => {
  it('the scanner sees what it must (sanity check)', () => {
    const g = staticGraph(resolve(SRC, 'sinks/kubernetes-sink.ts'));
    expect(g.packages.has('@kubernetes/client-node')).toBe(true);
    expect(staticGraph(resolve(SRC, 'k8s/leader-election.ts')).packages.has('@kubernetes/client-node')).toBe(
      true,
    );
    expect(staticGraph(command('plan')).packages.has('yaml')).toBe(true);
    expect(staticGraph(command('plan')).packages.has('ky')).toBe(true);
  });

  it('the main entry loads no command until one is chosen', () => {
    const g = staticGraph(resolve(SRC, 'cli/main.ts'));
    expect([...g.packages]).toEqual([]);
  });

  for (const name of ['plan', 'reconcile', 'apply', 'validate', 'import']) {
    it(`${name}: no Kubernetes client, no pino-pretty, no node-cron`, () => {
      const { packages } = staticGraph(command(name));
      expect(packages.has('@kubernetes/client-node')).toBe(false);
      expect(packages.has('pino-pretty')).toBe(false);
      expect(packages.has('node-cron')).toBe(false);
    });
  }

  it('run: no Kubernetes client (leader election and the Kubernetes sink load it on use), no pino-pretty', () => {
    const { packages, files } = staticGraph(command('run'));
    expect(packages.has('@kubernetes/client-node')).toBe(false);
    expect(packages.has('pino-pretty')).toBe(false);
    expect(packages.has('node-cron')).toBe(false);
    expect(files.has(resolve(SRC, 'k8s/leader-election.ts'))).toBe(false);
    expect(files.has(resolve(SRC, 'daemon/daemon.ts'))).toBe(true);
  });
});
