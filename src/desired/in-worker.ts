/**
 * Parsing a large desired state on a worker thread (docs/design/performance.md, "Loading the
 * YAML"): a 10,000-resource state takes about a second of CPU to parse and validate, which a
 * one-shot command otherwise spends blocking the event loop that is listing the organization.
 *
 * Returns undefined when no worker could run the job (for example when the sources are run
 * without a TypeScript loader in the worker, or a bundle without the worker file): the caller
 * then parses in-process. The result is plain data (structured clone). The limits travel with the
 * options (size, aliases: the worker applies them as the main thread would); the abort signal
 * stays here: when it fires, the worker is terminated and the promise rejects with its reason.
 */
import { Worker } from 'node:worker_threads';
import type { DesiredFile, LoadOptions, LoadResult } from './load.js';

/** Below this many bytes of YAML, starting a worker costs more than it saves. */
export const PARALLEL_MIN_BYTES = 256 * 1024;

/** Jobs a worker completed in this process (diagnostics and tests). */
export const workerStats = { completed: 0, fallbacks: 0 };

export function parseInWorker(
  root: string,
  files: readonly DesiredFile[],
  opts: LoadOptions,
): Promise<LoadResult | undefined> {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const { parseCache: _notCloneable, parallel: _no, signal, ...plain } = opts;
  if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise((resolve, reject) => {
    let settled = false;
    let worker: Worker | undefined;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      void worker?.terminate();
      reject(signal?.reason ?? new Error('aborted'));
    };
    const done = (r: LoadResult | undefined) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (r) workerStats.completed++;
      else workerStats.fallbacks++;
      void worker?.terminate();
      resolve(r);
    };
    try {
      const entry = new URL(`./parse-worker${ext}`, import.meta.url);
      worker =
        ext === '.js'
          ? new Worker(entry)
          : // Running from the TypeScript sources (tsx, vitest): the worker registers tsx's loader
            // (a dev dependency) itself, as loaders do not follow into worker threads.
            new Worker(
              `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`,
              { eval: true },
            );
      worker.once('message', (r: LoadResult) => done(r));
      worker.once('error', () => done(undefined));
      worker.once('exit', () => done(undefined));
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ root, files, opts: plain });
    } catch {
      done(undefined);
    }
  });
}
