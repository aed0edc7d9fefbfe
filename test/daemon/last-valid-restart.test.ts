/**
 * The restart case of the last valid desired state (docs/concepts.md): the daemon's pass stores
 * the last valid desired state under dataDir; a new process (a new pass function, nothing in
 * memory) that starts on an invalid revision restores it and still rotates a due key, applying
 * nothing of the invalid revision. A malformed stored file is ignored, never fatal.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/app/runtime.js';
import { LAST_VALID_FILE } from '../../src/daemon/last-valid-state.js';
import { createReconcilePass } from '../../src/daemon/reconcile-pass.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { TWO_APPLICATIONS } from '../fixtures/two-applications.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { ownedKeys } from '../helpers/sandbox-cli.js';
import { sandboxDeps } from '../reconciler/sandbox-deps.js';

const MIN = 60_000;

describe('the last valid desired state survives a restart (dataDir)', () => {
  const clock = new FakeClock({ start: '2027-03-01T09:00:00.000Z' });
  let sandbox: SandboxHandle;
  let tmp: string;
  beforeAll(async () => {
    sandbox = await startSandbox({ env: {}, seed: false, randomSeed: 3, clock: clock.now });
    tmp = await mkdtemp(path.join(tmpdir(), 'scw-gitops-last-valid-'));
  });
  afterAll(async () => {
    await sandbox?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('a restarted daemon on a broken revision rotates the due keys from the stored state', async () => {
    const dir = path.join(tmp, 'desired');
    const dataDir = path.join(tmp, 'data');
    await mkdir(dir);
    await writeFile(path.join(dir, 'keys.yaml'), TWO_APPLICATIONS);
    const { deps, cap } = await sandboxDeps(sandbox, tmp, clock, { dataDir, source: { dir } });
    const runtime: Runtime = {
      client: deps.client,
      sinks: new Map(deps.sinks),
      organizationId: sandbox.organizationId,
      apiUrl: sandbox.url,
      credentialSource: 'test',
      close: async () => undefined,
    };
    const ctx = (n: number) => ({
      reconcileId: `pass-${n}`,
      reasons: ['test'],
      attempt: 1,
      signal: new AbortController().signal,
      logger: cap.logger,
    });

    const first = createReconcilePass(runtime, deps.settings, clock);
    expect((await first(ctx(1))).result).toBe('applied');
    const stored = JSON.parse(await readFile(path.join(dataDir, LAST_VALID_FILE), 'utf8')) as {
      state: { resources: { address: string }[] };
    };
    expect(stored.state.resources.map((r) => r.address)).toContain('ApiKey/key-a');

    // The process restarts; meanwhile a broken commit lands and the keys come due.
    await writeFile(path.join(dir, 'keys.yaml'), `${TWO_APPLICATIONS}---\nkind: [unclosed\n`);
    clock.set(clock.ms + 6 * MIN);
    const restarted = createReconcilePass(runtime, deps.settings, clock);
    const report = await restarted(ctx(2));
    expect(report.result).toBe('invalid');
    expect(report.desiredValid).toBe(false);
    expect(ownedKeys(sandbox, 'key-a').map((k) => k.state)).toEqual(['retiring', 'ready']);
    expect(ownedKeys(sandbox, 'key-b').map((k) => k.state)).toEqual(['retiring', 'ready']);
    expect(cap.find('last valid desired state restored from the data directory')).toHaveLength(1);

    // A malformed stored file: ignored with a warning, the pass plans nothing, nothing breaks.
    await writeFile(path.join(dataDir, LAST_VALID_FILE), '{"version":1,"state":{"root":3}}');
    const again = createReconcilePass(runtime, deps.settings, clock);
    expect((await again(ctx(3))).result).toBe('invalid');
    expect(cap.find('the stored last valid desired state is malformed; ignored')).toHaveLength(1);
  });
});
