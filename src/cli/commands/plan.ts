/**
 * `scw-gitops plan DIR`: compute the plan (desired vs live) and print it. Never changes anything.
 * Exit status: 0 no changes, 2 changes pending, 1 error (invalid input, refused plan, API error).
 */
import { type CommandDeps, parseOrUsage, reportError } from '../command.js';
import { runDryRun } from '../flows.js';
import type { CliIO } from '../io.js';
import { EXIT_OK } from '../io.js';
import { PLAN_COMMAND_OPTIONS, renderOptions } from '../options.js';

export const HELP = `Usage: scw-gitops plan [DIR] [options]

Compare the desired state in DIR (default: the settings' source.dir) with the live Scaleway
organization and print what reconcile would do. Read-only. The desired state is validated
first, offline: its mistakes are reported even without credentials.

Options:
${renderOptions(PLAN_COMMAND_OPTIONS.options)}
Output: the plan on stdout; diagnostics, errors and log lines on stderr, as readable text.
Exit status: 0 no changes, 2 changes pending, 1 error.
`;

export async function run(argv: readonly string[], io: CliIO, deps: CommandDeps = {}): Promise<number> {
  try {
    const flags = parseOrUsage(PLAN_COMMAND_OPTIONS, argv);
    if (flags.values.help) {
      io.stdout(HELP);
      return EXIT_OK;
    }
    return await runDryRun('plan', flags, io, deps);
  } catch (err) {
    return reportError(io, 'plan', err);
  }
}
