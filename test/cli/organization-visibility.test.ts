/**
 * Issue #13, done when (h): a wrong organization id (SCW_DEFAULT_ORGANIZATION_ID naming another
 * organization than the key's). The credentials see no default project and no permission set:
 * one clear error naming the key and the organization, no plan, and zero writes, for `plan` and
 * `reconcile` alike.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run as plan } from '../../src/cli/commands/plan.js';
import { run as reconcile } from '../../src/cli/commands/reconcile.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { captureIO, sandboxEnv } from '../helpers/sandbox-cli.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/basic');
const WRONG = '0b0b0b0b-1111-4222-8333-444444444444';

let sandbox: SandboxHandle;
let dir: string;
beforeEach(async () => {
  sandbox = await startSandbox({ env: {}, randomSeed: 5 });
  dir = await mkdtemp(join(tmpdir(), 'scw-org-visibility-'));
});
afterEach(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
});

const cap = createLogCapture();
const io = () => captureIO({ env: { ...sandboxEnv(sandbox), SCW_DEFAULT_ORGANIZATION_ID: WRONG }, cwd: dir });

describe('a wrong organization id (done when h)', () => {
  it('plan and reconcile: one error naming the key and the organization, zero writes', async () => {
    const expected = `the key ${sandbox.adminAccessKey} cannot see organization ${WRONG}`;
    for (const [command, args] of [
      [plan, [EXAMPLES]],
      [reconcile, [EXAMPLES, '--dry-run']],
      [reconcile, [EXAMPLES, '--auto-approve']],
    ] as const) {
      const t = io();
      const code = await command([...args], t.io, { homeDir: dir, logger: cap.logger });
      expect(code).toBe(1);
      const errors = t
        .err()
        .split('\n')
        .filter((l) => /\berror\b/.test(l));
      expect(errors).toEqual([expect.stringContaining(`error [organization-not-visible] ${expected}`)]);
      expect(t.err()).toContain('SCW_DEFAULT_ORGANIZATION_ID');
      expect(t.err()).not.toContain('unknown-permission-set');
      expect(t.out()).not.toMatch(/will be created/);
    }
    expect(sandbox.requests().filter((r) => r.method !== 'GET')).toEqual([]);
  });
});
