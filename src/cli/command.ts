/**
 * What the `plan`, `reconcile` and `apply` commands share: flag parsing, settings and runtime
 * (client + sinks), plan options from flags, rendering, and error reporting. Each command file
 * in src/cli/commands is a thin wrapper over this.
 *
 * Settings: `--config FILE` (H8's loadSettings), else the built-in defaults with Scaleway
 * credentials from the environment / scw profile. The desired-state directory is the positional
 * DIR, else the settings' `source.dir`.
 *
 * Output, one style per stream:
 *   - stdout: the plan rendering (or `--out FILE`, then stdout gets the text rendering and a note);
 *   - stderr: everything else, human-readable whether or not it is a terminal: diagnostics
 *     (`file:line:col: error [code] …`), the failure line (`scw-gitops plan: …`) and log lines in
 *     the same shape (src/logging/text-lines.ts; `--log-format json` for pino JSON instead; level
 *     warn unless SCW_GITOPS_LOG_LEVEL);
 *   - paths relative to the working directory when inside it, absolute otherwise (display.ts).
 * Colour only on a TTY without --no-color / NO_COLOR.
 *
 * Failures: once the command line is understood, any failure (settings, invalid desired state,
 * refused plan, API or sink error, failed apply steps) is also written as a report to `--out FILE`
 * when the output is text or markdown (src/render/failure.ts): what CI posts as the comment.
 */
import { writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import { createRuntime, type Runtime } from '../app/runtime.js';
import { type Display, displayDiagnostics, displayPath, displayPlan, errorLine } from './display.js';
import type { CliIO } from './io.js';
import { EXIT_ERROR } from './io.js';
import {
  type APPLY_OPTIONS,
  type CommandOptions,
  type OptionValues,
  parseCommandLine,
  type RECONCILE_OPTIONS,
} from './options.js';
import { type Clock, systemClock } from '../clock.js';
import { loadSettings } from '../config/load-settings.js';
import type { Settings } from '../config/settings.js';
import { assertSinksOutside } from '../config/source-dir.js';
import { parseDuration } from '../model/duration.js';
import { AppError, ConfigError } from '../errors.js';
import { createLogger } from '../logging/logger.js';
import { formatTextLogLine } from '../logging/text-lines.js';
import { type Diagnostic, formatDiagnosticLines } from '../model/diagnostics.js';
import { INSTANCE_PATTERN } from '../model/ownership.js';
import type { ApplySummary, Plan } from '../model/plan.js';
import { type Address, address, KINDS, type Kind } from '../model/resources.js';
import type { PlanOptions } from '../planner/options.js';
import { renderPlanJson } from '../render/json.js';
import { renderPlanMarkdown } from '../render/markdown.js';
import { renderPlanText } from '../render/text.js';

export type OutputFormat = 'text' | 'json' | 'markdown';

/** Test seams: a clock and a logger; everything else comes from CliIO. */
export interface CommandDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Home directory for the scw config file. */
  readonly homeDir?: string;
}

/** Every flag plan, reconcile or apply may have (each parses with its own table). */
type AllFlags = OptionValues<[...typeof RECONCILE_OPTIONS.options, ...typeof APPLY_OPTIONS.options]>;

export interface ParsedFlags {
  readonly values: AllFlags;
  readonly positionals: string[];
}

export class UsageError extends AppError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** Parses with the command's own table (src/cli/options.ts): other commands' flags are refused. */
export function parseOrUsage(table: CommandOptions, argv: readonly string[]): ParsedFlags {
  try {
    const { values, positionals } = parseCommandLine(table, argv);
    return { values: values as AllFlags, positionals };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function outputFormat(
  v: string | undefined,
  allowed: readonly OutputFormat[] = ['text', 'json', 'markdown'],
): OutputFormat {
  const o = v ?? 'text';
  if (!(allowed as readonly string[]).includes(o)) {
    const list =
      allowed.length === 2 ? allowed.join(' or ') : `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}`;
    throw new UsageError(`--output must be ${list}, got ${JSON.stringify(o)}`);
  }
  return o as OutputFormat;
}

export type LogFormat = 'text' | 'json';

export function logFormat(v: string | undefined): LogFormat {
  const f = v ?? 'text';
  if (f !== 'text' && f !== 'json')
    throw new UsageError(`--log-format must be text or json, got ${JSON.stringify(f)}`);
  return f;
}

function positiveInt(flag: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} must be a whole number, got ${JSON.stringify(v)}`);
  return Number.parseInt(v, 10);
}

/**
 * `--target Kind/name` values as addresses. The kind is matched case-insensitively; the name is
 * everything after the first `/` (IAM names may hold spaces: quote the argument).
 */
export function parseTargets(values: readonly string[] | undefined): Address[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return values.map((v) => {
    const slash = v.indexOf('/');
    const kind =
      slash > 0 ? KINDS.find((k) => k.toLowerCase() === v.slice(0, slash).toLowerCase()) : undefined;
    const name = v.slice(slash + 1);
    if (slash <= 0 || name === '') {
      throw new UsageError(`--target must be KIND/NAME (e.g. Application/ci), got ${JSON.stringify(v)}`);
    }
    if (!kind) {
      throw new UsageError(
        `--target ${JSON.stringify(v)}: unknown kind ${JSON.stringify(v.slice(0, slash))} (one of ${KINDS.join(', ')})`,
      );
    }
    return address(kind, name);
  });
}

/** Plan-option overrides from the flags (settings give the rest). */
export function planOverrides(values: ParsedFlags['values']): Partial<PlanOptions> {
  const o: { -readonly [K in keyof PlanOptions]?: PlanOptions[K] } = {};
  if (values['allow-mass-delete']) o.allowMassDelete = true;
  if (values['max-deletes'] !== undefined) o.maxDeletes = positiveInt('--max-deletes', values['max-deletes']);
  if (values['max-delete-percent'] !== undefined) {
    const p = positiveInt('--max-delete-percent', values['max-delete-percent']);
    if (p > 100) throw new UsageError('--max-delete-percent must be between 0 and 100');
    o.maxDeletePercent = p;
  }
  if (values['no-prune'] && values['prune-kinds'] !== undefined) {
    throw new UsageError('--no-prune and --prune-kinds cannot be combined');
  }
  if (values['no-prune']) {
    o.prune = { Project: false, Application: false, Group: false, Policy: false, ApiKey: false };
  }
  if (values['prune-kinds'] !== undefined) {
    const kinds = values['prune-kinds']
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean);
    const prune: Record<Kind, boolean> = {
      Project: false,
      Application: false,
      Group: false,
      Policy: false,
      ApiKey: false,
    };
    for (const k of kinds) {
      const kind = KINDS.find((x) => x.toLowerCase() === k.toLowerCase());
      if (!kind)
        throw new UsageError(`--prune-kinds: unknown kind ${JSON.stringify(k)} (one of ${KINDS.join(', ')})`);
      prune[kind] = true;
    }
    o.prune = prune;
  }
  if (values.adopt) o.adoptAll = true;
  const targets = parseTargets(values.target);
  if (targets) o.targets = targets;
  if (values.within !== undefined) {
    const ms = parseDuration(values.within);
    if (ms === undefined)
      throw new UsageError(`--within: not a duration: ${JSON.stringify(values.within)} (e.g. 30d, 12h)`);
    o.withinMs = ms;
  }
  return o;
}

export function parseAt(v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(v)) {
    throw new UsageError(`--at: not an RFC 3339 time: ${JSON.stringify(v)}`);
  }
  return d;
}

export async function resolveSettings(values: ParsedFlags['values'], io: CliIO): Promise<Settings> {
  let settings = await loadSettings(values.config, { env: io.env, cwd: io.cwd });
  if (values.instance !== undefined) {
    if (!INSTANCE_PATTERN.test(values.instance)) {
      throw new UsageError(`--instance: '${values.instance}' must be 1-32 characters of [a-z0-9-]`);
    }
    settings = { ...settings, instance: values.instance };
  }
  const cacheDir = values['cache-dir'];
  if (cacheDir !== undefined) settings = { ...settings, cacheDir: resolve(io.cwd, cacheDir) };
  return settings;
}

/**
 * The desired-state directory: DIR argument (relative to cwd), else the settings' source.dir.
 * Throws ConfigError when a file sink writes inside it (src/config/source-dir.ts).
 */
export function resolveDir(positionals: readonly string[], settings: Settings, io: CliIO): string {
  if (positionals.length > 1) throw new UsageError(`expected one DIR, got ${positionals.length}`);
  const arg = positionals[0];
  let dir: string;
  if (arg !== undefined) dir = isAbsolute(arg) ? arg : resolve(io.cwd, arg);
  else if (settings.file === undefined) throw new UsageError('missing DIR (or --config with source.dir)');
  else if (settings.source.dir === undefined)
    throw new UsageError(`missing DIR (the settings file ${settings.file} has no source.dir)`);
  else dir = settings.source.dir;
  assertSinksOutside(settings, dir, arg !== undefined ? 'DIR' : 'source.dir');
  return dir;
}

/** The logger of a one-shot command: stderr, readable text (default) or pino JSON. */
export function commandLogger(io: CliIO, deps: CommandDeps, command: string, format: LogFormat): Logger {
  if (deps.logger) return deps.logger;
  return createLogger({
    level: io.env['SCW_GITOPS_LOG_LEVEL'] ?? 'warn',
    destination: {
      write: (line: string) => {
        const text = format === 'json' ? line : formatTextLogLine(line, command);
        if (text !== '') io.stderr(text);
      },
    },
    base: { service: 'scw-gitops' },
  });
}

export async function openRuntime(
  settings: Settings,
  io: CliIO,
  deps: CommandDeps,
  logger: Logger,
): Promise<Runtime> {
  return createRuntime(settings, {
    env: io.env,
    logger,
    clock: deps.clock ?? systemClock,
    ...(deps.homeDir !== undefined ? { homeDir: deps.homeDir } : {}),
  });
}

export function useColor(values: ParsedFlags['values'], io: CliIO): boolean {
  return io.isTTY && !values['no-color'] && io.env['NO_COLOR'] === undefined;
}

/** The rendering of a plan; text and Markdown show paths in the display style, JSON as saved. */
export function renderPlan(plan: Plan, format: OutputFormat, color: boolean, display?: Display): string {
  const shown = display && format !== 'json' ? displayPlan(plan, display.base, display.cwd) : plan;
  switch (format) {
    case 'json':
      return renderPlanJson(plan);
    case 'markdown':
      return renderPlanMarkdown(shown);
    case 'text':
      return renderPlanText(shown, { color });
  }
}

function outPath(out: string, io: CliIO): string {
  return isAbsolute(out) ? out : resolve(io.cwd, out);
}

/** Write the rendering (stdout, or --out FILE plus the text rendering on stdout). */
export async function emitPlan(
  plan: Plan,
  values: ParsedFlags['values'],
  io: CliIO,
  format: OutputFormat,
  display: Display,
): Promise<void> {
  const color = useColor(values, io);
  if (values.out !== undefined) {
    await writeFile(outPath(values.out, io), renderPlan(plan, format, false, display), { mode: 0o644 });
    io.stdout(renderPlan(plan, 'text', color, display));
    const shown = displayPath(io.cwd, outPath(values.out, io));
    io.stdout(
      `\nSaved the ${format} plan to ${shown}${format === 'json' ? ` (apply it with: scw-gitops apply --plan ${shown})` : ''}\n`,
    );
    return;
  }
  io.stdout(renderPlan(plan, format, color, display));
}

/** Diagnostics on stderr, one per line (details indented under it), paths in the display style. */
export function printDiagnostics(io: CliIO, diags: readonly Diagnostic[], display: Display): void {
  for (const d of displayDiagnostics(diags, display.base, display.cwd)) {
    for (const line of formatDiagnosticLines(d)) io.stderr(`${line}\n`);
  }
}

/** Outcome lines after an apply, in plan order. */
export function outcomeLines(summary: ApplySummary, plan: Plan): string[] {
  const byId = new Map(summary.outcomes.map((o) => [o.stepId, o]));
  const lines: string[] = [];
  for (const step of plan.steps) {
    const o = byId.get(step.id);
    if (!o) continue;
    const extra = o.accessKey ? ` (${o.accessKey})` : '';
    lines.push(`${step.address}: ${o.result}${extra}${o.error ? `: ${o.error}` : ''}`);
  }
  return lines;
}

/** Outcome lines and the totals line after an apply. */
export function renderSummary(summary: ApplySummary, plan: Plan): string {
  const lines = outcomeLines(summary, plan);
  const c = summary.counts;
  const totals = `${c.created} created, ${c.updated} updated, ${c.replaced} replaced, ${c.deleted} deleted, ${c.adopted} adopted`;
  lines.push('');
  lines.push(
    summary.ok
      ? `Apply complete! ${totals}.`
      : `Apply incomplete: ${totals}; ${c.failed} failed, ${c.skipped} skipped.`,
  );
  return `${lines.join('\n')}\n`;
}

/** One clear stderr message for any error; ConfigError diagnostics one per line. */
export function reportError(io: CliIO, command: string, err: unknown): number {
  if (err instanceof UsageError) {
    io.stderr(`scw-gitops ${command}: ${err.message}\n\nRun 'scw-gitops ${command} --help' for usage.\n`);
    return EXIT_ERROR;
  }
  if (err instanceof ConfigError) {
    io.stderr(`scw-gitops ${command}: ${errorLine(err, io.cwd)}\n`);
    printDiagnostics(io, err.diagnostics, { cwd: io.cwd, base: io.cwd });
    return EXIT_ERROR;
  }
  io.stderr(`scw-gitops ${command}: ${errorLine(err, io.cwd)}\n`);
  return EXIT_ERROR;
}
