import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

const repo = join(import.meta.dirname, '..', '..');

function fakeIO(cwd = repo): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (t: string) => {
      io.out += t;
    },
    stderr: (t: string) => {
      io.err += t;
    },
    env: {},
    cwd,
    isTTY: false,
    signal: new AbortController().signal,
  };
  return io;
}

describe('scw-gitops validate', () => {
  it('exits 0 on a valid directory and prints a summary', async () => {
    const io = fakeIO();
    const code = await main(
      ['validate', 'examples/basic', '--sinks', 'local', '--now', '2026-06-01T00:00:00Z'],
      io,
    );
    expect(io.err).toBe('');
    expect(io.out).toBe(
      'examples/basic: valid, 20 resources (3 Project, 5 Application, 1 Group, 5 Policy, 6 ApiKey), 0 warnings\n',
    );
    expect(code).toBe(0);
  });

  it('exits 1 on an invalid directory, printing every diagnostic with paths relative to the working directory', async () => {
    const io = fakeIO();
    const code = await main(['validate', 'examples/invalid', '--sinks', 'local,vault-prod'], io);
    expect(code).toBe(1);
    const lines = io.out.trimEnd().split('\n');
    expect(lines).toHaveLength(15);
    expect(lines[1]).toBe(
      'examples/invalid/mistakes.yaml:13:3: error [unknown-field] Project/default spec.descripton: unknown field `descripton` in `spec` (did you mean `description`?)',
    );
    expect(lines).toContain(
      'examples/invalid/mistakes.yaml:38:11: error [unknown-sink] ApiKey/Deploy_Key spec.sink.name: sink "vault" is not declared in the settings (sinks: local, vault-prod) (did you mean `vault-prod`?)',
    );
    expect(lines.at(-1)).toBe('examples/invalid: invalid, 14 errors, 0 warnings');
  });

  it('resolves DIR against the working directory and shows paths from there', async () => {
    const io = fakeIO(join(repo, 'examples'));
    const code = await main(['validate', 'invalid'], io);
    expect(code).toBe(1);
    expect(io.out.split('\n')[0]).toMatch(/^invalid\/mistakes\.yaml:11:9: error \[reserved-name\]/);
  });

  it('exits 0 with warnings, and prints them', async () => {
    const io = fakeIO();
    const code = await main(
      ['validate', 'test/desired/fixtures/warnings', '--now', '2026-06-01T00:00:00Z'],
      io,
    );
    expect(io.out).toBe(
      [
        'test/desired/fixtures/warnings/key.yaml:4:9: warning [never-expires] ApiKey/forever: this key never expires and is never rotated (unless the settings’ `defaults.rotation` set a lifetime or maxAge) (set `spec.lifetime` (rotated before expiry), `spec.expiresAt` or `spec.rotation.maxAge`)',
        'test/desired/fixtures/warnings: valid, 2 resources (1 Application, 1 ApiKey), 1 warning',
        '',
      ].join('\n'),
    );
    expect(code).toBe(0);
  });

  it('--output json gives a machine-readable report', async () => {
    const io = fakeIO();
    const code = await main(
      ['validate', 'examples/invalid', '--output', 'json', '--instance', 'staging'],
      io,
    );
    expect(code).toBe(1);
    const report = JSON.parse(io.out) as {
      valid: boolean;
      errors: number;
      warnings: number;
      diagnostics: { code: string; location: { file: string } }[];
    };
    expect(report.valid).toBe(false);
    expect(report.errors).toBe(13); // without --sinks, the sink name is not checked
    expect(report.diagnostics[0]).toMatchObject({
      code: 'reserved-name',
      severity: 'error',
      resource: 'Project/default',
      field: 'metadata.name',
      location: { file: 'examples/invalid/mistakes.yaml', line: 11, col: 9 },
    });
  });

  it('validates a single file', async () => {
    const io = fakeIO();
    const code = await main(['validate', 'examples/basic/projects.yaml'], io);
    expect(io.out).toBe('examples/basic/projects.yaml: valid, 3 resources (3 Project), 0 warnings\n');
    expect(code).toBe(0);
  });

  it('reports a missing directory', async () => {
    const io = fakeIO();
    const code = await main(['validate', 'no/such/dir'], io);
    expect(code).toBe(1);
    expect(io.out).toMatch(
      /^error \[root-not-found\] cannot read the desired-state root .*no\/such\/dir: .*ENOENT/,
    );
  });

  it('prints --help and rejects bad usage', async () => {
    const help = fakeIO();
    expect(await main(['validate', '--help'], help)).toBe(0);
    expect(help.out).toContain('Usage: scw-gitops validate [DIR] [options]');
    expect(help.out).toContain('--config FILE');
    expect(help.out).toContain('--sinks a,b');

    for (const argv of [
      [],
      ['a', 'b'],
      ['x', '--output', 'xml'],
      ['x', '--bogus'],
      ['x', '--now', 'yesterday'],
    ]) {
      const io = fakeIO();
      expect(await main(['validate', ...argv], io)).toBe(1);
      expect(io.err).toMatch(/^scw-gitops validate: /);
      expect(io.out).toBe('');
    }
  });

  it('--config takes the instance, sink names, default sink and source.dir from a settings file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scw-gitops-validate-'));
    try {
      const settings = join(dir, 'settings.yaml');
      await writeFile(
        settings,
        [
          'apiVersion: scw-gitops/v1alpha1',
          'kind: Settings',
          'instance: team-a',
          `source: { dir: ${JSON.stringify(join(repo, 'examples', 'invalid'))} }`,
          'sinks:',
          '  - { name: local, type: file, dir: ./secrets, format: dotenv }',
          '  - { name: vaulty, type: file, dir: ./other, format: json }',
          'defaults: { sink: local }',
          '',
        ].join('\n'),
      );
      const io = fakeIO();
      expect(await main(['validate', '--config', settings], io)).toBe(1);
      expect(io.out).toContain(
        'examples/invalid/mistakes.yaml:38:11: error [unknown-sink] ApiKey/Deploy_Key spec.sink.name: sink "vault" is not declared in the settings (sinks: local, vaulty) (did you mean `vaulty`?)',
      );
      expect(io.out.trimEnd().split('\n').at(-1)).toBe('examples/invalid: invalid, 14 errors, 0 warnings');

      // An explicit DIR wins over source.dir; flags win over the settings.
      const io2 = fakeIO();
      expect(await main(['validate', 'examples/basic', '--config', settings, '--sinks', 'local'], io2)).toBe(
        0,
      );
      expect(io2.out).toContain('examples/basic: valid, 20 resources');

      await writeFile(settings, 'apiVersion: scw-gitops/v1alpha1\nkind: Settings\nsourse: {}\n');
      const bad = fakeIO();
      expect(await main(['validate', '--config', settings], bad)).toBe(1);
      expect(bad.err).toMatch(/^scw-gitops validate: settings file .*settings\.yaml is invalid/);
      expect(bad.out).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
