/**
 * Loader for the recorded go-vcr cassettes (version 1 and 2) under
 * test/fixtures/scaleway-cassettes (vendored, with their sources and licenses in SOURCES.md). Only responses are trusted: in the CLI v1 files the
 * recorder also stored the response JSON as `request.body`.
 */
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';

/** The vendored recordings (test/fixtures/scaleway-cassettes); SCW_CASSETTE_DIR overrides. */
export const CASSETTE_DIR =
  process.env['SCW_CASSETTE_DIR'] ??
  fileURLToPath(new URL('../../fixtures/scaleway-cassettes', import.meta.url));

export interface Interaction {
  readonly file: string;
  readonly index: number;
  readonly method: string;
  readonly url: URL;
  readonly status: number;
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: string;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.name.endsWith('.cassette.yaml')) out.push(p);
  }
  return out.sort();
}

interface RawInteraction {
  request?: { method?: string; url?: string };
  response?: { code?: number; status?: string; body?: string; headers?: Record<string, string[]> };
}

export function loadCassette(path: string): { version: number; interactions: Interaction[] } {
  const doc = parse(readFileSync(path, 'utf8')) as { version?: number; interactions?: RawInteraction[] };
  const file = relative(CASSETTE_DIR, path);
  const interactions = (doc.interactions ?? []).map((raw, index): Interaction => {
    const code = raw.response?.code ?? Number.parseInt(raw.response?.status ?? '0', 10);
    return {
      file,
      index,
      method: (raw.request?.method ?? 'GET').toUpperCase(),
      url: new URL(raw.request?.url ?? 'https://invalid/'),
      status: code,
      headers: raw.response?.headers ?? {},
      body: raw.response?.body ?? '',
    };
  });
  return { version: doc.version ?? 1, interactions };
}

export function loadAllCassettes(): Array<{ file: string; version: number; interactions: Interaction[] }> {
  return walk(CASSETTE_DIR).map((p) => ({ file: relative(CASSETTE_DIR, p), ...loadCassette(p) }));
}

export function header(i: Interaction, name: string): string | undefined {
  const key = Object.keys(i.headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : i.headers[key]?.[0];
}
