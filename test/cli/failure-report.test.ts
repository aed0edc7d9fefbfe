/**
 * A failure after the command line is understood still produces the report CI posts:
 * `--output markdown --out FILE` (and `--output text --out FILE`) write what went wrong for an
 * invalid desired state (found offline, before credentials are needed), a refused plan, an API
 * outage, invalid settings and an apply that failed part way. Against the sandbox over HTTP.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as plan } from '../../src/cli/commands/plan.js';
import { run as reconcile } from '../../src/cli/commands/reconcile.js';
import { knownSecretValues } from '../../src/model/secret.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { captureIO, sandboxEnv, sandboxSettingsYaml } from '../helpers/sandbox-cli.js';

let sandbox: SandboxHandle;
let dir: string;

beforeEach(async () => {
  sandbox = await startSandbox({ env: {}, randomSeed: 11 });
  dir = await mkdtemp(join(tmpdir(), 'scw-gitops-failure-'));
});
afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

/** What a command prints, in `dir`; no credentials unless given (`sandboxEnv(sandbox)`). */
const io = (env: Record<string, string> = {}) => captureIO({ env, cwd: dir });

const cap = createLogCapture();
const deps = () => ({ homeDir: dir, logger: cap.logger });

/** Settings of a CI job against the sandbox; `retries: 0` reports an outage at once. */
async function settings(source: string): Promise<string> {
  const file = join(dir, 'scw-gitops.yaml');
  await writeFile(
    file,
    sandboxSettingsYaml(sandbox, { sourceDir: source, instance: 'ci', prune: true, retries: 0 }),
  );
  return file;
}

async function iamDir(files: Record<string, string>): Promise<string> {
  const iam = join(dir, 'iam');
  await mkdir(iam, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(iam, name), text);
  return iam;
}

const BAD_APP = `apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: "web app!"
spec:
  description: deployer
`;

describe('the failure report (--out FILE)', () => {
  it('invalid desired state: diagnostics in the report, found offline without any credentials', async () => {
    await iamDir({ 'apps.yaml': BAD_APP });
    const t = io(); // no SCW_* at all, no scw config in homeDir
    const code = await plan(['iam', '--output', 'markdown', '--out', 'plan.md'], t.io, deps());
    expect(code).toBe(1);
    const report = await readFile(join(dir, 'plan.md'), 'utf8');
    expect(report).toMatch(/^### scw-gitops plan failed\n/);
    expect(report).toContain('**The desired state in iam is invalid (1 error).**');
    expect(report).toContain('Nothing was planned or changed.');
    expect(report).toMatch(
      /- \*\*error\*\* `iam\/apps\.yaml:4:9` `Application\/web app! metadata\.name`: .*\[`invalid-name`\]/,
    );
    expect(report).toContain('Check a fix locally with: scw-gitops validate iam');
    // stderr: the same diagnostics, in the same path style, then one failure line
    expect(t.err()).toMatch(/^iam\/apps\.yaml:4:9: error \[invalid-name\]/);
    expect(t.err()).toContain('scw-gitops plan: the desired state in iam is invalid (1 error)\n');
    expect(t.err()).toContain('scw-gitops plan: wrote the failure report to plan.md\n');
    expect(t.err()).not.toContain('secret key');
    expect(t.out()).toBe('');
  });

  it('a refused plan (mass delete): the reason and the plan context; the text plan on stdout', async () => {
    // Three applications owned by scw-gitops, then a desired state that keeps one of them.
    const app = (name: string) =>
      `apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n`;
    const iam = await iamDir({ 'apps.yaml': ['a', 'b', 'c'].map(app).join('---\n') });
    const cfg = await settings(iam);
    const first = io(sandboxEnv(sandbox));
    expect(await reconcile(['--config', cfg], first.io, deps()), first.err() + first.out()).toBe(0);
    await writeFile(join(iam, 'apps.yaml'), app('a'));
    const t = io(sandboxEnv(sandbox));
    const code = await reconcile(
      ['--config', cfg, '--dry-run', '--max-deletes', '1', '--output', 'markdown', '--out', 'plan.md'],
      t.io,
      deps(),
    );
    expect(code).toBe(1);
    const report = await readFile(join(dir, 'plan.md'), 'utf8');
    expect(report).toMatch(/^### scw-gitops reconcile --dry-run failed\n/);
    expect(report).toContain(`Organization \`${sandbox.organizationId}\`, instance \`ci\``);
    expect(report).toContain('**The plan was refused (1 error).**');
    expect(report).toMatch(/- \*\*error\*\* .*\[`mass-delete`\]/);
    // What would have been deleted, by address and live id: in the report and the plan.
    expect(report).toMatch(
      /^ {2}- Application\/b \([0-9a-f-]{36}\)\n {2}- Application\/c \([0-9a-f-]{36}\)$/m,
    );
    expect(t.out()).toMatch(/^ {6}- Application\/b \([0-9a-f-]{36}\)\n {6}- Application\/c /m);
    expect(t.out()).toContain('Plan refused: 1 error. Nothing will be changed.');
    expect(t.err()).toContain('scw-gitops reconcile: the plan was refused (1 error)\n');
  });

  it('an API outage: the error in the report, nothing changed, "run the job again"', async () => {
    const iam = await iamDir({
      'projects.yaml': 'apiVersion: scw-gitops/v1alpha1\nkind: Project\nmetadata:\n  name: web-platform\n',
    });
    const cfg = await settings(iam);
    sandbox.faults.adjust({ rate5xx: 1 });
    const t = io(sandboxEnv(sandbox));
    const code = await plan(['--config', cfg, '-o', 'markdown', '--out', 'plan.md'], t.io, deps());
    expect(code).toBe(1);
    const report = await readFile(join(dir, 'plan.md'), 'utf8');
    expect(report).toMatch(/\*\*Listing the organization failed: .*5\d\d/);
    expect(report).toContain('Nothing was changed.');
    expect(report).toContain('This is not a problem of the desired state: run the job again.');
    expect(t.err()).toMatch(/scw-gitops plan: listing the organization failed: /);
  });

  it('invalid settings: the settings diagnostics, with the settings file as given', async () => {
    await writeFile(
      join(dir, 'scw-gitops.yaml'),
      'apiVersion: scw-gitops/v1alpha1\nkind: Settings\nsource: { dir: iam }\nsinkz: []\n',
    );
    const t = io();
    const code = await plan(
      ['--config', 'scw-gitops.yaml', '-o', 'markdown', '--out', 'plan.md'],
      t.io,
      deps(),
    );
    expect(code).toBe(1);
    const report = await readFile(join(dir, 'plan.md'), 'utf8');
    expect(report).toContain('**Settings file scw-gitops.yaml is invalid (1 error(s)).**');
    expect(report).toMatch(/`scw-gitops\.yaml:4:1` `sinkz`: unknown field 'sinkz'/);
  });

  it('--output text --out FILE writes the text report; --output json does not replace a plan with one', async () => {
    await iamDir({ 'apps.yaml': BAD_APP });
    const t = io();
    expect(await plan(['iam', '--out', 'plan.txt'], t.io, deps())).toBe(1);
    const text = await readFile(join(dir, 'plan.txt'), 'utf8');
    expect(text).toMatch(
      /^scw-gitops plan failed: the desired state in iam is invalid \(1 error\)\nNothing was planned or changed\.\n\niam\/apps\.yaml:4:9: error \[invalid-name\]/,
    );
    const j = io();
    expect(await plan(['iam', '-o', 'json', '--out', 'plan.json'], j.io, deps())).toBe(1);
    await expect(readFile(join(dir, 'plan.json'), 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('markdown without --out: the report is the stdout', async () => {
    await iamDir({ 'apps.yaml': BAD_APP });
    const t = io();
    expect(await plan(['iam', '-o', 'markdown'], t.io, deps())).toBe(1);
    expect(t.out()).toMatch(/^### scw-gitops plan failed\n/);
  });

  it('an apply that fails part way (a sink refuses the secret): what was applied, in the report', async () => {
    const iam = await iamDir({
      'app.yaml': `apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: deployer
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata:
  name: deployer-ci
spec:
  application: deployer
  lifetime: 90d
`,
    });
    const cfg = await settings(iam);
    // A directory where the key's secret file goes: the delivery fails (for root too).
    await mkdir(join(dir, 'secrets', 'deployer-ci.env'), { recursive: true });
    const t = io(sandboxEnv(sandbox));
    const code = await reconcile(
      ['--config', cfg, '--output', 'markdown', '--out', 'apply.md'],
      t.io,
      deps(),
    );
    expect(code).toBe(1);
    const report = await readFile(join(dir, 'apply.md'), 'utf8');
    expect(report).toMatch(/^### scw-gitops reconcile failed\n/);
    expect(report).toContain('Some steps were applied (below)');
    expect(report).toMatch(/ApiKey\/deployer-ci: failed: .*secrets\/deployer-ci\.env is not a regular file/);
    expect(report).toContain('Application/deployer: created');
    for (const v of knownSecretValues()) expect(report.includes(v)).toBe(false);
  });
});
