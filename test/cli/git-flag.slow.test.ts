/**
 * `plan` and `reconcile` with `--git URL#REF:PATH` against the sandbox: the commit is fetched
 * (file URL and loopback HTTP), named in the plan, verified with the same flags as the daemon's
 * settings (enforce: exit 1, warn: a warning), and a credential in the URL never shows.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as plan } from '../../src/cli/commands/plan.js';
import { run as reconcile } from '../../src/cli/commands/reconcile.js';
import type { CliIO } from '../../src/cli/io.js';
import { refFromSpec } from '../../src/cli/git-flag.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { parseGitSpec } from '../../src/source/git-url.js';
import { type GitHttpServer, startGitHttpServer } from '../emulators/git-host/git-http-server.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { createGitFixture, type GitFixture } from '../source/git-fixture.js';

const APP = (name: string) =>
  `apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n  description: ${name}\n`;
const TOKEN = 'cli-http-token-0987654321';

let sandbox: SandboxHandle;
let fx: GitFixture;
let http: GitHttpServer;
let dir: string;
let signed: string;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIO = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: dir,
      SCW_API_URL: sandbox.url,
      SCW_ACCESS_KEY: sandbox.adminAccessKey,
      SCW_SECRET_KEY: sandbox.adminSecretKey,
      SCW_DEFAULT_ORGANIZATION_ID: sandbox.organizationId,
    },
    cwd: dir,
    isTTY: false,
    signal: new AbortController().signal,
  };
  return { io: value, out: () => out.join(''), err: () => err.join('') };
}

const cap = createLogCapture();
const deps = () => ({ homeDir: dir, logger: cap.logger });

beforeAll(async () => {
  sandbox = await startSandbox({ env: {}, randomSeed: 5 });
  dir = await mkdtemp(join(tmpdir(), 'scw-cli-git-'));
  fx = await createGitFixture();
  signed = await fx.commit(
    { 'iam/app.yaml': APP('cli-git-app'), 'other/x.yaml': APP('not-this') },
    { sign: { gpg: 'alice' } },
  );
  http = await startGitHttpServer({ root: fx.root, auth: { username: 'x-access-token', password: TOKEN } });
});

afterAll(async () => {
  await http?.close();
  await fx?.close();
  await sandbox?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('--git on the command line', () => {
  it('parses URL#REF:PATH', () => {
    expect(parseGitSpec('https://host/org/iam.git#main:envs/prod')).toEqual({
      url: 'https://host/org/iam.git',
      ref: 'main',
      path: 'envs/prod',
    });
    expect(parseGitSpec('git@host:org/iam.git#semver:^1.2:iam')).toEqual({
      url: 'git@host:org/iam.git',
      ref: 'semver:^1.2',
      path: 'iam',
    });
    expect(parseGitSpec('file:///srv/iam.git')).toEqual({ url: 'file:///srv/iam.git' });
    expect(refFromSpec('refs/tags/v1.0.0')).toEqual({ tag: 'v1.0.0' });
    expect(refFromSpec('a'.repeat(40))).toEqual({ commit: 'a'.repeat(40) });
  });

  it('plan --git by file URL: the default branch, only PATH, the commit in the plan', async () => {
    const t = io();
    const code = await plan(['--git', `${fx.fileUrl}#:iam`, '--no-prune'], t.io, deps());
    expect({ code, err: t.err() }).toMatchObject({ code: 2 });
    expect(t.err()).toContain(`Desired state: ${fx.fileUrl} refs/heads/main at ${signed}, path iam`);
    expect(t.out()).toContain(`revision ${signed}`);
    expect(t.out()).toContain('cli-git-app');
    expect(t.out()).not.toContain('not-this');
  });

  it('reconcile --git over HTTP with a token in the URL applies it and never prints the token', async () => {
    const url = `${http.url.replace('://', `://x-access-token:${TOKEN}@`)}/origin.git#main:iam`;
    const t = io();
    const code = await reconcile(['--git', url, '--no-prune'], t.io, deps());
    expect({ code, err: t.err() }).toMatchObject({ code: 0 });
    expect(t.err()).toContain(
      `${http.url.replace('://', '://***@')}/origin.git refs/heads/main at ${signed}`,
    );
    const apps = await fetch(
      `${sandbox.url}/iam/v1alpha1/applications?organization_id=${sandbox.organizationId}&name=cli-git-app`,
      {
        headers: { 'X-Auth-Token': sandbox.adminSecretKey },
      },
    ).then((r) => r.json() as Promise<{ total_count: number }>);
    expect(apps.total_count).toBe(1);
    const again = io();
    expect(await plan(['--git', url, '--no-prune'], again.io, deps())).toBe(0);
    assertNoSecrets([t.out(), t.err(), again.out(), again.err(), ...cap.raw], [TOKEN]);
  });

  it('--verify enforce: a signed commit passes, an unsigned one is an error naming commit and reason', async () => {
    const ok = io();
    const code = await plan(
      [
        '--git',
        `${fx.fileUrl}#main:iam`,
        '--verify',
        'enforce',
        '--trusted-keys',
        fx.keys.alicePublic,
        '--no-prune',
      ],
      ok.io,
      deps(),
    );
    expect(code).toBe(0);
    expect(ok.err()).toContain(
      `verified (signed by Alice <alice@example.com> (openpgp ${fx.keys.aliceFingerprint}))`,
    );
    expect(ok.out()).toContain(`revision ${signed} signed by Alice <alice@example.com>`);

    const unsigned = await fx.commit({ 'iam/more.yaml': APP('more') });
    const bad = io();
    const refused = await reconcile(
      ['--git', `${fx.fileUrl}#main:iam`, '--verify', 'enforce', '--trusted-keys', fx.keys.alicePublic],
      bad.io,
      deps(),
    );
    expect(refused).toBe(1);
    expect(bad.err()).toContain(
      `revision ${unsigned.slice(0, 12)} of ${fx.fileUrl} refused: the commit is not signed`,
    );
  });

  it('--verify warn: applies with a warning', async () => {
    const cli = createLogCapture();
    const t = io();
    const code = await plan(
      [
        '--git',
        `${fx.fileUrl}#main:iam`,
        '--verify',
        'warn',
        '--allowed-signers',
        fx.keys.allowedSigners,
        '--no-prune',
      ],
      t.io,
      { homeDir: dir, logger: cli.logger },
    );
    expect(code).toBe(2);
    expect(cli.find('applying it anyway (source.git.verify.mode: warn)')).toHaveLength(1);
    expect(t.err()).toContain(', unsigned');
  });

  it('usage errors: --git with DIR, --verify without keys, a bad URL', async () => {
    const a = io();
    expect(await plan(['--git', fx.fileUrl, 'some-dir'], a.io, deps())).toBe(1);
    expect(a.err()).toContain('--git and DIR are mutually exclusive');
    const b = io();
    expect(await plan(['--git', fx.fileUrl, '--verify', 'enforce'], b.io, deps())).toBe(1);
    expect(b.err()).toContain('--verify enforce needs --trusted-keys and/or --allowed-signers');
    const c = io();
    expect(await plan(['--git', 'ext::sh -c evil'], c.io, deps())).toBe(1);
    expect(c.err()).toContain('--git: ');
  });

  it('uses source.git from --config when no DIR is given', async () => {
    const file = join(dir, 'settings.yaml');
    await writeFile(
      file,
      `apiVersion: scw-gitops/v1alpha1
kind: Settings
source:
  git:
    url: ${fx.fileUrl}
    ref: { branch: main }
    path: iam
scaleway:
  apiUrl: ${sandbox.url}
  organizationId: ${sandbox.organizationId}
prune: false
`,
    );
    const t = io();
    const code = await plan(['-c', file], t.io, deps());
    expect([0, 2]).toContain(code);
    expect(t.err()).toContain(`Desired state: ${fx.fileUrl} refs/heads/main at`);
  });
});
