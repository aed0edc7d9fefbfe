/**
 * The rules cache against the sandbox over HTTP: a second observation lists no rules; a rules
 * change (PUT /rules bumps the policy's updated_at), a deleted policy and a policy PATCH (which
 * does not bump updated_at and cannot change rules) are handled as the real API behaves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { observeLive } from '../../src/scaleway/observe.js';
import { RulesCache } from '../../src/scaleway/rules-cache.js';

let sandbox: SandboxHandle | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const rulesRequests = (h: SandboxHandle) =>
  h.requests().filter((r) => r.path.startsWith('/iam/v1alpha1/rules'));

describe('RulesCache with observeLive', () => {
  it('reads rules only for owned policies whose listing changed', async () => {
    sandbox = await startSandbox({ env: {} });
    const client = createScalewayClient({
      apiUrl: sandbox.url,
      secretKey: new Secret(sandbox.adminSecretKey),
      organizationId: sandbox.organizationId,
      retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 5 },
    });
    const org = { type: 'organization' as const, organizationId: sandbox.organizationId };
    const mk = (name: string) =>
      client.createPolicy({
        name,
        description: '',
        tags: ['scw-gitops=prod'],
        principal: { type: 'none' },
        rules: [{ permissionSetNames: ['IAMReadOnly'], scope: org }],
      });
    const a = await mk('a');
    const b = await mk('b');
    const now = () => new Date();
    const cache = new RulesCache();
    const observe = () => observeLive(client, { instance: 'prod', now, rulesCache: cache });

    let before = rulesRequests(sandbox).length;
    const first = await observe();
    expect(rulesRequests(sandbox).length - before).toBe(2);
    expect(first.rules.get(a.id)?.[0]?.permissionSetNames).toEqual(['IAMReadOnly']);

    before = rulesRequests(sandbox).length;
    const second = await observe();
    expect(rulesRequests(sandbox).length - before).toBe(0);
    expect(second.rules.get(b.id)).toEqual(first.rules.get(b.id));

    // A PATCH of the policy cannot change its rules: still no rule listing.
    await client.updatePolicy(a.id, { description: 'patched' });
    before = rulesRequests(sandbox).length;
    await observe();
    expect(rulesRequests(sandbox).length - before).toBe(0);

    // Rules replaced (same count, same scope, other permission set): updated_at moves, re-read.
    await client.setRules(a.id, [{ permissionSetNames: ['ProjectReadOnly'], scope: org }]);
    before = rulesRequests(sandbox).length;
    const third = await observe();
    expect(rulesRequests(sandbox).length - before).toBe(1);
    expect(third.rules.get(a.id)?.[0]?.permissionSetNames).toEqual(['ProjectReadOnly']);

    await client.deletePolicy(b.id);
    await observe();
    expect(cache.size).toBe(1);
  });
});
