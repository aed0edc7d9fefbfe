/**
 * `scw-gitops import`, the pure part: a live organization (LiveState) → desired-state YAML files
 * that describe it, so a team can adopt scw-gitops in one commit.
 *
 * Layout: one file per kind (`projects.yaml`, `applications.yaml`, `groups.yaml`,
 * `policies.yaml`, `api-keys.yaml`), documents sorted by name, each preceded by a comment with the
 * live id. Objects without our marker get `metadata.adopt: true`: the first reconcile adds the
 * ownership marker to the existing object instead of creating a new one. Objects this instance
 * already owns are written as owned (no `adopt`), API keys with their custody state: an
 * `external` key keeps `adopt: true` and `spec.adoptAccessKey`, as it was declared. So a plan
 * right after an import contains adoptions only, and none at all for an organization this
 * instance already manages. References are by name (key bearer and default project, group
 * members, policy principal and rule scopes).
 *
 * Never imported (reported, not silently dropped):
 *  - objects Scaleway marks managed / not editable / not deletable, the default project;
 *  - objects owned by another scw-gitops instance;
 *  - names shared by several live objects of a kind (the planner could not tell them apart);
 *  - what our model cannot express (user principals, account-root-user scopes, user-borne keys,
 *    policies without rules, expired keys);
 *  - whatever the desired-state validator refuses (names, descriptions without room for the
 *    ownership marker, too many tags, …), with the validator's own message, and then whatever
 *    depends on a refused object (a dangling reference would make the whole directory invalid).
 *
 * API keys without our marker are imported only on request (`includeKeys`): they have no name,
 * so each gets one derived from its application, and `spec.adoptAccessKey` names the live key.
 * scw-gitops never held their secrets: they are adopted in custody state `external`. Keys this
 * instance owns are always imported, under the name in their marker. For every key, its expiry,
 * rotation and sink location come from the configured sinks' records (src/importer/key-spec.ts),
 * so the plan of the imported directory neither replaces a key (`custody-lost`) nor changes how
 * it rotates.
 *
 * The result is checked with the same validator `plan` uses; it is returned only once it passes.
 */
import { stringify } from 'yaml';
import { DANGEROUS_PERMISSION_SETS } from '../desired/fields.js';
import { loadDesiredFromTexts } from '../desired/load.js';
import type { Diagnostic } from '../model/diagnostics.js';
import {
  type ApiKey,
  type LiveState,
  type Policy,
  type Project,
  protectionReasons,
  type Rule,
} from '../model/live.js';
import {
  isProtected,
  hasPreventDestroyTag,
  ownerFromTags,
  parseKeyDescription,
  parseProjectDescription,
  userTags,
} from '../model/ownership.js';
import { type Address, API_VERSION, address, KINDS, type Kind } from '../model/resources.js';
import { type ImportRecord, type ImportSink, keyExpirySpec, keySinkSpec } from './key-spec.js';

export interface ImportOptions {
  /** Our instance: objects marked for another instance are skipped. */
  readonly instance: string;
  /** "Now": expired keys are skipped, the output is validated as of this instant. */
  readonly now: Date;
  /** Import API keys too (named after their application, adopted with custody `external`). */
  readonly includeKeys: boolean;
  /** The settings' sink names and default sink (the output is validated against them). */
  readonly sinkNames?: readonly string[];
  readonly defaultSink?: string;
  /** The configured sinks (location defaults) and the records listed in them (`SecretSink.list`). */
  readonly sinks?: readonly ImportSink[];
  readonly records?: readonly ImportRecord[];
  /** The settings' `defaults.rotation.lifetime`: an expiry it made is not written out. */
  readonly defaultLifetimeMs?: number;
}

export interface ImportedObject {
  readonly kind: Kind;
  readonly name: string;
  /** Live id (access key for API keys). */
  readonly id: string;
  readonly file: string;
  /** Written with `metadata.adopt: true` (not yet ours). */
  readonly adopt: boolean;
}

export interface SkippedObject {
  readonly kind: Kind;
  /** Live name (for API keys: the application's name and the access key). */
  readonly name: string;
  readonly id: string;
  /** `info`: skipped by design (managed, other instance); `warning`: needs a decision. */
  readonly severity: 'info' | 'warning';
  readonly reason: string;
}

export interface ImportResult {
  /** Relative path → YAML text, sorted by path. */
  readonly files: ReadonlyMap<string, string>;
  readonly imported: readonly ImportedObject[];
  readonly skipped: readonly SkippedObject[];
  /** Things to review in the output (acknowledged dangerous grants, user members kept, …). */
  readonly notes: readonly string[];
  /** Warnings the validator reports on the output (it has no error). */
  readonly diagnostics: readonly Diagnostic[];
}

export const IMPORT_FILES: Readonly<Record<Kind, string>> = {
  Project: 'projects.yaml',
  Application: 'applications.yaml',
  Group: 'groups.yaml',
  Policy: 'policies.yaml',
  ApiKey: 'api-keys.yaml',
};

interface Candidate {
  readonly kind: Kind;
  readonly name: string;
  readonly id: string;
  readonly comments: readonly string[];
  /** `metadata.adopt: true`: not ours yet (or an adopted `external` key, as declared). */
  readonly adopt: boolean;
  /** `metadata.lifecycle.preventDestroy: true`: the owned object records the guard. */
  readonly preventDestroy?: boolean;
  spec: Record<string, unknown>;
}

const LABEL: Record<Kind, string> = {
  Project: 'project',
  Application: 'application',
  Group: 'group',
  Policy: 'policy',
  ApiKey: 'API key',
};

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Lowercase DNS-1123 form of an application name, for key names (`Billing API` → `billing-api`). */
export function keyNameBase(appName: string): string {
  const s = appName
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .replace(/-{2,}/g, '-')
    .slice(0, 56)
    .replace(/[^a-z0-9]+$/g, '');
  return s.length > 0 ? s : 'key';
}

class Importer {
  readonly candidates = new Map<Address, Candidate>();
  readonly skipped: SkippedObject[] = [];
  readonly notes: string[] = [];
  readonly projectName = new Map<string, string>();
  readonly appName = new Map<string, string>();
  readonly groupName = new Map<string, string>();

  constructor(
    readonly live: LiveState,
    readonly opts: ImportOptions,
  ) {
    for (const p of live.projects)
      this.projectName.set(p.id, p.id === live.organizationId ? 'default' : p.name);
    this.projectName.set(live.organizationId, 'default');
    for (const a of live.applications) this.appName.set(a.id, a.name);
    for (const g of live.groups) this.groupName.set(g.id, g.name);
  }

  skip(kind: Kind, name: string, id: string, severity: SkippedObject['severity'], reason: string): void {
    this.skipped.push({ kind, name, id, severity, reason });
  }

  add(c: Candidate): void {
    this.candidates.set(address(c.kind, c.name), c);
  }

  /**
   * Named objects of one kind that may be imported: not protected, not another instance's, and
   * the only one of their name that is not ours (else the planner could not adopt it).
   */
  eligible<T extends { id: string; name: string }>(
    kind: Exclude<Kind, 'ApiKey'>,
    objects: readonly T[],
    info: (o: T) => { owner: string | undefined; protectedWhy: string },
  ): { object: T; owned: boolean }[] {
    const out: { object: T; owned: boolean }[] = [];
    const groups = new Map<string, T[]>();
    for (const o of [...objects].sort(byName)) groups.set(o.name, [...(groups.get(o.name) ?? []), o]);
    for (const [name, list] of groups) {
      const infos = list.map((o) => ({ o, ...info(o) }));
      const blocked = infos.filter(
        (x) => x.protectedWhy !== '' || (x.owner !== undefined && x.owner !== this.opts.instance),
      );
      for (const x of blocked) {
        this.skip(
          kind,
          name,
          x.o.id,
          'info',
          x.protectedWhy !== '' ? x.protectedWhy : `owned by scw-gitops instance "${x.owner}"`,
        );
      }
      const rest = infos.filter((x) => !blocked.includes(x));
      if (rest.length === 0) continue;
      const ours = rest.filter((x) => x.owner === this.opts.instance);
      if (ours.length > 0) {
        // Already ours: described as is (the planner uses the owned one and ignores the others).
        out.push({ object: ours[0]!.o, owned: true });
        for (const x of rest.filter((y) => y.owner === undefined)) {
          this.skip(
            kind,
            name,
            x.o.id,
            'warning',
            `a ${LABEL[kind]} of this name is already owned by this instance (${ours[0]!.o.id})`,
          );
        }
        continue;
      }
      if (blocked.length > 0) {
        for (const x of rest) {
          this.skip(
            kind,
            name,
            x.o.id,
            'warning',
            `another live ${LABEL[kind]} named "${name}" (${blocked.map((b) => b.o.id).join(', ')}) cannot be adopted; rename one of them in Scaleway first`,
          );
        }
        continue;
      }
      if (rest.length > 1) {
        for (const x of rest) {
          this.skip(
            kind,
            name,
            x.o.id,
            'warning',
            `${rest.length} live ${LABEL[kind]}s are named "${name}" (${rest.map((y) => y.o.id).join(', ')}); names are identity in scw-gitops, rename or delete the extra ones in Scaleway first`,
          );
        }
        continue;
      }
      out.push({ object: rest[0]!.o, owned: false });
    }
    return out;
  }

  projects(): void {
    const candidates: Project[] = [];
    for (const p of this.live.projects) {
      if (p.isDefault || p.id === this.live.organizationId) {
        this.skip(
          'Project',
          p.name,
          p.id,
          'info',
          "the organization's default project (referenced as `default`)",
        );
        continue;
      }
      candidates.push(p);
    }
    for (const { object: p, owned } of this.eligible('Project', candidates, (o) => ({
      owner: parseProjectDescription(o.description).instance,
      protectedWhy: '',
    }))) {
      const { description, preventDestroy } = parseProjectDescription(p.description);
      this.add({
        kind: 'Project',
        name: p.name,
        id: p.id,
        comments: [`project ${p.id}, created ${p.createdAt}${ownedNote(owned)}`],
        adopt: !owned,
        preventDestroy: owned && preventDestroy === true,
        spec: description !== '' ? { description } : {},
      });
    }
  }

  applications(): void {
    for (const { object: a, owned } of this.eligible('Application', this.live.applications, (o) => ({
      owner: ownerFromTags(o.tags),
      protectedWhy: protectionReasons(o),
    }))) {
      this.add({
        kind: 'Application',
        name: a.name,
        id: a.id,
        comments: [
          `application ${a.id}, created ${a.createdAt}, ${plural(a.nbApiKeys, 'API key')}${ownedNote(owned)}`,
        ],
        adopt: !owned,
        preventDestroy: owned && hasPreventDestroyTag(a.tags, this.opts.instance),
        spec: appLike(a.description, a.tags),
      });
    }
  }

  groups(): void {
    for (const { object: g, owned } of this.eligible('Group', this.live.groups, (o) => ({
      owner: ownerFromTags(o.tags),
      protectedWhy: protectionReasons(o),
    }))) {
      const missing = g.applicationIds.filter((id) => !this.appName.has(id));
      if (missing.length > 0) {
        this.skip(
          'Group',
          g.name,
          g.id,
          'warning',
          `member application(s) ${missing.join(', ')} are not in the listing`,
        );
        continue;
      }
      const comments = [`group ${g.id}, created ${g.createdAt}${ownedNote(owned)}`];
      if (g.userIds.length > 0) {
        comments.push(
          `${plural(g.userIds.length, 'user member')} (${g.userIds.join(', ')}): not managed by scw-gitops, kept as they are`,
        );
        this.notes.push(
          `Group/${g.name}: ${plural(g.userIds.length, 'user member')} kept as they are (scw-gitops manages application members only)`,
        );
      }
      const spec = appLike(g.description, g.tags);
      if (g.applicationIds.length > 0) {
        // A set for Scaleway (the listing order is not stable): sorted, for a stable file.
        spec['members'] = { applications: g.applicationIds.map((id) => this.appName.get(id)!).sort() };
      }
      const preventDestroy = owned && hasPreventDestroyTag(g.tags, this.opts.instance);
      this.add({ kind: 'Group', name: g.name, id: g.id, comments, adopt: !owned, preventDestroy, spec });
    }
  }

  policies(): void {
    for (const { object: p, owned } of this.eligible('Policy', this.live.policies, (o) => ({
      owner: ownerFromTags(o.tags),
      protectedWhy: protectionReasons(o),
    }))) {
      const why = this.policySpec(p);
      if (typeof why === 'string') {
        this.skip('Policy', p.name, p.id, 'warning', why);
        continue;
      }
      const comments = [`policy ${p.id}, created ${p.createdAt}${ownedNote(owned)}`];
      if (why['acknowledgeDangerousPermissions'] === true) {
        comments.push('DANGEROUS: grants a permission set that can manage IAM or the organization; review');
        this.notes.push(
          `Policy/${p.name}: grants IAM/organization management rights; imported with acknowledgeDangerousPermissions: true, review it`,
        );
      }
      const preventDestroy = owned && hasPreventDestroyTag(p.tags, this.opts.instance);
      this.add({
        kind: 'Policy',
        name: p.name,
        id: p.id,
        comments,
        adopt: !owned,
        preventDestroy,
        spec: why,
      });
    }
  }

  /** The policy's spec, or why it cannot be expressed. */
  policySpec(p: Policy): Record<string, unknown> | string {
    const spec = appLike(p.description, p.tags);
    switch (p.principal.type) {
      case 'user':
        return `its principal is the user ${p.principal.id}; scw-gitops policies name an application, a group or none`;
      case 'none':
        spec['principal'] = { none: true };
        break;
      case 'application': {
        const n = this.appName.get(p.principal.id);
        if (n === undefined) return `its principal application ${p.principal.id} is not in the listing`;
        spec['principal'] = { application: n };
        break;
      }
      case 'group': {
        const n = this.groupName.get(p.principal.id);
        if (n === undefined) return `its principal group ${p.principal.id} is not in the listing`;
        spec['principal'] = { group: n };
        break;
      }
    }
    const rules = this.live.rules.get(p.id);
    if (rules === undefined) return 'its rules were not read';
    if (rules.length === 0) return 'it has no rules (a desired policy needs at least one)';
    const out: Record<string, unknown>[] = [];
    for (const r of rules) {
      const rule = this.rule(r);
      if (typeof rule === 'string') return rule;
      out.push(rule);
    }
    spec['rules'] = out;
    const dangerous =
      p.principal.type !== 'none' &&
      rules.some((r) => r.permissionSetNames.some((ps) => DANGEROUS_PERMISSION_SETS.includes(ps)));
    if (dangerous) spec['acknowledgeDangerousPermissions'] = true;
    return spec;
  }

  rule(r: Rule): Record<string, unknown> | string {
    const out: Record<string, unknown> = { permissionSets: [...r.permissionSetNames] };
    switch (r.scope.type) {
      case 'organization':
        out['organization'] = true;
        break;
      case 'projects': {
        const names: string[] = [];
        for (const id of r.scope.projectIds) {
          const n = this.projectName.get(id);
          if (n === undefined) return `a rule is scoped to project ${id}, which is not in the listing`;
          names.push(n);
        }
        out['projects'] = names;
        break;
      }
      case 'account_root_user':
        return 'a rule is scoped to the account root user, which scw-gitops cannot express';
    }
    if (r.condition !== '') out['condition'] = r.condition;
    return out;
  }

  keys(): void {
    const now = this.opts.now.getTime();
    const used = new Set<string>();
    const ours = new Map<string, ApiKey[]>();
    const unmarked: ApiKey[] = [];
    const sorted = [...this.live.apiKeys].sort((a, b) =>
      a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.accessKey < b.accessKey ? -1 : 1,
    );
    for (const k of sorted) {
      const label =
        k.bearer.type === 'application'
          ? (this.appName.get(k.bearer.id) ?? k.bearer.id)
          : `user ${k.bearer.id}`;
      const skip = (severity: SkippedObject['severity'], reason: string) =>
        this.skip('ApiKey', label, k.accessKey, severity, reason);
      if (isProtected(k)) {
        skip('info', protectionReasons(k));
        continue;
      }
      const marker = parseKeyDescription(k.description).marker;
      if (marker && marker.instance !== this.opts.instance) {
        skip('info', `owned by scw-gitops instance "${marker.instance}"`);
        continue;
      }
      if (marker) {
        ours.set(marker.name, [...(ours.get(marker.name) ?? []), k]);
        used.add(marker.name);
        continue;
      }
      if (k.bearer.type !== 'application') {
        skip('info', 'the key belongs to a user; scw-gitops manages application keys only');
        continue;
      }
      if (!this.opts.includeKeys) {
        skip('info', 'API keys are imported with --include-keys');
        continue;
      }
      if (!this.appName.has(k.bearer.id)) {
        skip('warning', `its application ${k.bearer.id} is not in the listing`);
        continue;
      }
      if (k.expiresAt !== null && Date.parse(k.expiresAt) <= now) {
        skip('warning', `expired at ${k.expiresAt}`);
        continue;
      }
      unmarked.push(k);
    }
    // Keys this instance already owns: one document per key name, from its current key.
    for (const [name, list] of [...ours].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const rank = (k: ApiKey) => {
        const s = parseKeyDescription(k.description).marker?.state;
        return s === 'ready' ? 0 : s === 'retiring' ? 2 : 1;
      };
      const current = [...list].sort((a, b) => rank(a) - rank(b) || (a.createdAt > b.createdAt ? -1 : 1))[0]!;
      if (current.bearer.type !== 'application' || !this.appName.has(current.bearer.id)) {
        this.skip(
          'ApiKey',
          name,
          current.accessKey,
          'warning',
          'owned key whose application is not in the listing',
        );
        continue;
      }
      // An adopted key keeps its declaration (adopt + adoptAccessKey) while it is the current one.
      const marker = parseKeyDescription(current.description).marker!;
      const external = marker.state === 'external';
      const { spec, comments } = this.keySpec(current, name, {
        owned: true,
        createdByUs: !external,
        adoptAccessKey: external,
      });
      this.add({
        kind: 'ApiKey',
        name,
        id: current.accessKey,
        comments: [
          `already owned by this instance: ${list.map((k) => `${k.accessKey} (${parseKeyDescription(k.description).marker!.state})`).join(', ')}`,
          ...comments,
        ],
        adopt: external,
        preventDestroy: marker.preventDestroy === true,
        spec,
      });
    }
    for (const k of unmarked) {
      const base = keyNameBase(this.appName.get(k.bearer.id)!);
      let name = base;
      for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
      used.add(name);
      const { spec, comments } = this.keySpec(k, name, {
        owned: false,
        createdByUs: false,
        adoptAccessKey: true,
      });
      this.add({
        kind: 'ApiKey',
        name,
        id: k.accessKey,
        comments: [
          `API key ${k.accessKey} of application ${JSON.stringify(this.appName.get(k.bearer.id))}, created ${k.createdAt}, ${k.expiresAt === null ? 'never expires' : `expires ${k.expiresAt}`}`,
          'its secret stays wherever it was put when the key was created: scw-gitops adopts the key',
          'as `external` and delivers a new key to the sink when it is replaced',
          ...comments,
        ],
        adopt: true,
        spec,
      });
    }
  }

  /** The spec of a key document, with comments; notes to review go to the report. */
  keySpec(
    k: ApiKey,
    name: string,
    opts: {
      /** Carries this instance's marker. */
      readonly owned: boolean;
      /** Created by scw-gitops (owned, and not an adopted `external` key). */
      readonly createdByUs: boolean;
      readonly adoptAccessKey: boolean;
    },
  ): { spec: Record<string, unknown>; comments: string[] } {
    const spec: Record<string, unknown> = { application: this.appName.get((k.bearer as { id: string }).id)! };
    const project = this.projectName.get(k.defaultProjectId) ?? k.defaultProjectId;
    if (project !== 'default') spec['defaultProject'] = project;
    const description = parseKeyDescription(k.description).description;
    if (description !== '') spec['description'] = description;
    const addr = address('ApiKey', name);
    const sink = keySinkSpec({
      address: addr,
      name,
      accessKey: k.accessKey,
      ours: opts.owned,
      instance: this.opts.instance,
      records: this.opts.records ?? [],
      sinks: this.opts.sinks ?? [],
    });
    const expiry = keyExpirySpec({
      address: addr,
      key: k,
      ours: opts.createdByUs,
      record: sink.record,
      defaultLifetimeMs: this.opts.defaultLifetimeMs,
    });
    Object.assign(spec, expiry.spec, sink.spec);
    if (opts.adoptAccessKey) spec['adoptAccessKey'] = k.accessKey;
    for (const note of [expiry.note, sink.note]) if (note !== undefined) this.notes.push(note);
    if (opts.createdByUs && sink.spec['sink'] === undefined && (this.opts.sinks ?? []).length > 0) {
      this.notes.push(
        `${addr}: no record in the configured sinks holds ${k.accessKey}; unless spec.sink names where its secret is, the plan replaces the key (custody-lost)`,
      );
    }
    return { spec, comments: [...expiry.comments, ...sink.comments] };
  }

  /** The YAML of every kind, from the current candidates. */
  render(): Map<string, string> {
    const files = new Map<string, string>();
    const header = [
      `# Imported from Scaleway organization ${this.live.organizationId} by 'scw-gitops import'`,
      `# (listing of ${this.live.observedAt}, instance "${this.opts.instance}").`,
      '# metadata.adopt: true makes the first reconcile take over the existing objects (it adds the',
      '# scw-gitops ownership marker) instead of creating new ones; objects without it are already',
      '# owned by this instance.',
    ];
    for (const kind of KINDS) {
      const docs = [...this.candidates.values()].filter((c) => c.kind === kind).sort(byName);
      if (docs.length === 0) continue;
      const body = docs.map((c) => {
        const doc = {
          apiVersion: API_VERSION,
          kind: c.kind,
          metadata: {
            name: c.name,
            ...(c.adopt ? { adopt: true } : {}),
            ...(c.preventDestroy ? { lifecycle: { preventDestroy: true } } : {}),
          },
          ...(Object.keys(c.spec).length > 0 ? { spec: c.spec } : {}),
        };
        return `${c.comments.map((l) => `# ${l}`).join('\n')}\n${stringify(doc, { lineWidth: 0 })}`;
      });
      files.set(IMPORT_FILES[kind], `${header.join('\n')}\n---\n${body.join('---\n')}`);
    }
    return files;
  }
}

function appLike(description: string, tags: readonly string[]): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (description !== '') spec['description'] = description;
  const user = userTags(tags);
  if (user.length > 0) spec['tags'] = user;
  return spec;
}

function ownedNote(owned: boolean): string {
  return owned ? ', already owned by this instance' : '';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Generates the desired-state files for `live`. Pure and deterministic. */
export function generateImport(live: LiveState, opts: ImportOptions): ImportResult {
  const im = new Importer(live, opts);
  im.projects();
  im.applications();
  im.groups();
  im.policies();
  im.keys();

  // Drop whatever the validator refuses, then whatever referred to it, until the output is valid.
  const validateOpts = {
    instance: opts.instance,
    now: opts.now,
    ...(opts.sinkNames !== undefined ? { sinkNames: opts.sinkNames } : {}),
    ...(opts.defaultSink !== undefined ? { defaultSink: opts.defaultSink } : {}),
  };
  for (;;) {
    const files = im.render();
    const result = loadDesiredFromTexts(
      'import',
      [...files].map(([file, text]) => ({ file, text })),
      validateOpts,
    );
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length === 0) {
      const imported: ImportedObject[] = [...im.candidates.values()]
        .map((c) => ({ kind: c.kind, name: c.name, id: c.id, file: IMPORT_FILES[c.kind], adopt: c.adopt }))
        .sort((a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) || byName(a, b));
      return {
        files: new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1))),
        imported,
        skipped: im.skipped.sort(
          (a, b) => KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) || byName(a, b) || (a.id < b.id ? -1 : 1),
        ),
        notes: im.notes,
        diagnostics: result.diagnostics,
      };
    }
    const refused = new Map<Address, Diagnostic>();
    for (const d of errors) {
      const addr = d.resource as Address | undefined;
      if (addr !== undefined && im.candidates.has(addr) && !refused.has(addr)) refused.set(addr, d);
    }
    if (refused.size === 0) {
      // An error not tied to one resource (e.g. an invalid instance): nothing to drop.
      throw new Error(`the imported state does not validate: ${errors.map((e) => e.message).join('; ')}`);
    }
    for (const [addr, d] of refused) {
      const c = im.candidates.get(addr)!;
      im.candidates.delete(addr);
      const dangling = d.code === 'dangling-reference';
      im.skip(
        c.kind,
        c.name,
        c.id,
        'warning',
        `${dangling ? 'depends on an object that is not imported: ' : 'refused by the validator: '}${d.field ? `${d.field}: ` : ''}${d.message} [${d.code}]`,
      );
    }
  }
}
