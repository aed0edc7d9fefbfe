import { describe, expect, it } from 'vitest';
import { parseSettings } from '../../src/config/load-settings.js';
import { DEFAULT_EXPIRING_WITHIN_MS, NOTIFICATION_EVENTS } from '../../src/config/settings.js';
import { formatDiagnostic } from '../../src/model/diagnostics.js';

const HEADER = 'apiVersion: scw-gitops/v1alpha1\nkind: Settings\nsource:\n  dir: desired\n';
const parse = (body: string) => parseSettings(HEADER + body, { file: 'settings.yaml', baseDir: '/etc/scw' });
const errors = (body: string) =>
  parse(body)
    .diagnostics.filter((d) => d.severity === 'error')
    .map(formatDiagnostic);

describe('notifications settings', () => {
  it('reads slack, webhook and kubernetes targets with their defaults', () => {
    const { settings, diagnostics } = parse(`notifications:
  - type: slack
    urlEnv: SLACK_URL
    events: [pass-failed, key-expiring]
    expiringWithin: 7d
  - type: webhook
    name: pager
    urlFile: secrets/hook-url
    maxPerMinute: 5
  - type: kubernetes
`);
    expect(diagnostics).toEqual([]);
    expect(settings!.notifications).toEqual([
      {
        type: 'slack',
        name: 'slack-0',
        urlEnv: 'SLACK_URL',
        events: ['pass-failed', 'key-expiring'],
        expiringWithinMs: 7 * 86_400_000,
        maxPerMinute: 20,
      },
      {
        type: 'webhook',
        name: 'pager',
        urlFile: '/etc/scw/secrets/hook-url',
        events: [...NOTIFICATION_EVENTS],
        expiringWithinMs: DEFAULT_EXPIRING_WITHIN_MS,
        maxPerMinute: 5,
      },
      {
        type: 'kubernetes',
        name: 'kubernetes-2',
        events: [...NOTIFICATION_EVENTS],
        expiringWithinMs: DEFAULT_EXPIRING_WITHIN_MS,
        maxPerMinute: 20,
      },
    ]);
    expect(parse('').settings!.notifications).toEqual([]);
  });

  it('names the field of each mistake, and refuses a URL written in the file', () => {
    expect(errors('notifications:\n  - type: slack\n')).toEqual([
      expect.stringMatching(/settings\.yaml:6:5: .*notifications\[0\] needs urlEnv or urlFile/),
    ]);
    expect(errors('notifications:\n  - type: teams\n    urlEnv: X\n')).toEqual([
      expect.stringMatching(/notifications\[0\]\.type must be one of slack, webhook, kubernetes/),
    ]);
    expect(errors('notifications:\n  - type: webhook\n    urlEnv: X\n    events: [pass-faild]\n')).toEqual([
      expect.stringMatching(/did you mean 'pass-failed'/),
    ]);
    expect(
      errors('notifications:\n  - type: webhook\n    url: https://hooks.example/x\n    urlEnv: X\n'),
    ).toEqual([expect.stringMatching(/unknown field 'url'/)]);
    expect(
      errors(
        'notifications:\n  - type: webhook\n    urlEnv: X\n  - type: slack\n    name: webhook-0\n    urlEnv: Y\n',
      ),
    ).toEqual([expect.stringMatching(/the name 'webhook-0' is used twice/)]);
  });
});
