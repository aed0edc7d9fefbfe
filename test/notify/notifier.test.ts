/**
 * Notifications against a local HTTP receiver (Slack-compatible and the documented webhook body)
 * and the Kubernetes emulator (Events on the daemon's Pod): every event type, one message per
 * object and state change, retries after a 500, a rate limit, nothing secret in any payload, and
 * never the webhook URL in the logs.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_EXPIRING_WITHIN_MS,
  NOTIFICATION_EVENTS,
  type NotificationSettings,
} from '../../src/config/settings.js';
import type { PassReport } from '../../src/daemon/pass-report.js';
import type { Inventory, KeyTimelineRow, ObjectStatus } from '../../src/model/inventory.js';
import { Secret } from '../../src/model/secret.js';
import { Notifier, type WebhookBody } from '../../src/notify/notifier.js';
import { startKubernetesEmulator } from '../emulators/kubernetes/server.js';
import { kubeConfigFor } from '../k8s/fixtures.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';

const DAY = 86_400_000;

interface Receiver {
  readonly url: string;
  readonly bodies: unknown[];
  /** Status codes to answer, in order, before answering 200. */
  readonly failFirst: number[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const bodies: unknown[] = [];
  const failFirst: number[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = failFirst.shift() ?? 200;
      if (status === 200) bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.statusCode = status;
      res.end(status === 200 ? 'ok' : 'error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    // The path stands for the token a real hook URL carries.
    url: `http://127.0.0.1:${port}/services/T000/B000/hook-url-token-xyz`,
    bodies,
    failFirst,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const base = {
  expiringWithinMs: DEFAULT_EXPIRING_WITHIN_MS,
  maxPerMinute: 100,
  events: [...NOTIFICATION_EVENTS],
};

function row(name: string, accessKey: string, expiresInDays: number, now: Date): KeyTimelineRow {
  return {
    address: `ApiKey/${name}`,
    name,
    application: 'app',
    location: { file: 'keys.yaml', line: 3, col: 9 },
    keys: [
      {
        accessKey,
        role: 'current',
        state: 'ready',
        createdAt: new Date(now.getTime() - 10 * DAY).toISOString(),
        expiresAt: new Date(now.getTime() + expiresInDays * DAY).toISOString(),
        rotateAt: new Date(now.getTime() + (expiresInDays - 5) * DAY).toISOString(),
      },
    ],
  };
}

const blocked = (name: string, message: string): ObjectStatus => ({
  address: `Application/${name}`,
  kind: 'Application',
  name,
  state: 'conflict',
  declared: true,
  location: { file: `apps/${name}.yaml`, line: 4, col: 9 },
  diagnostics: [
    {
      severity: 'error',
      code: 'conflict',
      message,
      location: { file: `apps/${name}.yaml`, line: 4, col: 9 },
    },
  ],
});

type ReportParts = Omit<Partial<PassReport>, 'inventory'> & {
  objects?: ObjectStatus[];
  keys?: KeyTimelineRow[];
  /** undefined: a pass that could not plan (no inventory). */
  inventory?: Inventory | undefined;
};

function report(now: Date, parts: ReportParts): PassReport {
  const { objects, keys, inventory, ...rest } = parts;
  const inv: Inventory | undefined =
    'inventory' in parts
      ? inventory
      : { observedAt: now.toISOString(), objects: objects ?? [], keys: keys ?? [] };
  return {
    verdict: 'success',
    result: 'converged',
    listed: true,
    revision: 'abc1234',
    desiredValid: true,
    ...(inv ? { inventory: inv } : {}),
    ...rest,
  } as PassReport;
}

describe('notifications to a webhook receiver', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  async function setup(targets: (url: string) => NotificationSettings[]) {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const clock = new FakeClock({ start: '2026-11-23T12:00:00Z' });
    const cap = createLogCapture();
    const notifier = await Notifier.create({
      targets: targets(rx.url),
      env: { HOOK_URL: rx.url },
      clock,
      logger: cap.logger,
      context: { instance: 'prod', organizationId: 'org-1' },
      kubernetes: { env: {} },
    });
    cleanups.push(() => notifier.stop());
    return { rx, clock, cap, notifier };
  }

  it('sends each event type once, with the documented body', async () => {
    const { rx, clock, notifier } = await setup(() => [
      { type: 'webhook', name: 'ops', urlEnv: 'HOOK_URL', ...base },
    ]);
    const now = clock.now();
    // Pass 1: in sync, one key expiring in 3 days (within 14).
    notifier.passFinished(
      report(now, {
        keys: [row('ci', 'SCWAAAAAAAAAAAAAAAAA', 3, now), row('web', 'SCWBBBBBBBBBBBBBBBBB', 80, now)],
      }),
    );
    // Pass 2: rotated (a new current key), a conflict, and the apply partly failed.
    notifier.passFinished(
      report(now, {
        result: 'partial',
        error: '1 step failed',
        keys: [row('ci', 'SCWCCCCCCCCCCCCCCCCC', 90, now), row('web', 'SCWBBBBBBBBBBBBBBBBB', 80, now)],
        objects: [blocked('shadow', 'a live application named "shadow" is not managed by scw-gitops')],
      }),
    );
    // A secret that could not be delivered (reported by the sink wrapper).
    notifier.deliveryFailed({
      sink: 'vault',
      keyName: 'web',
      accessKey: 'SCWDDDDDDDDDDDDDDDDD',
      error: 'vault: permission denied',
    });
    // Pass 3: the newest desired state is invalid.
    notifier.passFinished(
      report(now, {
        result: 'invalid',
        desiredValid: false,
        revision: 'def5678',
        diagnostics: [
          {
            severity: 'error',
            code: 'yaml',
            message: 'bad indentation',
            location: { file: 'apps/x.yaml', line: 2, col: 1 },
          },
        ],
      }),
    );
    await notifier.flush();
    const bodies = rx.bodies as WebhookBody[];
    expect(bodies.map((b) => `${b.event} ${b.subject ?? ''}`.trim())).toEqual([
      'key-expiring ApiKey/ci',
      'pass-failed',
      'object-blocked Application/shadow',
      'key-rotated ApiKey/ci',
      'delivery-failed ApiKey/web',
      'desired-state-invalid',
    ]);
    for (const b of bodies) {
      expect(b).toMatchObject({ version: 1, instance: 'prod', organizationId: 'org-1' });
      expect(['info', 'warning', 'error']).toContain(b.severity);
      expect(typeof b.summary).toBe('string');
      expect(Date.parse(b.at)).toBe(now.getTime());
    }
    expect(bodies[0]).toMatchObject({ accessKey: 'SCWAAAAAAAAAAAAAAAAA', severity: 'warning' });
    expect(bodies[2]).toMatchObject({ location: { file: 'apps/shadow.yaml', line: 4, col: 9 } });
    expect(bodies[3]).toMatchObject({
      accessKey: 'SCWCCCCCCCCCCCCCCCCC',
      previousAccessKey: 'SCWAAAAAAAAAAAAAAAAA',
    });
    expect(bodies[5]).toMatchObject({
      revision: 'def5678',
      location: { file: 'apps/x.yaml', line: 2, col: 1 },
    });
  });

  it('sends one message per object and state change, not one per pass', async () => {
    const { rx, clock, notifier } = await setup(() => [
      { type: 'webhook', name: 'ops', urlEnv: 'HOOK_URL', ...base },
    ]);
    const now = clock.now();
    const conflict = report(now, { result: 'invalid', objects: [blocked('shadow', 'not ours')] });
    notifier.passFinished(conflict);
    notifier.passFinished(conflict);
    notifier.passFinished(
      report(now, { result: 'failed', listed: false, error: 'listing failed', inventory: undefined }),
    );
    notifier.passFinished(
      report(now, { result: 'failed', listed: false, error: 'listing failed again', inventory: undefined }),
    );
    notifier.passFinished(conflict); // still blocked: nothing new (a pass without inventory changes nothing)
    notifier.passFinished(report(now, {})); // resolved
    notifier.passFinished(conflict); // blocked again: a new message
    await notifier.flush();
    expect((rx.bodies as WebhookBody[]).map((b) => b.event)).toEqual([
      'object-blocked',
      'pass-failed',
      'object-blocked',
    ]);
  });

  it('retries after a 500 with backoff, and gives up after its attempts without blocking the next', async () => {
    const { rx, clock, notifier, cap } = await setup(() => [
      { type: 'slack', name: 'chat', urlEnv: 'HOOK_URL', ...base },
    ]);
    rx.failFirst.push(500, 503);
    notifier.passFinished(
      report(clock.now(), { result: 'failed', error: 'boom', listed: false, inventory: undefined }),
    );
    await notifier.flush();
    expect(rx.bodies).toHaveLength(1);
    expect((rx.bodies[0] as { text: string }).text).toMatch(/^\[prod\] .*pass failed/i);
    expect(clock.sleeps).toEqual([1000, 2000]);
    rx.failFirst.push(500, 500, 500, 500, 500);
    notifier.passFinished(report(clock.now(), { desiredValid: false, result: 'invalid' }));
    await notifier.flush();
    expect(rx.bodies).toHaveLength(1);
    expect(cap.find('notification not delivered')).toHaveLength(1);
    // The URL (it carries the hook's token) is never logged, whatever happened.
    expect(cap.raw.join('\n')).not.toContain('hook-url-token-xyz');
  });

  it('rate-limits each target and reports what it held back with the next message', async () => {
    const { rx, clock, notifier } = await setup(() => [
      { type: 'webhook', name: 'ops', urlEnv: 'HOOK_URL', ...base, maxPerMinute: 2 },
    ]);
    const now = clock.now();
    notifier.passFinished(
      report(now, {
        objects: ['a', 'b', 'c', 'd', 'e'].map((n) => blocked(n, `${n} is not ours`)),
        result: 'invalid',
      }),
    );
    await notifier.flush();
    expect(rx.bodies).toHaveLength(2);
    clock.advance(61_000);
    notifier.passFinished(
      report(clock.now(), { objects: [blocked('f', 'f is not ours')], result: 'invalid' }),
    );
    await notifier.flush();
    expect(rx.bodies).toHaveLength(3);
    expect(rx.bodies[2]).toMatchObject({ subject: 'Application/f', suppressed: 3 });
  });

  it('puts no secret in any payload, and filters events per target', async () => {
    const leaked = new Secret('s3cr3t-value-that-must-not-leave-0123456789');
    const { rx, clock, notifier, cap } = await setup(() => [
      {
        type: 'webhook',
        name: 'ops',
        urlEnv: 'HOOK_URL',
        ...base,
        events: ['object-blocked', 'pass-failed'],
      },
    ]);
    const now = clock.now();
    notifier.passFinished(
      report(now, {
        result: 'failed',
        error: `sink said ${leaked.reveal()}`,
        objects: [blocked('shadow', `token ${leaked.reveal()} rejected`)],
        keys: [row('ci', 'SCWAAAAAAAAAAAAAAAAA', 1, now)],
      }),
    );
    notifier.deliveryFailed({
      sink: 'file',
      keyName: 'ci',
      accessKey: 'SCWAAAAAAAAAAAAAAAAA',
      error: leaked.reveal(),
    });
    await notifier.flush();
    expect((rx.bodies as WebhookBody[]).map((b) => b.event).sort()).toEqual([
      'object-blocked',
      'pass-failed',
    ]);
    assertNoSecrets(rx.bodies, [leaked.reveal()]);
    assertNoSecrets(cap.raw, [leaked.reveal()]);
  });

  it('refuses a target whose URL variable is not set, naming the variable and not the URL', async () => {
    await expect(
      Notifier.create({
        targets: [{ type: 'slack', name: 'chat', urlEnv: 'MISSING_URL', ...base }],
        env: {},
        clock: new FakeClock(),
        logger: createLogCapture().logger,
        context: { instance: 'prod', organizationId: 'org-1' },
        kubernetes: { env: {} },
      }),
    ).rejects.toThrow(/notifications\[chat\]: .*MISSING_URL is not set/);
  });
});

describe('notifications as Kubernetes Events', () => {
  it('creates an Event on the daemon Pod for each notification (downward API names)', async () => {
    const emu = await startKubernetesEmulator({ namespaces: ['default', 'gitops'] });
    const clock = new FakeClock({ start: '2026-11-23T12:00:00Z' });
    const cap = createLogCapture();
    const notifier = await Notifier.create({
      targets: [{ type: 'kubernetes', name: 'events', ...base }],
      env: {},
      clock,
      logger: cap.logger,
      context: { instance: 'prod', organizationId: 'org-1' },
      kubernetes: {
        env: { POD_NAME: 'scw-gitops-7d9c-abcde', POD_NAMESPACE: 'gitops' },
        kubeConfig: kubeConfigFor(emu.kubeconfigPath),
      },
    });
    try {
      const now = clock.now();
      notifier.passFinished(report(now, { keys: [row('ci', 'SCWAAAAAAAAAAAAAAAAA', 2, now)] }));
      notifier.passFinished(
        report(now, {
          result: 'invalid',
          objects: [blocked('shadow', 'not ours')],
          keys: [row('ci', 'SCWAAAAAAAAAAAAAAAAA', 2, now)],
        }),
      );
      await notifier.flush();
      await waitFor(() => emu.control.events.length >= 2, { timeoutMs: 5000, what: 'two events' });
      const events = emu.control.events.map((e) => e.object as Record<string, unknown>);
      expect(emu.control.events.every((e) => e.api === 'v1' && e.namespace === 'gitops')).toBe(true);
      expect(events.map((e) => e['reason'])).toEqual(['KeyExpiring', 'ObjectBlocked']);
      for (const e of events) {
        expect(e['involvedObject']).toMatchObject({
          kind: 'Pod',
          name: 'scw-gitops-7d9c-abcde',
          namespace: 'gitops',
        });
        expect(e['type']).toBe('Warning');
        expect(e['source']).toMatchObject({ component: 'scw-gitops' });
      }
      expect(String(events[1]!['message'])).toContain('Application/shadow');
      expect(String(events[1]!['message'])).toContain('apps/shadow.yaml:4:9');
    } finally {
      await notifier.stop();
      await emu.close();
    }
  });

  it('is off, with one log line, outside a cluster (no POD_NAME / POD_NAMESPACE)', async () => {
    const cap = createLogCapture();
    const notifier = await Notifier.create({
      targets: [{ type: 'kubernetes', name: 'events', ...base }],
      env: {},
      clock: new FakeClock(),
      logger: cap.logger,
      context: { instance: 'prod', organizationId: 'org-1' },
      kubernetes: { env: {} },
    });
    expect(notifier.targets).toEqual([]);
    expect(cap.find('Kubernetes Events are off')).toHaveLength(1);
    await notifier.stop();
  });
});
