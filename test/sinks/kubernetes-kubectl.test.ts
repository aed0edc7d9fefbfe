/**
 * Cross-check with the real kubectl (Debian `kubernetes-client`): what our sink writes is what
 * kubectl reads, what kubectl writes (client-side and server-side apply) our sink reads, and the
 * Lease our elector maintains is visible to `kubectl get lease`. kubectl only ever talks to the
 * emulator (KUBECONFIG points at it, HOME is a temp dir, every call has --request-timeout).
 *
 * Skipped when kubectl is not installed, unless SCW_GITOPS_REQUIRE_CROSSCHECKS=1 (CI), then failed.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElector } from '../../src/k8s/leader-election.js';
import { Secret } from '../../src/model/secret.js';
import { ANNOTATIONS, createKubernetesSink, MANAGED_BY_LABEL } from '../../src/sinks/kubernetes-sink.js';
import type { SecretSink } from '../../src/sinks/sink.js';
import type { KubernetesEmulator } from '../emulators/kubernetes/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { kubeConfigFor, NAMESPACE, startEmulator, type Wire } from '../k8s/fixtures.js';
import { makeRecord } from './sink-contract.js';

function findKubectl(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'kubectl');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

const kubectlPath = findKubectl();
const required = process.env.SCW_GITOPS_REQUIRE_CROSSCHECKS === '1';

if (!kubectlPath && !required) {
  console.warn(
    'kubectl not found: skipping the kubectl cross-check (install Debian package kubernetes-client)',
  );
}

describe.skipIf(!kubectlPath && !required)('kubectl cross-check (Kubernetes sink + Lease)', () => {
  let emu: KubernetesEmulator;
  let home: string;
  let sink: SecretSink;

  function kubectl(
    args: string[],
    kubeconfig = emu.kubeconfigPath,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    if (!kubectlPath)
      throw new Error('kubectl is required (SCW_GITOPS_REQUIRE_CROSSCHECKS=1) but not installed');
    return new Promise((resolve) => {
      execFile(
        kubectlPath,
        ['--kubeconfig', kubeconfig, '--request-timeout=10s', ...args],
        {
          env: { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: kubeconfig },
          encoding: 'utf8',
          timeout: 30_000,
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  async function getJson(kind: string, name: string): Promise<Wire> {
    const r = await kubectl(['get', kind, name, '-n', NAMESPACE, '-o', 'json', '--show-managed-fields']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }

  beforeAll(async () => {
    if (!kubectlPath)
      throw new Error('kubectl is required (SCW_GITOPS_REQUIRE_CROSSCHECKS=1) but not installed');
    emu = await startEmulator({ tls: true });
    home = await mkdtemp(path.join(tmpdir(), 'kubectl-home-'));
    sink = createKubernetesSink({
      name: 'cluster',
      type: 'kubernetes',
      namespace: NAMESPACE,
      kubeconfig: emu.kubeconfigPath,
      reloader: true,
      labels: { team: 'platform' },
    });
  });

  afterAll(async () => {
    await emu?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('kubectl reads the Secret our sink wrote', async () => {
    const loc = { sink: 'cluster', secretName: 'ci-deployer' };
    const rec = makeRecord();
    await sink.write(loc, rec);
    const s = await getJson('secret', 'ci-deployer');
    expect(s.type).toBe('Opaque');
    expect(Buffer.from(s.data.SCW_ACCESS_KEY, 'base64').toString()).toBe(rec.accessKey);
    expect(Buffer.from(s.data.SCW_SECRET_KEY, 'base64').toString()).toBe(rec.secretKey.reveal());
    expect(s.metadata.labels).toEqual({ [MANAGED_BY_LABEL]: 'scw-gitops', team: 'platform' });
    expect(s.metadata.annotations[ANNOTATIONS.accessKey]).toBe(rec.accessKey);
    expect(s.metadata.annotations[ANNOTATIONS.keyName]).toBe('ci-deployer');
    expect(s.metadata.annotations[ANNOTATIONS.expiresAt]).toBe(rec.metadata.expiresAt);
    expect(s.metadata.annotations['reloader.stakater.com/match']).toBe('true');
    expect(s.metadata.managedFields[0].manager).toBe('scw-gitops');
    expect(s.metadata.managedFields[0].operation).toBe('Apply');
  });

  async function manifest(name: string, accessKey: string, secret: string): Promise<string> {
    const file = path.join(home, `${name}.yaml`);
    await writeFile(
      file,
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        `  name: ${name}`,
        `  namespace: ${NAMESPACE}`,
        '  labels:',
        `    ${MANAGED_BY_LABEL}: scw-gitops`,
        '  annotations:',
        `    ${ANNOTATIONS.keyName}: imported`,
        `    ${ANNOTATIONS.expiresAt}: never`,
        'type: Opaque',
        'data:',
        `  SCW_ACCESS_KEY: ${Buffer.from(accessKey).toString('base64')}`,
        `  SCW_SECRET_KEY: ${Buffer.from(secret).toString('base64')}`,
        '',
      ].join('\n'),
    );
    return file;
  }

  it('our sink reads a Secret created by kubectl apply (client-side), then rotates it', async () => {
    const secret = new Secret('11111111-2222-4333-8444-555555555555');
    const file = await manifest('from-kubectl', 'SCWKUBECTL0000000001', secret.reveal());
    const r = await kubectl(['apply', '--validate=false', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('secret/from-kubectl created');
    const loc = { sink: 'cluster', secretName: 'from-kubectl' };
    const got = await sink.read(loc);
    expect(got?.accessKey).toBe('SCWKUBECTL0000000001');
    expect(got?.secretKey?.equals(secret)).toBe(true);
    expect(got?.metadata.keyName).toBe('imported');
    expect(got?.metadata.expiresAt).toBeNull();
    // Rotation over a kubectl-managed object: RV precondition + force takes the data fields over.
    const next = makeRecord();
    await sink.write(loc, next);
    const s = await getJson('secret', 'from-kubectl');
    expect(Buffer.from(s.data.SCW_ACCESS_KEY, 'base64').toString()).toBe(next.accessKey);
    expect(s.metadata.annotations[ANNOTATIONS.previousAccessKey]).toBe('SCWKUBECTL0000000001');
    // kubectl's own bookkeeping annotation survives our apply.
    expect(s.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBeDefined();
  });

  it('server-side apply by kubectl is read by our sink; kubectl then sees our ownership as a conflict', async () => {
    const secret = new Secret('66666666-7777-4888-8999-aaaaaaaaaaaa');
    const file = await manifest('from-ssa', 'SCWKUBECTL0000000002', secret.reveal());
    const r = await kubectl(['apply', '--validate=false', '--server-side', '-f', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('serverside-applied');
    const loc = { sink: 'cluster', secretName: 'from-ssa' };
    expect(
      await sink.verify(loc, { ...makeRecord({ accessKey: 'SCWKUBECTL0000000002' }), secretKey: secret }),
    ).toBe(true);
    await sink.write(loc, makeRecord());
    const again = await kubectl(['apply', '--validate=false', '--server-side', '-f', file]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/Apply failed with \d+ conflicts?: conflicts? with "scw-gitops"/);
    expect(again.stderr).toContain('.data.SCW_SECRET_KEY');
  });

  it('our list finds the same Secrets as kubectl get -A -l managed-by, paging chunk by chunk', async () => {
    // Ours in two namespaces, and one without our label made by kubectl.
    await sink.write({ sink: 'cluster', namespace: 'default', secretName: 'elsewhere' }, makeRecord());
    await sink.write({ sink: 'cluster', secretName: 'listed' }, makeRecord());
    const file = path.join(home, 'db-password.yaml');
    await writeFile(
      file,
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db-password\n  namespace: ${NAMESPACE}\ntype: Opaque\ndata:\n  password: eA==\n`,
    );
    const foreign = await kubectl(['apply', '--validate=false', '-f', file]);
    expect(foreign.code, foreign.stderr).toBe(0);
    // --chunk-size=1: kubectl pages with limit/continue, the way our sink does with a larger page.
    const r = await kubectl([
      'get',
      'secrets',
      '-A',
      '-l',
      `${MANAGED_BY_LABEL}=scw-gitops`,
      '--chunk-size=1',
      '-o',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const theirs = (JSON.parse(r.stdout) as Wire).items
      .map((s: Wire) => `${s.metadata.namespace}/${s.metadata.name}`)
      .sort();
    const listing = await sink.list();
    const ours = listing.records.map((x) => `${x.location.namespace}/${x.location.secretName}`);
    expect(listing.incomplete).toEqual([]);
    expect(ours).toEqual(theirs);
    expect(ours).toContain('default/elsewhere');
    expect(ours).toContain(`${NAMESPACE}/listed`);
    expect(ours).not.toContain(`${NAMESPACE}/db-password`);
    // Applied by kubectl in our layout (an earlier test), then written by our sink.
    expect(ours).toContain(`${NAMESPACE}/from-kubectl`);
  });

  it('kubectl delete removes it; our sink then reads nothing', async () => {
    const loc = { sink: 'cluster', secretName: 'to-delete' };
    await sink.write(loc, makeRecord());
    const r = await kubectl(['delete', 'secret', 'to-delete', '-n', NAMESPACE, '--wait=false']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('secret "to-delete" deleted');
    expect(await sink.read(loc)).toBeUndefined();
  });

  it('kubectl prints the emulator RBAC denial verbatim', async () => {
    const token = 'kubectl-restricted';
    emu.control.setToken(token, {
      user: `system:serviceaccount:${NAMESPACE}:scw-gitops`,
      rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['ci-deployer'], verbs: ['get'] }],
    });
    const kc = await emu.writeKubeconfig(token, NAMESPACE);
    const ok = await kubectl(['get', 'secret', 'ci-deployer', '-n', NAMESPACE, '-o', 'name'], kc);
    expect(ok.code, ok.stderr).toBe(0);
    const denied = await kubectl(['get', 'secret', 'from-ssa', '-n', NAMESPACE], kc);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain(
      `Error from server (Forbidden): secrets "from-ssa" is forbidden: User "system:serviceaccount:${NAMESPACE}:scw-gitops" cannot get resource "secrets" in API group "" in the namespace "${NAMESPACE}"`,
    );
  });

  it('kubectl get lease shows the holder our elector wrote, with MicroTime timestamps', async () => {
    const clock = new FakeClock({ start: '2026-03-01T10:00:00.250Z', sleeps: 'manual' });
    const elector = new LeaderElector({
      namespace: NAMESPACE,
      leaseName: 'scw-gitops-leader',
      identity: 'replica-0',
      kubeConfig: kubeConfigFor(emu.kubeconfigPath),
      clock,
    });
    expect(await elector.tryAcquireOrRenew()).toBe(true);
    clock.advance(2_000);
    expect(await elector.tryAcquireOrRenew()).toBe(true);
    const l = await getJson('lease', 'scw-gitops-leader');
    expect(l.spec.holderIdentity).toBe(elector.identity);
    expect(l.spec.leaseDurationSeconds).toBe(15);
    expect(l.spec.acquireTime).toBe('2026-03-01T10:00:00.250000Z');
    expect(l.spec.renewTime).toBe('2026-03-01T10:00:02.250000Z');
    const table = await kubectl(['get', 'lease', '-n', NAMESPACE]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('scw-gitops-leader');
  });
});
