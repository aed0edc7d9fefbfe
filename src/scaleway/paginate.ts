/**
 * Complete listings over Scaleway's page/page_size pagination.
 *
 * Algorithm: page 1 (page_size=100) gives `total_count` and the effective page size (its
 * length, as both SDKs compute it, in case the server clamps). Pages 2..N are then fetched
 * concurrently by `concurrency` workers; the client-wide adaptive limiter decides how many are
 * really in flight (8 at first, 16 while no 429 is seen). Each page is decoded as soon as it
 * arrives, so its raw JSON is garbage as early as possible. An empty page stops issuing further
 * pages. Items are de-duplicated by id.
 *
 * The result is accepted only when the number of unique items equals `total_count` and every
 * page reported the same `total_count`. Otherwise the organization changed during the listing
 * (an insert shifts items across page boundaries, a delete hides one): the whole listing is
 * repeated, up to `maxAttempts` times, then `ListingInconsistentError` is thrown. A silently
 * truncated list is never returned.
 */
import type { WirePage } from './decode.js';
import { ListingInconsistentError } from './errors.js';

export const PAGE_SIZE = 100;
/** Highest page number the IAM API accepts. */
const MAX_PAGE = 10_000;

export interface ListAllOptions<T> {
  /** Route template for messages. */
  readonly route: string;
  readonly fetchPage: (page: number, pageSize: number, signal?: AbortSignal) => Promise<WirePage>;
  readonly decode: (raw: unknown) => T;
  readonly idOf: (item: T) => string;
  /** Workers fetching pages 2..N of this listing (the limiter bounds what is in flight). Default 8. */
  readonly concurrency?: number;
  /** Complete listings tried before giving up. Default 3. */
  readonly maxAttempts?: number;
  readonly signal?: AbortSignal | undefined;
  /** Called before a re-list, for logging. */
  readonly onInconsistent?: (attempt: number, expected: number, received: number) => void;
}

interface Attempt<T> {
  readonly items: T[];
  readonly expected: number;
  readonly consistent: boolean;
}

async function listOnce<T>(o: ListAllOptions<T>): Promise<Attempt<T>> {
  const first = await o.fetchPage(1, PAGE_SIZE, o.signal);
  const pages: (readonly T[] | undefined)[] = [first.items.map(o.decode)];
  let consistentTotals = true;
  let total = first.totalCount;
  if (total === undefined) {
    // Legacy envelope without total_count: sequential until a short or empty page (the first
    // page's length is the effective page size, in case the server clamps page_size).
    const perPage = first.items.length;
    let page = 1;
    let lastLength = first.items.length;
    while (perPage > 0 && lastLength >= perPage && page < MAX_PAGE) {
      page++;
      const res = await o.fetchPage(page, PAGE_SIZE, o.signal);
      lastLength = res.items.length;
      pages.push(res.items.map(o.decode));
    }
    total = -1;
  } else if (first.items.length > 0 && total > first.items.length) {
    const perPage = first.items.length;
    const lastPage = Math.ceil(total / perPage);
    let next = 2;
    let stop = false;
    const concurrency = Math.max(1, o.concurrency ?? 8);
    const worker = async (): Promise<void> => {
      while (!stop && next <= lastPage) {
        const page = next++;
        let items: readonly unknown[];
        try {
          const res = await o.fetchPage(page, perPage, o.signal);
          if (res.totalCount !== total) consistentTotals = false;
          items = res.items;
          pages[page - 1] = items.map(o.decode);
        } catch (err) {
          stop = true; // the listing failed: the other workers issue no further pages
          throw err;
        }
        if (items.length === 0) stop = true;
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, lastPage - 1) }, worker));
  }
  const seen = new Map<string, T>();
  for (const page of pages) {
    for (const item of page ?? []) {
      const id = o.idOf(item);
      if (!seen.has(id)) seen.set(id, item);
    }
  }
  const items = [...seen.values()];
  const consistent = total < 0 ? true : consistentTotals && items.length === total;
  return { items, expected: total < 0 ? items.length : total, consistent };
}

/** Every item of a listing, in server order, de-duplicated; see the module comment. */
export async function listAll<T>(o: ListAllOptions<T>): Promise<T[]> {
  const maxAttempts = Math.max(1, o.maxAttempts ?? 3);
  let last: Attempt<T> | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    last = await listOnce(o);
    if (last.consistent) return last.items;
    if (attempt < maxAttempts) o.onInconsistent?.(attempt, last.expected, last.items.length);
  }
  throw new ListingInconsistentError(o.route, maxAttempts, last!.expected, last!.items.length);
}
