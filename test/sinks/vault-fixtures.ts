/**
 * Test fixtures for the Vault sink: an emulator with a writer policy, plus a sink configured for
 * one of the three auth methods, all on one manual clock.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { pino } from 'pino';
import type { VaultAuthSettings, VaultSinkSettings } from '../../src/config/settings.js';
import type { SecretSink } from '../../src/sinks/sink.js';
import { createVaultSink, type VaultSinkDeps } from '../../src/sinks/vault-sink.js';
import { FakeClock } from '../helpers/fake-clock.js';
import {
  startVaultEmulator,
  type VaultEmulator,
  type VaultEmulatorOptions,
} from '../emulators/vault/server.js';

export type AuthMethod = 'token' | 'kubernetes' | 'approle';

export const WRITER_POLICY = 'scw-writer';
export const SA_NAME = 'scw-rotator';
export const SA_NAMESPACE = 'platform';
export const K8S_ROLE = 'scw-rotator';

/** An unsigned-but-well-formed service-account JWT (projected token claim layout). */
export function makeServiceAccountJwt(opts: {
  name?: string;
  namespace?: string;
  expSeconds: number;
  nonce?: string;
}) {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const header = b64({ alg: 'RS256', kid: 'emulator' });
  const payload = b64({
    aud: ['https://kubernetes.default.svc'],
    exp: opts.expSeconds,
    iat: opts.expSeconds - 3600,
    iss: 'https://kubernetes.default.svc',
    jti: opts.nonce ?? randomUUID(),
    'kubernetes.io': {
      namespace: opts.namespace ?? SA_NAMESPACE,
      serviceaccount: { name: opts.name ?? SA_NAME, uid: '5e4b6a1c-1c4f-4d43-9a64-3b0f8f0b7c11' },
    },
    sub: `system:serviceaccount:${opts.namespace ?? SA_NAMESPACE}:${opts.name ?? SA_NAME}`,
  });
  return `${header}.${payload}.${Buffer.from(randomUUID()).toString('base64url')}`;
}

export interface VaultFixture {
  readonly vault: VaultEmulator;
  readonly clock: FakeClock;
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly settings: VaultSinkSettings;
  /** File holding the service-account JWT (kubernetes method). */
  readonly jwtFile: string;
  sink: SecretSink;
  /** Build another sink on the same emulator (e.g. a second writer or a denied prefix). */
  makeSink(overrides?: Partial<VaultSinkSettings>, deps?: Partial<VaultSinkDeps>): SecretSink;
  /** Raw request to the emulator with the root token. */
  raw(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  teardown(): Promise<void>;
}

export interface FixtureOptions {
  readonly method: AuthMethod;
  readonly ttl?: number;
  readonly maxTtl?: number;
  readonly emulator?: VaultEmulatorOptions;
  readonly settings?: Partial<VaultSinkSettings>;
  readonly logger?: pino.Logger;
  /** Write the writer policy (default true). */
  readonly policy?: boolean;
}

export async function createVaultFixture(opts: FixtureOptions): Promise<VaultFixture> {
  const clock = new FakeClock({ start: '2026-11-23T00:00:00.000Z' });
  const vault = await startVaultEmulator({ clock, ...(opts.emulator ?? {}) });
  const dir = await mkdtemp(join(tmpdir(), 'vault-sink-'));
  const ttl = opts.ttl ?? 3600;
  const maxTtl = opts.maxTtl ?? 4 * 3600;
  if (opts.policy !== false) {
    vault.control.putPolicy(WRITER_POLICY, [
      { path: 'secret/data/scw/*', capabilities: ['create', 'update', 'read'] },
      // `list`: what `scw-gitops import` and the search for records of deleted keys need;
      // `delete`: removing those records (docs/concepts.md, "Secret moves and records").
      { path: 'secret/metadata/scw/*', capabilities: ['create', 'update', 'read', 'list', 'delete'] },
    ]);
  }
  const env: Record<string, string> = {};
  const jwtFile = join(dir, 'sa-token');
  let auth: VaultAuthSettings;
  switch (opts.method) {
    case 'token':
      env.VAULT_TOKEN = vault.control.createToken({ policies: ['default', WRITER_POLICY], ttl, maxTtl });
      auth = { method: 'token', tokenEnv: 'VAULT_TOKEN' };
      break;
    case 'kubernetes':
      vault.control.configureKubernetes({
        roles: [
          {
            name: K8S_ROLE,
            boundServiceAccountNames: [SA_NAME],
            boundServiceAccountNamespaces: [SA_NAMESPACE],
            policies: [WRITER_POLICY],
            ttl,
            maxTtl,
          },
        ],
      });
      await writeFile(
        jwtFile,
        makeServiceAccountJwt({ expSeconds: Math.floor(clock.now().getTime() / 1000) + 365 * 86400 }),
      );
      auth = { method: 'kubernetes', role: K8S_ROLE, mount: 'kubernetes', tokenPath: jwtFile };
      break;
    case 'approle': {
      const { roleId, secretId } = vault.control.addAppRole({
        roleName: 'scw-gitops',
        policies: [WRITER_POLICY],
        ttl,
        maxTtl,
      });
      const secretFile = join(dir, 'secret-id');
      await writeFile(secretFile, `${secretId}\n`);
      auth = { method: 'approle', mount: 'approle', roleId, secretIdFile: secretFile };
      break;
    }
  }
  const settings: VaultSinkSettings = {
    name: 'vault',
    type: 'vault',
    address: vault.url,
    mount: 'secret',
    pathPrefix: 'scw/test',
    auth,
    timeoutMs: 5_000,
    ...(opts.settings ?? {}),
  };
  const sinks: SecretSink[] = [];
  const makeSink = (overrides: Partial<VaultSinkSettings> = {}, deps: Partial<VaultSinkDeps> = {}) => {
    const s = createVaultSink(
      { ...settings, ...overrides },
      {
        env,
        clock,
        retry: { retries: 2, minDelayMs: 100, maxDelayMs: 1_000 },
        ...(opts.logger ? { logger: opts.logger } : {}),
        ...deps,
      },
    );
    sinks.push(s);
    return s;
  };
  const fixture: VaultFixture = {
    vault,
    clock,
    dir,
    env,
    settings,
    jwtFile,
    sink: makeSink(),
    makeSink,
    raw: async (method, path, body) => {
      const res = await fetch(`${vault.url}/v1/${path}`, {
        method,
        headers: { 'X-Vault-Token': vault.rootToken, 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
    },
    teardown: async () => {
      for (const s of sinks) await s.close?.();
      await vault.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}
