/**
 * Issue #13, done when (a), through the daemon on the built-in sandbox: application A loses its
 * marker (a console edit) while the keys of A and B come due. The pass rotates both keys (A's on
 * its live application), reports A as blocked (result `blocked`, /status errors, metrics), and
 * writes nothing to A. The daemon and its sandbox share one FakeClock that only the test moves;
 * passes are requested by the test (no watcher, no cron).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings } from '../../src/config/load-settings.js';
import type { Settings } from '../../src/config/settings.js';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import { createLogger } from '../../src/logging/logger.js';
import { isMarked, TWO_APPLICATIONS, unmarkApplication } from '../fixtures/two-applications.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { ownedKeys } from '../helpers/sandbox-cli.js';
import { waitFor } from '../helpers/wait-for.js';

const MIN = 60_000;
const T0 = Date.parse('2027-03-01T09:00:00.000Z');

describe('daemon: a conflict on one application does not stop the rotation of another', () => {
  let tmp: string;
  let daemon: Daemon;
  const clock = new FakeClock({ start: T0 });
  const cap = createLogCapture();

  const sandbox = () => daemon.runtime.sandbox!;
  const keys = (name: string) => ownedKeys(sandbox(), name, 'iso');
  /** Request one pass and wait until it has finished. */
  async function pass(): Promise<void> {
    const before = daemon.loop.passes;
    daemon.request('manual');
    await waitFor(() => daemon.loop.passes > before && !daemon.loop.running, {
      timeoutMs: 30_000,
      what: 'the requested pass',
    });
  }

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'scw-daemon-isolation-'));
    const dir = path.join(tmp, 'desired');
    await mkdir(dir);
    await writeFile(path.join(dir, 'keys.yaml'), TWO_APPLICATIONS);
    const d = defaultSettings();
    const settings: Settings = {
      ...d,
      instance: 'iso',
      source: { dir },
      scaleway: { ...d.scaleway, sandbox: { enabled: true, port: 0 } },
      sinks: [{ name: 'local', type: 'file', dir: path.join(tmp, 'secrets'), format: 'dotenv' }],
      defaults: { sink: 'local', rotation: { overlapMs: 60_000 } },
      server: { host: '127.0.0.1', port: 0 },
    };
    daemon = await startDaemon({
      settings,
      env: {},
      logger: createLogger({ level: 'debug', destination: cap.destination }),
      clock,
      disable: { cron: true, watch: true },
    });
    await waitFor(() => daemon.loop.passes === 1 && !daemon.loop.running, {
      timeoutMs: 30_000,
      what: 'startup pass',
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    await rm(tmp, { recursive: true, force: true });
  });

  it('rotates both keys, reports A as blocked, and writes nothing to A', async () => {
    expect(daemon.state.lastPass?.result).toBe('applied');
    const [a0] = keys('key-a');
    const [b0] = keys('key-b');
    const appA = unmarkApplication(sandbox().store, 'app-a');

    clock.set(T0 + 6 * MIN); // both keys past rotateAt, neither expired
    const before = sandbox().requests().length;
    await pass();

    expect(daemon.state.lastPass?.result).toBe('blocked');
    expect(keys('key-b').map((k) => [k.accessKey === b0!.accessKey, k.state])).toEqual([
      [true, 'retiring'],
      [false, 'ready'],
    ]);
    expect(keys('key-a').map((k) => [k.accessKey === a0!.accessKey, k.state, k.applicationId])).toEqual([
      [true, 'retiring', appA],
      [false, 'ready', appA],
    ]);
    const env = await readFile(path.join(tmp, 'secrets', 'key-a.env'), 'utf8');
    expect(env).toContain(`SCW_ACCESS_KEY=${keys('key-a')[1]!.accessKey}`);
    const writes = sandbox()
      .requests()
      .slice(before)
      .filter((r) => r.method !== 'GET');
    expect(writes.some((r) => r.path.includes(appA))).toBe(false);
    expect(isMarked(sandbox().store, appA)).toBe(false);

    // /status names the conflict with its file:line; the plan lists the blocked objects.
    const status = (await (await fetch(`${daemon.adminUrl}/status`)).json()) as {
      errors: { message: string }[];
      lastPass: { result: string };
    };
    expect(status.lastPass.result).toBe('blocked');
    expect(status.errors.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/^keys\.yaml:\d+:\d+: error \[conflict\] Application\/app-a: /),
    );
    expect(daemon.state.lastReport?.plan?.blocked.map((b) => b.address)).toEqual([
      'Application/app-a',
      'ApiKey/key-a',
    ]);
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/^scw_gitops_reconcile_total\{result="blocked"\} 1$/m);

    // The overlap ends: both previous keys are deleted; A stays blocked.
    clock.set(T0 + 8 * MIN);
    await pass();
    expect(daemon.state.lastPass?.result).toBe('blocked');
    expect(keys('key-a').map((k) => k.state)).toEqual(['ready']);
    expect(keys('key-b').map((k) => k.state)).toEqual(['ready']);
  });
});
