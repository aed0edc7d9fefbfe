/**
 * node-cron, loaded on first use: only `run` schedules, and only a settings file that sets a
 * schedule has expressions to validate. Every other command starts without it (it is one of the
 * heavier modules; docs/design/performance.md, "Start-up").
 *
 * Loaded synchronously through `require` (the package ships a CommonJS build) so the settings
 * validator stays synchronous; the daemon uses the same instance.
 */
import { createRequire } from 'node:module';

type NodeCron = typeof import('node-cron');

let loaded: NodeCron | undefined;

export function nodeCron(): NodeCron {
  loaded ??= createRequire(import.meta.url)('node-cron') as NodeCron;
  return loaded;
}
