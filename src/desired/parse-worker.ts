/**
 * Worker-thread entry of `loadDesiredState(..., { parallel: true })`: parses and validates the
 * files it is sent (the pure `loadDesiredFromTexts`) and posts the result back, so the main thread
 * keeps listing the organization meanwhile (docs/design/performance.md, "Loading the YAML").
 */
import { parentPort } from 'node:worker_threads';
import { type DesiredFile, type LoadOptions, loadDesiredFromTexts } from './load.js';

interface Job {
  readonly root: string;
  readonly files: readonly DesiredFile[];
  readonly opts: LoadOptions;
}

parentPort?.once('message', (job: Job) => {
  parentPort?.postMessage(loadDesiredFromTexts(job.root, job.files, job.opts));
});
