/**
 * `source.git` in the settings file: every field, the defaults, and each mistake with its own
 * error (credentials in the URL, two refs, enforce without keys, SSH without known hosts, …).
 */
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/load-settings.js';
import { formatDiagnostic } from '../../src/model/diagnostics.js';

const HEAD = 'apiVersion: scw-gitops/v1alpha1\nkind: Settings\n';

function parse(body: string) {
  return parseSettings(HEAD + body, { file: 'settings.yaml', baseDir: '/etc/scw', dataDir: '/data' });
}

function errors(body: string): string[] {
  return parse(body)
    .diagnostics.filter((d) => d.severity === 'error')
    .map(formatDiagnostic);
}

describe('source.git settings', () => {
  it('reads every field, with paths resolved and the cache under the data directory', () => {
    const { settings, diagnostics } = parse(`source:
  git:
    url: https://github.com/acme/iam.git
    ref: { semver: "^1.2" }
    path: ./iam/
    interval: 30s
    timeout: 1m
    forcePush: follow
    auth: { tokenEnv: GIT_TOKEN }
    verify:
      mode: enforce
      openpgpKeys: [keys/alice.asc, keys/team/]
      allowedSigners: allowed_signers
    commitStatus:
      tokenFile: /run/secrets/status-token
      publicUrl: https://gitops.example.com/
`);
    expect(diagnostics).toEqual([]);
    expect(settings!.source).toEqual({
      git: {
        url: 'https://github.com/acme/iam.git',
        ref: { semver: '^1.2' },
        path: 'iam',
        intervalMs: 30_000,
        timeoutMs: 60_000,
        cacheDir: '/data/git-source',
        forcePush: 'follow',
        auth: { tokenEnv: 'GIT_TOKEN' },
        verify: {
          mode: 'enforce',
          openpgpKeys: ['/etc/scw/keys/alice.asc', '/etc/scw/keys/team'],
          allowedSigners: '/etc/scw/allowed_signers',
        },
        commitStatus: {
          provider: 'github',
          apiUrl: 'https://api.github.com',
          repository: 'acme/iam',
          tokenFile: '/run/secrets/status-token',
          context: 'scw-gitops',
          publicUrl: 'https://gitops.example.com',
        },
      },
    });
  });

  it('defaults: branch main, the root, 1m, refuse force-pushes, no verification', () => {
    const { settings } = parse('source:\n  git:\n    url: git@gitlab.com:acme/iam.git\n');
    expect(settings!.source.git).toMatchObject({
      ref: { branch: 'main' },
      path: '',
      intervalMs: 60_000,
      forcePush: 'refuse',
      verify: { mode: 'off', openpgpKeys: [] },
    });
  });

  it('refuses credentials in the URL as a literal secret', () => {
    expect(errors('source:\n  git:\n    url: https://bot:ghp_123456@github.com/acme/iam.git\n')).toEqual([
      'settings.yaml:5:10: error [literal-secret] source.git.url: secrets must not be written in the settings file: the URL carries credentials (remove them from the URL and use source.git.auth.tokenEnv, tokenFile, passwordEnv or passwordFile)',
    ]);
  });

  it('names each mistake', () => {
    const cases: [string, RegExp][] = [
      [
        'source:\n  dir: x\n  git: { url: https://h/r.git }\n',
        /source.dir and source.git are mutually exclusive/,
      ],
      ['source:\n  git: { url: "ext::sh" }\n', /unsupported git URL "ext::sh"/],
      [
        'source:\n  git: { url: https://h/r.git, ref: { branch: main, tag: v1 } }\n',
        /needs exactly one of branch, tag, semver or commit/,
      ],
      ['source:\n  git: { url: https://h/r.git, ref: { semver: "not a range" } }\n', /is not a semver range/],
      ['source:\n  git: { url: https://h/r.git, ref: { commit: abc } }\n', /must be a full commit hash/],
      ['source:\n  git: { url: https://h/r.git, ref: { branch: "a..b" } }\n', /is not a valid branch name/],
      ['source:\n  git: { url: https://h/r.git, path: ../etc }\n', /must stay inside the repository/],
      ['source:\n  git: { url: https://h/r.git, verify: { mode: enforce } }\n', /needs trusted keys/],
      ['source:\n  git: { url: git@h:r.git, auth: { sshKeyFile: id } }\n', /needs knownHostsFile/],
      [
        'source:\n  git: { url: https://h/r.git, auth: { sshKeyFile: id, knownHostsFile: kh } }\n',
        /sshKeyFile needs an ssh URL/,
      ],
      ['source:\n  git: { url: git@h:r.git, auth: { tokenEnv: T } }\n', /works with an https URL only/],
      [
        'source:\n  git: { url: https://h/r.git, auth: { passwordEnv: P } }\n',
        /a password needs username or usernameEnv/,
      ],
      [
        'source:\n  git: { url: https://h/r.git, auth: { token: abc } }\n',
        /secrets must not be written in the settings file/,
      ],
      [
        'source:\n  git: { url: https://h/r.git, commitStatus: { tokenEnv: T } }\n',
        /commitStatus.provider is required for h/,
      ],
      [
        'source:\n  git: { url: https://github.com/a/b.git, commitStatus: {} }\n',
        /needs tokenEnv or tokenFile/,
      ],
      [
        'source:\n  git: { url: https://h/r.git, forcePush: allow }\n',
        /forcePush must be one of refuse, follow/,
      ],
    ];
    for (const [body, expected] of cases) {
      const errs = errors(body);
      expect(errs.join('\n'), body).toMatch(expected);
    }
  });
});
