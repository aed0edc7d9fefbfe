/**
 * An adopted key (spec.adoptAccessKey) through its life, via the CLI against the sandbox with an
 * injected clock: adopted as `external` without touching the sink, left alone while it is
 * current (no custody check: the sink has never held it), rotated when due through the custody
 * protocol (the new secret lands in the sink), and deleted after the overlap.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { type CliHarness, startCliHarness } from '../rotation/cli-harness.js';

const DAY = 86_400_000;
let h: CliHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

it('adopts a key as external, rotates it into custody when due, then retires it', async () => {
  const start = Date.parse('2026-03-01T00:00:00Z');
  h = await startCliHarness('', start);
  const client = createScalewayClient({
    apiUrl: h.sandbox.url,
    secretKey: new Secret(h.sandbox.adminSecretKey),
    organizationId: h.sandbox.organizationId,
  });
  const app = await client.createApplication({ name: 'ci', description: '', tags: [] });
  const { apiKey } = await client.createApiKey({
    applicationId: app.id,
    description: 'made by hand',
    expiresAt: new Date(start + 30 * DAY).toISOString(),
  });
  await writeFile(
    join(h.dir, 'desired', 'keys.yaml'),
    `apiVersion: scw-gitops/v1alpha1
kind: Application
metadata: { name: ci, adopt: true }
---
apiVersion: scw-gitops/v1alpha1
kind: ApiKey
metadata: { name: ci, adopt: true }
spec:
  application: ci
  description: made by hand
  lifetime: 30d
  rotation: { overlap: 1h }
  adoptAccessKey: ${apiKey.accessKey}
`,
  );

  const first = await h.reconcile();
  expect(first.code).toBe(0);
  expect(first.out).toContain('2 adopted');
  expect(h.keys('ci')).toMatchObject([{ accessKey: apiKey.accessKey, state: 'external' }]);
  await expect(h.sinkFile('ci')).rejects.toThrow(/ENOENT/);

  // Current and not due: nothing to do, although the sink holds nothing.
  h.setNow(start + 5 * DAY);
  const quiet = await h.plan();
  expect(quiet.code).toBe(0);

  // Rotation is due 10 days (a third of the lifetime) before expiry.
  h.setNow(start + 21 * DAY);
  const due = await h.plan();
  expect(due.code).toBe(2);
  expect(due.out).toContain('rotation-due');
  const rotated = await h.reconcile();
  expect(rotated.code).toBe(0);
  const keys = h.keys('ci');
  const fresh = keys.find((k) => k.state === 'ready')!;
  expect(keys.map((k) => k.state).sort()).toEqual(['ready', 'retiring']);
  expect(keys.find((k) => k.state === 'retiring')!.accessKey).toBe(apiKey.accessKey);
  expect(await h.sinkFile('ci')).toEqual({
    accessKey: fresh.accessKey,
    previous: apiKey.accessKey,
    secretMatches: true,
  });

  // After the overlap the adopted key goes; the new one stays in custody.
  h.setNow(start + 21 * DAY + 2 * 3_600_000);
  expect((await h.reconcile()).code).toBe(0);
  expect(h.keys('ci')).toEqual([expect.objectContaining({ accessKey: fresh.accessKey, state: 'ready' })]);
  expect((await h.plan()).code).toBe(0);
});
