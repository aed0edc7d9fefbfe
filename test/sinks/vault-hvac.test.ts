/**
 * Cross-check with a real third-party Vault client: python3-hvac (Debian package, run with
 * /usr/bin/python3 explicitly). Our sink writes through the emulator, hvac reads it back (token
 * and AppRole auth), hvac writes with cas and our sink reads that. This catches envelope or
 * semantics drift in the emulator and the sink at the same time.
 *
 * Skipped with a message when hvac is not importable, unless SCW_GITOPS_REQUIRE_CROSSCHECKS=1
 * (set by .ci/run), in which case the test fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/model/secret.js';
import { makeRecord } from './sink-contract.js';
import { createVaultFixture, type VaultFixture, WRITER_POLICY } from './vault-fixtures.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./vault-hvac-check.py', import.meta.url));
const required = process.env.SCW_GITOPS_REQUIRE_CROSSCHECKS === '1';

function hvacAvailable(): { ok: boolean; reason: string } {
  const r = spawnSync(PYTHON, ['-c', 'import hvac'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return { ok: false, reason: `${PYTHON} cannot run: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, reason: `${PYTHON} -c 'import hvac' failed: ${r.stderr.trim()}` };
  return { ok: true, reason: '' };
}

const availability = hvacAvailable();
if (!availability.ok && !required) {
  console.warn(
    `vault-hvac cross-check skipped: ${availability.reason} (install python3-hvac; ` +
      'set SCW_GITOPS_REQUIRE_CROSSCHECKS=1 to make this a failure)',
  );
}

/** Run the hvac script asynchronously (the emulator lives in this process: never block the loop). */
function runHvac(input: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: '/usr/bin:/bin' },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`hvac script exited ${code}: ${stderr.slice(-2000)}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as Record<string, unknown>);
      } catch {
        reject(new Error(`hvac script printed no JSON: ${stdout.slice(0, 500)} ${stderr.slice(-1000)}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

describe('vault cross-check with python3-hvac', () => {
  it.runIf(!availability.ok && required)('hvac must be importable when cross-checks are required', () => {
    throw new Error(`SCW_GITOPS_REQUIRE_CROSSCHECKS=1 but ${availability.reason}`);
  });

  describe.runIf(availability.ok)('hvac reads what the sink wrote and the sink reads what hvac wrote', () => {
    let f: VaultFixture | undefined;
    afterEach(async () => {
      await f?.teardown();
      f = undefined;
    });

    for (const method of ['token', 'approle'] as const) {
      it(`hvac with ${method} auth`, async () => {
        f = await createVaultFixture({ method: 'approle' });
        f.vault.control.putPolicy('lister', [
          { path: 'secret/metadata/scw/*', capabilities: ['list', 'read'] },
        ]);
        const loc = { sink: 'vault', path: `hvac-${method}` };
        const old = makeRecord();
        const rec = makeRecord();
        await f.sink.write(loc, old);
        await f.sink.write(loc, rec);

        let auth: Record<string, string>;
        if (method === 'token') {
          auth = {
            method: 'token',
            token: f.vault.control.createToken({ policies: ['default', WRITER_POLICY, 'lister'] }),
          };
        } else {
          const a = f.settings.auth as { roleId: string; secretIdFile: string };
          auth = {
            method: 'approle',
            role_id: a.roleId,
            secret_id: (await readFile(a.secretIdFile, 'utf8')).trim(),
          };
        }
        const writeSecret = new Secret(`hvac-secret-${method}-0f9c2b7e`);
        const out = await runHvac({
          url: f.vault.url,
          mount: 'secret',
          path: `scw/test/hvac-${method}`,
          write_path: `scw/test/from-hvac-${method}`,
          write_data: { SCW_ACCESS_KEY: 'SCWHVACWRITTEN000001', SCW_SECRET_KEY: writeSecret.reveal() },
          list_folder: method === 'token' ? 'scw/test' : undefined,
          auth,
        });

        expect(out.authenticated).toBe(true);
        expect(out.latest_data).toEqual({
          SCW_ACCESS_KEY: rec.accessKey,
          SCW_SECRET_KEY: rec.secretKey.reveal(),
          SCW_DEFAULT_ORGANIZATION_ID: rec.metadata.organizationId,
          SCW_DEFAULT_PROJECT_ID: rec.metadata.defaultProjectId,
        });
        expect(out.latest_version).toBe(2);
        // Overlap: the previous version is still readable by consumers.
        expect((out.previous_data as Record<string, string>).SCW_ACCESS_KEY).toBe(old.accessKey);
        expect(out.latest_custom_metadata).toMatchObject({
          accessKey: rec.accessKey,
          previousAccessKey: old.accessKey,
          keyName: rec.metadata.keyName,
          managedBy: 'scw-gitops',
        });
        expect(out.metadata).toEqual({
          current_version: 2,
          custom_metadata: out.latest_custom_metadata,
          versions: ['1', '2'],
          max_versions: 0,
        });
        expect(out.hvac_write_version).toBe(1);
        expect(String(out.cas_conflict)).toContain(
          'check-and-set parameter did not match the current version',
        );
        expect(out.missing).toBe('InvalidPath');
        if (method === 'token') {
          expect(out.listed).toEqual(['from-hvac-token', 'hvac-token']);
        } else {
          expect(out.login_policies).toEqual(['default', WRITER_POLICY]);
          expect(out.login_lease_duration).toBe(3600);
        }

        // Our sink reads what hvac wrote.
        const got = await f.sink.read({ sink: 'vault', path: `from-hvac-${method}` });
        expect(got?.accessKey).toBe('SCWHVACWRITTEN000001');
        expect(got?.secretKey?.equals(writeSecret)).toBe(true);
        expect(got?.version).toBe('1');

        // Our list finds the keys hvac lists under the prefix: ours, and the one hvac wrote in
        // our layout.
        const listing = await f.sink.list();
        expect(listing.incomplete).toEqual([]);
        expect(listing.records.map((r) => [r.location.path, r.accessKey])).toEqual([
          [`from-hvac-${method}`, 'SCWHVACWRITTEN000001'],
          [`hvac-${method}`, rec.accessKey],
        ]);
        if (method === 'token') expect(listing.records.map((r) => r.location.path)).toEqual(out.listed);
      });
    }
  });
});
