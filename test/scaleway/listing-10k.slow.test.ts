/**
 * A 10k observation (6,000 applications, 1,000 keys, 1,400 groups, 1,500 policies and their
 * rules, 100 projects) under one pass signal, as a CLI reconcile runs it: no
 * MaxListenersExceededWarning (every queued request used to add an abort listener to the pass's
 * signal), and each kind is listed with one request per 100 objects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { observeLive } from '../../src/scaleway/observe.js';

let sandbox: SandboxHandle | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('a 10k observation', { timeout: 120_000 }, () => {
  it('lists and reads rules under one signal without a MaxListenersExceededWarning', async () => {
    sandbox = await startSandbox({ env: {}, seed: false, randomSeed: 3 });
    sandbox.seedBulk({ applications: 6000, projects: 99, groups: 1400, policies: 1500, prefix: 'k' });
    // keys of the first thousand applications
    sandbox.store.batch(() => {
      for (const app of [...sandbox!.store.applications.values()].slice(0, 1000)) {
        sandbox!.store.createApiKey({
          bearer: { application_id: app.id },
          description: 'k',
          creation_ip: '127.0.0.1',
        });
      }
    });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const client = createScalewayClient({
        apiUrl: sandbox.url,
        secretKey: new Secret(sandbox.adminSecretKey),
        organizationId: sandbox.organizationId,
      });
      const pass = new AbortController();
      const before = sandbox.requestCount();
      const live = await observeLive(client, {
        instance: 'default',
        now: () => new Date(),
        readRules: 'all',
        signal: pass.signal,
      });
      expect(live.applications).toHaveLength(6000);
      expect(live.policies).toHaveLength(1500);
      expect(live.rules.size).toBe(1500);
      const made = sandbox.requests().slice(-(sandbox.requestCount() - before));
      const count = (prefix: string) => made.filter((r) => r.path.startsWith(prefix)).length;
      expect(count('/iam/v1alpha1/applications')).toBe(Math.ceil(live.applications.length / 100));
      expect(count('/iam/v1alpha1/policies')).toBe(15);
      expect(count('/iam/v1alpha1/groups')).toBe(14);
      expect(count('/iam/v1alpha1/rules')).toBe(1500);
      expect(client.limiter.maxInFlightSeen).toBeLessThanOrEqual(16);
      await new Promise((r) => setImmediate(r));
      expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
