/**
 * The settings shown in docs/operations.md for the git source ("Running without Kubernetes",
 * "Requiring signed commits") load without error: a reader can copy them.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/load-settings.js';

const repo = path.resolve(import.meta.dirname, '../..');

async function yamlBlocks(heading: string): Promise<string[]> {
  const page = await readFile(path.join(repo, 'docs/operations.md'), 'utf8');
  const section = page.split(/^## /m).find((s) => s.startsWith(heading));
  expect(section, heading).toBeDefined();
  return [...section!.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('git source examples in docs/operations.md', () => {
  it('Running without Kubernetes: the settings file is valid', async () => {
    const [yaml] = await yamlBlocks('Running without Kubernetes');
    const { settings, diagnostics } = parseSettings(yaml!, {
      file: 'config.yaml',
      baseDir: '/etc/scw-gitops',
    });
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(settings!.source.git).toMatchObject({
      ref: { branch: 'main' },
      path: 'iam',
      auth: { tokenEnv: 'GIT_TOKEN' },
    });
  });

  it('Requiring signed commits: the source section is valid', async () => {
    const [yaml] = await yamlBlocks('Requiring signed commits');
    const body = yaml!.replace(/^ {3}/gm, '');
    const { settings, diagnostics } = parseSettings(
      `apiVersion: scw-gitops/v1alpha1\nkind: Settings\n${body}`,
      {
        file: 'config.yaml',
        baseDir: '/etc/scw-gitops',
      },
    );
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(settings!.source.git?.verify).toMatchObject({
      mode: 'warn',
      allowedSigners: '/etc/scw-gitops/allowed_signers',
    });
  });
});
