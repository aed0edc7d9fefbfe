/** Shared setup for Kubernetes tests: emulator + client config in kubeconfig or in-cluster mode. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../src/k8s/config.js';
import {
  type EmulatorOptions,
  type KubernetesEmulator,
  startKubernetesEmulator,
} from '../emulators/kubernetes/server.js';

export const NAMESPACE = 'platform';

/** RBAC rules of the minimal Role from docs/design/kubernetes.md §6 for a given Secret and Lease name. */
export function minimalRole(secretName: string, leaseName = 'scw-gitops-leader') {
  return [
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    {
      apiGroups: [''],
      resources: ['secrets'],
      resourceNames: [secretName],
      verbs: ['get', 'update', 'patch', 'delete'],
    },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: [leaseName],
      verbs: ['get', 'update'],
    },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  ] as const;
}

export interface InClusterFixture {
  readonly dir: string;
  readonly env: Record<string, string>;
  cleanup(): Promise<void>;
}

/** A fake service-account directory + env pointing at an emulator (TLS needed for the https scheme). */
export async function inClusterFor(
  emu: KubernetesEmulator,
  token: string,
  namespace: string,
): Promise<InClusterFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'k8s-sa-'));
  // No trailing newline: client-node sends the file contents verbatim (§5).
  await writeFile(path.join(dir, 'token'), token);
  await writeFile(path.join(dir, 'namespace'), namespace);
  if (emu.caPath)
    await writeFile(
      path.join(dir, 'ca.crt'),
      await import('node:fs/promises').then((fs) => fs.readFile(emu.caPath as string)),
    );
  const u = new URL(emu.url);
  return {
    dir,
    env: { KUBERNETES_SERVICE_HOST: u.hostname, KUBERNETES_SERVICE_PORT: u.port },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<KubernetesEmulator> {
  return startKubernetesEmulator({
    namespaces: ['default', NAMESPACE],
    contextNamespace: NAMESPACE,
    ...opts,
  });
}

export function kubeConfigFor(file: string): KubeConfig {
  return loadKubeConfig({ kubeconfig: file }).kubeConfig;
}

/**
 * A Kubernetes object or Status as JSON on the wire, for assertions: its shape is what the tests
 * check with expect(), so it is deliberately untyped here (one documented exception).
 */
// biome-ignore lint/suspicious/noExplicitAny: wire JSON in assertions; shapes are asserted by the tests
export type Wire = any;
