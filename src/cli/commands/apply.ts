/**
 * `scw-gitops apply --plan FILE`: execute a plan saved with `plan --output json --out FILE`.
 * The organization is listed again first; if anything the plan depends on changed since, the
 * plan is stale and refused (plan again). Exit status: 0 applied, 1 error, stale plan or failed step.
 */
import { type CommandDeps, parseOrUsage, reportError, UsageError } from '../command.js';
import { runApplySaved } from '../flows.js';
import type { CliIO } from '../io.js';
import { EXIT_OK } from '../io.js';
import { APPLY_OPTIONS, renderOptions } from '../options.js';

export const HELP = `Usage: scw-gitops apply --plan FILE [options]

Apply a saved JSON plan (from 'scw-gitops plan --output json --out FILE'). Refused when the
organization changed since the plan was made. The plan is fixed: the options that shape a plan
belong to plan and reconcile.

Options:
${renderOptions(APPLY_OPTIONS.options)}
Exit status: 0 applied, 1 error, stale plan or failed step.
`;

export async function run(argv: readonly string[], io: CliIO, deps: CommandDeps = {}): Promise<number> {
  try {
    const flags = parseOrUsage(APPLY_OPTIONS, argv);
    if (flags.values.help) {
      io.stdout(HELP);
      return EXIT_OK;
    }
    if (flags.values.plan === undefined) throw new UsageError('missing --plan FILE');
    if (flags.positionals.length > 0) throw new UsageError('apply takes no DIR: the plan is fixed');
    if (flags.values.git !== undefined) throw new UsageError('apply takes no --git: the plan is fixed');
    return await runApplySaved(flags, io, deps);
  } catch (err) {
    return reportError(io, 'apply', err);
  }
}
