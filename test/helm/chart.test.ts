/**
 * The Helm chart, checked without a helm binary: every template renders (with the default values
 * and with every optional feature switched on) through a strict Go-template subset renderer, every
 * rendered document parses as YAML and looks like a Kubernetes object, the security and RBAC
 * promises hold, and values.schema.json accepts the default values and rejects bad ones.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { validateJsonSchema } from '../desired/json-schema-validator.js';
import { TemplateEngine } from './go-template.js';

const chartDir = path.resolve(import.meta.dirname, '../../helm/scw-gitops');
const chart = parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
const defaults = parse(readFileSync(path.join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const schema = JSON.parse(readFileSync(path.join(chartDir, 'values.schema.json'), 'utf8')) as Record<
  string,
  unknown
>;

function templateFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const f of readdirSync(path.join(chartDir, 'templates')).sort()) {
    files.set(`scw-gitops/templates/${f}`, readFileSync(path.join(chartDir, 'templates', f), 'utf8'));
  }
  return files;
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

function render(values: Record<string, unknown>): K8sObject[] {
  const files = templateFiles();
  const engine = new TemplateEngine(files);
  const root = {
    Values: values,
    Release: { Name: 'ops', Namespace: 'platform', Service: 'Helm' },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
    Template: { BasePath: 'scw-gitops/templates' },
  };
  const objects: K8sObject[] = [];
  for (const name of files.keys()) {
    const base = path.basename(name);
    if (base.startsWith('_')) continue;
    const text = engine.renderFile(name, root);
    if (base === 'NOTES.txt') {
      expect(text).toContain('scw-gitops');
      continue;
    }
    for (const doc of parseAllDocuments(text)) {
      expect(doc.errors, `${base}: ${doc.errors.map((e) => e.message).join('; ')}`).toEqual([]);
      const obj = doc.toJS() as K8sObject | null;
      if (obj === null) continue;
      expect(typeof obj.apiVersion, `${base}: apiVersion`).toBe('string');
      expect(typeof obj.kind, `${base}: kind`).toBe('string');
      expect(obj.metadata?.name, `${base}: metadata.name`).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      objects.push(obj);
    }
  }
  return objects;
}

const allOn = merge(defaults, {
  replicaCount: 2,
  leaderElection: { enabled: true },
  webhooks: { existingSecret: 'scw-gitops-webhooks' },
  serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
  serviceAccount: { annotations: { 'example.com/owner': 'platform' } },
  rbac: { secretNamespaces: ['apps', 'ci'] },
  source: { gitSync: { credentialsSecret: 'git-creds' } },
  admin: { existingSecret: 'scw-gitops-admin' },
  notifications: {
    kubernetesEvents: { enabled: true },
    existingSecret: 'scw-gitops-notifications',
    targets: [
      { type: 'slack', urlKey: 'slack', events: ['pass-failed', 'key-expiring'] },
      { type: 'webhook', name: 'pager', urlKey: 'pager', maxPerMinute: 5 },
    ],
  },
  networkPolicy: {
    webhookFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
  },
  image: { digest: `sha256:${'a'.repeat(64)}` },
  podAnnotations: { 'example.com/team': 'platform' },
  nodeSelector: { 'kubernetes.io/os': 'linux' },
});

describe('helm chart', () => {
  it('values.schema.json accepts the default values', () => {
    expect(validateJsonSchema(schema, defaults)).toEqual([]);
    expect(validateJsonSchema(schema, allOn)).toEqual([]);
  });

  it('values.schema.json rejects bad values with a path', () => {
    const paths = (over: Record<string, unknown>) =>
      validateJsonSchema(schema, merge(defaults, over)).map((e) => e.path);
    expect(paths({ instance: 'Bad Name' })).toEqual(['/instance']);
    expect(paths({ servce: {} })).toEqual(['/servce']);
    expect(paths({ service: { port: 70000 } })).toEqual(['/service/port']);
    expect(paths({ podLabels: { team: 7 } })).toEqual(['/podLabels/team']);
    expect(paths({ sinks: [] })).toEqual(['/sinks']);
    expect(paths({ image: { digest: 'latest' } })).toEqual(['/image/digest']);
    expect(paths({ networkPolicy: { metricsFrom: [{ namespace: 'x' }] } })).toEqual([
      '/networkPolicy/metricsFrom/0/namespace',
    ]);
    expect(paths({ rbac: { secretNames: ['Bad_Name'] } })).toEqual(['/rbac/secretNames/0']);
  });

  it('renders the default values into valid Kubernetes objects', () => {
    const objects = render(defaults);
    const kinds = objects.map((o) => o.kind).sort();
    expect(kinds).toEqual([
      'ConfigMap',
      'Deployment',
      'NetworkPolicy',
      'Role',
      'RoleBinding',
      'Service',
      'ServiceAccount',
    ]);
  });

  it('renders every optional feature', () => {
    const objects = render(allOn);
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}`).sort();
    expect(kinds).toContain('ServiceMonitor/platform');
    // Secrets in apps and ci; the Lease and the Kubernetes Events in the release namespace.
    expect(kinds.filter((k) => k.startsWith('Role/'))).toEqual([
      'Role/apps',
      'Role/ci',
      'Role/platform',
      'Role/platform',
    ]);
  });

  it('keeps the pod locked down: non-root, read-only, no privilege escalation, all capabilities dropped', () => {
    const deploy = render(defaults).find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        template: {
          spec: { securityContext: Record<string, unknown>; containers: Record<string, unknown>[] };
        };
      };
    };
    const pod = deploy.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.containers.map((c) => c.name)).toEqual(['scw-gitops', 'git-sync']);
    for (const c of pod.containers) {
      const sc = c.securityContext as Record<string, unknown>;
      expect(sc.allowPrivilegeEscalation).toBe(false);
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.capabilities).toEqual({ drop: ['ALL'] });
    }
    const main = pod.containers[0]!;
    expect((main.livenessProbe as { httpGet: { path: string } }).httpGet.path).toBe('/healthz');
    expect((main.readinessProbe as { httpGet: { path: string } }).httpGet.path).toBe('/readyz');
    expect(main.envFrom).toEqual([{ secretRef: { name: 'scw-gitops-credentials' } }]);
  });

  it('grants least privilege: Secrets only in the named namespaces, Leases only with leader election', () => {
    const roles = render(allOn).filter((o) => o.kind === 'Role') as unknown as {
      metadata: { namespace: string; name: string };
      rules: { resources: string[]; verbs: string[] }[];
    }[];
    for (const r of roles) {
      for (const rule of r.rules) {
        expect(rule.verbs).not.toContain('*');
        // delete and list: only on Secrets (removing the records of deleted keys).
        if (!rule.resources.includes('secrets')) {
          expect(rule.verbs).not.toContain('delete');
          expect(rule.verbs).not.toContain('list');
        }
      }
    }
    const secretNs = roles
      .filter((r) => r.rules.some((x) => x.resources.includes('secrets')))
      .map((r) => r.metadata.namespace);
    expect(secretNs.sort()).toEqual(['apps', 'ci']);
    const leases = roles.filter((r) => r.rules.some((x) => x.resources.includes('leases')));
    expect(leases.map((r) => r.metadata.namespace)).toEqual(['platform']);
    const noLeases = render(defaults).filter(
      (o) => o.kind === 'Role' && JSON.stringify(o).includes('leases'),
    );
    expect(noLeases).toEqual([]);
  });

  it('renders a settings file the daemon can read', () => {
    const cm = render(allOn).find((o) => o.kind === 'ConfigMap') as unknown as {
      data: Record<string, string>;
    };
    const settings = parse(cm.data['settings.yaml']!) as Record<string, unknown>;
    expect(settings).toMatchObject({
      apiVersion: 'scw-gitops/v1alpha1',
      kind: 'Settings',
      instance: 'default',
      source: { dir: '/data/git/current/iam' },
      leaderElection: { enabled: true, namespace: 'platform', leaseName: 'scw-gitops' },
      webhooks: { github: { secretFile: '/etc/scw-gitops/webhooks/github' } },
    });
    expect(JSON.stringify(settings)).not.toMatch(/secret":\s*"[^/]/);
  });
});

type Pod = {
  automountServiceAccountToken?: boolean;
  containers: { name: string; image: string; volumeMounts?: { name: string; mountPath: string }[] }[];
  volumes: { name: string; secret?: { secretName: string } }[];
};
const podOf = (objects: K8sObject[]) =>
  (objects.find((o) => o.kind === 'Deployment') as unknown as { spec: { template: { spec: Pod } } }).spec
    .template.spec;
const settingsOf = (objects: K8sObject[]) =>
  parse(
    (objects.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string> }).data[
      'settings.yaml'
    ]!,
  ) as Record<string, Record<string, unknown>>;

describe('helm chart hardening defaults', () => {
  type Policy = {
    spec: {
      podSelector: { matchLabels: Record<string, string> };
      policyTypes: string[];
      ingress: { from: Record<string, unknown>[]; ports: { port: string; protocol: string }[] }[];
    };
  };
  const policyOf = (objects: K8sObject[]) =>
    objects.find((o) => o.kind === 'NetworkPolicy') as unknown as Policy | undefined;

  it('renders a NetworkPolicy by default: the http port only, from the metrics scraper', () => {
    const policy = policyOf(render(defaults))!;
    expect(policy.spec.podSelector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'scw-gitops',
      'app.kubernetes.io/instance': 'ops',
    });
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ port: 'http', protocol: 'TCP' }],
      },
    ]);
  });

  it('lets webhooks in from the configured sources only when webhooks are configured', () => {
    const webhookFrom = [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
    ];
    expect(policyOf(render(merge(defaults, { networkPolicy: { webhookFrom } })))!.spec.ingress).toHaveLength(
      1,
    );
    const on = policyOf(render(allOn))!;
    expect(on.spec.ingress.map((r) => r.from)).toEqual([
      webhookFrom,
      [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
    ]);
    for (const rule of on.spec.ingress) expect(rule.ports).toEqual([{ port: 'http', protocol: 'TCP' }]);
    // nothing configured: nothing may connect; disabled: no policy
    const closed = policyOf(render(merge(defaults, { networkPolicy: { metricsFrom: [] } })))!;
    expect(closed.spec.ingress).toEqual([]);
    expect(policyOf(render(merge(defaults, { networkPolicy: { enabled: false } })))).toBeUndefined();
  });

  it('mounts the service-account token only when the Kubernetes API is used', () => {
    const fileSink = {
      sinks: [{ name: 'local', type: 'file', dir: '/data/work/secrets' }],
      defaults: { sink: 'local' },
    };
    const vaultK8s = {
      sinks: [
        {
          name: 'v',
          type: 'vault',
          address: 'https://vault:8200',
          auth: { method: 'kubernetes', role: 'r' },
        },
      ],
      defaults: { sink: 'v' },
    };
    const vaultToken = {
      sinks: [
        {
          name: 'v',
          type: 'vault',
          address: 'https://vault:8200',
          auth: { method: 'token', tokenFile: '/t' },
        },
      ],
      defaults: { sink: 'v' },
    };
    const automount = (over: Record<string, unknown>) => {
      const objects = render({
        ...merge(defaults, over),
        ...(over['sinks'] ? { sinks: over['sinks'] } : {}),
      });
      const sa = objects.find((o) => o.kind === 'ServiceAccount') as unknown as {
        automountServiceAccountToken: boolean;
      };
      expect(sa.automountServiceAccountToken).toBe(false);
      return podOf(objects).automountServiceAccountToken;
    };
    expect(automount({})).toBe(true); // the default sink is of type kubernetes
    expect(automount(fileSink)).toBe(false);
    expect(automount(vaultToken)).toBe(false);
    expect(automount(vaultK8s)).toBe(true);
    expect(automount({ ...fileSink, leaderElection: { enabled: true } })).toBe(true);
    // no Kubernetes sink: no Secret rights either
    const roles = render({ ...merge(defaults, fileSink), sinks: fileSink.sinks }).filter(
      (o) => o.kind === 'Role',
    );
    expect(roles).toEqual([]);
  });

  it('notifications: an events Role only when Kubernetes Events are on, URLs from a mounted Secret', () => {
    type Role = {
      metadata: { name: string; namespace: string };
      rules: { resources: string[]; verbs: string[] }[];
    };
    const eventRoles = (objects: K8sObject[]) =>
      (objects.filter((o) => o.kind === 'Role') as unknown as Role[]).filter((r) =>
        r.metadata.name.endsWith('-events'),
      );
    expect(eventRoles(render(defaults))).toEqual([]);
    const objects = render(allOn);
    const [role] = eventRoles(objects);
    expect(role?.metadata.namespace).toBe('platform');
    expect(role?.rules).toEqual([{ apiGroups: [''], resources: ['events'], verbs: ['create'] }]);
    expect(objects.some((o) => o.kind === 'RoleBinding' && o.metadata.name.endsWith('-events'))).toBe(true);
    const fileSink = {
      sinks: [{ name: 'local', type: 'file', dir: '/data/work/secrets' }],
      defaults: { sink: 'local' },
    };
    const pod = (over: Record<string, unknown>) =>
      podOf(render({ ...merge(defaults, over), sinks: fileSink.sinks })) as unknown as {
        automountServiceAccountToken: boolean;
        containers: {
          name: string;
          env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
        }[];
      };
    expect(pod(fileSink).automountServiceAccountToken).toBe(false);
    const withEvents = pod({ ...fileSink, notifications: { kubernetesEvents: { enabled: true } } });
    expect(withEvents.automountServiceAccountToken).toBe(true);
    // The Pod's name and namespace come from the downward API.
    const env = withEvents.containers.find((c) => c.name === 'scw-gitops')!.env;
    expect(env.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    expect(env.find((e) => e.name === 'POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).toBe(
      'metadata.namespace',
    );
    const cm = objects.find((o) => o.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    const settings = parse(cm.data['settings.yaml']!) as { notifications: unknown[] };
    expect(settings.notifications).toEqual([
      { type: 'kubernetes', name: 'events', expiringWithin: '14d' },
      {
        type: 'slack',
        name: 'slack',
        urlFile: '/etc/scw-gitops/notifications/slack',
        expiringWithin: '14d',
        events: ['pass-failed', 'key-expiring'],
      },
      {
        type: 'webhook',
        name: 'pager',
        urlFile: '/etc/scw-gitops/notifications/pager',
        expiringWithin: '14d',
        maxPerMinute: 5,
      },
    ]);
    expect(JSON.stringify(podOf(objects))).toContain('scw-gitops-notifications');
    expect(
      validateJsonSchema(
        schema,
        merge(defaults, { notifications: { targets: [{ type: 'teams', urlKey: 'x' }] } }),
      ).map((e) => e.path),
    ).toEqual(['/notifications/targets/0/type']);
  });

  it('limits Secret rights to the named Secrets (create stays namespace-wide: it cannot be named)', () => {
    type Role = {
      metadata: { namespace: string };
      rules: { resources: string[]; verbs: string[]; resourceNames?: string[] }[];
    };
    const secretRules = (over: Record<string, unknown>) =>
      (render(merge(defaults, over)).filter((o) => o.kind === 'Role') as unknown as Role[]).flatMap((r) =>
        r.rules.filter((x) => x.resources.includes('secrets')),
      );
    // The default sink removes the Secrets of deleted keys: list (cannot be named) and delete.
    expect(secretRules({})).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        verbs: ['get', 'create', 'update', 'patch', 'list', 'delete'],
      },
    ]);
    expect(secretRules({ rbac: { secretNames: ['ci-deployer', 'web'] } })).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['ci-deployer', 'web'],
        verbs: ['get', 'update', 'patch', 'delete'],
      },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'list'] },
    ]);
    // removeRecords: false on the sink: neither list nor delete.
    const keep = { sinks: [{ name: 'k8s', type: 'kubernetes', namespace: 'default', removeRecords: false }] };
    expect(secretRules(keep)).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create', 'update', 'patch'] },
    ]);
    expect(secretRules({ ...keep, rbac: { secretNames: ['ci-deployer', 'web'] } })).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['ci-deployer', 'web'],
        verbs: ['get', 'update', 'patch'],
      },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    ]);
  });

  it('pins the image by digest when image.digest is set', () => {
    expect(podOf(render(defaults)).containers[0]!.image).toBe(
      `ghcr.io/scw-gitops/scw-gitops:${chart.appVersion}`,
    );
    const pinned = podOf(
      render(merge(defaults, { image: { tag: 'ignored', digest: `sha256:${'b'.repeat(64)}` } })),
    );
    expect(pinned.containers[0]!.image).toBe(`ghcr.io/scw-gitops/scw-gitops@sha256:${'b'.repeat(64)}`);
  });

  it('wires /status: loopback admin listener, plus a bearer token from a Secret when given', () => {
    expect(settingsOf(render(defaults))['server']).toEqual({
      host: '0.0.0.0',
      port: 8080,
      admin: { host: '127.0.0.1', port: 8081 },
    });
    const objects = render(allOn);
    expect(settingsOf(objects)['server']!['admin']).toEqual({
      host: '127.0.0.1',
      port: 8081,
      tokenFile: '/etc/scw-gitops/admin/token',
    });
    const pod = podOf(objects);
    expect(pod.volumes.find((v) => v.name === 'admin')?.secret?.secretName).toBe('scw-gitops-admin');
    expect(pod.containers[0]!.volumeMounts).toContainEqual({
      name: 'admin',
      mountPath: '/etc/scw-gitops/admin',
      readOnly: true,
    });
  });

  it('makes each webhook secret key optional', () => {
    const webhooks = settingsOf(render(allOn))['webhooks'];
    expect(webhooks).toMatchObject({
      github: { secretFile: '/etc/scw-gitops/webhooks/github', optional: true },
      gitlab: { tokenFile: '/etc/scw-gitops/webhooks/gitlab', optional: true },
      minInterval: '10s',
    });
  });
});

describe('helm chart: the built-in git source', () => {
  const gitOn = merge(defaults, {
    source: {
      type: 'git',
      git: {
        url: 'git@github.com:acme/iam.git',
        tag: 'v1.2.0',
        auth: { type: 'ssh', existingSecret: 'git-ssh' },
        verify: { mode: 'enforce', openpgpKeysConfigMap: 'trusted-keys', allowedSignersConfigMap: 'signers' },
        commitStatus: {
          enabled: true,
          provider: 'github',
          repository: 'acme/iam',
          existingSecret: 'gh-status',
        },
      },
    },
  });

  it('is accepted by values.schema.json, and a bad mode is not', () => {
    expect(validateJsonSchema(schema, gitOn)).toEqual([]);
    const bad = merge(gitOn, { source: { git: { verify: { mode: 'strict' } } } });
    expect(validateJsonSchema(schema, bad).map((e) => e.path)).toEqual(['/source/git/verify/mode']);
  });

  it('replaces the git-sync sidecar: one container, the cache volume writable, keys and tokens mounted read-only', () => {
    const deploy = render(gitOn).find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        template: {
          spec: {
            containers: {
              name: string;
              volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
            }[];
            volumes: Record<string, unknown>[];
          };
        };
      };
    };
    const pod = deploy.spec.template.spec;
    expect(pod.containers.map((c) => c.name)).toEqual(['scw-gitops']);
    const mounts = Object.fromEntries(pod.containers[0]!.volumeMounts.map((m) => [m.name, m]));
    expect(mounts['git']).toEqual({ name: 'git', mountPath: '/data/git' });
    for (const name of ['git-auth', 'trusted-keys', 'allowed-signers', 'commit-status']) {
      expect(mounts[name]?.readOnly, name).toBe(true);
    }
    const auth = pod.volumes.find((v) => v['name'] === 'git-auth') as {
      secret: { secretName: string; defaultMode: number };
    };
    expect(auth.secret).toEqual({ secretName: 'git-ssh', defaultMode: 0o440 });
    const cm = render(gitOn).find((o) => o.kind === 'ConfigMap') as unknown as {
      data: Record<string, string>;
    };
    const settings = parse(cm.data['settings.yaml']!) as Record<string, unknown>;
    expect(settings['source']).toEqual({
      git: {
        url: 'git@github.com:acme/iam.git',
        ref: { tag: 'v1.2.0' },
        path: 'iam',
        interval: '1m',
        forcePush: 'refuse',
        cacheDir: '/data/git',
        auth: {
          sshKeyFile: '/etc/scw-gitops/git-auth/identity',
          knownHostsFile: '/etc/scw-gitops/git-auth/known_hosts',
        },
        verify: {
          mode: 'enforce',
          openpgpKeys: ['/etc/scw-gitops/trusted-keys'],
          allowedSigners: '/etc/scw-gitops/allowed-signers/allowed_signers',
        },
        commitStatus: {
          provider: 'github',
          repository: 'acme/iam',
          tokenFile: '/etc/scw-gitops/commit-status/token',
          context: 'scw-gitops',
        },
      },
      maxFileBytes: 1048576,
    });
    expect((settings['webhooks'] as Record<string, unknown>)['gitSync']).toEqual({ enabled: false });
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.resolve(import.meta.dirname, '../../Dockerfile'), 'utf8');
  const dockerignore = readFileSync(path.resolve(import.meta.dirname, '../../.dockerignore'), 'utf8');

  it('is multi-stage, production dependencies only, non-root, with an init and a health check', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER 65532:65532$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/healthz/m);
    expect(dockerfile).toMatch(/LABEL org\.opencontainers\.image\.title/);
    expect(dockerfile).toMatch(/^VOLUME \["\/data"\]$/m);
  });

  it('has git, gnupg and openssh-client for the git source, and a passwd entry for its uid (ssh needs one)', () => {
    expect(dockerfile).toMatch(/apt-get install [^\n]* git gnupg openssh-client/);
    expect(dockerfile).toMatch(/useradd --uid 65532 --gid 65532/);
  });

  it('targets the current Node LTS and keeps the build context small', () => {
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=26$/m);
    for (const entry of ['.git', 'node_modules', 'test', '.secrets']) {
      expect(dockerignore.split('\n')).toContain(entry);
    }
  });
});
