/**
 * The flows behind the plan / reconcile / apply commands (see command.ts for the shared pieces).
 *
 * plan and reconcile validate the desired state offline first, before any credential or API is
 * needed: a pull request with a YAML mistake gets its diagnostics (and, with `--out`, its failure
 * report) even where the job has no Scaleway credentials, like a fork's.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import {
  type Display,
  displayDiagnostics,
  displayFor,
  displayPath,
  plural,
  relativizeText,
} from './display.js';
import { type CommandRun, fail, reportingFailures } from './failure-report.js';
import type { CliIO } from './io.js';
import { EXIT_CHANGES, EXIT_ERROR, EXIT_OK } from './io.js';
import { systemClock } from '../clock.js';
import type { Settings } from '../config/settings.js';
import { loadDesiredState } from '../desired/load.js';
import { ParseCache } from '../desired/parse-cache.js';
import type { Plan } from '../model/plan.js';
import { sortKeys } from '../model/sort-keys.js';
import type { FailureReport } from '../render/failure.js';
import { parsePlanJson } from '../render/json.js';
import {
  type CommandDeps,
  commandLogger,
  emitPlan,
  logFormat,
  openRuntime,
  outcomeLines,
  outputFormat,
  type ParsedFlags,
  parseAt,
  parseTargets,
  planOverrides,
  printDiagnostics,
  renderPlan,
  renderSummary,
  resolveDir,
  resolveSettings,
  UsageError,
  useColor,
} from './command.js';
import { narrowPlan, TargetNotInPlanError } from '../planner/targets.js';
import { openCliGitSource, wantsGit } from './git-flag.js';
import {
  applySavedPlan,
  desiredLoadOptions,
  type ReconcileDeps,
  type ReconcileResult,
  reconcileOnce,
} from '../reconciler/reconcile-once.js';

/** Diagnostics of the desired-state load (the plan renders its own). */
function loadDiagnostics(result: ReconcileResult) {
  const inPlan = new Set(result.plan?.diagnostics ?? []);
  return result.diagnostics.filter((d) => !inPlan.has(d));
}

function runLogger(run: CommandRun, deps: CommandDeps) {
  return commandLogger(run.io, deps, run.command, logFormat(run.flags.values['log-format']));
}

async function withRuntime<T>(
  settings: Settings,
  run: CommandRun,
  deps: CommandDeps,
  fn: (rd: ReconcileDeps) => Promise<T>,
  source: { readonly revision?: string | undefined; readonly signer?: string | undefined } = {},
  parseCache?: ParseCache,
): Promise<T> {
  const logger = runLogger(run, deps);
  const runtime = await openRuntime(settings, run.io, deps, logger);
  try {
    return await fn({
      client: runtime.client,
      sinks: runtime.sinks,
      ...(runtime.rulesCache ? { rulesCache: runtime.rulesCache } : {}),
      ...(parseCache ? { parseCache } : {}),
      settings,
      clock: deps.clock ?? systemClock,
      logger,
      ...(source.revision !== undefined ? { revision: source.revision } : {}),
      ...(source.signer !== undefined ? { signer: source.signer } : {}),
    });
  } finally {
    await runtime.close();
  }
}

/**
 * Loads and validates the desired state offline. Invalid: reports the failure (stderr, --out) and
 * returns the exit code; valid: undefined (its warnings are printed by the pass that follows).
 */
async function validateFirst(
  run: CommandRun,
  settings: Settings,
  dir: string,
  display: Display,
  now: Date,
  parseCache: ParseCache,
  gitLabel?: string,
): Promise<number | undefined> {
  const loaded = await loadDesiredState(dir, {
    ...desiredLoadOptions(settings, now),
    signal: run.io.signal,
    parseCache,
  });
  if (loaded.state) return undefined;
  const shown = gitLabel ?? displayPath(run.io.cwd, dir);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
  const config = settings.file !== undefined ? ` --config ${displayPath(run.io.cwd, settings.file)}` : '';
  return fail(run, {
    command: run.label,
    summary: `the desired state in ${shown} is invalid (${plural(errors, 'error')})`,
    consequence: 'Nothing was planned or changed.',
    diagnostics: displayDiagnostics(loaded.diagnostics, display.base, display.cwd),
    ...(gitLabel === undefined
      ? { next: `Check a fix locally with: scw-gitops validate ${shown}${config}` }
      : {}),
  });
}

/** A pass that ended in `error`: a refused plan, or a listing / sink failure before planning. */
async function failedPass(
  run: CommandRun,
  result: ReconcileResult,
  display: Display,
  dryRun: boolean,
): Promise<number> {
  const { io, flags, format } = run;
  const diagnostics = displayDiagnostics(result.diagnostics, display.base, display.cwd);
  const plan = result.plan;
  if (plan === undefined) {
    return fail(
      run,
      {
        command: run.label,
        summary: relativizeText(result.error ?? 'failed', io.cwd),
        consequence: 'Nothing was changed.',
        diagnostics,
        ...(result.terminal === false
          ? { next: 'This is not a problem of the desired state: run the job again.' }
          : {}),
      },
      { diagnosticsShown: true },
    );
  }
  const errors = plan.diagnostics.filter((d) => d.severity === 'error').length;
  // The plan itself, in the human rendering (or JSON, which carries the diagnostics).
  let textShown = false;
  if (format === 'json') {
    await emitPlan(plan, flags.values, io, format, display);
  } else if (format === 'text' || flags.values.out !== undefined) {
    io.stdout(renderPlan(plan, 'text', useColor(flags.values, io), display));
    textShown = true;
  }
  return fail(
    run,
    {
      command: run.label,
      summary: `the plan was refused (${plural(errors, 'error')})`,
      consequence: dryRun ? 'Nothing was changed.' : 'Nothing was applied.',
      diagnostics,
      plan,
    },
    { diagnosticsShown: textShown },
  );
}

/**
 * plan / reconcile: the desired state (DIR, source.dir, or a git repository: --git, source.git),
 * validated offline, then the runtime; `fn` gets the directory, how to show its files and the
 * deps carrying the revision and its signer. An invalid desired state ends here (its report).
 */
async function withDesiredRuntime(
  run: CommandRun,
  settings: Settings,
  deps: CommandDeps,
  now: Date,
  fn: (dir: string, display: Display, rd: ReconcileDeps) => Promise<number>,
): Promise<number> {
  const { flags, io } = run;
  // The files validated here are not parsed again by the pass (docs/design/performance.md).
  const parsed = new ParseCache();
  if (!wantsGit(flags, settings)) {
    const dir = resolveDir(flags.positionals, settings, io);
    const display = await displayFor(dir, io.cwd);
    const invalid = await validateFirst(run, settings, dir, display, now, parsed);
    if (invalid !== undefined) return invalid;
    return withRuntime(settings, run, deps, (rd) => fn(dir, display, rd), {}, parsed);
  }
  const source = await openCliGitSource(flags, settings, io, {
    logger: runLogger(run, deps),
    clock: deps.clock ?? systemClock,
  });
  try {
    // The checkout is a temporary directory: its files are named from the desired-state path.
    const display = await displayFor(source.dir, source.dir);
    const label = flags.values.git ?? settings.source.git?.url ?? 'the git repository';
    const invalid = await validateFirst(run, settings, source.dir, display, now, parsed, label);
    if (invalid !== undefined) return invalid;
    return await withRuntime(settings, run, deps, (rd) => fn(source.dir, display, rd), source, parsed);
  } finally {
    await source.cleanup();
  }
}

/** plan / reconcile --dry-run: 0 no changes, 2 changes pending, 1 error. */
export async function runDryRun(
  command: 'plan' | 'reconcile',
  flags: ParsedFlags,
  io: CliIO,
  deps: CommandDeps,
): Promise<number> {
  const format = outputFormat(flags.values.output);
  const at = parseAt(flags.values.at);
  const planOptions = planOverrides(flags.values);
  logFormat(flags.values['log-format']);
  const run: CommandRun = {
    command,
    label: command === 'plan' ? 'plan' : 'reconcile --dry-run',
    flags,
    io,
    format,
  };
  return reportingFailures(run, async () => {
    const settings = await resolveSettings(flags.values, io);
    const now = at ?? (deps.clock ?? systemClock).now();
    return withDesiredRuntime(run, settings, deps, now, async (dir, display, rd) => {
      const result = await reconcileOnce(rd, {
        dir,
        dryRun: true,
        planOptions,
        ...(at ? { now: at } : {}),
        signal: io.signal,
        liveFingerprint: format === 'json', // the saved-plan format carries it
      });
      printDiagnostics(io, loadDiagnostics(result), display);
      if (result.kind === 'error') return failedPass(run, result, display, true);
      if (result.plan) await emitPlan(result.plan, flags.values, io, format, display);
      return result.kind === 'no-changes' ? EXIT_OK : EXIT_CHANGES;
    });
  });
}

/** The plan and the outcome of each step; a failure report when something failed. */
async function printApplied(
  run: CommandRun,
  result: ReconcileResult,
  display: Display | undefined,
): Promise<number> {
  const { io, flags, format } = run;
  if (format === 'json') {
    io.stdout(
      `${JSON.stringify(sortKeys({ kind: result.kind, plan: result.plan, summary: result.summary, error: result.error }), null, 2)}\n`,
    );
  } else if (result.plan) {
    io.stdout(renderPlan(result.plan, 'text', useColor(flags.values, io), display));
    if (result.summary)
      io.stdout(`\n${relativizeText(renderSummary(result.summary, result.plan as Plan), io.cwd)}`);
  }
  if (result.kind === 'applied' || result.kind === 'no-changes') return EXIT_OK;
  const report: FailureReport = {
    command: run.label,
    summary: relativizeText(result.error ?? result.kind, io.cwd),
    consequence: result.summary?.outcomes.some((o) => o.result !== 'failed' && o.result !== 'skipped')
      ? 'Some steps were applied (below); the failed and skipped ones are planned again on the next run.'
      : 'Nothing was applied.',
    diagnostics: display
      ? displayDiagnostics(result.diagnostics, display.base, display.cwd)
      : result.diagnostics,
    ...(result.plan ? { plan: result.plan } : {}),
    ...(result.summary && result.plan
      ? { outcomes: outcomeLines(result.summary, result.plan).map((l) => relativizeText(l, io.cwd)) }
      : {}),
  };
  return fail(run, report, { diagnosticsShown: true });
}

/** reconcile (apply): 0 applied / nothing to do, 1 otherwise. */
export async function runReconcile(flags: ParsedFlags, io: CliIO, deps: CommandDeps): Promise<number> {
  const format = outputFormat(flags.values.output);
  const planOptions = planOverrides(flags.values);
  logFormat(flags.values['log-format']);
  const run: CommandRun = { command: 'reconcile', label: 'reconcile', flags, io, format };
  return reportingFailures(run, async () => {
    const settings = await resolveSettings(flags.values, io);
    const now = (deps.clock ?? systemClock).now();
    return withDesiredRuntime(run, settings, deps, now, async (dir, display, rd) => {
      const result = await reconcileOnce(rd, {
        dir,
        dryRun: false,
        planOptions,
        signal: io.signal,
        liveFingerprint: format === 'json',
      });
      printDiagnostics(io, loadDiagnostics(result), display);
      if (result.kind === 'error' && format !== 'json') return failedPass(run, result, display, false);
      // --out gets the plan rendering when it worked; a failure report (printApplied) when not.
      const ok = result.kind === 'applied' || result.kind === 'no-changes';
      if (result.plan && flags.values.out !== undefined && (ok || format === 'json')) {
        const file = isAbsolute(flags.values.out) ? flags.values.out : resolve(io.cwd, flags.values.out);
        await writeFile(file, renderPlan(result.plan, format, false, display));
      }
      return printApplied(run, result, display);
    });
  });
}

/** apply --plan FILE. */
export async function runApplySaved(flags: ParsedFlags, io: CliIO, deps: CommandDeps): Promise<number> {
  const format = outputFormat(flags.values.output, ['text', 'json']);
  logFormat(flags.values['log-format']);
  const run: CommandRun = { command: 'apply', label: 'apply', flags, io, format };
  const file = flags.values.plan!;
  const path = isAbsolute(file) ? file : resolve(io.cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    io.stderr(`scw-gitops apply: cannot read ${displayPath(io.cwd, path)}${code ? ` (${code})` : ''}\n`);
    return EXIT_ERROR;
  }
  const targets = parseTargets(flags.values.target);
  return reportingFailures(run, async () => {
    const saved = parsePlanJson(text, displayPath(io.cwd, path));
    let plan = saved;
    if (targets) {
      try {
        plan = narrowPlan(saved, targets);
      } catch (err) {
        if (err instanceof TargetNotInPlanError) throw new UsageError(err.message);
        throw err;
      }
    }
    const settings = await resolveSettings(flags.values, io);
    return withRuntime(settings, run, deps, async (rd) => {
      const result = await applySavedPlan(plan, rd, { signal: io.signal });
      return printApplied(run, result, undefined);
    });
  });
}
