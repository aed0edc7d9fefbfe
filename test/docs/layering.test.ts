/**
 * Layering is enforced by the linter, not by convention (docs/design/layering.md): Biome's
 * noRestrictedImports keeps src/model, src/planner and src/render free of I/O. This runs the
 * repository's own biome.json, as `npm run lint` does, on probe files in a scratch copy.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const BIOME = join(REPO, 'node_modules', '.bin', 'biome');
const run = promisify(execFile);

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scw-gitops-layering-'));
  await copyFile(join(REPO, 'biome.json'), join(dir, 'biome.json'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PROBES: Record<string, string> = {
  'node:fs': "import { readFile } from 'node:fs/promises';\nexport const probe = readFile;\n",
  'node:http': "import { createServer } from 'node:http';\nexport const probe = createServer;\n",
  'a sink': "import { createSinks } from '../sinks/registry.js';\nexport const probe = createSinks;\n",
  'the Scaleway HTTP client':
    "import { createScalewayClient } from '../scaleway/http-client.js';\nexport const probe = createScalewayClient;\n",
  'the daemon': "import { startDaemon } from '../daemon/daemon.js';\nexport const probe = startDaemon;\n",
};
const PURE = ['model', 'planner', 'render'];
const IMPURE = ['executor', 'reconciler'];

/** Probe files (one per layer and import), linted in one run: the files reported by the rule. */
let flagged: Set<string>;
const probeFile = (layer: string, what: string) =>
  `src/${layer}/probe-${Object.keys(PROBES).indexOf(what)}.ts`;

beforeAll(async () => {
  for (const layer of [...PURE, ...IMPURE]) {
    await mkdir(join(dir, 'src', layer), { recursive: true });
    for (const [what, text] of Object.entries(PROBES))
      await writeFile(join(dir, probeFile(layer, what)), text);
  }
  const out = await run(BIOME, ['lint', '--max-diagnostics=500', 'src'], { cwd: dir }).then(
    (r) => r.stdout + r.stderr,
    (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
  );
  flagged = new Set(
    [...out.matchAll(/^(src\/\S+?\.ts):\d+:\d+ lint\/style\/noRestrictedImports/gm)].map((m) => m[1]!),
  );
});

describe('noRestrictedImports keeps the pure layers free of I/O', () => {
  for (const layer of PURE) {
    it(`src/${layer} may not import node:fs, node:http, sinks, the Scaleway HTTP client or the daemon`, () => {
      for (const what of Object.keys(PROBES)) {
        expect(flagged.has(probeFile(layer, what)), `${layer} importing ${what}`).toBe(true);
      }
    });
  }

  it('other layers may (the executor and the reconciler do I/O through the ports)', () => {
    for (const layer of IMPURE) {
      for (const what of Object.keys(PROBES)) expect(flagged.has(probeFile(layer, what))).toBe(false);
    }
  });
});
