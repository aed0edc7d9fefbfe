/**
 * Where a key's secret goes, decided once, from plain data: the sinks declared in the settings
 * (their layout: type, directory and format, Vault mount and prefix, Kubernetes namespace) and the
 * key's `spec.sink`. The planner puts the result in the plan (`PlannedSink`); the executor writes
 * exactly there; `validate` and the planner compare resolved places to refuse two keys sharing one.
 *
 * Defaults, per sink type (`spec.sink.name`, else the settings' default sink, else the only sink):
 *   file:       path = spec.sink.path ?? `<key name>.env` (dotenv) / `<key name>.json` (json)
 *   vault:      path = spec.sink.path ?? `<key name>`, under the sink's mount and pathPrefix
 *   kubernetes: namespace = spec.sink.namespace ?? the sink's namespace,
 *               secretName = spec.sink.secretName ?? `<key name>`
 *
 * Pure: no I/O, no Node imports. The sinks (src/sinks/*) apply the same rules to the location they
 * are handed; `describe` strings follow theirs.
 */
import type { Diagnostic, SourceLocation } from './diagnostics.js';
import type { DesiredApiKey } from './desired.js';

/** The place a sink is asked to write: sink name plus the per-key fields that apply to its type. */
export interface SinkLocation {
  /** Sink name from the settings. */
  readonly sink: string;
  /** Vault: path under the mount (and pathPrefix). File: file name under the sink directory. */
  readonly path?: string;
  /** Kubernetes: the Secret's namespace. */
  readonly namespace?: string;
  /** Kubernetes: the Secret's name. */
  readonly secretName?: string;
}

export type SinkType = 'file' | 'vault' | 'kubernetes';

/** The parts of a sink declaration (settings `sinks:`) that decide where a secret lands. */
export type SinkLayout =
  | {
      readonly name: string;
      readonly type: 'file';
      readonly dir: string;
      readonly format: 'dotenv' | 'json';
    }
  | {
      readonly name: string;
      readonly type: 'vault';
      readonly address?: string;
      readonly namespace?: string;
      readonly mount: string;
      readonly pathPrefix?: string;
    }
  | {
      readonly name: string;
      readonly type: 'kubernetes';
      readonly namespace: string;
      readonly kubeconfig?: string;
      readonly context?: string;
    };

/**
 * A resolved secret destination, as carried by a plan step. Type `none`: the settings declare no
 * sink at all (a bare `scw-gitops plan DIR`); the plan shows the keys, and applying refuses to
 * create one.
 */
export interface PlannedSink extends SinkLocation {
  readonly type: SinkType | 'none';
  /**
   * The full place, for people and for collision checks: `file:<dir>/<name>`,
   * `vault:[<namespace>/]<mount>/data/<prefix>/<path>`, `k8s:<namespace>/<secretName>`.
   */
  readonly target: string;
}

export type SinkResolution =
  /** `layout` is absent for the `none` destination (no sink declared at all). */
  | { readonly ok: true; readonly sink: PlannedSink; readonly layout?: SinkLayout }
  | { readonly ok: false; readonly field: string; readonly message: string };

/** The destination of every key when the settings declare no sink. */
export const NO_SINK_TARGET = 'nowhere (no sink is declared in the settings)';

/** Default file name of a key's record in a file sink. */
export function defaultFileName(keyName: string, format: 'dotenv' | 'json'): string {
  return `${keyName}${format === 'json' ? '.json' : '.env'}`;
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}

/** `a//b/` → `a/b`; the sinks refuse `.` and `..` segments (validation reports them). */
function cleanPath(...parts: readonly (string | undefined)[]): string {
  return parts
    .flatMap((p) => (p === undefined ? [] : trimSlashes(p).split('/')))
    .filter((seg) => seg !== '')
    .join('/');
}

/** The sink name a key uses: its own, else the default, else the only declared sink. */
export function sinkNameFor(
  key: Pick<DesiredApiKey, 'sink'>,
  sinks: readonly { readonly name: string }[],
  defaultSink: string | undefined,
): string | undefined {
  return key.sink.sink ?? defaultSink ?? (sinks.length === 1 ? sinks[0]!.name : undefined);
}

/** Where `key`'s secret goes with `layout`'s defaults applied. */
export function plannedSink(key: Pick<DesiredApiKey, 'name' | 'sink'>, layout: SinkLayout): PlannedSink {
  switch (layout.type) {
    case 'file': {
      const path = key.sink.path ?? defaultFileName(key.name, layout.format);
      const dir = layout.dir.replace(/\/+$/, '');
      return { sink: layout.name, type: 'file', path, target: `file:${dir}/${cleanPath(path)}` };
    }
    case 'vault': {
      const path = key.sink.path ?? key.name;
      const ns = layout.namespace ? `${trimSlashes(layout.namespace)}/` : '';
      const full = cleanPath(layout.pathPrefix, path);
      return {
        sink: layout.name,
        type: 'vault',
        path,
        target: `vault:${ns}${trimSlashes(layout.mount)}/data/${full}`,
      };
    }
    case 'kubernetes': {
      const namespace = key.sink.namespace ?? layout.namespace;
      const secretName = key.sink.secretName ?? key.name;
      return {
        sink: layout.name,
        type: 'kubernetes',
        namespace,
        secretName,
        target: `k8s:${namespace}/${secretName}`,
      };
    }
  }
}

/** Resolve a key's destination against the declared sinks; an unknown sink is an error naming the field. */
export function resolveSink(
  key: Pick<DesiredApiKey, 'name' | 'sink'>,
  sinks: readonly SinkLayout[],
  defaultSink: string | undefined,
): SinkResolution {
  if (sinks.length === 0)
    return { ok: true, sink: { sink: key.sink.sink ?? '', type: 'none', target: NO_SINK_TARGET } };
  const name = sinkNameFor(key, sinks, defaultSink);
  if (name === undefined) {
    return {
      ok: false,
      field: 'spec.sink.name',
      message: 'not set, and there is no default sink (settings defaults.sink)',
    };
  }
  const layout = sinks.find((s) => s.name === name);
  if (!layout) {
    return {
      ok: false,
      field: 'spec.sink.name',
      message: `no sink named ${name} (declared: ${sinks.map((s) => s.name).join(', ') || 'none'})`,
    };
  }
  return { ok: true, sink: plannedSink(key, layout), layout };
}

/**
 * The physical place a destination names, for collision checks across keys and across sinks:
 * two file sinks sharing a directory, or two Vault sinks on one server and mount, are one space.
 */
export function physicalPlace(sink: PlannedSink, layout: SinkLayout): string {
  switch (layout.type) {
    case 'file':
      return sink.target;
    case 'vault':
      return `${layout.address ?? ''}|${sink.target}`;
    case 'kubernetes':
      return `${layout.kubeconfig ?? 'in-cluster'}|${layout.context ?? ''}|${sink.target}`;
  }
}

/** The part of a planned sink a sink implementation takes. */
export function toSinkLocation(sink: PlannedSink): SinkLocation {
  const { type: _type, target: _target, ...location } = sink;
  return location;
}

/** One key's resolved destination, for the collision check. */
export interface PlacedSecret {
  readonly resource: string;
  /** `physicalPlace` of its destination. */
  readonly place: string;
  /** The destination as shown to people (`PlannedSink.target`). */
  readonly target: string;
  readonly location?: SourceLocation;
  /** The field that decided the place (`spec.sink.path`, …, or `metadata.name` for a default). */
  readonly field: string;
}

/**
 * Two keys whose secrets resolve to one place would overwrite each other's secret at every pass
 * (and each would then look lost and be rotated, forever): one error per key, naming the others
 * with their locations.
 */
export function sinkCollisions(placed: readonly PlacedSecret[]): Diagnostic[] {
  const byPlace = new Map<string, PlacedSecret[]>();
  for (const p of placed) {
    const group = byPlace.get(p.place);
    if (!group) byPlace.set(p.place, [p]);
    else if (!group.some((other) => other.resource === p.resource)) group.push(p);
  }
  const out: Diagnostic[] = [];
  for (const group of byPlace.values()) {
    if (group.length < 2) continue;
    for (const p of group) {
      const others = group.filter((o) => o !== p);
      out.push({
        severity: 'error',
        code: 'sink-collision',
        message: `the secret would be written to ${p.target}, the same sink location as ${others.map((o) => o.resource).join(', ')}; each key needs its own place`,
        ...(p.location !== undefined ? { location: p.location } : {}),
        resource: p.resource,
        field: p.field,
        hint: 'give each key a distinct `spec.sink.path` (or `namespace` / `secretName`)',
        related: others.map((o) => ({
          resource: o.resource,
          ...(o.location !== undefined ? { location: o.location } : {}),
        })),
      });
    }
  }
  return out;
}

/** The field of `spec.sink` that decided a key's place, for diagnostics. */
export function placeField(key: Pick<DesiredApiKey, 'sink'>, type: SinkType | 'none'): string {
  if (type === 'kubernetes') {
    if (key.sink.secretName !== undefined) return 'spec.sink.secretName';
    if (key.sink.namespace !== undefined) return 'spec.sink.namespace';
    return 'metadata.name';
  }
  return key.sink.path !== undefined ? 'spec.sink.path' : 'metadata.name';
}
