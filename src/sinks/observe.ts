/**
 * Read-side sink observation: what each desired API key's sink holds, read before planning so the
 * planner can tell whether a live key's secret is in custody (custody-lost → replace). Each key is
 * read at the place the planner will resolve for it (model/sink-location.ts). One read per desired key, bounded
 * concurrency; a sink error is captured in the observation (never thrown) so one unreachable sink
 * does not block the plan of everything else. Observations never contain a secret.
 *
 * `accessKey: null` means "no usable record": nothing there, or a record without its secret.
 */
import { toAppError } from '../errors.js';
import type { DesiredApiKey, DesiredState } from '../model/desired.js';
import type { SinkObservation } from '../model/plan.js';
import type { Address } from '../model/resources.js';
import { scrubSecrets } from '../model/secret.js';
import { resolveSink, type SinkLayout, toSinkLocation } from '../model/sink-location.js';
import type { SecretSink } from './sink.js';

export interface ObserveSinksOptions {
  /** The declared sinks (settings `sinks:`): each key is read where the plan will put it. */
  readonly layouts: readonly SinkLayout[];
  readonly defaultSink?: string | undefined;
  /** Reads in flight at once (default 8). */
  readonly concurrency?: number;
  readonly signal?: AbortSignal;
}

async function observeOne(
  key: DesiredApiKey,
  sinks: ReadonlyMap<string, SecretSink>,
  opts: ObserveSinksOptions,
): Promise<SinkObservation | undefined> {
  const signal = opts.signal;
  try {
    const resolved = resolveSink(key, opts.layouts, opts.defaultSink);
    if (!resolved.ok) return { accessKey: null, error: resolved.message };
    if (resolved.sink.type === 'none') return undefined; // no sink declared: nothing to observe
    const location = toSinkLocation(resolved.sink);
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
  opts: ObserveSinksOptions,
): Promise<Map<Address, SinkObservation>> {
  const keys = desired.resources.filter((r): r is DesiredApiKey => r.kind === 'ApiKey');
  const results: (SinkObservation | undefined)[] = new Array(keys.length);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const i = next++;
      results[i] = await observeOne(keys[i]!, sinks, opts);
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 8, keys.length));
  await Promise.all(Array.from({ length: n }, worker));
  const observed = new Map<Address, SinkObservation>();
  keys.forEach((key, i) => {
    const observation = results[i];
    if (observation) observed.set(key.address, observation);
  });
  return observed;
}
