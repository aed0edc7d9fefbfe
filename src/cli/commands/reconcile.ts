/**
 * `scw-gitops reconcile DIR`: plan and apply in one pass (`--dry-run`: plan only, the CI mode).
 * Exit status: --dry-run: 0 no changes, 2 changes pending, 1 error; otherwise 0 when everything
 * was applied (or nothing had to be), 1 on any error or failed step.
 */
import { type CommandDeps, parseOrUsage, reportError, UsageError } from '../command.js';
import { runDryRun, runReconcile } from '../flows.js';
import type { CliIO } from '../io.js';
import { EXIT_OK } from '../io.js';
import { RECONCILE_OPTIONS, renderOptions } from '../options.js';

export const HELP = `Usage: scw-gitops reconcile [DIR] [options]

One reconciliation pass: load and validate the desired state, list the organization, plan, and
apply. New API key secrets are delivered to their sinks before a step counts as done.

Options:
${renderOptions(RECONCILE_OPTIONS.options)}
Output: the plan and each step's outcome on stdout; diagnostics, errors and log lines on stderr,
as readable text.
Exit status: 0 applied or nothing to do, 1 error or failed step (--dry-run: see above).
`;

export async function run(argv: readonly string[], io: CliIO, deps: CommandDeps = {}): Promise<number> {
  try {
    const flags = parseOrUsage(RECONCILE_OPTIONS, argv);
    if (flags.values.help) {
      io.stdout(HELP);
      return EXIT_OK;
    }
    if (flags.values['dry-run']) return await runDryRun('reconcile', flags, io, deps);
    if (flags.values.at !== undefined) throw new UsageError('--at only works with --dry-run');
    return await runReconcile(flags, io, deps);
  } catch (err) {
    return reportError(io, 'reconcile', err);
  }
}
