/**
 * What each desired API key's sink holds, read before planning so the planner can tell whether a
 * live key's secret is in custody (custody-lost → replace). One read per desired key, bounded
 * concurrency; a sink error is captured in the observation (never thrown) so one unreachable sink
 * does not block the plan of everything else. Observations never contain a secret.
 *
 * `accessKey: null` means "no usable record": nothing there, or a record without its secret.
 */
import type { Settings } from '../config/settings.js';
import { toAppError } from '../errors.js';
import type { DesiredApiKey, DesiredState } from '../model/desired.js';
import type { SinkObservation } from '../model/plan.js';
import type { Address } from '../model/resources.js';
import { scrubSecrets } from '../model/secret.js';
import type { SecretSink } from '../sinks/sink.js';
import { createLocationResolver, type LocationResolver } from './sink-location.js';

export interface ObserveSinksOptions {
  readonly defaultSink?: string | undefined;
  readonly settings?: Settings | undefined;
  readonly resolveLocation?: LocationResolver | undefined;
  /** Reads in flight at once (default 8). */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
}

async function observeOne(
  key: DesiredApiKey,
  sinks: ReadonlyMap<string, SecretSink>,
  locate: LocationResolver,
  signal: AbortSignal | undefined,
): Promise<SinkObservation> {
  try {
    const location = locate(key);
    const sink = sinks.get(location.sink);
    if (!sink) return { accessKey: null, error: `no sink named ${location.sink}` };
    const rec = await sink.read(location, signal);
    if (!rec) return { accessKey: null };
    const extra = {
      ...(rec.metadata.previousAccessKey ? { previousAccessKey: rec.metadata.previousAccessKey } : {}),
      ...(rec.metadata.deliveredAt ? { deliveredAt: rec.metadata.deliveredAt } : {}),
    };
    const hasSecret = rec.secretKey !== undefined;
    // Only its presence matters here: the plaintext goes at once (model/secret.ts).
    rec.secretKey?.release();
    if (!rec.accessKey || !hasSecret) return { accessKey: null, ...extra };
    return { accessKey: rec.accessKey, ...extra };
  } catch (err) {
    if (signal?.aborted) throw err;
    return { accessKey: null, error: scrubSecrets(toAppError(err).message) };
  }
}

export async function observeSinks(
  desired: DesiredState,
  sinks: ReadonlyMap<string, SecretSink>,
  opts: ObserveSinksOptions = {},
): Promise<Map<Address, SinkObservation>> {
  const locate = createLocationResolver({
    sinks,
    defaultSink: opts.defaultSink ?? opts.settings?.defaults.sink,
    settings: opts.settings,
    resolveLocation: opts.resolveLocation,
  });
  const keys = desired.resources.filter((r): r is DesiredApiKey => r.kind === 'ApiKey');
  const results: SinkObservation[] = new Array(keys.length);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const i = next++;
      results[i] = await observeOne(keys[i]!, sinks, locate, opts.signal);
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 8, keys.length));
  await Promise.all(Array.from({ length: n }, worker));
  return new Map(keys.map((k, i) => [k.address, results[i]!]));
}
