import { randomBytes } from 'node:crypto';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubernetesSinkSettings } from '../../src/config/settings.js';
import { SinkError } from '../../src/errors.js';
import {
  ANNOTATIONS,
  createKubernetesSink,
  DATA_ACCESS_KEY,
  DATA_SECRET_KEY,
  MANAGED_BY_LABEL,
  RELOADER_MATCH_ANNOTATION,
} from '../../src/sinks/kubernetes-sink.js';
import type { SinkLocation } from '../../src/sinks/sink.js';
import type { KubernetesEmulator } from '../emulators/kubernetes/server.js';
import { assertNoSecrets, createLogCapture, errorText } from '../helpers/log-capture.js';
import {
  inClusterFor,
  kubeConfigFor,
  minimalRole,
  NAMESPACE,
  startEmulator,
  type Wire,
} from '../k8s/fixtures.js';
import { describeSinkContract, makeRecord } from './sink-contract.js';

function settings(overrides: Partial<KubernetesSinkSettings> = {}): KubernetesSinkSettings {
  return {
    name: 'cluster',
    type: 'kubernetes',
    namespace: NAMESPACE,
    reloader: false,
    labels: {},
    ...overrides,
  };
}

function secretName(): string {
  return `scw-key-${randomBytes(3).toString('hex')}`;
}

describeSinkContract('kubernetes sink (kubeconfig)', async () => {
  const emu = await startEmulator();
  const broken = await emu.writeKubeconfig('not-a-valid-token');
  return {
    sink: createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath })),
    location: { sink: 'cluster', secretName: secretName() },
    badLocation: { sink: 'cluster', namespace: 'no-such-namespace', secretName: secretName() },
    brokenSink: createKubernetesSink(settings({ kubeconfig: broken })),
    listing: {
      // A key may name another namespace than the sink's.
      other: { sink: 'cluster', namespace: 'default', secretName: secretName() },
      // Secrets of other tools, without our managed-by label: never listed.
      plantForeign: async () => {
        const core = kubeConfigFor(emu.kubeconfigPath).makeApiClient(CoreV1Api);
        for (const namespace of [NAMESPACE, 'default']) {
          await core.createNamespacedSecret({
            namespace,
            body: {
              metadata: { name: 'db-password', labels: { 'app.kubernetes.io/managed-by': 'helm' } },
              stringData: { SCW_ACCESS_KEY: 'SCWAAAAAAAAAAAAAAAAA', password: 'x' },
            },
          });
        }
      },
    },
    plantForeignAt: async (location) => {
      const core = kubeConfigFor(emu.kubeconfigPath).makeApiClient(CoreV1Api);
      await core.createNamespacedSecret({
        namespace: NAMESPACE,
        body: {
          metadata: { name: location.secretName!, labels: { 'app.kubernetes.io/managed-by': 'helm' } },
          stringData: { password: 'x' },
        },
      });
    },
    foreignStillThere: async (location) => {
      const core = kubeConfigFor(emu.kubeconfigPath).makeApiClient(CoreV1Api);
      const s = await core.readNamespacedSecret({ name: location.secretName!, namespace: NAMESPACE });
      return s.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'helm';
    },
    teardown: () => emu.close(),
  };
});

describeSinkContract(
  'kubernetes sink (in-cluster, TLS)',
  async () => {
    const emu = await startEmulator({ tls: true });
    const token = `sa-${randomBytes(8).toString('hex')}`;
    const name = secretName();
    emu.control.setToken(token, {
      user: `system:serviceaccount:${NAMESPACE}:scw-gitops`,
      rules: minimalRole(name),
    });
    const sa = await inClusterFor(emu, token, NAMESPACE);
    const badSa = await inClusterFor(emu, 'revoked-token', NAMESPACE);
    return {
      sink: createKubernetesSink(settings(), { env: sa.env, serviceAccountDir: sa.dir }),
      location: { sink: 'cluster', secretName: name },
      // The Role only covers `name`: another Secret name is denied by RBAC.
      badLocation: { sink: 'cluster', secretName: `${name}-other` },
      brokenSink: createKubernetesSink(settings(), { env: badSa.env, serviceAccountDir: badSa.dir }),
      teardown: async () => {
        await emu.close();
        await sa.cleanup();
        await badSa.cleanup();
      },
    };
    // The minimal Role names one Secret and has no `list` verb.
  },
  { list: false },
);

describe('kubernetes sink', () => {
  let emu: KubernetesEmulator;
  let loc: SinkLocation;

  beforeEach(async () => {
    emu = await startEmulator();
    loc = { sink: 'cluster', secretName: secretName() };
  });

  afterEach(async () => {
    await emu.close();
  });

  it('list pages through the Secrets, and falls back to its namespace when RBAC is namespaced', async () => {
    const admin = createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath }), { listPageSize: 2 });
    const written = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const rec = makeRecord({ keyName: `key-${i}` });
      await admin.write({ sink: 'cluster', secretName: `key-${String(i).padStart(3, '0')}` }, rec);
      written.add(rec.accessKey);
    }
    const elsewhere = makeRecord();
    await admin.write({ sink: 'cluster', namespace: 'default', secretName: 'elsewhere' }, elsewhere);
    const before = emu.control.requests.length;
    const all = await admin.list();
    const pages = emu.control.requests
      .slice(before)
      .filter((r) => r.method === 'GET' && r.path === '/api/v1/secrets' && r.query.limit === '2').length;
    expect(all.incomplete).toEqual([]);
    expect(all.records).toHaveLength(6);
    expect(pages).toBe(3);
    expect(all.records[0]!.location).toEqual({
      sink: 'cluster',
      namespace: 'default',
      secretName: 'elsewhere',
    });

    // A Role in the sink's namespace only (what the Helm chart's Role plus `list` gives).
    emu.control.setToken('namespaced', {
      user: `system:serviceaccount:${NAMESPACE}:scw-gitops`,
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'], namespaces: [NAMESPACE] }],
    });
    const namespaced = createKubernetesSink(
      settings({ kubeconfig: await emu.writeKubeconfig('namespaced', NAMESPACE) }),
    );
    const mine = await namespaced.list();
    expect(mine.records.map((r) => r.accessKey).sort()).toEqual([...written].sort());
    expect(mine.incomplete).toEqual([
      `Secrets outside namespace "${NAMESPACE}" were not searched: RBAC does not allow listing Secrets in all namespaces`,
    ]);

    // No `list` at all: a SinkError naming the verb and the namespace.
    emu.control.setToken('getter', {
      user: 'system:serviceaccount:platform:getter',
      rules: minimalRole('x'),
    });
    const getter = createKubernetesSink(
      settings({ kubeconfig: await emu.writeKubeconfig('getter', NAMESPACE) }),
    );
    const err = await getter.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).message).toContain(`list (namespace "${NAMESPACE}") failed (HTTP 403)`);
    expect((err as SinkError).message).toContain('cannot list resource "secrets"');
  });

  it('writes an Opaque Secret with base64 data, labels, annotations via server-side apply', async () => {
    const cap = createLogCapture();
    const sink = createKubernetesSink(
      settings({ kubeconfig: emu.kubeconfigPath, labels: { team: 'platform' } }),
      {
        logger: cap.logger,
      },
    );
    const rec = makeRecord();
    await sink.write(loc, rec);
    const s = emu.control.get('secrets', NAMESPACE, loc.secretName as string) as Wire;
    expect(s.type).toBe('Opaque');
    expect(Buffer.from(s.data[DATA_ACCESS_KEY], 'base64').toString()).toBe(rec.accessKey);
    expect(Buffer.from(s.data[DATA_SECRET_KEY], 'base64').toString()).toBe(rec.secretKey.reveal());
    expect(Buffer.from(s.data.SCW_DEFAULT_ORGANIZATION_ID, 'base64').toString()).toBe(
      rec.metadata.organizationId,
    );
    expect(s.metadata.labels).toEqual({ [MANAGED_BY_LABEL]: 'scw-gitops', team: 'platform' });
    expect(s.metadata.annotations).toMatchObject({
      [ANNOTATIONS.accessKey]: rec.accessKey,
      [ANNOTATIONS.keyName]: 'ci-deployer',
      [ANNOTATIONS.expiresAt]: rec.metadata.expiresAt,
      [ANNOTATIONS.revision]: rec.metadata.revision,
      [ANNOTATIONS.deliveredAt]: rec.metadata.deliveredAt,
      [ANNOTATIONS.instance]: 'default',
    });
    expect(s.metadata.annotations[RELOADER_MATCH_ANNOTATION]).toBeUndefined();
    expect(s.metadata.managedFields).toEqual([
      expect.objectContaining({ manager: 'scw-gitops', operation: 'Apply', fieldsType: 'FieldsV1' }),
    ]);
    const writes = emu.control.requests.filter((r) => r.method === 'PATCH' && !r.query.dryRun);
    expect(writes).toHaveLength(1);
    expect(writes[0]?.contentType).toBe('application/apply-patch+yaml');
    expect(writes[0]?.query.fieldManager).toBe('scw-gitops');
    expect(writes[0]?.query.force).toBeUndefined(); // create: no force
    expect(JSON.parse(writes[0]?.body as string).stringData).toBeUndefined();
    assertNoSecrets(cap.lines, [rec.secretKey.reveal()]);
  });

  it('updates with a resourceVersion precondition and force, and keeps foreign annotations', async () => {
    const sink = createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath }));
    const first = makeRecord();
    await sink.write(loc, first);
    emu.control.externalWrite(
      'secrets',
      NAMESPACE,
      loc.secretName as string,
      (o: Wire) => {
        o.metadata.annotations['argocd.argoproj.io/tracking-id'] = 'x';
      },
      'argocd',
    );
    const before = emu.control.get('secrets', NAMESPACE, loc.secretName as string) as Wire;
    const next = makeRecord();
    await sink.write(loc, next);
    const apply = emu.control.requests.filter((r) => r.method === 'PATCH').at(-1);
    expect(apply?.query.force).toBe('true');
    expect(JSON.parse(apply?.body as string).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    const s = emu.control.get('secrets', NAMESPACE, loc.secretName as string) as Wire;
    expect(s.metadata.annotations['argocd.argoproj.io/tracking-id']).toBe('x');
    expect(s.metadata.annotations[ANNOTATIONS.previousAccessKey]).toBe(first.accessKey);
    expect(s.metadata.uid).toBe(before.metadata.uid);
  });

  it('a concurrent writer between read and write gives a retryable SinkError and is not clobbered', async () => {
    const sink = createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath }));
    await sink.write(loc, makeRecord());
    const name = loc.secretName as string;
    emu.control.beforeNextWrite('secrets', NAMESPACE, name, () => {
      emu.control.externalWrite('secrets', NAMESPACE, name, (o: Wire) => {
        o.data.SCW_SECRET_KEY = Buffer.from('written-by-someone-else').toString('base64');
      });
    });
    const rec = makeRecord();
    const err = await sink.write(loc, rec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(true);
    expect((err as SinkError).message).toMatch(
      /concurrent write detected \(Conflict\).*the object has been modified/,
    );
    const s = emu.control.get('secrets', NAMESPACE, name) as Wire;
    expect(Buffer.from(s.data.SCW_SECRET_KEY, 'base64').toString()).toBe('written-by-someone-else');
    assertNoSecrets([errorText(err)], [rec.secretKey.reveal()]);
    // The retry re-reads and succeeds.
    await sink.write(loc, rec);
    expect(await sink.verify(loc, rec)).toBe(true);
  });

  it('a Secret created concurrently by someone else is not overwritten (apply conflict)', async () => {
    const sink = createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath }));
    const name = loc.secretName as string;
    // The object appears between our GET (404) and our apply.
    let gets = 0;
    emu.control.beforeNextWrite('secrets', NAMESPACE, name, () => {
      gets += 1;
      emu.control.externalWrite(
        'secrets',
        NAMESPACE,
        name,
        (o: Wire) => {
          o.metadata.labels = { [MANAGED_BY_LABEL]: 'scw-gitops' };
          o.data = { SCW_SECRET_KEY: Buffer.from('theirs').toString('base64') };
        },
        'other-controller',
      );
    });
    const err = await sink.write(loc, makeRecord()).catch((e: unknown) => e);
    expect(gets).toBe(1);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).message).toMatch(/Apply failed with .*conflict.*"other-controller" using v1/);
    const s = emu.control.get('secrets', NAMESPACE, name) as Wire;
    expect(Buffer.from(s.data.SCW_SECRET_KEY, 'base64').toString()).toBe('theirs');
  });

  it('refuses to read or write a Secret it does not manage', async () => {
    const sink = createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath }));
    const name = loc.secretName as string;
    emu.control.externalWrite('secrets', NAMESPACE, name, (o: Wire) => {
      o.data = { token: Buffer.from('foreign').toString('base64') };
    });
    await expect(sink.write(loc, makeRecord())).rejects.toThrow(/not managed by scw-gitops/);
    await expect(sink.read(loc)).rejects.toThrow(/not managed by scw-gitops/);
    await expect(sink.preflight(loc)).rejects.toThrow(/not managed by scw-gitops/);
    const s = emu.control.get('secrets', NAMESPACE, name) as Wire;
    expect(Object.keys(s.data)).toEqual(['token']);
  });

  it('preflight reports an RBAC denial naming the missing verbs, without writing', async () => {
    const name = loc.secretName as string;
    const token = 'readonly-sa';
    emu.control.setToken(token, {
      user: `system:serviceaccount:${NAMESPACE}:reader`,
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    });
    const sink = createKubernetesSink(settings({ kubeconfig: await emu.writeKubeconfig(token) }));
    const err = (await sink.preflight(loc).catch((e: unknown) => e)) as SinkError;
    expect(err).toBeInstanceOf(SinkError);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(
      `RBAC does not allow create, patch on secrets "${name}" in namespace "${NAMESPACE}"`,
    );
    expect(emu.control.get('secrets', NAMESPACE, name)).toBeUndefined();
    // The write itself gets the server's Forbidden message.
    const werr = (await sink.write(loc, makeRecord()).catch((e: unknown) => e)) as SinkError;
    expect(werr.message).toContain(
      `secrets "${name}" is forbidden: User "system:serviceaccount:${NAMESPACE}:reader" cannot patch resource "secrets" in API group "" in the namespace "${NAMESPACE}"`,
    );
  });

  it('preflight uses a server-side dry run: nothing is stored', async () => {
    const sink = createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath }));
    const before = emu.control.resourceVersion();
    await sink.preflight(loc);
    const dry = emu.control.requests.find((r) => r.method === 'PATCH');
    expect(dry?.query.dryRun).toBe('All');
    expect(emu.control.resourceVersion()).toBe(before);
    expect(emu.control.get('secrets', NAMESPACE, loc.secretName as string)).toBeUndefined();
  });

  it('records a best-effort core/v1 Event on the Secret, without the secret', async () => {
    const sink = createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath }));
    const first = makeRecord();
    await sink.write(loc, first);
    const second = makeRecord();
    await sink.write(loc, second);
    await sink.write(loc, second); // no-op: no event
    const evs = emu.control.events.filter(
      (e) => e.object.involvedObject && (e.object.involvedObject as Wire).name === loc.secretName,
    );
    expect(evs.map((e) => e.object.reason)).toEqual(['SecretCreated', 'KeyRotated']);
    const ev = evs[1]?.object as Wire;
    expect(ev.involvedObject).toMatchObject({
      kind: 'Secret',
      namespace: NAMESPACE,
      uid: expect.any(String),
    });
    expect(ev.message).toContain(second.accessKey);
    expect(ev.message).toContain(`replaces ${first.accessKey}`);
    expect(ev.firstTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assertNoSecrets([JSON.stringify(evs)], [first.secretKey.reveal(), second.secretKey.reveal()]);
    // Without permission to create events the write still succeeds.
    emu.control.addFault({ path: '/events', status: 403, times: Number.POSITIVE_INFINITY });
    await sink.write(loc, makeRecord());
  });

  it('adds the Reloader match annotation when enabled', async () => {
    const sink = createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath, reloader: true }));
    await sink.write(loc, makeRecord());
    const s = emu.control.get('secrets', NAMESPACE, loc.secretName as string) as Wire;
    expect(s.metadata.annotations[RELOADER_MATCH_ANNOTATION]).toBe('true');
  });

  it('a dropped previous-access-key annotation is removed by the next apply (SSA ownership)', async () => {
    const sink = createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath }));
    const base = makeRecord();
    await sink.write(loc, {
      ...base,
      metadata: { ...base.metadata, previousAccessKey: 'SCWPREVIOUS0000000000' },
    });
    const fresh = emu.control.get('secrets', NAMESPACE, loc.secretName as string) as Wire;
    expect(fresh.metadata.annotations[ANNOTATIONS.previousAccessKey]).toBe('SCWPREVIOUS0000000000');
    const next = makeRecord();
    await sink.write(loc, next);
    const s = emu.control.get('secrets', NAMESPACE, loc.secretName as string) as Wire;
    expect(s.metadata.annotations[ANNOTATIONS.previousAccessKey]).toBe(base.accessKey);
  });

  it('maps 503/429 to retryable and 422 to non-retryable SinkErrors', async () => {
    const sink = createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath }));
    emu.control.addFault({ method: 'GET', path: '/secrets/', status: 503 });
    const e1 = (await sink.read(loc).catch((e: unknown) => e)) as SinkError;
    expect(e1).toBeInstanceOf(SinkError);
    expect(e1.retryable).toBe(true);
    expect(e1.message).toContain('HTTP 503');
    emu.control.addFault({ method: 'PATCH', status: 429, retryAfterSeconds: 3 });
    const e2 = (await sink.write(loc, makeRecord()).catch((e: unknown) => e)) as SinkError;
    expect(e2.retryable).toBe(true);
    expect(e2.message).toContain('HTTP 429');
    // The server's validation (422) is not retryable: a label value the API server rejects.
    const badLabels = createKubernetesSink(
      settings({ kubeconfig: emu.kubeconfigPath, labels: { team: 'not valid!' } }),
    );
    const e3 = (await badLabels.write(loc, makeRecord()).catch((e: unknown) => e)) as SinkError;
    expect(e3.retryable).toBe(false);
    expect(e3.message).toContain('HTTP 422');
    expect(e3.message).toContain('metadata.labels: Invalid value: "not valid!"');
    // An invalid name is refused before any request.
    const before = emu.control.requests.length;
    await expect(
      sink.write({ sink: 'cluster', secretName: 'Not_A_Valid_Name' }, makeRecord()),
    ).rejects.toThrow(/"Not_A_Valid_Name" is not a valid Secret name/);
    expect(emu.control.requests.length).toBe(before);
  });

  it('times out a hanging request with a retryable error', async () => {
    const sink = createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath }), { requestTimeoutMs: 50 });
    const release = emu.control.hold();
    try {
      const err = (await sink.read(loc).catch((e: unknown) => e)) as SinkError;
      expect(err).toBeInstanceOf(SinkError);
      expect(err.retryable).toBe(true);
      expect(err.message).toContain('timed out');
    } finally {
      release();
    }
  });

  it('in-cluster mode without KUBERNETES_SERVICE_HOST fails with a clear SinkError', async () => {
    const sink = createKubernetesSink(settings(), { env: {}, serviceAccountDir: '/nonexistent' });
    await expect(sink.read(loc)).rejects.toThrow(
      /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set/,
    );
  });

  it('describes locations as k8s:<namespace>/<name>', () => {
    const sink = createKubernetesSink(settings({ kubeconfig: emu.kubeconfigPath }));
    expect(sink.describe({ sink: 'cluster', secretName: 'a' })).toBe(`k8s:${NAMESPACE}/a`);
    expect(sink.describe({ sink: 'cluster', namespace: 'x', secretName: 'a' })).toBe('k8s:x/a');
  });
});
