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
import { startDaemon } from '../../src/daemon/daemon.js';
import { createLogger } from '../../src/logging/logger.js';
import { isMarked, TWO_APPLICATIONS, unmarkApplication } from '../fixtures/two-applications.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { ownedKeys } from '../helpers/sandbox-cli.js';
import { waitFor } from '../helpers/wait-for.js';

const MIN = 60_000;
const T0 = Date.parse('2027-03-01T09:00:00.000Z');

/** A daemon on its built-in sandbox, sharing a FakeClock with it, over TWO_APPLICATIONS. */
async function startIsolationDaemon(clock: FakeClock, cap: ReturnType<typeof createLogCapture>) {
  const tmp = await mkdtemp(path.join(tmpdir(), 'scw-daemon-isolation-'));
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
  const daemon = await startDaemon({
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
  const keys = (name: string) => ownedKeys(daemon.runtime.sandbox!, name, 'iso');
  /** Request one pass and wait until it has finished. */
  const pass = async (): Promise<void> => {
    const before = daemon.loop.passes;
    daemon.request('manual');
    await waitFor(() => daemon.loop.passes > before && !daemon.loop.running, {
      timeoutMs: 30_000,
      what: 'the requested pass',
    });
  };
  const close = async () => {
    await daemon.stop();
    await rm(tmp, { recursive: true, force: true });
  };
  return { daemon, tmp, dir, keys, pass, close };
}

type IsolationDaemon = Awaited<ReturnType<typeof startIsolationDaemon>>;

/** One daemon per describe block: started before its tests, stopped after them. */
function isolationDaemon() {
  const clock = new FakeClock({ start: T0 });
  const cap = createLogCapture();
  const ref: { current?: IsolationDaemon } = {};
  beforeAll(async () => {
    ref.current = await startIsolationDaemon(clock, cap);
  });
  afterAll(async () => {
    await ref.current?.close();
  });
  // Read through a proxy so tests write `h.daemon` as if it were the daemon itself.
  const h = new Proxy({} as IsolationDaemon, {
    get: (_t, key) => ref.current![key as keyof IsolationDaemon],
  });
  return { clock, cap, h };
}

describe('daemon: a conflict on one application does not stop the rotation of another', () => {
  const { clock, cap, h } = isolationDaemon();

  it('rotates both keys, reports A as blocked, and writes nothing to A', async () => {
    expect(h.daemon.state.lastPass?.result).toBe('applied');
    const [a0] = h.keys('key-a');
    const [b0] = h.keys('key-b');
    const appA = unmarkApplication(h.daemon.runtime.sandbox!.store, 'app-a');

    clock.set(T0 + 6 * MIN); // both keys past rotateAt, neither expired
    const before = h.daemon.runtime.sandbox!.requests().length;
    await h.pass();

    expect(h.daemon.state.lastPass?.result).toBe('blocked');
    expect(h.keys('key-b').map((k) => [k.accessKey === b0!.accessKey, k.state])).toEqual([
      [true, 'retiring'],
      [false, 'ready'],
    ]);
    expect(h.keys('key-a').map((k) => [k.accessKey === a0!.accessKey, k.state, k.applicationId])).toEqual([
      [true, 'retiring', appA],
      [false, 'ready', appA],
    ]);
    const env = await readFile(path.join(h.tmp, 'secrets', 'key-a.env'), 'utf8');
    expect(env).toContain(`SCW_ACCESS_KEY=${h.keys('key-a')[1]!.accessKey}`);
    const writes = h.daemon.runtime
      .sandbox!.requests()
      .slice(before)
      .filter((r) => r.method !== 'GET');
    expect(writes.some((r) => r.path.includes(appA))).toBe(false);
    expect(isMarked(h.daemon.runtime.sandbox!.store, appA)).toBe(false);

    // /status names the conflict with its file:line; the plan lists the blocked objects.
    const status = (await (await fetch(`${h.daemon.adminUrl}/status`)).json()) as {
      errors: { message: string }[];
      lastPass: { result: string };
    };
    expect(status.lastPass.result).toBe('blocked');
    expect(status.errors.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/^keys\.yaml:\d+:\d+: error \[conflict\] Application\/app-a: /),
    );
    expect(h.daemon.state.lastReport?.plan?.blocked.map((b) => b.address)).toEqual([
      'Application/app-a',
      'ApiKey/key-a',
    ]);
    const metrics = await (await fetch(`${h.daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/^scw_gitops_reconcile_total\{result="blocked"\} 1$/m);
    expect(metrics).toMatch(/^scw_gitops_blocked_objects\{kind="Application"\} 1$/m);
    expect(metrics).toMatch(/^scw_gitops_blocked_objects\{kind="ApiKey"\} 1$/m);
    expect(metrics).toMatch(/^scw_gitops_blocked_objects\{kind="Policy"\} 0$/m);
    // The conflict is in the log at error, with its file:line, once.
    const conflictLines = () => cap.lines.filter((l) => l['level'] === 'error' && l['code'] === 'conflict');
    expect(conflictLines()).toEqual([
      expect.objectContaining({ file: 'keys.yaml', resource: 'Application/app-a', line: expect.any(Number) }),
    ]);

    // The overlap ends: both previous keys are deleted; A stays blocked.
    clock.set(T0 + 8 * MIN);
    await h.pass();
    expect(h.daemon.state.lastPass?.result).toBe('blocked');
    expect(conflictLines()).toHaveLength(1);
    expect(h.keys('key-a').map((k) => k.state)).toEqual(['ready']);
    expect(h.keys('key-b').map((k) => k.state)).toEqual(['ready']);
  });
});

describe('daemon: a syntax error committed while a key is due (done when b)', () => {
  const { clock, cap, h } = isolationDaemon();

  it('rotates the due keys from the last valid desired state, applies nothing of the broken one, and logs the file once', async () => {
    expect(h.daemon.state.lastPass?.result).toBe('applied');
    const [a0] = h.keys('key-a');
    // The broken revision: a YAML syntax error in keys.yaml, and a new application elsewhere.
    await writeFile(path.join(h.dir, 'keys.yaml'), `${TWO_APPLICATIONS}---\nkind: [unclosed\n`);
    await writeFile(
      path.join(h.dir, 'more.yaml'),
      'apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: app-c\n',
    );

    clock.set(T0 + 6 * MIN); // both keys past rotateAt, neither expired
    const logsBefore = cap.lines.length;
    await h.pass();

    expect(h.daemon.state.lastPass?.result).toBe('invalid');
    expect(h.keys('key-a').map((k) => [k.accessKey === a0!.accessKey, k.state])).toEqual([
      [true, 'retiring'],
      [false, 'ready'],
    ]);
    expect(h.keys('key-b').map((k) => k.state)).toEqual(['retiring', 'ready']);
    const apps = await h.daemon.runtime.client.listApplications({ name: 'app-c' });
    expect(apps).toEqual([]);

    // kubectl logs alone says what is wrong: one error line naming the file, line and column.
    const named = (from: number) =>
      cap.lines
        .slice(from)
        .filter((l) => (l['level'] === 'error' || l['level'] === 'warn') && l['file'] === 'keys.yaml');
    const lines = named(logsBefore);
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      file: 'keys.yaml',
      line: expect.any(Number),
      col: expect.any(Number),
    });
    expect(String(lines[0]!['msg'])).toMatch(/^keys\.yaml:\d+:\d+: error \[[a-z-]+\]/);

    // /status and the metrics show both revisions: the newest invalid, the one in use.
    const status = (await (await fetch(`${h.daemon.adminUrl}/status`)).json()) as {
      desiredState: { valid: boolean; errors: { message: string }[] };
    };
    expect(status.desiredState.valid).toBe(false);
    expect(status.desiredState.errors.length).toBeGreaterThan(0);
    const metrics = await (await fetch(`${h.daemon.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^scw_gitops_desired_state_valid\{revision="[^"]*",revision_in_use="[^"]*"\} 0$/m,
    );

    // The next pass finds the same mistake: nothing more in the log; the overlap still ends.
    clock.set(T0 + 8 * MIN);
    const again = cap.lines.length;
    await h.pass();
    expect(named(again)).toEqual([]);
    expect(h.keys('key-a').map((k) => k.state)).toEqual(['ready']);

    // Fixed: the desired state is valid again and app-c is created.
    await writeFile(path.join(h.dir, 'keys.yaml'), TWO_APPLICATIONS);
    await h.pass();
    expect(h.daemon.state.lastPass?.result).toBe('applied');
    expect((await h.daemon.runtime.client.listApplications({ name: 'app-c' })).length).toBe(1);
  });
});
