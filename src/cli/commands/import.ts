/**
 * `scw-gitops import --out DIR`: list the live organization and the configured sinks' records,
 * and write desired-state YAML that describes them (src/importer/generate.ts): objects not yet
 * ours with `metadata.adopt: true`, objects this instance owns as they are, each API key with its
 * expiry and sink location, so the next `scw-gitops plan DIR` shows adoptions only. Refuses to
 * write into a non-empty DIR unless `--force`, and a DIR that holds a file sink's directory.
 * Exit status: 0 written, 1 error.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { systemClock } from '../../clock.js';
import { loadDesiredState } from '../../desired/load.js';
import { assertSinksOutside } from '../../config/source-dir.js';
import { generateImport, IMPORT_FILES, type ImportResult } from '../../importer/generate.js';
import { readSinkRecords, type SinkRecords } from '../../importer/sink-records.js';
import { formatDiagnostic } from '../../model/diagnostics.js';
import { parseKeyDescription } from '../../model/ownership.js';
import { KINDS } from '../../model/resources.js';
import {
  type CommandDeps,
  commandLogger,
  logFormat,
  openRuntime,
  type ParsedFlags,
  printDiagnostics,
  reportError,
  resolveSettings,
  UsageError,
} from '../command.js';
import { desiredLoadOptions } from '../../reconciler/reconcile-once.js';
import { observeLive } from '../../scaleway/observe.js';
import type { CliIO } from '../io.js';
import { displayPath, plural } from '../display.js';
import { IMPORT_OPTIONS, parseCommandLine, renderOptions } from '../options.js';
import { EXIT_ERROR, EXIT_OK } from '../io.js';

export const HELP = `Usage: scw-gitops import --out DIR [options]

Write the desired-state YAML of an existing organization (projects, applications, groups,
policies, the API keys this instance owns and, with --include-keys, the others, never their
secrets) to DIR, one file per kind. Objects not yet owned get metadata.adopt: true; each key gets
its expiry and the sink location of its secret, read from the configured sinks' records. So
'scw-gitops plan DIR' right after the import shows adoptions only. Objects Scaleway manages,
objects of other scw-gitops instances and objects the desired-state format cannot express are
skipped and listed.

Options:
${renderOptions(IMPORT_OPTIONS.options)}
Exit status: 0 written, 1 error.
`;

function parse(argv: readonly string[]) {
  try {
    return parseCommandLine(IMPORT_OPTIONS, argv);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

async function entries(dir: string): Promise<string[] | undefined> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function renderImportReport(
  result: ImportResult,
  shownDir: string,
  sinkProblems: readonly string[] = [],
): string {
  const lines: string[] = [];
  const counts = KINDS.map((k) => [k, result.imported.filter((o) => o.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`);
  const owned = result.imported.filter((o) => !o.adopt).length;
  lines.push(
    `Imported ${plural(result.imported.length, 'object')} into ${shownDir}${counts.length > 0 ? ` (${counts.join(', ')})` : ''}${owned > 0 ? `, ${owned} already owned by this instance` : ''}:`,
  );
  for (const [file] of result.files) {
    const n = result.imported.filter((o) => o.file === file).length;
    lines.push(`  ${join(shownDir, file)}  ${plural(n, 'resource')}`);
  }
  const warnings = result.skipped.filter((s) => s.severity === 'warning');
  const infos = result.skipped.filter((s) => s.severity === 'info');
  if (warnings.length > 0) {
    lines.push('', `Not imported, needs a decision (${warnings.length}):`);
    for (const s of warnings) lines.push(`  ${s.kind}/${s.name} (${s.id}): ${s.reason}`);
  }
  if (infos.length > 0) {
    lines.push('', `Not imported, by design (${infos.length}):`);
    for (const s of infos) lines.push(`  ${s.kind}/${s.name} (${s.id}): ${s.reason}`);
  }
  if (sinkProblems.length > 0) {
    lines.push('', `Sinks not fully read (${sinkProblems.length}):`);
    for (const p of sinkProblems) lines.push(`  ${p}`);
  }
  if (result.notes.length > 0) {
    lines.push('', 'Review:');
    for (const n of result.notes) lines.push(`  ${n}`);
  }
  const diagnostics = result.diagnostics.filter((d) => d.code !== 'empty-state');
  if (diagnostics.length > 0) {
    lines.push('', 'Validator warnings on the output:');
    for (const d of diagnostics) {
      // The validator names files relative to DIR; show them like every other path.
      const shown = d.location
        ? { ...d, location: { ...d.location, file: join(shownDir, d.location.file) } }
        : d;
      lines.push(`  ${formatDiagnostic(shown)}`);
    }
  }
  if (result.imported.length === 0) {
    lines.push('', 'Nothing to import: no object of this organization can be adopted.');
  } else {
    lines.push(
      '',
      `Next: scw-gitops plan ${shownDir}  (expect adoptions only, and no change to what is already owned), commit ${shownDir}, then reconcile.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export async function run(argv: readonly string[], io: CliIO, deps: CommandDeps = {}): Promise<number> {
  try {
    const { values, positionals } = parse(argv);
    if (values.help) {
      io.stdout(HELP);
      return EXIT_OK;
    }
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}; use --out DIR`);
    if (values.out === undefined || values.out === '') throw new UsageError('missing --out DIR');
    const logs = logFormat(values['log-format']);
    const out = isAbsolute(values.out) ? values.out : resolve(io.cwd, values.out);
    const shown = displayPath(io.cwd, out);
    const existing = await entries(out);
    if (existing !== undefined && existing.length > 0 && !values.force) {
      io.stderr(
        `scw-gitops import: ${shown} is not empty (${plural(existing.length, 'entry')}); choose an empty directory or pass --force\n`,
      );
      return EXIT_ERROR;
    }

    const settings = await resolveSettings(
      {
        ...(values.config !== undefined ? { config: values.config } : {}),
        ...(values.instance !== undefined ? { instance: values.instance } : {}),
      } as ParsedFlags['values'],
      io,
    );
    // DIR becomes a desired-state directory: no secrets may be delivered inside it.
    assertSinksOutside(settings, out, '--out DIR');
    const includeKeys = values['include-keys'] === true;
    const clock = deps.clock ?? systemClock;
    const logger = commandLogger(io, deps, 'import', logs);
    const runtime = await openRuntime(settings, io, deps, logger);
    let live: Awaited<ReturnType<typeof observeLive>>;
    let sinkRecords: SinkRecords = { records: [], problems: [] };
    try {
      live = await observeLive(runtime.client, {
        instance: settings.instance,
        now: () => clock.now(),
        readRules: 'all',
        signal: io.signal,
      });
      // Where each imported key's secret is, and how it was declared to expire.
      const keysToImport =
        includeKeys ||
        live.apiKeys.some((k) => parseKeyDescription(k.description).marker?.instance === settings.instance);
      if (keysToImport) sinkRecords = await readSinkRecords(runtime.sinks, io.signal);
    } finally {
      await runtime.close();
    }

    const validateOpts = desiredLoadOptions(settings, clock.now());
    const result = generateImport(live, {
      ...validateOpts,
      includeKeys,
      sinks: settings.sinks.map((s) => ({
        name: s.name,
        type: s.type,
        format: s.type === 'file' ? s.format : undefined,
        namespace: s.type === 'kubernetes' ? s.namespace : undefined,
      })),
      records: sinkRecords.records,
      ...(settings.defaults.rotation.lifetimeMs !== undefined
        ? { defaultLifetimeMs: settings.defaults.rotation.lifetimeMs }
        : {}),
    });

    await mkdir(out, { recursive: true });
    if (values.force) {
      // Our own files from an earlier import that this one no longer writes would be stale.
      for (const file of Object.values(IMPORT_FILES)) {
        if (!result.files.has(file)) await rm(join(out, file), { force: true });
      }
    }
    for (const [file, text] of result.files) await writeFile(join(out, file), text, { mode: 0o644 });

    // What was written must load exactly like `plan` will load it.
    const check = await loadDesiredState(out, validateOpts);
    if (!check.state) {
      printDiagnostics(io, check.diagnostics, { cwd: io.cwd, base: out });
      io.stderr(`scw-gitops import: the files written to ${shown} do not validate (see above)\n`);
      return EXIT_ERROR;
    }
    io.stdout(renderImportReport(result, shown, sinkRecords.problems));
    return EXIT_OK;
  } catch (err) {
    return reportError(io, 'import', err);
  }
}
