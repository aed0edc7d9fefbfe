/**
 * Where the records of our keys are when they are not where git puts them now: a key whose
 * secret moved (its record stays at the old place until the key is retired), or a key that left
 * git (its record stays until the key is pruned). The planner attaches these places to the key's
 * deletion, and the executor removes each record, after a point read, just before it deletes the
 * key (docs/design/secret-moves.md).
 *
 * Found by listing the sinks (`SecretSink.list`), and only when there is something to find: an
 * owned live key that no desired key's sink holds (`recordCandidates`). In a settled organization
 * no sink is listed. A sink with `removeRecords: false` is never searched (its records stay), and
 * a sink that cannot list is named in `unsearched` (the plan says its records stay). Listings are
 * hints: nothing here is ever removed without the point read at apply time. No secret leaves.
 */
import type { SinkSettings } from '../config/settings.js';
import { toAppError } from '../errors.js';
import { defined } from '../model/defined.js';
import type { LiveState } from '../model/live.js';
import { parseKeyDescription } from '../model/ownership.js';
import type { PlannedSink, SinkObservation } from '../model/plan.js';
import type { Address } from '../model/resources.js';
import { scrubSecrets } from '../model/secret.js';
import { plannedSink } from '../model/sink-location.js';
import type { SecretSink } from './sink.js';

/** Records of our keys found in the sinks (input of the planner, `BuildPlanInput.keyRecords`). */
export interface KeyRecords {
  /** By access key: every place (sink + location) whose record holds it, sorted by target. */
  readonly byAccessKey: ReadonlyMap<string, readonly PlannedSink[]>;
  /** One line per sink that could not be searched, naming it and why. */
  readonly unsearched: readonly string[];
}

export const NO_KEY_RECORDS: KeyRecords = { byAccessKey: new Map(), unsearched: [] };

/**
 * Owned live keys (this instance's marker), by access key with their key name, whose access key
 * no desired key's sink holds now: the keys whose record, if any, is somewhere else.
 */
export function recordCandidates(
  live: Pick<LiveState, 'apiKeys'>,
  instance: string,
  observed: ReadonlyMap<Address, SinkObservation>,
): Map<string, string> {
  const held = new Set<string>();
  for (const o of observed.values()) if (o.accessKey) held.add(o.accessKey);
  const out = new Map<string, string>();
  for (const key of live.apiKeys) {
    const marker = parseKeyDescription(key.description).marker;
    if (marker?.instance !== instance || held.has(key.accessKey)) continue;
    out.set(key.accessKey, marker.name);
  }
  return out;
}

export interface FindKeyRecordsOptions {
  /** The declared sinks (settings `sinks:`), for their layout and `removeRecords`. */
  readonly settings: readonly SinkSettings[];
  readonly instance: string;
  /** Access key → key name (`recordCandidates`). */
  readonly candidates: ReadonlyMap<string, string>;
  readonly signal?: AbortSignal;
}

/** Search the sinks for the records of `candidates` (see the module comment). Never throws but on abort. */
export async function findKeyRecords(
  sinks: ReadonlyMap<string, SecretSink>,
  opts: FindKeyRecordsOptions,
): Promise<KeyRecords> {
  if (opts.candidates.size === 0) return NO_KEY_RECORDS;
  const byAccessKey = new Map<string, PlannedSink[]>();
  const unsearched: string[] = [];
  for (const layout of opts.settings) {
    if (layout.removeRecords === false) continue;
    const sink = sinks.get(layout.name);
    if (!sink) continue;
    let records: Awaited<ReturnType<SecretSink['list']>>['records'];
    try {
      records = (await sink.list(opts.signal)).records;
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const message = scrubSecrets(toAppError(err).message);
      // A SinkError already names its sink.
      unsearched.push(
        message.startsWith(`sink ${layout.name}`) ? message : `sink ${layout.name}: ${message}`,
      );
      continue;
    }
    for (const record of records) {
      const keyName = opts.candidates.get(record.accessKey);
      if (keyName === undefined) continue;
      if (record.metadata.instance !== opts.instance || record.metadata.keyName !== keyName) continue;
      const { path, namespace, secretName } = record.location;
      const place = plannedSink(
        { name: keyName, sink: { sink: layout.name, ...defined({ path, namespace, secretName }) } },
        layout,
      );
      const list = byAccessKey.get(record.accessKey) ?? [];
      if (!list.some((p) => p.target === place.target)) list.push(place);
      byAccessKey.set(record.accessKey, list);
    }
  }
  for (const list of byAccessKey.values()) list.sort((a, b) => (a.target < b.target ? -1 : 1));
  return { byAccessKey, unsearched };
}
