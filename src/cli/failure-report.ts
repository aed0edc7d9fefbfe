/**
 * Failure reports of the plan, reconcile and apply commands: once the command line is understood,
 * any failure (settings, invalid desired state, refused plan, API or sink error, failed apply
 * steps) prints one `scw-gitops <command>: <summary>` line on stderr and, with `--out FILE` and a
 * text or markdown output, writes the report there (src/render/failure.ts): what CI posts as the
 * pull-request comment, so a failing change still gets one.
 */
import { writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { formatDiagnosticLines } from '../model/diagnostics.js';
import { type OutputFormat, type ParsedFlags, UsageError } from './command.js';
import { type FailureReport, renderFailureMarkdown, renderFailureText } from '../render/failure.js';
import { displayDiagnostics, displayPath, errorLine } from './display.js';
import { type CliIO, EXIT_ERROR } from './io.js';

/** A command run, as the failure report needs it. */
export interface CommandRun {
  /** `plan`, `reconcile`, `apply`: the stderr prefix. */
  readonly command: string;
  /** The verb as typed, for the report title (`reconcile --dry-run`). */
  readonly label: string;
  readonly flags: ParsedFlags;
  readonly io: CliIO;
  readonly format: OutputFormat;
}

/**
 * Reports a failure: `scw-gitops <command>: <summary>` on stderr (after the diagnostics, unless the
 * plan rendering on stdout already listed them), and the report to `--out FILE` (text or markdown
 * output) or, for markdown without --out, to stdout. Returns the exit code (1).
 */
export async function fail(
  run: CommandRun,
  report: FailureReport,
  opts: { readonly diagnosticsShown?: boolean; readonly planOnStdout?: boolean } = {},
): Promise<number> {
  const { io, flags, format } = run;
  if (!opts.diagnosticsShown) {
    for (const d of report.diagnostics) for (const line of formatDiagnosticLines(d)) io.stderr(`${line}\n`);
  }
  io.stderr(`scw-gitops ${run.command}: ${report.summary}\n`);
  const out = flags.values.out;
  if (out !== undefined && format !== 'json') {
    const file = isAbsolute(out) ? out : resolve(io.cwd, out);
    const body = format === 'markdown' ? renderFailureMarkdown(report) : renderFailureText(report);
    try {
      await writeFile(file, body, { mode: 0o644 });
      io.stderr(`scw-gitops ${run.command}: wrote the failure report to ${displayPath(io.cwd, file)}\n`);
    } catch (err) {
      io.stderr(
        `scw-gitops ${run.command}: cannot write ${displayPath(io.cwd, file)}: ${errorLine(err, io.cwd)}\n`,
      );
    }
  } else if (format === 'markdown' && !opts.planOnStdout) {
    io.stdout(renderFailureMarkdown(report));
  }
  return EXIT_ERROR;
}

/** A failure thrown before or outside a pass (settings, credentials, runtime), as a report. */
export function thrownFailure(run: CommandRun, err: unknown): FailureReport {
  const diagnostics =
    err instanceof ConfigError ? displayDiagnostics(err.diagnostics, run.io.cwd, run.io.cwd) : [];
  return {
    command: run.label,
    summary: errorLine(err, run.io.cwd),
    consequence: 'Nothing was planned or changed.',
    diagnostics,
  };
}

/**
 * Runs a command body; an error it throws after the command line was understood becomes a
 * failure report (usage errors, like a missing DIR, included). Aborts (SIGINT/SIGTERM) propagate.
 */
export async function reportingFailures(run: CommandRun, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (run.io.signal.aborted) throw err;
    if (err instanceof UsageError) {
      await fail(run, thrownFailure(run, err));
      run.io.stderr(`\nRun 'scw-gitops ${run.command} --help' for usage.\n`);
      return EXIT_ERROR;
    }
    return fail(run, thrownFailure(run, err));
  }
}
