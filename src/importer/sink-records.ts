/**
 * The records of every configured sink, for `scw-gitops import` (src/importer/key-spec.ts finds
 * each key's location and recorded expiry in them). All sinks are listed at once
 * (`SecretSink.list`); a sink that cannot be listed, or could be only in part, never fails the
 * import: it is reported, and the keys whose secret is there are imported without `spec.sink`
 * (the report says which sink to look at). Nothing here holds a secret.
 */
import { toAppError } from '../errors.js';
import { scrubSecrets } from '../model/secret.js';
import type { SecretSink } from '../sinks/sink.js';
import type { ImportRecord } from './key-spec.js';

export interface SinkRecords {
  readonly records: readonly ImportRecord[];
  /** One line per sink that could not be listed or only in part, for the report. */
  readonly problems: readonly string[];
}

export async function readSinkRecords(
  sinks: ReadonlyMap<string, SecretSink>,
  signal?: AbortSignal,
): Promise<SinkRecords> {
  const listed = await Promise.all(
    [...sinks.values()].map(async (sink) => {
      try {
        return { sink, listing: await sink.list(signal) };
      } catch (err) {
        if (signal?.aborted) throw err;
        return { sink, error: scrubSecrets(toAppError(err).message) };
      }
    }),
  );
  const records: ImportRecord[] = [];
  const problems: string[] = [];
  for (const entry of listed.sort((a, b) => (a.sink.name < b.sink.name ? -1 : 1))) {
    if ('error' in entry) {
      problems.push(
        `sink ${entry.sink.name} could not be listed, so keys whose secret is there have no spec.sink: ${entry.error}`,
      );
      continue;
    }
    const { sink } = entry;
    records.push(...entry.listing.records.map((r) => ({ ...r, where: sink.describe(r.location) })));
    for (const part of entry.listing.incomplete) {
      problems.push(`sink ${entry.sink.name}: not searched: ${part}`);
    }
  }
  return { records, problems };
}
