/**
 * The plan / reconcile / apply commands end to end against the sandbox emulator (over HTTP),
 * with the file sink: exit codes, renderings, stale saved plans, usage errors.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadDesiredState } from '../../src/desired/load.js';
import { run as apply } from '../../src/cli/commands/apply.js';
import { run as plan } from '../../src/cli/commands/plan.js';
import { run as reconcile } from '../../src/cli/commands/reconcile.js';
import { PLAN_FORMAT_VERSION } from '../../src/model/plan.js';
import { knownSecretValues } from '../../src/model/secret.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { captureIO, sandboxEnv, sandboxSettingsYaml } from '../helpers/sandbox-cli.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/basic');

let sandbox: SandboxHandle;
let total: number;
let keys: number;

beforeAll(async () => {
  const loaded = await loadDesiredState(EXAMPLES, { instance: 'default', now: new Date() });
  total = loaded.state!.resources.length;
  keys = loaded.state!.resources.filter((r) => r.kind === 'ApiKey').length;
});
let dir: string;

beforeEach(async () => {
  sandbox = await startSandbox({ env: {}, randomSeed: 7 });
  dir = await mkdtemp(join(tmpdir(), 'h4-cli-'));
});
afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

function io(extraEnv: Record<string, string> = {}) {
  return captureIO({ env: { ...sandboxEnv(sandbox), ...extraEnv }, cwd: dir });
}

const cap = createLogCapture();
const deps = () => ({ homeDir: dir, logger: cap.logger });

async function settingsFile(extra = ''): Promise<string> {
  const file = join(dir, 'settings.yaml');
  await writeFile(file, sandboxSettingsYaml(sandbox, { sourceDir: EXAMPLES, prune: true, extra }));
  return file;
}

describe('scw-gitops plan', () => {
  it('plan examples/basic on a fresh sandbox (no settings, credentials from env) prints the full create plan, exit 2', async () => {
    const t = io();
    const code = await plan([EXAMPLES], t.io, deps());
    expect(t.err()).toBe('');
    expect(code).toBe(2);
    expect(t.out()).toContain(
      `Plan: ${total} to create, 0 to update, 0 to replace, 0 to delete, 0 to adopt.`,
    );
  });

  it('with a settings file: plan (exit 2), reconcile (exit 0), then "No changes" (exit 0)', async () => {
    const cfg = await settingsFile();
    const first = io();
    expect(await plan(['--config', cfg], first.io, deps())).toBe(2);
    expect(first.out()).toContain('+ Application/api-backend');
    expect(first.out()).toContain('+ ApiKey/web-deployer-ci');
    expect(first.out()).toContain(
      `Plan: ${total} to create, 0 to update, 0 to replace, 0 to delete, 0 to adopt.`,
    );

    const rec = io();
    const code = await reconcile(['--config', cfg], rec.io, deps());
    expect(rec.err()).toBe('');
    expect(code).toBe(0);
    expect(rec.out()).toContain(`Apply complete! ${total} created`);

    const again = io();
    expect(await reconcile(['--config', cfg, '--dry-run'], again.io, deps())).toBe(0);
    expect(again.out()).toContain('No changes. Your organization matches the desired state.');

    // A second real reconcile of the converged organization (projects, applications, the group,
    // a policy per application, keys) makes zero writes: only reads reach the API.
    const before = sandbox.requests().length;
    const second = io();
    expect(await reconcile(['--config', cfg], second.io, deps())).toBe(0);
    const made = sandbox.requests().slice(before);
    expect(made.length).toBeGreaterThan(0);
    expect(made.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)).toEqual([]);

    const env = await readFile(join(dir, 'secrets', 'api-backend-prod.env'), 'utf8').catch(() => '');
    const printed = [first.out(), rec.out(), again.out(), rec.err()].join('\n');
    for (const v of knownSecretValues()) expect(printed.includes(v)).toBe(false);
    expect(env.length === 0 || !printed.includes(env)).toBe(true);
  });

  it('--output json/markdown, --out, --within, --at', async () => {
    const cfg = await settingsFile();
    const j = io();
    expect(await plan(['--config', cfg, '-o', 'json'], j.io, deps())).toBe(2);
    const parsed = JSON.parse(j.out()) as { formatVersion: number; summary: { create: number } };
    expect(parsed.formatVersion).toBe(PLAN_FORMAT_VERSION);
    expect(parsed.summary.create).toBe(total);

    const m = io();
    expect(await plan(['--config', cfg, '--output', 'markdown', '--out', 'plan.md'], m.io, deps())).toBe(2);
    expect(await readFile(join(dir, 'plan.md'), 'utf8')).toContain(
      `<details><summary>ApiKey (${keys})</summary>`,
    );
    expect(m.out()).toContain('Saved the markdown plan to plan.md');

    expect(await reconcile(['--config', cfg], io().io, deps())).toBe(0);
    const soon = io();
    expect(await plan(['--config', cfg, '--within', '30d'], soon.io, deps())).toBe(0);
    expect(soon.out()).toContain('Upcoming key rotations:');
    expect(soon.out()).toContain('ApiKey/api-backend-staging');
    const later = io();
    const at = new Date(Date.now() + 40 * 86_400_000).toISOString();
    expect(await plan(['--config', cfg, '--at', at], later.io, deps())).toBe(2);
    // 40 days on, the 30-day key has expired: deleted first, then its successor created.
    expect(later.out()).toMatch(/ApiKey\/api-backend-prod will be deleted \(expired\)/);
    expect(later.out()).toMatch(/ApiKey\/api-backend-prod will be created \(expired\)/);
  });

  it('usage errors and invalid desired state exit 1 with one clear message', async () => {
    const u = io();
    expect(await plan(['--output', 'yaml', EXAMPLES], u.io, deps())).toBe(1);
    expect(u.err()).toContain('--output must be text, json or markdown');
    const bad = join(dir, 'bad');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(bad);
    await writeFile(
      join(bad, 'x.yaml'),
      'apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: "bad name!"\n',
    );
    const b = io();
    expect(await plan([bad], b.io, deps())).toBe(1);
    expect(b.err()).toMatch(/x\.yaml:\d+:\d+: error/);
    const noDir = io();
    expect(await plan([], noDir.io, deps())).toBe(1);
    expect(noDir.err()).toContain('missing DIR');
    const at = io();
    expect(await reconcile(['--at', '2027-01-01T00:00:00Z', EXAMPLES], at.io, deps())).toBe(1);
    expect(at.err()).toContain('--at only works with --dry-run');
    const kinds = io();
    expect(await plan(['--prune-kinds', 'Apps', EXAMPLES], kinds.io, deps())).toBe(1);
    expect(kinds.err()).toContain('unknown kind "Apps"');
    const h = io();
    expect(await reconcile(['--help'], h.io, deps())).toBe(0);
    expect(h.out()).toContain('--dry-run');
  });
});

describe('scw-gitops apply --plan', () => {
  it('applies a saved plan, refuses it once the organization changed', async () => {
    const cfg = await settingsFile();
    expect(await plan(['--config', cfg, '-o', 'json', '--out', 'plan.json'], io().io, deps())).toBe(2);
    const ok = io();
    expect(await apply(['--config', cfg, '--plan', 'plan.json'], ok.io, deps())).toBe(0);
    expect(ok.out()).toContain('Apply complete!');

    // same saved plan again: the organization changed (we applied it) → stale
    const stale = io();
    expect(await apply(['--config', cfg, '--plan', 'plan.json'], stale.io, deps())).toBe(1);
    expect(stale.err()).toContain('organization changed since the plan was made');

    const missing = io();
    expect(await apply(['--config', cfg], missing.io, deps())).toBe(1);
    expect(missing.err()).toContain('missing --plan FILE');
  });
});
