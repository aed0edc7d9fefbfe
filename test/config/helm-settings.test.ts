/**
 * The settings file the Helm chart renders must pass our own validation (not only parse as YAML).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseSettings } from '../../src/config/load-settings.js';
import { resolveWebhookSecrets } from '../../src/daemon/webhooks.js';
import { TemplateEngine } from '../helm/go-template.js';

const chartDir = path.resolve(import.meta.dirname, '../../helm/scw-gitops');

function renderedSettings(over: Record<string, unknown>): string {
  const files = new Map<string, string>();
  for (const f of readdirSync(path.join(chartDir, 'templates')).sort()) {
    files.set(`scw-gitops/templates/${f}`, readFileSync(path.join(chartDir, 'templates', f), 'utf8'));
  }
  const chart = parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
  const values = parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...values };
  for (const [k, v] of Object.entries(over)) {
    merged[k] = { ...(values[k] as Record<string, unknown>), ...(v as Record<string, unknown>) };
  }
  const text = new TemplateEngine(files).renderFile('scw-gitops/templates/configmap.yaml', {
    Values: merged,
    Release: { Name: 'ops', Namespace: 'platform', Service: 'Helm' },
    Chart: { Name: chart['name'], Version: chart['version'], AppVersion: chart['appVersion'] },
    Template: { BasePath: 'scw-gitops/templates' },
  });
  const cm = parseAllDocuments(text)
    .map((d) => d.toJS() as { kind?: string; data?: Record<string, string> } | null)
    .find((o) => o?.kind === 'ConfigMap');
  return cm!.data!['settings.yaml']!;
}

describe('Helm chart settings', () => {
  for (const [label, over] of [
    ['defaults', {}],
    [
      'leader election and webhooks on',
      { leaderElection: { enabled: true }, webhooks: { existingSecret: 'hooks' } },
    ],
    [
      'notifications on (Kubernetes Events, a Slack and a webhook target)',
      {
        notifications: {
          kubernetesEvents: { enabled: true },
          existingSecret: 'hooks',
          targets: [
            { type: 'slack', urlKey: 'slack', events: ['pass-failed', 'key-expiring'] },
            { type: 'webhook', name: 'pager', urlKey: 'pager', maxPerMinute: 5 },
          ],
          expiringWithin: '7d',
        },
      },
    ],
    [
      'the built-in git source with verification and commit statuses',
      {
        source: {
          type: 'git',
          path: 'iam',
          git: {
            url: 'https://github.com/acme/iam.git',
            branch: 'main',
            tag: '',
            semver: '',
            commit: '',
            interval: '1m',
            forcePush: 'refuse',
            auth: { type: 'token', existingSecret: 'git-token' },
            verify: { mode: 'enforce', openpgpKeysConfigMap: 'keys', allowedSignersConfigMap: '' },
            commitStatus: {
              enabled: true,
              provider: '',
              repository: '',
              apiUrl: '',
              existingSecret: 'st',
              context: 'scw-gitops',
              publicUrl: 'https://gitops.example.com',
            },
          },
        },
      },
    ],
  ] as const) {
    it(`validates (${label})`, () => {
      const text = renderedSettings(over);
      const { settings, diagnostics } = parseSettings(text, {
        file: 'settings.yaml',
        baseDir: '/etc/scw-gitops',
      });
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(settings?.server.host).toBe('0.0.0.0');
    });
  }

  it('starts with a webhook Secret holding only the GitHub key (each key is optional)', async () => {
    const { settings } = parseSettings(renderedSettings({ webhooks: { existingSecret: 'hooks' } }), {
      file: 'settings.yaml',
      baseDir: '/etc/scw-gitops',
    });
    const files: Record<string, string> = { '/etc/scw-gitops/webhooks/github': 'gh-secret-value\n' };
    const readFile = async (f: string) => {
      const text = files[f];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' });
      return text;
    };
    const secrets = await resolveWebhookSecrets(settings!.webhooks, { env: {}, readFile });
    expect(secrets.github?.reveal()).toBe('gh-secret-value');
    expect(secrets.gitlab).toBeUndefined();
    expect(secrets.absent).toEqual(['gitlab']);
    // A read error other than "absent" still stops the daemon, naming the file.
    const broken = async () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    await expect(resolveWebhookSecrets(settings!.webhooks, { env: {}, readFile: broken })).rejects.toThrow(
      'webhooks.github: cannot read /etc/scw-gitops/webhooks/github (EACCES)',
    );
  });
});
