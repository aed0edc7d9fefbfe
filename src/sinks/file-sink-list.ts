/**
 * `list` of the file sink (contract: `SinkListing` in src/sinks/sink.ts): walk the sink's
 * directory and return every file that is a scw-gitops record of the sink's format.
 *
 * - Nothing is followed or written: symbolic links are reported in `incomplete` and not followed
 *   (a link could lead out of the directory); dot-files (the sink's own `.*.tmp` and `.*.lock`
 *   files, editors' leftovers) are skipped.
 * - A record is a regular file that parses in the sink's format and carries the `scw-gitops:`
 *   metadata a delivery always writes (`keyName` or `accessKey`); anything else in the directory
 *   is not ours and is left out without a word. Files larger than `MAX_RECORD_BYTES` are never
 *   read (a record is a few hundred bytes).
 * - Bounded: at most `MAX_DEPTH` directory levels and `MAX_ENTRIES` directory entries are
 *   visited; whatever lies beyond is named in `incomplete`.
 * - A missing directory lists as empty (nothing was delivered yet); a directory that cannot be
 *   read at all rejects with a SinkError.
 */
import type { Dirent } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SinkError } from '../errors.js';
import type { ListedRecord, SecretMetadata, SinkListing } from './sink.js';

export const MAX_DEPTH = 8;
export const MAX_ENTRIES = 20_000;
export const MAX_RECORD_BYTES = 64 * 1024;

export interface FileListingInput {
  /** Sink name (locations and errors). */
  readonly sink: string;
  /** Absolute sink directory. */
  readonly root: string;
  /** Parses a file's text in the sink's format; `undefined` when it is not a record. */
  readonly parse: (
    text: string,
  ) => { accessKey?: string; metadata: Partial<Record<keyof SecretMetadata, string | null>> } | undefined;
  /** The record version `read` reports, from the file's stat. */
  readonly versionOf: (s: { ino: bigint; mtimeNs: bigint; size: bigint }) => string;
  readonly signal?: AbortSignal | undefined;
}

function code(err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : 'error';
}

export async function listFileRecords(input: FileListingInput): Promise<SinkListing> {
  const records: ListedRecord[] = [];
  const incomplete: string[] = [];
  let visited = 0;

  const readDir = async (rel: string): Promise<Dirent[] | undefined> => {
    try {
      return await readdir(join(input.root, rel), { withFileTypes: true });
    } catch (err) {
      if (rel === '') {
        if (code(err) === 'ENOENT') return undefined;
        throw new SinkError(input.sink, `cannot list ${input.root}: ${code(err)}`, { cause: err });
      }
      incomplete.push(`${rel}/: cannot be listed (${code(err)})`);
      return undefined;
    }
  };

  const readRecord = async (rel: string): Promise<void> => {
    const file = join(input.root, rel);
    let text: string;
    let version: string;
    try {
      const s = await lstat(file, { bigint: true });
      if (!s.isFile() || s.size > BigInt(MAX_RECORD_BYTES)) return;
      text = await readFile(file, 'utf8');
      version = input.versionOf(s);
    } catch (err) {
      incomplete.push(`${rel}: cannot be read (${code(err)})`);
      return;
    }
    const parsed = input.parse(text);
    if (!parsed || (parsed.metadata.keyName == null && parsed.metadata.accessKey == null)) return;
    const metadata: Partial<Record<keyof SecretMetadata, string | null>> = { ...parsed.metadata };
    records.push({
      location: { sink: input.sink, path: rel },
      accessKey: parsed.accessKey ?? '',
      metadata: metadata as Partial<SecretMetadata>,
      version,
    });
  };

  const walk = async (rel: string, depth: number): Promise<void> => {
    const entries = await readDir(rel);
    if (!entries) return;
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (input.signal?.aborted) throw input.signal.reason ?? new Error('aborted');
      if (entry.name.startsWith('.')) continue;
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (++visited > MAX_ENTRIES) {
        incomplete.push(`stopped after ${MAX_ENTRIES} entries; the rest of the directory was not searched`);
        return;
      }
      if (entry.isSymbolicLink()) {
        incomplete.push(`${child}: a symbolic link, not followed`);
      } else if (entry.isDirectory()) {
        if (depth >= MAX_DEPTH) incomplete.push(`${child}/: deeper than ${MAX_DEPTH} levels, not searched`);
        else await walk(child, depth + 1);
      } else if (entry.isFile()) {
        await readRecord(child);
      }
      if (visited > MAX_ENTRIES) return;
    }
  };

  await walk('', 0);
  records.sort((a, b) => (a.location.path! < b.location.path! ? -1 : 1));
  return { records, incomplete };
}
