/**
 * Parsed documents kept between passes of a long-running process (the daemon), per file and
 * content hash: a pass re-parses only the files whose bytes changed, and forgets files that are
 * gone. Parsing (YAML + the per-document field checks of parse.ts) is most of the cost of loading
 * a large desired state; the checks across documents (validate.ts) still run on every pass, on
 * the cached documents, so a change in one file is checked against all the others.
 *
 * Entries are immutable parse results (documents and their diagnostics), shared by reference.
 * A parse depends on the text and on the parse limits (docs/design/input-limits.md), so both are
 * in the key: a file refused under one alias budget is parsed again under another. A file is
 * parsed in the same resumable steps as without the cache, so the loader still yields to the event
 * loop and checks its abort signal while a changed file is parsed; an aborted parse stores nothing.
 */
import { createHash } from 'node:crypto';
import { type ParseLimits, type ParseResult, parseDesiredSteps } from './parse.js';

export class ParseCache {
  readonly #entries = new Map<string, { readonly hash: string; readonly result: ParseResult }>();
  #memo: { readonly key: string; readonly validUntil: number; readonly value: unknown } | undefined;
  #hits = 0;
  #misses = 0;

  /** The parse of `text` as `file`: from the cache when the file's content is unchanged. */
  parse(file: string, text: string, limits: ParseLimits = {}): ParseResult {
    const steps = this.steps(file, text, limits);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /**
   * `parse` as resumable steps (see `parseDesiredSteps`): no step at all for a file whose content
   * and limits are unchanged; the result is stored once the last step is taken.
   */
  *steps(file: string, text: string, limits: ParseLimits = {}): Generator<void, ParseResult, void> {
    const hash = createHash('sha256')
      .update(`${limits.maxAliasExpansion ?? ''}\n`)
      .update(text)
      .digest('base64');
    const hit = this.#entries.get(file);
    if (hit !== undefined && hit.hash === hash) {
      this.#hits++;
      return hit.result;
    }
    this.#misses++;
    const result = yield* parseDesiredSteps(text, file, limits);
    this.#entries.set(file, { hash, result });
    return result;
  }

  /**
   * `compute().value`, remembered for the same `key` while the files it was computed from are
   * unchanged (every file of the last `parse` calls was a hit) and `now` is before its
   * `validUntil`. One entry: the daemon loads one tree.
   */
  memo<T>(key: string, now: number, compute: () => { value: T; validUntil: number }): T {
    const fileKey = `${key}\n${[...this.#entries.values()].map((e) => e.hash).join(',')}`;
    const m = this.#memo;
    if (m !== undefined && m.key === fileKey && now < m.validUntil) return m.value as T;
    const fresh = compute();
    this.#memo = { key: fileKey, validUntil: fresh.validUntil, value: fresh.value };
    return fresh.value;
  }

  /** Forget the remembered checks (a pass whose files could not all be read or parsed). */
  forgetChecks(): void {
    this.#memo = undefined;
  }

  /** Forget files that no longer exist. */
  retain(files: ReadonlySet<string>): void {
    for (const file of this.#entries.keys()) if (!files.has(file)) this.#entries.delete(file);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Files served from the cache, and files parsed, since creation. */
  get stats(): { readonly hits: number; readonly misses: number } {
    return { hits: this.#hits, misses: this.#misses };
  }
}
