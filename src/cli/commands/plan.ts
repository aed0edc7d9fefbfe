/**
 * `scw-gitops plan DIR`: compute the plan (desired vs live) and print it. Never changes anything.
 * Exit status: 0 no changes, 2 changes pending, 1 error (invalid input, refused plan, API error).
 */
import {
  SOURCE_HELP,
  type CommandDeps,
  parseOrUsage,
  reportError,
  UsageError,
} from '../../reconciler/command.js';
import { runDryRun } from '../../reconciler/cli-flows.js';
import type { CliIO } from '../io.js';
import { EXIT_OK } from '../io.js';

export const HELP = `Usage: scw-gitops plan [DIR] [options]

Compare the desired state in DIR (default: the settings' source.dir) with the live Scaleway
organization and print what reconcile would do. Read-only.

Options:
${SOURCE_HELP}
Exit status: 0 no changes, 2 changes pending, 1 error.
`;

export async function run(argv: readonly string[], io: CliIO, deps: CommandDeps = {}): Promise<number> {
  try {
    const flags = parseOrUsage(argv);
    if (flags.values.help) {
      io.stdout(HELP);
      return EXIT_OK;
    }
    if (flags.values['dry-run']) throw new UsageError('--dry-run is implied by plan');
    if (flags.values.plan !== undefined) throw new UsageError('--plan belongs to apply');
    return await runDryRun('plan', flags, io, deps);
  } catch (err) {
    return reportError(io, 'plan', err);
  }
}
