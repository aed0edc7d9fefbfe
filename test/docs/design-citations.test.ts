/**
 * The repository stands alone: code comments cite documents inside it (docs/design/…), never the
 * reference notes the team worked from (`SPEC §…`, KUBERNETES.md, VAULT.md). Every cited
 * docs/design section exists.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const ROOTS = ['src', 'test', 'bench', 'scripts', 'config', 'helm'];
const SKIP = new Set(['node_modules', 'fixtures', 'results']);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (/\.(ts|md|ya?ml|py|tpl)$/.test(name)) out.push(path);
  }
  return out;
}

const sources = ROOTS.flatMap((root) => files(join(REPO, root)));
// This file names the forbidden forms itself.
const self = relative(REPO, import.meta.filename);

describe('design citations', () => {
  it('no code, test or config cites the outside reference notes', () => {
    const offenders: string[] = [];
    for (const file of sources) {
      const rel = relative(REPO, file);
      if (rel === self) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/\bSPEC §|KUBERNETES\.md|VAULT\.md|\/work\/shared|platform-apis/.test(line)) {
            offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
          }
        });
    }
    expect(offenders).toEqual([]);
  });

  it('every cited docs/design section exists', () => {
    const missing: string[] = [];
    let cited = 0;
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/docs\/design\/([\w-]+\.md)(?: §(\d+)(?:\.(\d+))?)?/g)) {
        cited++;
        const doc = join(REPO, 'docs', 'design', m[1]!);
        let body: string;
        try {
          body = readFileSync(doc, 'utf8');
        } catch {
          missing.push(`${relative(REPO, file)}: ${m[0]} (no such document)`);
          continue;
        }
        if (m[2] === undefined) continue;
        const heading = m[3] === undefined ? `## ${m[2]}. ` : `### ${m[2]}.${m[3]} `;
        if (!body.includes(`\n${heading}`))
          missing.push(`${relative(REPO, file)}: ${m[0]} (no "${heading.trim()}")`);
      }
    }
    expect(cited).toBeGreaterThan(40);
    expect(missing).toEqual([]);
  });
});
