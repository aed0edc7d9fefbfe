import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/server.js';
import { openSandbox } from './helpers.js';

describe('sandbox: persistence', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scw-sandbox-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the state atomically with mode 0600 after each write and reloads it', async () => {
    const file = join(dir, 'state.json');
    const first = await openSandbox({ stateFile: file });
    const app = (await first.post('/iam/v1alpha1/applications', { name: 'kept', organization_id: first.org }))
      .json;
    const key = (await first.post('/iam/v1alpha1/api-keys', { application_id: app.id })).json;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
    const state = JSON.parse(readFileSync(file, 'utf8'));
    expect(state.version).toBe(1);
    expect(state.applications.map((a: { name: string }) => a.name)).toContain('kept');
    const admin = { url: first.h.url, secret: first.h.adminSecretKey, org: first.org };
    await first.h.close();

    const second = await openSandbox({ stateFile: file });
    try {
      expect(second.org).toBe(admin.org);
      expect(second.h.adminSecretKey).toBe(admin.secret);
      const got = await second.get(`/iam/v1alpha1/applications/${app.id}`);
      expect(got.json).toMatchObject({ name: 'kept', nb_api_keys: 1, created_at: app.created_at });
      // the created key still authenticates after a restart
      expect(
        (await second.call('GET', `/iam/v1alpha1/api-keys/${key.access_key}`, undefined, key.secret_key))
          .status,
      ).toBe(403);
      const later = (
        await second.post('/iam/v1alpha1/applications', { name: 'later', organization_id: second.org })
      ).json;
      expect(later.created_at > app.created_at).toBe(true);
      expect(second.h.store.applications.size).toBe(4);
    } finally {
      await second.h.close();
    }
  });

  it('refuses a corrupt state file with a message naming it', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"version":1,');
    await expect(startSandbox({ env: {}, stateFile: file })).rejects.toThrow(/bad\.json: not valid JSON/);
    writeFileSync(file, '{"version":2}');
    await expect(startSandbox({ env: {}, stateFile: file })).rejects.toThrow(/unsupported format/);
  });
});
