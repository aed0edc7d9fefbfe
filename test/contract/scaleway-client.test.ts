/**
 * Runs the ScalewayClient contract suite over HTTP against the sandbox emulator, plus the
 * client's resilience against the sandbox's injected faults.
 */
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { AmbiguousWriteError } from '../../src/scaleway/errors.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { describeScalewayClientContract } from './scaleway-client.contract.js';

async function sandboxTarget(faults: Parameters<typeof startSandbox>[0] = {}) {
  const sandbox = await startSandbox({ env: {}, randomSeed: 7, ...faults });
  const client = createScalewayClient({
    apiUrl: sandbox.url,
    secretKey: new Secret(sandbox.adminSecretKey),
    organizationId: sandbox.organizationId,
    retry: { retries: 6, minTimeoutMs: 1, maxTimeoutMs: 10 },
  });
  return { sandbox, client };
}

describeScalewayClientContract('sandbox over HTTP', async () => {
  const { sandbox, client } = await sandboxTarget();
  return {
    client,
    seedApplications: (n, prefix) => {
      sandbox.seedApplications(n, { prefix });
    },
    teardown: () => sandbox.close(),
  };
});

describe('ScalewayClient against a faulty sandbox', () => {
  it('completes listings and idempotent writes under 429s, 5xx and resets', async () => {
    const { sandbox, client } = await sandboxTarget({
      faults: { rate429: 0.2, rate5xx: 0.1, resetRate: 0.05, seed: 3 },
    });
    try {
      sandbox.faults.adjust({ rate429: 0, rate5xx: 0, resetRate: 0 });
      sandbox.seedApplications(450, { prefix: 'faulty' });
      const app = await client.createApplication({ name: 'target', description: '', tags: [] });
      sandbox.faults.adjust({ rate429: 0.2, rate5xx: 0.1, resetRate: 0.05 });
      const apps = await client.listApplications();
      expect(apps.filter((a) => a.name.startsWith('faulty'))).toHaveLength(450);
      const updated = await client.updateApplication(app.id, { description: 'patched' });
      expect(updated.description).toBe('patched');
      expect(sandbox.requests().some((r) => r.fault !== undefined)).toBe(true);
    } finally {
      await sandbox.close();
    }
  });

  it('re-lists when the organization changes mid-listing and returns the settled list', async () => {
    const { sandbox, client } = await sandboxTarget();
    try {
      sandbox.seedApplications(350, { prefix: 'drift' });
      let inserted = 0;
      sandbox.faults.adjust({
        onListPage: (info) => {
          // a concurrent writer adds an application while the first listing is on page 3
          if (info.resource === 'applications' && info.page === 3 && inserted === 0) {
            inserted++;
            sandbox.seedApplications(1, { prefix: 'late' });
          }
        },
      });
      const apps = await client.listApplications();
      expect(inserted).toBe(1);
      expect(apps.filter((a) => a.name.startsWith('drift'))).toHaveLength(350);
      expect(apps.filter((a) => a.name.startsWith('late'))).toHaveLength(1);
      expect(new Set(apps.map((a) => a.id)).size).toBe(apps.length);
      // more than one complete listing was needed
      const listings = sandbox
        .requests()
        .filter((r) => r.method === 'GET' && r.path.startsWith('/iam/v1alpha1/applications')).length;
      expect(listings).toBeGreaterThan(4);
    } finally {
      await sandbox.close();
    }
  });

  it('never re-sends a create whose response was lost', async () => {
    const { sandbox, client } = await sandboxTarget({ faults: { ambiguousWriteRate: 1, seed: 1 } });
    try {
      const err = await client
        .createApplication({ name: 'lost-response', description: '', tags: [] })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AmbiguousWriteError);
      const posts = sandbox.requests().filter((r) => r.method === 'POST');
      expect(posts).toHaveLength(1);
      sandbox.faults.adjust({ ambiguousWriteRate: 0 });
      // the create did happen: the caller finds it by name
      expect((await client.listApplications({ name: 'lost-response' })).length).toBe(1);
    } finally {
      await sandbox.close();
    }
  });

  it('deletes survive a lost response (404 on retry counts as done)', async () => {
    const { sandbox, client } = await sandboxTarget();
    try {
      const app = await client.createApplication({ name: 'del-me', description: '', tags: [] });
      sandbox.faults.adjust({ ambiguousWriteRate: 1 });
      await client.deleteApplication(app.id);
      sandbox.faults.adjust({ ambiguousWriteRate: 0 });
      expect((await client.listApplications({ name: 'del-me' })).length).toBe(0);
    } finally {
      await sandbox.close();
    }
  });
});
