/**
 * Kubernetes client configuration: in-cluster (service-account token + CA + KUBERNETES_SERVICE_*)
 * or a kubeconfig file (+ optional context). docs/design/kubernetes.md §5, §8.1.
 *
 * In-cluster mode mirrors `KubeConfig.loadFromCluster()` but takes the environment and the
 * service-account directory as inputs (testable, no `process.env` reads) and fails early with a
 * ConfigError instead of building `https://undefined:undefined`. The token is attached through
 * client-node's `tokenFile` auth provider, which re-reads the projected token every 60 s
 * (kubelet rotates it), exactly like the stock in-cluster loader.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '../errors.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfigOptions {
  /** Kubeconfig file; absent = in-cluster configuration. */
  readonly kubeconfig?: string;
  /** Context in the kubeconfig (default: its current-context). */
  readonly context?: string;
  /** Environment for in-cluster mode (KUBERNETES_SERVICE_HOST / _PORT). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Service-account directory (default /var/run/secrets/kubernetes.io/serviceaccount). */
  readonly serviceAccountDir?: string;
}

export interface LoadedKubeConfig {
  readonly kubeConfig: KubeConfig;
  /** Namespace of the context / service account, when known. */
  readonly namespace: string | undefined;
  /** `in-cluster` or `kubeconfig:<path>[#context]`, for messages. */
  readonly source: string;
  readonly server: string;
}

export function loadKubeConfig(opts: KubeConfigOptions): LoadedKubeConfig {
  return opts.kubeconfig === undefined
    ? loadInCluster(opts)
    : loadFromKubeconfigFile(opts.kubeconfig, opts.context);
}

function loadFromKubeconfigFile(file: string, context: string | undefined): LoadedKubeConfig {
  if (!existsSync(file)) throw new ConfigError(`kubeconfig ${file}: file not found`);
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (e) {
    throw new ConfigError(`kubeconfig ${file}: cannot be loaded: ${(e as Error).message}`);
  }
  // Relative certificate/token paths are relative to the kubeconfig's directory.
  kc.makePathsAbsolute(path.dirname(path.resolve(file)));
  if (context !== undefined) {
    if (!kc.getContextObject(context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new ConfigError(
        `kubeconfig ${file}: context "${context}" not found (contexts: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(context);
  }
  const current = kc.getCurrentContext();
  const ctx = current ? kc.getContextObject(current) : null;
  if (!ctx) throw new ConfigError(`kubeconfig ${file}: no current-context and no context selected`);
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server)
    throw new ConfigError(`kubeconfig ${file}: context "${ctx.name}" has no cluster server`);
  return {
    kubeConfig: kc,
    namespace: ctx.namespace,
    source: `kubeconfig:${file}${context ? `#${context}` : ''}`,
    server: cluster.server,
  };
}

function loadInCluster(opts: KubeConfigOptions): LoadedKubeConfig {
  const env = opts.env ?? {};
  const dir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new ConfigError(
      'kubernetes in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set ' +
        '(not running in a pod?); set `kubeconfig` in the sink or leader-election settings to use a kubeconfig file',
    );
  }
  const tokenFile = path.join(dir, 'token');
  const caFile = path.join(dir, 'ca.crt');
  if (!existsSync(tokenFile)) {
    throw new ConfigError(
      `kubernetes in-cluster configuration: service-account token ${tokenFile} not found ` +
        '(automountServiceAccountToken: false?)',
    );
  }
  // Same scheme rule as client-node's loadFromCluster: plain http only on 80/8080/8001.
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  if (scheme === 'https' && !existsSync(caFile)) {
    throw new ConfigError(`kubernetes in-cluster configuration: CA bundle ${caFile} not found`);
  }
  const server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  const namespaceFile = path.join(dir, 'namespace');
  const namespace = existsSync(namespaceFile)
    ? readFileSync(namespaceFile, 'utf8').trim() || undefined
    : undefined;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    // client-node 1.x rejects an http server unless skipTLSVerify is set; on http there is no TLS
    // to verify, so this only unblocks the plain-http ports (80/8080/8001).
    clusters: [
      {
        name: 'inCluster',
        server,
        ...(existsSync(caFile) ? { caFile } : {}),
        skipTLSVerify: scheme === 'http',
      },
    ],
    users: [{ name: 'inClusterUser', authProvider: { name: 'tokenFile', config: { tokenFile } } }],
    contexts: [
      {
        name: 'inClusterContext',
        cluster: 'inCluster',
        user: 'inClusterUser',
        ...(namespace ? { namespace } : {}),
      },
    ],
    currentContext: 'inClusterContext',
  });
  return { kubeConfig: kc, namespace, source: 'in-cluster', server };
}
