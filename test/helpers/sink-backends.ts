/**
 * One `sinks[]` item of a settings file for each sink type, with what it needs running: nothing
 * for a file sink (`dir: secrets`, below the settings file), the Vault emulator with a token whose
 * policy grants the given rights under `secret/…/scw/*`, or the Kubernetes emulator (namespace
 * `platform`). For CLI tests against the sandbox that run once per sink type.
 */
import type { Capability } from '../emulators/vault/acl.js';
import { startVaultEmulator } from '../emulators/vault/server.js';
import { startEmulator } from '../k8s/fixtures.js';

export type SinkBackendKind = 'file (dotenv)' | 'file (json)' | 'vault' | 'kubernetes';

export interface SinkBackendOptions {
  /** Vault: the sink's pathPrefix (under `scw/`). */
  readonly vaultPathPrefix: string;
  /** Vault: the rights on `secret/metadata/scw/*` (the data path gets create, update, read). */
  readonly vaultMetadataCapabilities: readonly Capability[];
}

/**
 * The item's lines after `- name: …` (indented four spaces). Sets `VAULT_TOKEN` in `env` for a
 * Vault sink; pushes what stops the emulator on `closers`.
 */
export async function sinkBackendYaml(
  kind: SinkBackendKind,
  env: Record<string, string>,
  closers: (() => Promise<void>)[],
  opts: SinkBackendOptions,
): Promise<string> {
  switch (kind) {
    case 'file (dotenv)':
    case 'file (json)':
      return `    type: file\n    dir: secrets\n    format: ${kind === 'file (json)' ? 'json' : 'dotenv'}\n`;
    case 'vault': {
      const vault = await startVaultEmulator();
      closers.push(() => vault.close());
      vault.control.putPolicy('scw-gitops', [
        { path: 'secret/data/scw/*', capabilities: ['create', 'update', 'read'] },
        { path: 'secret/metadata/scw/*', capabilities: [...opts.vaultMetadataCapabilities] },
      ]);
      env.VAULT_TOKEN = vault.control.createToken({ policies: ['scw-gitops'], ttl: 0 });
      return `    type: vault\n    address: ${vault.url}\n    mount: secret\n    pathPrefix: scw/${opts.vaultPathPrefix}\n    auth: { method: token, tokenEnv: VAULT_TOKEN }\n`;
    }
    case 'kubernetes': {
      const emu = await startEmulator();
      closers.push(() => emu.close());
      return `    type: kubernetes\n    namespace: platform\n    kubeconfig: ${emu.kubeconfigPath}\n`;
    }
  }
}
