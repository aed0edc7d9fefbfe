/**
 * Sink registry: builds the configured secret sinks (settings `sinks:`) and resolves where each
 * desired API key's secret goes.
 *
 * - `createSinks` instantiates every sink once. File sinks are built here; Vault and Kubernetes
 *   sinks are imported lazily (their dependencies load only when a settings file uses them).
 * - `resolveSinkLocation` applies the defaults: the key's `spec.sink.name`, else the settings'
 *   default sink, else the only sink; then per type
 *     file:       path = spec.sink.path ?? `<key name>.env` (dotenv) / `<key name>.json` (json)
 *     vault:      path = spec.sink.path ?? `<key name>` (under the sink's mount and pathPrefix)
 *     kubernetes: namespace = spec.sink.namespace ?? the sink's namespace,
 *                 secretName = spec.sink.secretName ?? `<key name>`
 */
import type { pino } from 'pino';
import type { Clock } from '../clock.js';
import type { Settings, SinkSettings } from '../config/settings.js';
import { ConfigError } from '../errors.js';
import type { DesiredApiKey } from '../model/desired.js';
import { createFileSink, defaultFileName } from './file-sink.js';
import type { SecretSink, SinkLocation } from './sink.js';

export interface SinkDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: pino.Logger;
  readonly clock: Clock;
  /** Base for relative file-sink directories (default: process.cwd()). */
  readonly cwd?: string;
}

async function loadModule<T>(load: () => Promise<T>, what: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw new ConfigError(
      `sinks: cannot load the ${what} sink implementation (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

async function createSink(s: SinkSettings, deps: SinkDeps): Promise<SecretSink> {
  const logger = deps.logger.child({ sink: s.name });
  switch (s.type) {
    case 'file':
      return createFileSink(s, { logger, ...(deps.cwd !== undefined ? { cwd: deps.cwd } : {}) });
    case 'vault': {
      // Imported lazily: its dependencies load only when a settings file declares such a sink.
      const mod = await loadModule(() => import('./vault-sink.js'), 'vault');
      return mod.createVaultSink(s, { env: deps.env, logger, clock: deps.clock });
    }
    case 'kubernetes': {
      const mod = await loadModule(() => import('./kubernetes-sink.js'), 'kubernetes');
      return mod.createKubernetesSink(s, { env: deps.env, logger, clock: deps.clock });
    }
    default: {
      const unknown: { type?: unknown; name?: unknown } = s;
      throw new ConfigError(`sinks: sink ${String(unknown.name)} has unknown type ${String(unknown.type)}`);
    }
  }
}

/** Every configured sink by name. Throws ConfigError on duplicate names or an unknown type. */
export async function createSinks(settings: Settings, deps: SinkDeps): Promise<Map<string, SecretSink>> {
  const sinks = new Map<string, SecretSink>();
  for (const s of settings.sinks) {
    if (sinks.has(s.name)) throw new ConfigError(`sinks: the sink name ${s.name} is declared twice`);
    sinks.set(s.name, await createSink(s, deps));
  }
  if (settings.defaults.sink !== undefined && !sinks.has(settings.defaults.sink)) {
    throw new ConfigError(
      `defaults.sink: no sink named ${settings.defaults.sink} (declared: ${[...sinks.keys()].join(', ') || 'none'})`,
    );
  }
  return sinks;
}

/** The sink name a key uses: its own, else the default, else the only declared sink. */
export function sinkNameFor(
  key: DesiredApiKey,
  sinks: readonly { readonly name: string }[],
  defaultSink: string | undefined,
): string {
  const name = key.sink.sink ?? defaultSink ?? (sinks.length === 1 ? sinks[0]!.name : undefined);
  if (name === undefined) {
    throw new ConfigError(
      `${key.address}: spec.sink.name is not set and there is no default sink (settings defaults.sink)`,
    );
  }
  return name;
}

/** Where `key`'s secret goes, with every default applied. Throws ConfigError for an unknown sink. */
export function resolveSinkLocation(key: DesiredApiKey, settings: Settings): SinkLocation {
  const name = sinkNameFor(key, settings.sinks, settings.defaults.sink);
  const s = settings.sinks.find((x) => x.name === name);
  if (!s) {
    throw new ConfigError(
      `${key.address}: spec.sink.name: no sink named ${name} (declared: ${settings.sinks.map((x) => x.name).join(', ') || 'none'})`,
    );
  }
  return locationForType(key, s.type, name, {
    format: s.type === 'file' ? s.format : undefined,
    namespace: s.type === 'kubernetes' ? s.namespace : undefined,
  });
}

/** Per-type defaults, shared with the executor's resolution from live sink objects. */
export function locationForType(
  key: Pick<DesiredApiKey, 'name' | 'sink'>,
  type: string,
  sink: string,
  opts: { format?: 'dotenv' | 'json' | undefined; namespace?: string | undefined } = {},
): SinkLocation {
  switch (type) {
    case 'file':
      return { sink, path: key.sink.path ?? defaultFileName(key.name, opts.format ?? 'dotenv') };
    case 'vault':
      return { sink, path: key.sink.path ?? key.name };
    case 'kubernetes': {
      const namespace = key.sink.namespace ?? opts.namespace;
      return {
        sink,
        ...(namespace !== undefined ? { namespace } : {}),
        secretName: key.sink.secretName ?? key.name,
      };
    }
    default:
      return {
        sink,
        ...(key.sink.path !== undefined ? { path: key.sink.path } : {}),
        ...(key.sink.namespace !== undefined ? { namespace: key.sink.namespace } : {}),
        ...(key.sink.secretName !== undefined ? { secretName: key.sink.secretName } : {}),
      };
  }
}
