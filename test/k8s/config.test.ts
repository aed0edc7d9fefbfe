import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiException } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { decodeK8sError, K8sTimeoutError, withTimeout } from '../../src/k8s/api-error.js';
import { loadKubeConfig } from '../../src/k8s/config.js';

describe('loadKubeConfig', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kubecfg-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: a',
    '  cluster: { server: "https://a.example:6443" }',
    '- name: b',
    '  cluster: { server: "https://b.example:6443" }',
    'users:',
    '- name: u',
    '  user: { token: t }',
    'contexts:',
    '- name: ctx-a',
    '  context: { cluster: a, user: u, namespace: team-a }',
    '- name: ctx-b',
    '  context: { cluster: b, user: u }',
    'current-context: ctx-a',
    '',
  ].join('\n');

  it('uses the current context, or the one asked for', async () => {
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig);
    const cur = loadKubeConfig({ kubeconfig: file });
    expect(cur.server).toBe('https://a.example:6443');
    expect(cur.namespace).toBe('team-a');
    const b = loadKubeConfig({ kubeconfig: file, context: 'ctx-b' });
    expect(b.server).toBe('https://b.example:6443');
    expect(b.namespace).toBeUndefined();
    expect(b.source).toBe(`kubeconfig:${file}#ctx-b`);
  });

  it('names the problem: missing file, unknown context', async () => {
    const file = path.join(dir, 'config');
    await writeFile(file, kubeconfig);
    expect(() => loadKubeConfig({ kubeconfig: path.join(dir, 'nope') })).toThrow(ConfigError);
    expect(() => loadKubeConfig({ kubeconfig: file, context: 'ctx-c' })).toThrow(
      /context "ctx-c" not found \(contexts: ctx-a, ctx-b\)/,
    );
  });

  it('in-cluster: env + service-account files, https unless port 80/8080/8001, namespace trimmed', async () => {
    await writeFile(path.join(dir, 'token'), 'tok');
    await writeFile(path.join(dir, 'ca.crt'), 'not-used-here');
    await writeFile(path.join(dir, 'namespace'), 'platform');
    const https = loadKubeConfig({
      env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' },
      serviceAccountDir: dir,
    });
    expect(https.server).toBe('https://10.0.0.1:443');
    expect(https.namespace).toBe('platform');
    expect(https.source).toBe('in-cluster');
    const http = loadKubeConfig({
      env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '8080' },
      serviceAccountDir: dir,
    });
    expect(http.server).toBe('http://[fd00::1]:8080');
    expect(http.kubeConfig.getCurrentCluster()?.skipTLSVerify).toBe(true);
  });

  it('in-cluster: clear errors when not in a pod or without a token', async () => {
    expect(() => loadKubeConfig({ env: {}, serviceAccountDir: dir })).toThrow(
      /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/,
    );
    expect(() =>
      loadKubeConfig({
        env: { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '443' },
        serviceAccountDir: dir,
      }),
    ).toThrow(/service-account token .* not found/);
  });
});

describe('decodeK8sError', () => {
  it('reads reason/message from a Status body (a string in client-node 1.x)', () => {
    const body = JSON.stringify({
      kind: 'Status',
      reason: 'Conflict',
      message: 'the object has been modified',
      code: 409,
    });
    const f = decodeK8sError(new ApiException(409, 'x', body, {}));
    expect(f).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'the object has been modified',
      transient: false,
    });
  });

  it('401 without body, 429 with retry-after, non-Status bodies are not echoed', () => {
    expect(decodeK8sError(new ApiException(401, 'x', undefined, {}))).toMatchObject({
      reason: 'Unauthorized',
      transient: false,
    });
    expect(
      decodeK8sError(new ApiException(429, 'x', '{"reason":"TooManyRequests"}', { 'retry-after': '4' })),
    ).toMatchObject({
      retryAfterSeconds: 4,
      transient: true,
    });
    const html = decodeK8sError(new ApiException(502, 'x', '<html>gateway SECRETISH</html>', {}));
    expect(html.message).toBe('HTTP 502');
    expect(html.transient).toBe(true);
  });

  it('network errors and timeouts are transient', async () => {
    const net = decodeK8sError(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }));
    expect(net).toMatchObject({ code: 0, message: 'network error: ECONNREFUSED', transient: true });
    const err = await withTimeout(new Promise(() => {}), 5).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(K8sTimeoutError);
    expect(decodeK8sError(err).transient).toBe(true);
  });
});
