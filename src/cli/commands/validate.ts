/**
 * `scw-gitops validate DIR`: load and validate a desired-state directory (or one file), offline
 * and without credentials. Prints every diagnostic as
 * `file:line:col: error [code] Kind/name spec.field: message (hint)` and a summary line.
 * Exit 0 when valid (warnings allowed), 1 when invalid or on a usage error.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Settings } from '../../config/settings.js';
import { sinksInSource } from '../../config/source-dir.js';
import { loadDesiredState } from '../../desired/load.js';
import { type Diagnostic, formatDiagnosticLines } from '../../model/diagnostics.js';
import type { SinkLayout } from '../../model/sink-location.js';
import { DEFAULT_INSTANCE } from '../../model/ownership.js';
import { KINDS } from '../../model/resources.js';
import { type CliIO, EXIT_ERROR, EXIT_OK } from '../io.js';
import { desiredBase, displayDiagnostics, displayPath, plural, relativizeText } from '../display.js';
import { parseCommandLine, renderOptions, VALIDATE_OPTIONS } from '../options.js';

export const HELP = `Usage: scw-gitops validate [DIR] [options]

Validate a desired-state directory (every .yaml/.yml file below it) or a single file.
Offline: no credentials and no API call. Every problem is reported at once.

Options:
${renderOptions(VALIDATE_OPTIONS.options)}
Exit status: 0 valid (warnings allowed), 1 invalid or usage error.
`;

function usageError(io: CliIO, message: string): number {
  io.stderr(`scw-gitops validate: ${message}\n\nRun 'scw-gitops validate --help' for usage.\n`);
  return EXIT_ERROR;
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    return usageError(io, err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(HELP);
    return EXIT_OK;
  }
  if (positionals.length > 1) return usageError(io, `expected one DIR, got ${positionals.length}`);
  if (positionals.length === 0 && values.config === undefined) {
    return usageError(io, 'missing DIR (or --config)');
  }
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') {
    return usageError(io, `--output must be text or json, got ${JSON.stringify(output)}`);
  }
  let now = new Date();
  if (values.now !== undefined) {
    now = new Date(values.now);
    if (Number.isNaN(now.getTime()))
      return usageError(io, `--now: not a date: ${JSON.stringify(values.now)}`);
  }
  let sinkNames =
    values.sinks === undefined
      ? undefined
      : values.sinks
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
  let instance = values.instance;
  let defaultSink = values['default-sink'];
  let sinkLayouts: readonly SinkLayout[] | undefined;
  let arg = positionals[0];
  let maxFileBytes: number | undefined;
  let settingsFile: Settings | undefined;
  if (values.config !== undefined) {
    // Settings only name where secrets come from (env vars, files); reading them needs none.
    const { loadSettings } = await import('../../config/load-settings.js');
    const { ConfigError } = await import('../../errors.js');
    try {
      const settings = await loadSettings(values.config, { env: io.env, cwd: io.cwd });
      instance ??= settings.instance;
      sinkNames ??= settings.sinks.map((x) => x.name);
      defaultSink ??= settings.defaults.sink;
      sinkLayouts = settings.sinks;
      maxFileBytes = settings.source.maxFileBytes;
      settingsFile = settings;
      if (settings.source.dir !== undefined) arg ??= settings.source.dir;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      io.stderr(`scw-gitops validate: ${relativizeText(err.message.split('\n')[0] ?? '', io.cwd)}\n`);
      for (const d of displayDiagnostics(err.diagnostics, io.cwd, io.cwd)) {
        for (const line of formatDiagnosticLines(d)) io.stderr(`${line}\n`);
      }
      return EXIT_ERROR;
    }
  }
  if (arg === undefined) {
    return usageError(io, settingsFile ? 'missing DIR (the settings file has no source.dir)' : 'missing DIR');
  }
  const root = isAbsolute(arg) ? arg : resolve(io.cwd, arg);
  // Paths as the user can open them: relative to the working directory when inside it.
  const shownRoot = displayPath(io.cwd, root);
  const result = await loadDesiredState(root, {
    instance: instance ?? DEFAULT_INSTANCE,
    now,
    ...(sinkNames !== undefined ? { sinkNames } : {}),
    ...(defaultSink !== undefined ? { defaultSink } : {}),
    ...(sinkLayouts !== undefined ? { sinkLayouts } : {}),
    ...(maxFileBytes !== undefined ? { maxFileBytes } : {}),
    signal: io.signal,
  });
  // The settings' file sinks must not write inside the directory validated here.
  const base = await desiredBase(root);
  const settingsErrors = settingsFile
    ? sinksInSource(settingsFile, base, positionals[0] ? 'DIR' : 'source.dir')
    : [];
  const diagnostics: Diagnostic[] = [
    ...displayDiagnostics(settingsErrors, io.cwd, io.cwd),
    ...displayDiagnostics(result.diagnostics, base, io.cwd),
  ];
  const valid = result.state !== undefined && settingsErrors.length === 0;
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  const resources = result.state?.resources ?? [];
  const byKind = KINDS.map((k) => [k, resources.filter((r) => r.kind === k).length] as const).filter(
    ([, n]) => n > 0,
  );

  if (output === 'json') {
    io.stdout(
      `${JSON.stringify(
        {
          valid,
          root: shownRoot,
          errors,
          warnings,
          resources: Object.fromEntries(byKind),
          diagnostics,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    const color = io.isTTY && io.env['NO_COLOR'] === undefined;
    for (const d of diagnostics) {
      const [first = '', ...details] = formatDiagnosticLines(d);
      const line = color
        ? first.replace(
            / (error|warning) \[/,
            (_m, sev: string) => ` ${sev === 'error' ? '\x1b[31m' : '\x1b[33m'}${sev}\x1b[0m [`,
          )
        : first;
      io.stdout(`${[line, ...details].join('\n')}\n`);
    }
    if (valid) {
      const counts = byKind.map(([k, n]) => `${n} ${k}`).join(', ');
      io.stdout(
        `${shownRoot}: valid, ${plural(resources.length, 'resource')}${counts ? ` (${counts})` : ''}, ${plural(warnings, 'warning')}\n`,
      );
    } else {
      io.stdout(`${shownRoot}: invalid, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);
    }
  }
  return valid ? EXIT_OK : EXIT_ERROR;
}

function parse(argv: readonly string[]) {
  return parseCommandLine(VALIDATE_OPTIONS, argv);
}
