/**
 * Two keys must never share one secret location (issue #12, "Collisions"): each pass would
 * overwrite the other key's secret and rotate it, forever. Locations are compared after every
 * default is applied (the file sink's format extension, the Kubernetes sink's namespace, the
 * Vault mount and prefix), across all keys, and the error names both file:line locations.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

const SETTINGS = `apiVersion: scw-gitops/v1alpha1
kind: Settings
instance: default
source:
  dir: desired
scaleway:
  sandbox: { enabled: true }
sinks:
  - name: local
    type: file
    dir: secrets
    format: dotenv
  - name: cluster
    type: kubernetes
    namespace: default
  - name: vault
    type: vault
    address: https://vault.example:8200
    mount: secret
    pathPrefix: scw
    auth: { method: token, tokenEnv: VAULT_TOKEN }
defaults:
  sink: local
`;

const key = (name: string, spec: string) =>
  `---\napiVersion: scw-gitops/v1alpha1\nkind: ApiKey\nmetadata:\n  name: ${name}\nspec:\n  application: app\n  lifetime: 30d\n${spec}`;
const APP = `---\napiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: app\n`;

let dir: string;

function io(): CliIO & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    stdout: (t: string) => {
      captured.out += t;
    },
    stderr: (t: string) => {
      captured.err += t;
    },
    env: {},
    cwd: dir,
    isTTY: false,
    signal: new AbortController().signal,
  };
  return captured;
}

async function validate(files: Record<string, string>): Promise<{ code: number; lines: string[] }> {
  await writeFile(join(dir, 'settings.yaml'), SETTINGS);
  await mkdir(join(dir, 'desired'), { recursive: true });
  await writeFile(join(dir, 'desired', 'app.yaml'), APP);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, 'desired', name), text);
  const out = io();
  const code = await main(['validate', '--config', 'settings.yaml', '--now', '2026-06-01T00:00:00Z'], out);
  return { code, lines: out.out.trimEnd().split('\n') };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scw-gitops-collide-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('validate: two keys resolving to one secret location', () => {
  it('a file default (`alpha` + `.env`) against an explicit `path: alpha.env` is refused, naming both places', async () => {
    const { code, lines } = await validate({
      'alpha.yaml': key('alpha', ''),
      'beta.yaml': key('beta', '  sink:\n    path: alpha.env\n'),
    });
    expect(code).toBe(1);
    const errors = lines.filter((l) => l.includes('[sink-collision]'));
    expect(errors).toHaveLength(2);
    const beta = errors.find((l) => l.includes('] ApiKey/beta '))!;
    expect(beta).toMatch(
      /^desired\/beta\.yaml:10:11: error \[sink-collision\] ApiKey\/beta spec\.sink\.path: /,
    );
    expect(beta).toContain('ApiKey/alpha (desired/alpha.yaml:5:9)');
    expect(beta).toContain('file:secrets/alpha.env'); // shown relative to the working directory
    const alpha = errors.find((l) => l.includes('] ApiKey/alpha '))!;
    expect(alpha).toMatch(
      /^desired\/alpha\.yaml:5:9: error \[sink-collision\] ApiKey\/alpha metadata\.name: /,
    );
    expect(alpha).toContain('ApiKey/beta (desired/beta.yaml:10:11)');
  });

  it('a Kubernetes namespace left unset (the sink’s `default`) against `namespace: default` is refused, naming both places', async () => {
    const { code, lines } = await validate({
      'gamma.yaml': key('gamma', '  sink:\n    name: cluster\n'),
      'delta.yaml': key(
        'delta',
        '  sink:\n    name: cluster\n    namespace: default\n    secretName: gamma\n',
      ),
    });
    expect(code).toBe(1);
    const errors = lines.filter((l) => l.includes('[sink-collision]'));
    expect(errors).toHaveLength(2);
    const delta = errors.find((l) => l.includes('] ApiKey/delta '))!;
    expect(delta).toMatch(/^desired\/delta\.yaml:\d+:\d+: error \[sink-collision\] ApiKey\/delta /);
    expect(delta).toContain('k8s:default/gamma');
    expect(delta).toContain('ApiKey/gamma (desired/gamma.yaml:5:9)');
    const gamma = errors.find((l) => l.includes('] ApiKey/gamma '))!;
    expect(gamma).toMatch(/ApiKey\/delta \(desired\/delta\.yaml:\d+:\d+\)/);
  });

  it('a Vault path equal to another key’s default under the same mount and prefix is refused', async () => {
    const { code, lines } = await validate({
      'one.yaml': key('one', '  sink:\n    name: vault\n'),
      'two.yaml': key('two', '  sink:\n    name: vault\n    path: one\n'),
    });
    expect(
      lines.filter((l) => l.includes('[sink-collision]')),
      lines.join('\n'),
    ).toHaveLength(2);
    expect(lines.join('\n')).toContain('vault:secret/data/scw/one');
    expect(code).toBe(1);
  });

  it('the same name in different sinks, formats or namespaces is fine', async () => {
    const { code, lines } = await validate({
      'a.yaml': key('a', '  sink:\n    name: cluster\n    namespace: team-a\n    secretName: shared\n'),
      'b.yaml': key('b', '  sink:\n    name: cluster\n    namespace: team-b\n    secretName: shared\n'),
      'c.yaml': key('c', '  sink:\n    path: c.json\n'),
      'd.yaml': key('d', '  sink:\n    name: vault\n    path: c.env\n'),
    });
    expect(lines.filter((l) => l.includes('[sink-collision]'))).toEqual([]);
    expect(code).toBe(0);
  });
});
