/**
 * The flows behind the plan / reconcile / apply commands (see command.ts for the shared pieces).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { CliIO } from '../cli/io.js';
import { EXIT_CHANGES, EXIT_ERROR, EXIT_OK } from '../cli/io.js';
import { systemClock } from '../clock.js';
import type { Settings } from '../config/settings.js';
import type { Plan } from '../model/plan.js';
import { parsePlanJson } from '../render/json.js';
import { renderPlanText } from '../render/text.js';
import {
  type CommandDeps,
  commandLogger,
  emitPlan,
  openRuntime,
  outputFormat,
  type ParsedFlags,
  parseAt,
  planOverrides,
  printDiagnostics,
  renderPlan,
  renderSummary,
  resolveDir,
  resolveSettings,
  useColor,
} from './command.js';
import { openCliGitSource, wantsGit } from './git-flag.js';
import { applySavedPlan, type ReconcileDeps, type ReconcileResult, reconcileOnce } from './reconcile-once.js';

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Diagnostics of the desired-state load (the plan renders its own). */
function loadDiagnostics(result: ReconcileResult) {
  const inPlan = new Set(result.plan?.diagnostics ?? []);
  return result.diagnostics.filter((d) => !inPlan.has(d));
}

async function withRuntime<T>(
  settings: Settings,
  io: CliIO,
  deps: CommandDeps,
  fn: (rd: ReconcileDeps) => Promise<T>,
  source: { readonly revision?: string | undefined; readonly signer?: string | undefined } = {},
): Promise<T> {
  const logger = commandLogger(io, deps);
  const runtime = await openRuntime(settings, io, deps, logger);
  try {
    return await fn({
      client: runtime.client,
      sinks: runtime.sinks,
      ...(runtime.rulesCache ? { rulesCache: runtime.rulesCache } : {}),
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
 * plan / reconcile: the desired state (DIR, source.dir, or a git repository: --git, source.git)
 * and the runtime; `fn` gets the directory and the deps carrying the revision and its signer.
 */
async function withDesiredRuntime<T>(
  flags: ParsedFlags,
  settings: Settings,
  io: CliIO,
  deps: CommandDeps,
  fn: (dir: string, rd: ReconcileDeps) => Promise<T>,
): Promise<T> {
  if (!wantsGit(flags, settings)) {
    const dir = resolveDir(flags.positionals, settings, io);
    return withRuntime(settings, io, deps, (rd) => fn(dir, rd));
  }
  const source = await openCliGitSource(flags, settings, io, {
    logger: commandLogger(io, deps),
    clock: deps.clock ?? systemClock,
  });
  try {
    return await withRuntime(settings, io, deps, (rd) => fn(source.dir, rd), source);
  } finally {
    await source.cleanup();
  }
}

/** plan / reconcile --dry-run: 0 no changes, 2 changes pending, 1 error. */
export async function runDryRun(
  command: string,
  flags: ParsedFlags,
  io: CliIO,
  deps: CommandDeps,
): Promise<number> {
  const format = outputFormat(flags.values.output);
  const at = parseAt(flags.values.at);
  const planOptions = planOverrides(flags.values);
  const settings = await resolveSettings(flags.values, io);
  return withDesiredRuntime(flags, settings, io, deps, async (dir, rd) => {
    const result = await reconcileOnce(rd, {
      dir,
      dryRun: true,
      planOptions,
      ...(at ? { now: at } : {}),
      signal: io.signal,
    });
    printDiagnostics(io, loadDiagnostics(result));
    if (result.plan) await emitPlan(result.plan, flags.values, io, format);
    if (result.kind === 'error') {
      io.stderr(`scw-gitops ${command}: ${result.error ?? 'failed'}\n`);
      return EXIT_ERROR;
    }
    return result.kind === 'no-changes' ? EXIT_OK : EXIT_CHANGES;
  });
}

function printApplied(result: ReconcileResult, flags: ParsedFlags, io: CliIO): number {
  const format = outputFormat(flags.values.output);
  if (format === 'json') {
    io.stdout(
      `${JSON.stringify(sortKeys({ kind: result.kind, plan: result.plan, summary: result.summary, error: result.error }), null, 2)}\n`,
    );
  } else if (result.plan) {
    io.stdout(renderPlanText(result.plan, { color: useColor(flags.values, io) }));
    if (result.summary) io.stdout(`\n${renderSummary(result.summary, result.plan as Plan)}`);
  }
  if (result.kind === 'applied' || result.kind === 'no-changes') return EXIT_OK;
  io.stderr(`scw-gitops: ${result.error ?? result.kind}\n`);
  return EXIT_ERROR;
}

/** reconcile (apply): 0 applied / nothing to do, 1 otherwise. */
export async function runReconcile(flags: ParsedFlags, io: CliIO, deps: CommandDeps): Promise<number> {
  const format = outputFormat(flags.values.output);
  const planOptions = planOverrides(flags.values);
  const settings = await resolveSettings(flags.values, io);
  return withDesiredRuntime(flags, settings, io, deps, async (dir, rd) => {
    const result = await reconcileOnce(rd, { dir, dryRun: false, planOptions, signal: io.signal });
    printDiagnostics(io, loadDiagnostics(result));
    if (result.plan && flags.values.out !== undefined) {
      const file = isAbsolute(flags.values.out) ? flags.values.out : resolve(io.cwd, flags.values.out);
      await writeFile(file, renderPlan(result.plan, format, false));
    }
    return printApplied(result, flags, io);
  });
}

/** apply --plan FILE. */
export async function runApplySaved(flags: ParsedFlags, io: CliIO, deps: CommandDeps): Promise<number> {
  outputFormat(flags.values.output);
  const file = flags.values.plan!;
  const path = isAbsolute(file) ? file : resolve(io.cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    io.stderr(`scw-gitops apply: cannot read ${file}${code ? ` (${code})` : ''}\n`);
    return EXIT_ERROR;
  }
  const plan = parsePlanJson(text, file);
  const settings = await resolveSettings(flags.values, io);
  return withRuntime(settings, io, deps, async (rd) => {
    const result = await applySavedPlan(plan, rd, { signal: io.signal });
    return printApplied(result, flags, io);
  });
}
