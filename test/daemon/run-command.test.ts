import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { run } from '../../src/cli/commands/run.js';
import { assertNoSecrets } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';

function io(cwd: string, signal: AbortSignal, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIO = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env,
    cwd,
    isTTY: false,
    signal,
  };
  return { io: value, out, err };
}

const APP = `apiVersion: scw-gitops/v1alpha1
kind: Application
metadata:
  name: once-app
spec:
  description: created by run --once
`;

function settingsYaml(extra = ''): string {
  return `apiVersion: scw-gitops/v1alpha1
kind: Settings
instance: run-test
source: { dir: desired }
scaleway: { sandbox: { enabled: true } }
sinks: [ { name: local, type: file, dir: secrets } ]
server: { host: 127.0.0.1, port: 0 }
log: { level: info, pretty: false }
${extra}`;
}

describe('scw-gitops run', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'scw-run-'));
    await mkdir(path.join(dir, 'desired'));
    await writeFile(path.join(dir, 'desired', 'app.yaml'), APP);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints help', async () => {
    const t = io(dir, new AbortController().signal);
    expect(await run(['--help'], t.io)).toBe(0);
    expect(t.out.join('')).toContain('--once');
  });

  it('rejects unknown flags and invalid settings with file:line:col', async () => {
    const t = io(dir, new AbortController().signal);
    expect(await run(['--bogus'], t.io)).toBe(1);
    await writeFile(path.join(dir, 'bad.yaml'), settingsYaml('webhooks:\n  github:\n    secret: abc\n'));
    const t2 = io(dir, new AbortController().signal);
    expect(await run(['--config', 'bad.yaml'], t2.io)).toBe(1);
    expect(t2.err.join('')).toContain('bad.yaml:11:5: error [literal-secret] webhooks.github.secret');
  });

  it('--log-format text: readable lines, without colour when not a terminal; json: JSON', async () => {
    await writeFile(path.join(dir, 'settings.yaml'), settingsYaml());
    const text = io(dir, new AbortController().signal);
    expect(await run(['--config', 'settings.yaml', '--once', '--log-format', 'text'], text.io)).toBe(0);
    const printed = text.out.join('');
    expect(printed).toContain('reconcile pass finished');
    expect(printed).not.toMatch(/^\{/m);
    expect(printed).not.toContain('\u001b[');
    const json = io(dir, new AbortController().signal);
    expect(await run(['--config', 'settings.yaml', '--once', '--log-format', 'json'], json.io)).toBe(0);
    for (const line of json.out.join('').trim().split('\n')) expect(JSON.parse(line)).toHaveProperty('msg');
    const bad = io(dir, new AbortController().signal);
    expect(await run(['--config', 'settings.yaml', '--log-format', 'pretty'], bad.io)).toBe(1);
    expect(bad.err.join('')).toContain('--log-format must be text or json');
  });

  it('--once runs one pass against the sandbox and exits 0', async () => {
    await writeFile(path.join(dir, 'settings.yaml'), settingsYaml());
    const t = io(dir, new AbortController().signal);
    expect(await run(['--config', 'settings.yaml', '--once'], t.io)).toBe(0);
    const lines = t.out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const done = lines.find((l) => l['msg'] === 'reconcile pass finished');
    expect(done).toMatchObject({ result: 'applied', plan: { create: 1 } });
    assertNoSecrets(t.out);
  });

  it('--once exits 1 when the desired state is invalid', async () => {
    await writeFile(path.join(dir, 'desired', 'bad.yaml'), 'apiVersion: scw-gitops/v1alpha1\nkind: Nope\n');
    await writeFile(path.join(dir, 'settings.yaml'), settingsYaml());
    const t = io(dir, new AbortController().signal);
    expect(await run(['--config', 'settings.yaml', '--once'], t.io)).toBe(1);
  });

  it('runs the daemon until the signal, then stops cleanly with exit 0', async () => {
    await writeFile(path.join(dir, 'settings.yaml'), settingsYaml());
    const ctl = new AbortController();
    const t = io(dir, ctl.signal);
    const done = run(['-c', 'settings.yaml'], t.io);
    await waitFor(() => t.out.join('').includes('"msg":"reconcile pass finished"'), {
      timeoutMs: 20_000,
      what: 'first pass',
    });
    ctl.abort(new Error('received SIGTERM'));
    expect(await done).toBe(0);
    const text = t.out.join('');
    expect(text).toContain('"msg":"stop requested"');
    expect(text).toContain('"msg":"stopped"');
    assertNoSecrets(t.out);
  });
});
