/**
 * One output style per stream, for the one-shot commands:
 *   - stderr is readable text whether or not it is a terminal: log lines look like the other
 *     messages (`scw-gitops plan: info: …`), never a raw JSON object, unless `--log-format json`;
 *   - every command shows a desired-state file the same way: relative to the working directory
 *     when inside it, absolute otherwise;
 *   - each command's --help lists only its own options, and another command's option is refused
 *     with the name of the command it belongs to.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { APPLY_OPTIONS } from '../../src/cli/options.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { captureIO, sandboxEnv } from '../helpers/sandbox-cli.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/basic');

let sandbox: SandboxHandle;
let dir: string;

beforeEach(async () => {
  sandbox = await startSandbox({ env: {}, randomSeed: 3 });
  dir = await mkdtemp(join(tmpdir(), 'scw-gitops-style-'));
});
afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const t = captureIO({
    env: { ...sandboxEnv(sandbox), HOME: dir, SCW_CONFIG_PATH: join(dir, 'none.yaml'), ...opts.env },
    cwd: opts.cwd ?? dir,
  });
  const code = await main(argv, t.io);
  return { code, out: t.out(), err: t.err() };
}

const INVALID = `apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: "web app!"
`;

describe('stderr of plan and reconcile', () => {
  it('is readable text when not a terminal: log lines in the shape of every other message', async () => {
    const r = await cli(['plan', EXAMPLES], { env: { SCW_GITOPS_LOG_LEVEL: 'info' } });
    expect(r.code).toBe(2);
    const lines = r.err.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).not.toMatch(/^\s*\{/);
      expect(line).toMatch(/^scw-gitops plan: (info|warning|error|debug): /);
    }
    expect(r.err).toContain('scw-gitops plan: info: scaleway credentials (');
  });

  it('--log-format json: pino JSON objects, one per line', async () => {
    const r = await cli(['plan', EXAMPLES, '--log-format', 'json'], {
      env: { SCW_GITOPS_LOG_LEVEL: 'info' },
    });
    expect(r.code).toBe(2);
    const lines = r.err.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('msg');
  });

  it('refuses another log format', async () => {
    const r = await cli(['plan', EXAMPLES, '--log-format', 'pretty']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('--log-format must be text or json');
  });
});

describe('paths', () => {
  it('validate, plan and reconcile --dry-run name a file inside the working directory the same way', async () => {
    await mkdir(join(dir, 'iam', 'apps'), { recursive: true });
    await writeFile(join(dir, 'iam', 'apps', 'web.yaml'), INVALID);
    const expected = /^iam\/apps\/web\.yaml:4:9: error \[invalid-name\]/m;
    const validate = await cli(['validate', 'iam']);
    expect(validate.out).toMatch(expected);
    expect(validate.out).toContain('iam: invalid, 1 error, 0 warnings');
    // An absolute DIR inside the working directory is shown relative too.
    const validateAbs = await cli(['validate', join(dir, 'iam')]);
    expect(validateAbs.out).toMatch(expected);
    const plan = await cli(['plan', 'iam']);
    expect(plan.err).toMatch(expected);
    expect(plan.err).toContain('scw-gitops plan: the desired state in iam is invalid (1 error)');
    const dry = await cli(['reconcile', join(dir, 'iam'), '--dry-run']);
    expect(dry.err).toMatch(expected);
  });

  it('a file outside the working directory is shown absolute, by every command', async () => {
    await mkdir(join(dir, 'iam'), { recursive: true });
    await writeFile(join(dir, 'iam', 'web.yaml'), INVALID);
    const elsewhere = join(dir, 'elsewhere');
    await mkdir(elsewhere);
    const file = join(dir, 'iam', 'web.yaml');
    const validate = await cli(['validate', join(dir, 'iam')], { cwd: elsewhere });
    expect(validate.out).toContain(`${file}:4:9: error [invalid-name]`);
    const plan = await cli(['plan', '../iam'], { cwd: elsewhere });
    expect(plan.err).toContain(`${file}:4:9: error [invalid-name]`);
    expect(plan.err).toContain(`the desired state in ${join(dir, 'iam')} is invalid`);
  });
});

describe('help and options per command', () => {
  it('apply --help lists only what apply uses', async () => {
    const r = await cli(['apply', '--help']);
    expect(r.code).toBe(0);
    const listed = [...r.out.matchAll(/^ {2}(?:-\w, )?--([a-z-]+)/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(APPLY_OPTIONS.options.map((o) => o.flag).sort());
    for (const planning of ['adopt', 'allow-mass-delete', 'prune-kinds', 'at', 'within', 'out']) {
      expect(listed).not.toContain(planning);
    }
    expect(r.out).not.toMatch(/only .* matter/i);
  });

  it('an option of another command is refused, naming the command it belongs to', async () => {
    const apply = await cli(['apply', '--plan', 'p.json', '--adopt']);
    expect(apply.code).toBe(1);
    expect(apply.err).toContain('--adopt is not an option of apply (it is one of plan, reconcile)');
    const plan = await cli(['plan', EXAMPLES, '--dry-run']);
    expect(plan.err).toContain('--dry-run is not an option of plan (it is one of reconcile)');
    const typo = await cli(['plan', EXAMPLES, '--max-delete', '3']);
    expect(typo.err).toContain('unknown option --max-delete (did you mean --max-deletes?)');
  });
});
