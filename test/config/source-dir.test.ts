/**
 * `source.dir` is optional in the settings when DIR is on the command line, and the
 * `secrets-in-source` check uses the directory a command actually reads (issue #15, "Settings"):
 * src/config/source-dir.ts, through validate, plan and run. Offline: every case here is decided
 * before any credential is needed or any API is called.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as plan } from '../../src/cli/commands/plan.js';
import { run as runCommand } from '../../src/cli/commands/run.js';
import { run as validate } from '../../src/cli/commands/validate.js';
import type { CliIO } from '../../src/cli/io.js';
import { parseSettings } from '../../src/config/load-settings.js';
import { requireSourceDir, sinksInSource } from '../../src/config/source-dir.js';
import { ConfigError } from '../../src/errors.js';
import { formatDiagnostic } from '../../src/model/diagnostics.js';

const APP = 'apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: app\n';

function settingsYaml(source = ''): string {
  return `apiVersion: scw-gitops/v1alpha1
kind: Settings
${source}scaleway: { sandbox: { enabled: true } }
sinks:
  - name: local
    type: file
    dir: secrets
server: { host: 127.0.0.1, port: 0 }
`;
}

describe('the effective source directory', () => {
  it('secrets-in-source is about the directory a command reads, with file:line:col', () => {
    const { settings } = parseSettings(settingsYaml(), { file: 'settings.yaml', baseDir: '/srv/gitops' });
    expect(settings!.source.dir).toBeUndefined();
    expect(sinksInSource(settings!, '/srv/gitops/desired')).toEqual([]);
    const inside = sinksInSource(settings!, '/srv/gitops', 'DIR');
    expect(inside.map(formatDiagnostic)).toEqual([
      'settings.yaml:7:10: error [secrets-in-source] sinks[0].dir: sinks[0].dir (/srv/gitops/secrets) is inside DIR (/srv/gitops): secrets would land in the desired-state tree (and in git) (use a directory outside the desired-state directory, e.g. ../.secrets)',
    ]);
  });

  it('the daemon requires source.dir, and a sink outside it', () => {
    const none = parseSettings(settingsYaml(), { file: 'settings.yaml', baseDir: '/srv/gitops' }).settings!;
    const err = (() => {
      try {
        requireSourceDir(none);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).diagnostics.map(formatDiagnostic)).toEqual([
      'settings.yaml:1:1: error [missing-field] source.dir: source.dir is required by `run` (plan, reconcile and validate take DIR instead)',
    ]);
    const here = parseSettings(settingsYaml('source: { dir: . }\n'), {
      file: 'settings.yaml',
      baseDir: '/srv/gitops',
    }).settings!;
    expect(() => requireSourceDir(here)).toThrow(
      /sinks\[0\]\.dir \(\/srv\/gitops\/secrets\) is inside source\.dir/,
    );
    const desired = parseSettings(settingsYaml('source: { dir: desired }\n'), {
      file: 'settings.yaml',
      baseDir: '/srv/gitops',
    }).settings!;
    expect(requireSourceDir(desired)).toBe('/srv/gitops/desired');
  });
});

describe('commands with a settings file without source.dir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scw-source-dir-'));
    await mkdir(join(dir, 'desired'));
    await writeFile(join(dir, 'desired', 'app.yaml'), APP);
    await writeFile(join(dir, 'settings.yaml'), settingsYaml());
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(
    command: (argv: readonly string[], io: CliIO) => Promise<number>,
    ...argv: string[]
  ): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      // No credentials: nothing here may get as far as the API.
      env: { SCW_CONFIG_PATH: join(dir, 'no-scw-config.yaml') },
      cwd: dir,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const code = await command(argv, io);
    return { code, out: out.join(''), err: err.join('') };
  }

  it('validate DIR: valid, no spurious secrets-in-source (the sink is beside DIR, not in it)', async () => {
    const r = await cli(validate, 'desired', '--config', 'settings.yaml');
    expect(r.err).toBe('');
    expect(r.out).toBe('desired: valid, 1 resource (1 Application), 0 warnings\n');
    expect(r.code).toBe(0);
  });

  it('validate DIR where DIR holds the sink directory: the error points at sinks[0].dir', async () => {
    const r = await cli(validate, '.', '--config', 'settings.yaml');
    expect(r.code).toBe(1);
    expect(r.out).toContain('settings.yaml:7:10: error [secrets-in-source] sinks[0].dir:');
    // Paths inside the working directory are shown relative to it (src/cli/display.ts).
    expect(r.out).toContain('sinks[0].dir (secrets) is inside DIR (.)');
  });

  it('validate and plan without DIR say that the settings have no source.dir', async () => {
    const v = await cli(validate, '--config', 'settings.yaml');
    expect(v.code).toBe(1);
    expect(v.err).toContain('missing DIR (the settings file has no source.dir)');
    const p = await cli(plan, '--config', 'settings.yaml');
    expect(p.code).toBe(1);
    expect(p.err).toContain('missing DIR (the settings file settings.yaml has no source.dir)');
  });

  it('plan DIR refuses a DIR that holds the sink directory, before any API call', async () => {
    const p = await cli(plan, '.', '--config', 'settings.yaml');
    expect(p.code).toBe(1);
    expect(p.err).toContain('a secret sink writes inside the desired-state directory');
    expect(p.err).toContain('settings.yaml:7:10: error [secrets-in-source] sinks[0].dir:');
  });

  it('run needs source.dir, and says so', async () => {
    const r = await cli(runCommand, '--config', 'settings.yaml', '--once');
    expect(r.code).toBe(1);
    expect(r.err).toContain('source.dir is required to run the daemon');
    expect(r.err).toContain('settings.yaml:1:1: error [missing-field] source.dir');
  });
});
