/**
 * Sink registry: builds the configured secret sinks (settings `sinks:`) and resolves where each
 * desired API key's secret goes.
 *
 * - `createSinks` instantiates every sink once. File sinks are built here; Vault and Kubernetes
 *   sinks are imported lazily (their dependencies load only when a settings file uses them).
 * - `resolveSinkLocation` applies the defaults of src/model/sink-location.ts (the key's
 *   `spec.sink.name`, else the settings' default sink, else the only sink; then per type).
 */
import type { pino } from 'pino';
import type { Clock } from '../clock.js';
import type { Settings, SinkSettings } from '../config/settings.js';
import { ConfigError } from '../errors.js';
import type { DesiredApiKey } from '../model/desired.js';
import { defaultFileName, resolveSink, toSinkLocation } from '../model/sink-location.js';
import { createFileSink } from './file-sink.js';
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

/**
 * Where `key`'s secret goes, with every default applied (the rules are in
 * src/model/sink-location.ts, shared with the planner). Throws ConfigError for an unknown sink.
 */
export function resolveSinkLocation(key: DesiredApiKey, settings: Settings): SinkLocation {
  const resolved = resolveSink(key, settings.sinks, settings.defaults.sink);
  if (!resolved.ok) throw new ConfigError(`${key.address}: ${resolved.field}: ${resolved.message}`);
  return toSinkLocation(resolved.sink);
}

/**
 * A key's place in a sink known only by its type and defaults (the importer's view of a sink),
 * with the defaults of src/model/sink-location.ts.
 */
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
