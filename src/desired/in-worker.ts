/**
 * Parsing a large desired state on a worker thread (docs/design/performance.md, "Loading the
 * YAML"): a 10,000-resource state takes about a second of CPU to parse and validate, which a
 * one-shot command otherwise spends blocking the event loop that is listing the organization.
 *
 * Returns undefined when no worker could run the job (for example when the sources are run
 * without a TypeScript loader in the worker, or a bundle without the worker file): the caller
 * then parses in-process. The result is plain data (structured clone).
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
  const { parseCache: _notCloneable, parallel: _no, ...plain } = opts;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: LoadResult | undefined) => {
      if (settled) return;
      settled = true;
      if (r) workerStats.completed++;
      else workerStats.fallbacks++;
      void worker.terminate();
      resolve(r);
    };
    let worker: Worker;
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
    } catch {
      workerStats.fallbacks++;
      resolve(undefined);
      return;
    }
    worker.once('message', (r: LoadResult) => done(r));
    worker.once('error', () => done(undefined));
    worker.once('exit', () => done(undefined));
    worker.postMessage({ root, files, opts: plain });
  });
}
