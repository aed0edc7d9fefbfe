/**
 * Where a desired key's secret goes, for the executor and observeSinks: an explicit resolver,
 * else the settings (src/sinks/registry.ts `resolveSinkLocation`), else the live sink objects
 * (their type, and a file sink's format) plus the default sink name.
 */
import type { Settings } from '../config/settings.js';
import { ConfigError } from '../errors.js';
import type { DesiredApiKey } from '../model/desired.js';
import type { FileSink } from '../sinks/file-sink.js';
import { locationForType, resolveSinkLocation, sinkNameFor } from '../sinks/registry.js';
import type { SecretSink, SinkLocation } from '../sinks/sink.js';

export type LocationResolver = (key: DesiredApiKey) => SinkLocation;

export interface LocationSources {
  readonly sinks: ReadonlyMap<string, SecretSink>;
  readonly defaultSink?: string | undefined;
  readonly settings?: Settings | undefined;
  readonly resolveLocation?: LocationResolver | undefined;
}

export function createLocationResolver(src: LocationSources): LocationResolver {
  if (src.resolveLocation) return src.resolveLocation;
  const settings = src.settings;
  if (settings) return (key) => resolveSinkLocation(key, settings);
  return (key) => {
    const name = sinkNameFor(key, [...src.sinks.values()], src.defaultSink);
    const sink = src.sinks.get(name);
    if (!sink) {
      throw new ConfigError(
        `${key.address}: spec.sink.name: no sink named ${name} (declared: ${[...src.sinks.keys()].join(', ') || 'none'})`,
      );
    }
    const format = sink.type === 'file' ? (sink as Partial<FileSink>).format : undefined;
    return locationForType(key, sink.type, name, { format });
  };
}
