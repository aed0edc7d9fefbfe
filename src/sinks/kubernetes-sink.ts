/**
 * Kubernetes Secret sink (docs/design/kubernetes.md §2–§4, §10).
 *
 * One Secret per key (`type: Opaque`), data keys `SCW_ACCESS_KEY`, `SCW_SECRET_KEY` (plus
 * `SCW_DEFAULT_ORGANIZATION_ID` / `SCW_DEFAULT_PROJECT_ID` when known, so `envFrom` gives a
 * complete Scaleway SDK/CLI environment), label `app.kubernetes.io/managed-by: scw-gitops` (+ the
 * settings' labels) and `scw-gitops.io/*` annotations describing the key.
 *
 * Write path — server-side apply with a resourceVersion precondition:
 * - We always GET first (the sink contract: read the current record and pass its version). A
 *   Secret that exists without our managed-by label is never touched (not ours).
 * - Update: PATCH `application/apply-patch+yaml`, `fieldManager=scw-gitops`, body carrying
 *   `metadata.resourceVersion` of what we read, and `force=true`. The resourceVersion is a
 *   precondition (409 Conflict if anybody wrote in between), so `force` cannot clobber a concurrent
 *   write: it only takes over fields whose current value we have just seen and decided to replace
 *   (e.g. someone `kubectl edit`ed the data of our Secret earlier). That is the "controllers are
 *   expected to use force" case of §4.1, made safe by §3.1 pattern 3.
 * - Create: apply without a resourceVersion (none exists) and without `force`, so if another writer
 *   created the Secret after our GET, any field it set differently is a 409 FieldManagerConflict
 *   instead of an overwrite. (POST would also work but cannot be authorized with a name-restricted
 *   RBAC rule; SSA-create can — §4.5/§6.)
 * - Why SSA and not PUT: apply drops keys/annotations we stopped applying (e.g. a stale
 *   `previous-access-key`) while leaving foreign labels/annotations (Argo CD, Reloader, humans)
 *   alone; PUT would replace the whole object and erase them.
 * - Data goes base64 in `data`, never `stringData` (SSA tracks stringData separately and leaves
 *   stale data keys behind, §4.3). The Secret is never made `immutable` (it rotates).
 * - Idempotent: when the stored access key and secret already equal the record, nothing is written.
 *
 * Stakater Reloader (settings `reloader: true`): the Secret gets `reloader.stakater.com/match:
 * "true"`. Consumers then annotate their Deployment/StatefulSet with
 * `reloader.stakater.com/search: "true"` to roll out when this Secret's data changes, or (without
 * needing the match annotation) `secret.reloader.stakater.com/reload: "<secret-name>"`. Reloader
 * triggers on a change of the data hash only, which a rotation always makes; annotation-only
 * updates never cause a rollout. Env-var consumers need such a rollout; volume consumers see the
 * new files after the kubelet sync (§10), so keep the rotation overlap longer than that.
 *
 * Error messages carry the location and the API server's Status message, never data.
 */
import {
  AuthorizationV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Secret,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { KubernetesSinkSettings } from '../config/settings.js';
import { AppError, SinkError } from '../errors.js';
import { decodeK8sError, withTimeout } from '../k8s/api-error.js';
import { loadKubeConfig } from '../k8s/config.js';
import { Secret } from '../model/secret.js';
import {
  type ListedRecord,
  removalCheck,
  type SecretRecord,
  type SecretSink,
  type SinkListing,
  type SinkLocation,
  type StoredRecord,
} from './sink.js';

export const FIELD_MANAGER = 'scw-gitops';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'scw-gitops';
export const DATA_ACCESS_KEY = 'SCW_ACCESS_KEY';
export const DATA_SECRET_KEY = 'SCW_SECRET_KEY';
export const DATA_ORGANIZATION_ID = 'SCW_DEFAULT_ORGANIZATION_ID';
export const DATA_PROJECT_ID = 'SCW_DEFAULT_PROJECT_ID';
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const RELOADER_MATCH_ANNOTATION = 'reloader.stakater.com/match';

export const ANNOTATIONS = {
  accessKey: 'scw-gitops.io/access-key-id',
  expiresAt: 'scw-gitops.io/expires-at',
  revision: 'scw-gitops.io/revision',
  keyName: 'scw-gitops.io/key-name',
  deliveredAt: 'scw-gitops.io/delivered-at',
  previousAccessKey: 'scw-gitops.io/previous-access-key',
  instance: 'scw-gitops.io/instance',
  rotation: 'scw-gitops.io/rotation',
} as const;

/** Page size of `list` (the API server's `limit`; it hands out a `continue` token for the rest). */
export const LIST_PAGE_SIZE = 100;

/** `expires-at` value for keys without expiry. */
export const NEVER_EXPIRES = 'never';

export interface KubernetesSinkDeps {
  /** Environment for in-cluster configuration (KUBERNETES_SERVICE_HOST/PORT). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Service-account directory for in-cluster mode (tests point it at a temp dir). */
  readonly serviceAccountDir?: string;
  /** Per-request timeout (default 15 s). */
  readonly requestTimeoutMs?: number;
  /** Ready client configuration (bypasses settings.kubeconfig / in-cluster loading). */
  readonly kubeConfig?: KubeConfig;
  /**
   * Record a core/v1 Event on the Secret after each effective write (default true). Best effort:
   * a failure (e.g. RBAC without `events: create`) is logged at debug and never fails the write.
   */
  readonly recordEvents?: boolean;
  /** Secrets per page of `list` (default LIST_PAGE_SIZE). */
  readonly listPageSize?: number;
}

interface Target {
  readonly namespace: string;
  readonly name: string;
  readonly where: string;
}

interface Clients {
  readonly core: CoreV1Api;
  readonly authz: AuthorizationV1Api;
}

const applyOptions = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function unb64(text: string | undefined): string | undefined {
  return text === undefined ? undefined : Buffer.from(text, 'base64').toString('utf8');
}

export function createKubernetesSink(
  settings: KubernetesSinkSettings,
  deps: KubernetesSinkDeps = {},
): SecretSink {
  const timeoutMs = deps.requestTimeoutMs ?? 15_000;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger?.child({ sink: settings.name, sinkType: 'kubernetes' });
  let clients: Clients | undefined;

  function getClients(): Clients {
    if (clients) return clients;
    let kc = deps.kubeConfig;
    if (!kc) {
      try {
        kc = loadKubeConfig({
          ...(settings.kubeconfig !== undefined ? { kubeconfig: settings.kubeconfig } : {}),
          ...(settings.context !== undefined ? { context: settings.context } : {}),
          env: deps.env ?? {},
          ...(deps.serviceAccountDir !== undefined ? { serviceAccountDir: deps.serviceAccountDir } : {}),
        }).kubeConfig;
      } catch (e) {
        throw new SinkError(settings.name, `kubernetes client configuration: ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
    clients = { core: kc.makeApiClient(CoreV1Api), authz: kc.makeApiClient(AuthorizationV1Api) };
    return clients;
  }

  function target(location: SinkLocation): Target {
    const namespace = location.namespace ?? settings.namespace;
    const name = location.secretName ?? location.path;
    if (!namespace)
      throw new SinkError(
        settings.name,
        'no namespace for the Secret (set `namespace` on the sink or the key)',
      );
    if (!name)
      throw new SinkError(
        settings.name,
        `k8s:${namespace}/?: no secret name for the key (set sink.secretName)`,
      );
    if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
      throw new SinkError(
        settings.name,
        `k8s:${namespace}/${name}: "${name}" is not a valid Secret name (lowercase RFC 1123 subdomain: a-z, 0-9, '-', '.'; set sink.secretName)`,
      );
    }
    return { namespace, name, where: `k8s:${namespace}/${name}` };
  }

  function fail(t: Target, op: string, err: unknown, conflictRetryable = true): SinkError {
    if (err instanceof AppError)
      return err instanceof SinkError
        ? err
        : new SinkError(settings.name, `${t.where}: ${op}: ${err.message}`, { cause: err });
    const f = decodeK8sError(err);
    let retryable = f.transient;
    let message = f.message;
    if (f.code === 409) {
      retryable = conflictRetryable;
      message = `concurrent write detected (${f.reason ?? 'Conflict'}): ${f.message}`;
    } else if (f.code === 404 && /^namespaces "/.test(f.message)) {
      message = `namespace "${t.namespace}" does not exist (${f.message})`;
    } else if (f.code === 403) {
      message = `access denied by RBAC: ${f.message}`;
    } else if (f.code === 401) {
      message = 'the API server rejected the credentials (401 Unauthorized)';
    }
    const status = f.code === 0 ? '' : ` (HTTP ${f.code})`;
    // No `cause`: client-node's ApiException message embeds the raw response body and headers;
    // the Status message above is all we keep.
    return new SinkError(settings.name, `${t.where}: ${op} failed${status}: ${message}`, { retryable });
  }

  async function getSecret(t: Target, signal?: AbortSignal): Promise<V1Secret | undefined> {
    const { core } = getClients();
    try {
      return await withTimeout(
        core.readNamespacedSecret({ name: t.name, namespace: t.namespace }),
        timeoutMs,
        signal,
      );
    } catch (e) {
      if (decodeK8sError(e).code === 404) return undefined;
      throw fail(t, 'read', e);
    }
  }

  function assertOwned(t: Target, secret: V1Secret): void {
    const managedBy = secret.metadata?.labels?.[MANAGED_BY_LABEL];
    if (managedBy !== MANAGED_BY_VALUE) {
      throw new SinkError(
        settings.name,
        `${t.where}: the Secret exists but is not managed by scw-gitops (label ${MANAGED_BY_LABEL}=${managedBy ?? '<unset>'}); refusing to touch it — delete it or choose another secretName`,
      );
    }
  }

  function toStored(secret: V1Secret): StoredRecord {
    const data = secret.data ?? {};
    const ann = secret.metadata?.annotations ?? {};
    const accessKey = unb64(data[DATA_ACCESS_KEY]) ?? ann[ANNOTATIONS.accessKey] ?? '';
    const secretText = unb64(data[DATA_SECRET_KEY]);
    const expires = ann[ANNOTATIONS.expiresAt];
    const metadata: Record<string, string | null> = { accessKey };
    const copy = (field: string, annotation: string) => {
      const v = ann[annotation];
      if (v !== undefined) metadata[field] = v;
    };
    copy('keyName', ANNOTATIONS.keyName);
    if (expires !== undefined)
      metadata.expiresAt = expires === NEVER_EXPIRES || expires === '' ? null : expires;
    copy('revision', ANNOTATIONS.revision);
    copy('deliveredAt', ANNOTATIONS.deliveredAt);
    copy('previousAccessKey', ANNOTATIONS.previousAccessKey);
    copy('instance', ANNOTATIONS.instance);
    copy('rotation', ANNOTATIONS.rotation);
    const org = unb64(data[DATA_ORGANIZATION_ID]);
    const project = unb64(data[DATA_PROJECT_ID]);
    if (org) metadata.organizationId = org;
    if (project) metadata.defaultProjectId = project;
    const out: {
      accessKey: string;
      secretKey?: Secret;
      metadata: StoredRecord['metadata'];
      version?: string;
    } = {
      accessKey,
      metadata: metadata as StoredRecord['metadata'],
    };
    if (secretText) out.secretKey = new Secret(secretText);
    if (secret.metadata?.resourceVersion) out.version = secret.metadata.resourceVersion;
    return out;
  }

  function intent(
    t: Target,
    record: SecretRecord,
    previousAccessKey: string | undefined,
    resourceVersion: string | undefined,
  ): V1Secret {
    const m = record.metadata;
    const annotations: Record<string, string> = {
      [ANNOTATIONS.accessKey]: record.accessKey,
      [ANNOTATIONS.keyName]: m.keyName,
      [ANNOTATIONS.expiresAt]: m.expiresAt ?? NEVER_EXPIRES,
      [ANNOTATIONS.deliveredAt]: m.deliveredAt || clock.now().toISOString(),
    };
    if (m.revision) annotations[ANNOTATIONS.revision] = m.revision;
    if (previousAccessKey) annotations[ANNOTATIONS.previousAccessKey] = previousAccessKey;
    if (m.instance) annotations[ANNOTATIONS.instance] = m.instance;
    if (m.rotation) annotations[ANNOTATIONS.rotation] = m.rotation;
    if (settings.reloader) annotations[RELOADER_MATCH_ANNOTATION] = 'true';
    const data: Record<string, string> = {
      [DATA_ACCESS_KEY]: b64(record.accessKey),
      [DATA_SECRET_KEY]: b64(record.secretKey.reveal()),
    };
    if (m.organizationId) data[DATA_ORGANIZATION_ID] = b64(m.organizationId);
    if (m.defaultProjectId) data[DATA_PROJECT_ID] = b64(m.defaultProjectId);
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: t.name,
        namespace: t.namespace,
        ...(resourceVersion !== undefined ? { resourceVersion } : {}),
        labels: { ...settings.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
        annotations,
      },
      type: 'Opaque',
      data,
    };
  }

  async function accessReview(t: Target, verb: string, signal?: AbortSignal): Promise<boolean> {
    const { authz } = getClients();
    const review = await withTimeout(
      authz.createSelfSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: {
            resourceAttributes: {
              namespace: t.namespace,
              verb,
              group: '',
              resource: 'secrets',
              name: t.name,
            },
          },
        },
      }),
      timeoutMs,
      signal,
    );
    return review.status?.allowed === true;
  }

  let eventSeq = 0;
  /** client-go style Event on the Secret: name `<object>.<hex unix-nanos>`, legacy timestamps. */
  async function recordEvent(
    t: Target,
    record: SecretRecord,
    written: V1Secret,
    created: boolean,
    previous: string | undefined,
  ): Promise<void> {
    const now = clock.now();
    const nanos = BigInt(now.getTime()) * 1_000_000n + BigInt(eventSeq++ % 1_000_000);
    const stamp = `${now.toISOString().slice(0, 19)}Z`;
    const instance = record.metadata.instance ?? 'scw-gitops';
    const message =
      `Delivered the secret of Scaleway API key ${record.accessKey} (${record.metadata.keyName})` +
      (previous ? `; replaces ${previous}, which stays valid until retired` : '');
    try {
      await withTimeout(
        getClients().core.createNamespacedEvent({
          namespace: t.namespace,
          body: {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name: `${t.name}.${nanos.toString(16)}`, namespace: t.namespace },
            involvedObject: {
              apiVersion: 'v1',
              kind: 'Secret',
              name: t.name,
              namespace: t.namespace,
              ...(written.metadata?.uid ? { uid: written.metadata.uid } : {}),
              ...(written.metadata?.resourceVersion
                ? { resourceVersion: written.metadata.resourceVersion }
                : {}),
            },
            reason: created ? 'SecretCreated' : 'KeyRotated',
            message,
            type: 'Normal',
            source: { component: FIELD_MANAGER },
            firstTimestamp: stamp as unknown as Date,
            lastTimestamp: stamp as unknown as Date,
            count: 1,
            reportingComponent: FIELD_MANAGER,
            reportingInstance: instance,
          },
        }),
        timeoutMs,
      );
    } catch (e) {
      log?.debug(
        { where: t.where, err: decodeK8sError(e).message },
        'could not record a Kubernetes Event (ignored)',
      );
    }
  }

  const sink: SecretSink = {
    name: settings.name,
    type: 'kubernetes',

    describe(location) {
      return target(location).where;
    },

    async preflight(location, signal) {
      const t = target(location);
      const { core } = getClients();
      // 1. RBAC: everything write() needs (SSA-create is authorized as create with the name).
      let denied: string[] = [];
      try {
        const verbs = ['get', 'create', 'patch'];
        const results = await Promise.all(verbs.map((v) => accessReview(t, v, signal)));
        denied = verbs.filter((_, i) => !results[i]);
      } catch (e) {
        const f = decodeK8sError(e);
        // SelfSubjectAccessReview unavailable/forbidden: the dry-run below still tells.
        if (f.transient || f.code === 401) throw fail(t, 'preflight (access review)', e);
        log?.debug(
          { where: t.where, code: f.code },
          'SelfSubjectAccessReview unavailable; relying on dry-run',
        );
      }
      if (denied.length > 0) {
        throw new SinkError(
          settings.name,
          `${t.where}: preflight: RBAC does not allow ${denied.join(', ')} on secrets "${t.name}" in namespace "${t.namespace}" for these credentials (needed: get, create, patch)`,
        );
      }
      // 2. Ownership: an existing Secret must be ours.
      const existing = await getSecret(t, signal);
      if (existing) {
        assertOwned(t, existing);
        return;
      }
      // 3. Namespace reachable and admission accepts the object: server-side dry-run apply.
      try {
        await withTimeout(
          core.patchNamespacedSecret(
            {
              name: t.name,
              namespace: t.namespace,
              body: {
                apiVersion: 'v1',
                kind: 'Secret',
                metadata: {
                  name: t.name,
                  namespace: t.namespace,
                  labels: { ...settings.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
                },
                type: 'Opaque',
              },
              fieldManager: FIELD_MANAGER,
              dryRun: 'All',
            },
            applyOptions,
          ),
          timeoutMs,
          signal,
        );
      } catch (e) {
        throw fail(t, 'preflight (dry-run apply)', e);
      }
    },

    async write(location, record, signal) {
      const t = target(location);
      const { core } = getClients();
      const existing = await getSecret(t, signal);
      let previous = record.metadata.previousAccessKey;
      if (existing) {
        assertOwned(t, existing);
        const stored = toStored(existing);
        if (stored.accessKey === record.accessKey && stored.secretKey?.equals(record.secretKey)) {
          log?.debug({ where: t.where, accessKey: record.accessKey }, 'secret already delivered; no write');
          return;
        }
        if (previous === undefined && stored.accessKey && stored.accessKey !== record.accessKey)
          previous = stored.accessKey;
        if (previous === undefined && stored.accessKey === record.accessKey)
          previous = stored.metadata.previousAccessKey;
      }
      const rv = existing?.metadata?.resourceVersion;
      let written: V1Secret;
      try {
        written = await withTimeout(
          core.patchNamespacedSecret(
            {
              name: t.name,
              namespace: t.namespace,
              body: intent(t, record, previous, rv),
              fieldManager: FIELD_MANAGER,
              // Only with a resourceVersion precondition (see the header comment).
              ...(rv !== undefined ? { force: true } : {}),
            },
            applyOptions,
          ),
          timeoutMs,
          signal,
        );
      } catch (e) {
        throw fail(t, 'write', e);
      }
      log?.info(
        { where: t.where, accessKey: record.accessKey, created: existing === undefined },
        'secret written to Kubernetes',
      );
      if (deps.recordEvents ?? true) await recordEvent(t, record, written, existing === undefined, previous);
    },

    /**
     * Delete the Secret when it carries our managed-by label and holds `owner`'s record (sink.ts,
     * `remove`), with the uid and resourceVersion just read as preconditions: a Secret changed or
     * replaced since is never deleted.
     */
    async remove(location, owner, signal) {
      const t = target(location);
      const { core } = getClients();
      const secret = await getSecret(t, signal);
      if (!secret) return 'absent';
      if (secret.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) return 'not-ours';
      const stored = toStored(secret);
      stored.secretKey?.release();
      const refused = removalCheck(stored, owner);
      if (refused) return refused;
      try {
        await withTimeout(
          core.deleteNamespacedSecret({
            name: t.name,
            namespace: t.namespace,
            body: {
              preconditions: {
                ...(secret.metadata?.uid ? { uid: secret.metadata.uid } : {}),
                ...(secret.metadata?.resourceVersion
                  ? { resourceVersion: secret.metadata.resourceVersion }
                  : {}),
              },
            },
          }),
          timeoutMs,
          signal,
        );
      } catch (e) {
        if (decodeK8sError(e).code === 404) return 'absent';
        throw fail(t, 'delete', e);
      }
      log?.info({ where: t.where, accessKey: owner.accessKey }, 'secret record removed from Kubernetes');
      return 'removed';
    },

    async read(location, signal) {
      const t = target(location);
      const secret = await getSecret(t, signal);
      if (!secret) return undefined;
      assertOwned(t, secret);
      return toStored(secret);
    },

    /**
     * Secrets labelled `app.kubernetes.io/managed-by=scw-gitops` (the label every write sets;
     * the sink's extra labels may have changed since, so they do not narrow the search), in every
     * namespace when the credentials may list Secrets cluster-wide, else in the sink's namespace
     * (said in `incomplete`). Paged with `limit` / `continue`. Denied in the sink's namespace
     * too: a SinkError naming the missing RBAC verb.
     */
    async list(signal) {
      const { core } = getClients();
      const labelSelector = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
      const pageSize = deps.listPageSize ?? LIST_PAGE_SIZE;
      const scope: Target = {
        namespace: settings.namespace,
        name: '',
        where: `k8s:${settings.namespace ?? '*'}/`,
      };
      const pages = async (
        page: (cont: string | undefined) => Promise<{ items: V1Secret[]; metadata?: { _continue?: string } }>,
      ): Promise<V1Secret[]> => {
        const out: V1Secret[] = [];
        let cont: string | undefined;
        do {
          const res = await withTimeout(page(cont), timeoutMs, signal);
          out.push(...res.items);
          cont = res.metadata?._continue || undefined;
        } while (cont !== undefined);
        return out;
      };
      const incomplete: string[] = [];
      let items: V1Secret[];
      try {
        items = await pages((cont) =>
          core.listSecretForAllNamespaces({
            labelSelector,
            limit: pageSize,
            ...(cont !== undefined ? { _continue: cont } : {}),
          }),
        );
      } catch (e) {
        if (signal?.aborted) throw e;
        const f = decodeK8sError(e);
        if (f.code !== 403 || !settings.namespace) throw fail(scope, 'list (all namespaces)', e, false);
        incomplete.push(
          `Secrets outside namespace "${settings.namespace}" were not searched: RBAC does not allow listing Secrets in all namespaces`,
        );
        try {
          items = await pages((cont) =>
            core.listNamespacedSecret({
              namespace: settings.namespace,
              labelSelector,
              limit: pageSize,
              ...(cont !== undefined ? { _continue: cont } : {}),
            }),
          );
        } catch (err) {
          throw fail(scope, `list (namespace "${settings.namespace}")`, err, false);
        }
      }
      const records: ListedRecord[] = [];
      for (const secret of items) {
        const namespace = secret.metadata?.namespace;
        const secretName = secret.metadata?.name;
        if (!namespace || !secretName) continue;
        if (secret.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) continue;
        const { secretKey: _secret, ...stored } = toStored(secret);
        records.push({ location: { sink: settings.name, namespace, secretName }, ...stored });
      }
      const key = (r: ListedRecord) => `${r.location.namespace}/${r.location.secretName}`;
      records.sort((a, b) => (key(a) < key(b) ? -1 : 1));
      return { records, incomplete } satisfies SinkListing;
    },

    async verify(location, record, signal) {
      const stored = await sink.read(location, signal);
      if (!stored?.secretKey) return false;
      const sameKey = stored.accessKey === record.accessKey;
      const sameSecret = stored.secretKey.equals(record.secretKey);
      return sameKey && sameSecret;
    },

    async close() {
      clients = undefined;
    },
  };
  return sink;
}
