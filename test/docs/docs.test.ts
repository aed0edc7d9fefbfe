/**
 * The documentation stays true to the code: generated reference pages are up to date, the
 * hand-written settings reference documents exactly the keys the loader accepts (and its full
 * example loads), relative links resolve, and the README keeps the two set-up commands.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDocs } from '../../scripts/gen-docs.js';
import { loadSettings } from '../../src/config/load-settings.js';
import { METRICS, PROCESS_METRICS } from '../../src/daemon/metrics.js';
import { KINDS } from '../../src/model/resources.js';

const repo = resolve(import.meta.dirname, '../..');
const text = (p: string) => readFile(join(repo, p), 'utf8');

describe('generated reference pages', () => {
  it('are up to date (npx tsx scripts/gen-docs.ts)', async () => {
    const pages = await generateDocs(true);
    expect(pages.filter((p) => !p.upToDate).map((p) => p.path)).toEqual([]);
    expect(pages.map((p) => p.path)).toEqual([
      'docs/reference/kinds.md',
      'docs/reference/cli.md',
      'docs/reference/metrics.md',
    ]);
  });

  it('cover every command and every kind', async () => {
    const cli = await text('docs/reference/cli.md');
    for (const c of ['validate', 'plan', 'reconcile', 'apply', 'run', 'sandbox', 'import']) {
      expect(cli).toContain(`## ${c}\n`);
      expect(cli).toContain(`Usage: scw-gitops ${c}`);
    }
    const kinds = await text('docs/reference/kinds.md');
    for (const k of KINDS) expect(kinds).toContain(`## ${k}\n`);
    expect(kinds).toContain('`spec.adoptAccessKey`');
  });

  it('list every metric the daemon declares', async () => {
    const declared = Object.values(METRICS).map((d) => d.name);
    expect(declared.length).toBeGreaterThan(5);
    const page = await text('docs/reference/metrics.md');
    for (const name of declared) expect(page).toContain(`| \`${name}\``);
    for (const name of PROCESS_METRICS) expect(page).toContain(`\`${name}\``);
  });
});

describe('settings reference', () => {
  /** Leaf key names the loader accepts: the literal lists given to its `fields()` checks. */
  async function loaderKeys(): Promise<Set<string>> {
    const src = await text('src/config/load-settings.ts');
    const keys = new Set<string>();
    for (const m of src.matchAll(/this\.fields\([^,]+,\s*[^,]+,\s*(\[[^\]]*\]|KINDS)\)/g)) {
      const list = m[1] === 'KINDS' ? [...KINDS] : [...m[1]!.matchAll(/'([A-Za-z]+)'/g)].map((x) => x[1]!);
      for (const k of list) keys.add(k);
    }
    for (const m of src.matchAll(/const common = \[([^\]]*)\]/g)) {
      for (const x of m[1]!.matchAll(/'([A-Za-z]+)'/g)) keys.add(x[1]!);
    }
    return keys;
  }

  /** Leaf key names of the documented rows (`a.b.c`, `sinks[].x`, `prune.Project` … `prune.ApiKey`). */
  async function documentedKeys(): Promise<Set<string>> {
    const page = await text('docs/reference/settings.md');
    const keys = new Set<string>();
    for (const m of page.matchAll(/^\| `([^`]+)`(?: … `([^`]+)`)? \|/gm)) {
      for (const path of [m[1], m[2]]) {
        if (!path || path.startsWith('SCW_')) continue;
        for (const seg of path.split('.')) keys.add(seg.replace(/\[\]$/, ''));
      }
    }
    if (keys.has('Project') && keys.has('ApiKey')) for (const k of KINDS) keys.add(k);
    return keys;
  }

  it('documents every key the loader accepts, and only those', async () => {
    const loader = await loaderKeys();
    const documented = await documentedKeys();
    expect(loader.size).toBeGreaterThan(40);
    expect([...loader].filter((k) => !documented.has(k)).sort()).toEqual([]);
    expect([...documented].filter((k) => !loader.has(k)).sort()).toEqual([]);
  });

  it('its complete example loads without error', async () => {
    const page = await text('docs/reference/settings.md');
    const yaml = /## A complete file[\s\S]*?```yaml\n([\s\S]*?)```/.exec(page)![1]!;
    const dir = await mkdtemp(join(tmpdir(), 'scw-gitops-settings-doc-'));
    try {
      await writeFile(join(dir, 'settings.yaml'), yaml);
      const s = await loadSettings(join(dir, 'settings.yaml'), { env: {}, cwd: dir });
      expect(s.instance).toBe('prod');
      expect(s.sinks.map((x) => x.type)).toEqual(['file', 'vault', 'kubernetes']);
      expect(s.leaderElection.enabled).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('plan format page', () => {
  /** `readonly name` fields of interfaces in src/model/plan.ts (all of them, once each). */
  async function fields(...ifaces: string[]): Promise<string[]> {
    const src = await text('src/model/plan.ts');
    const names = new Set<string>();
    for (const iface of ifaces) {
      const body = new RegExp(`interface ${iface}(?: extends \\w+)? \\{([\\s\\S]*?)\\n\\}`).exec(src)![1]!;
      for (const m of body.matchAll(/^ {2}readonly (\w+)\??:/gm)) names.add(m[1]!);
    }
    return [...names].sort();
  }
  /** Field names in the first column of the table under a heading. */
  async function documented(heading: string): Promise<string[]> {
    const page = await text('docs/plan-format.md');
    const section = page.split(/^## /m).find((x) => x.startsWith(heading))!;
    const table = section.split('\n\n').find((b) => b.startsWith('| field |'))!;
    return [...table.matchAll(/^\| (`[^|]+`) \|/gm)]
      .flatMap((m) => [...m[1]!.matchAll(/`(\w+)`/g)].map((x) => x[1]!))
      .sort();
  }

  it('documents every field of Plan and PlanStep, and the current formatVersion', async () => {
    expect(await documented('Top level')).toEqual(await fields('Plan'));
    expect(await documented('Steps')).toEqual(
      await fields('StepCommon', 'CreateStep', 'UpdateStep', 'AdoptStep', 'ReplaceStep', 'DeleteStep'),
    );
    const { PLAN_FORMAT_VERSION } = await import('../../src/model/plan.js');
    expect(await text('docs/plan-format.md')).toContain(`(currently **${PLAN_FORMAT_VERSION}**)`);
  });
});

describe('links and the README', () => {
  async function markdownFiles(): Promise<string[]> {
    const docs: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(join(repo, d), { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name));
        else if (e.name.endsWith('.md')) docs.push(join(d, e.name));
      }
    };
    await walk('docs');
    return ['README.md', 'CONTRIBUTING.md', ...docs.sort()];
  }

  it('every relative link points at an existing file (and heading)', async () => {
    const broken: string[] = [];
    for (const file of await markdownFiles()) {
      // Code (fenced blocks, inline spans) is not prose: `[a-z](…)` in a regex is no link.
      const body = (await text(file)).replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
      for (const m of body.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const [path, anchor] = target.split('#');
        const abs = path ? resolve(repo, dirname(file), path) : resolve(repo, file);
        const isDir = await stat(abs).then(
          (st) => st.isDirectory(),
          () => false,
        );
        if (isDir && !anchor) continue;
        const content = await readFile(abs, 'utf8').catch(() => undefined);
        if (content === undefined) {
          broken.push(`${file}: ${target}`);
          continue;
        }
        if (anchor && abs.endsWith('.md')) {
          const slugs = [...content.matchAll(/^#+ (.*)$/gm)].map((h) =>
            h[1]!
              .toLowerCase()
              .replace(/[^\w\- ]/g, '')
              .replace(/ /g, '-'),
          );
          if (!slugs.includes(anchor)) broken.push(`${file}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('keeps the two set-up commands', async () => {
    const readme = await text('README.md');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
  });
});
