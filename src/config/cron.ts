/**
 * Cron expression checks for the settings, with node-cron loaded only when there is an
 * expression to check: only `run` schedules, and only a settings file that sets a schedule has
 * expressions. Every other command starts without node-cron, one of the heavier modules
 * (docs/design/performance.md, "Start-up").
 *
 * `loadSettings` (asynchronous) imports it before parsing a file that mentions a schedule key;
 * synchronous callers that did not (tests of `parseSettings`) fall back to `require`.
 */
import { createRequire } from 'node:module';

export type CronValidator = typeof import('node-cron').validateDetailed;

/** Keys whose values are cron expressions (see load-settings.ts, `schedule`). */
const CRON_KEYS = /\b(resync|rotationCheck)\b/;

/** Whether settings text may hold a cron expression (a cheap over-approximation). */
export function mentionsCron(text: string): boolean {
  return CRON_KEYS.test(text);
}

export async function loadCronValidator(): Promise<CronValidator> {
  return (await import('node-cron')).validateDetailed;
}

/** node-cron's validator for callers that cannot wait (the CommonJS build, through require). */
export function cronValidatorSync(): CronValidator {
  return (createRequire(import.meta.url)('node-cron') as typeof import('node-cron')).validateDetailed;
}
