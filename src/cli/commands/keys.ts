/**
 * `scw-gitops keys [DIR]`: a read-only view of every declared API key (src/planner/key-report.ts):
 * its current access key, state, dates and next rotation, where its secret goes and whether the
 * sink holds it (read back), and its retiring keys. Exit status: 0 every key is usable, 1 a key
 * is expired, has no current key or its secret is missing (a CI or cron check), or an error.
 */
import { systemClock } from '../../clock.js';
import { loadDesiredState } from '../../desired/load.js';
import { FAILING_STATUSES, keyReport } from '../../planner/key-report.js';
import { desiredLoadOptions, planOptionsFromSettings } from '../../reconciler/reconcile-once.js';
import { renderKeysJson, renderKeysText } from '../../render/keys.js';
import { observeLive } from '../../scaleway/observe.js';
import { observeSinks } from '../../sinks/observe.js';
import {
  type CommandDeps,
  commandLogger,
  logFormat,
  openRuntime,
  outputFormat,
  parseOrUsage,
  printDiagnostics,
  reportError,
  resolveDir,
  resolveSettings,
  useColor,
} from '../command.js';
import { displayFor } from '../display.js';
import type { CliIO } from '../io.js';
import { EXIT_ERROR, EXIT_OK } from '../io.js';
import { KEYS_OPTIONS, renderOptions } from '../options.js';

export const HELP = `Usage: scw-gitops keys [DIR] [options]

Show every API key declared in DIR (default: the settings' source.dir): its current access key,
custody state, creation, expiry and next rotation; where its secret goes and whether the sink
holds it (read back, the secret itself is never shown); and its retiring keys with the end of
their overlap. Read-only.

Options:
${renderOptions(KEYS_OPTIONS.options)}
Exit status: 0 every declared key is usable, 1 a key is expired, has no current key or its
secret is missing from its sink, or an error.
`;

export async function run(argv: readonly string[], io: CliIO, deps: CommandDeps = {}): Promise<number> {
  try {
    const flags = parseOrUsage(KEYS_OPTIONS, argv);
    if (flags.values.help) {
      io.stdout(HELP);
      return EXIT_OK;
    }
    const format = outputFormat(flags.values.output, ['text', 'json']);
    const logger = commandLogger(io, deps, 'keys', logFormat(flags.values['log-format']));
    const settings = await resolveSettings(flags.values, io);
    const dir = resolveDir(flags.positionals, settings, io);
    const clock = deps.clock ?? systemClock;
    const now = clock.now();
    const loaded = await loadDesiredState(dir, { ...desiredLoadOptions(settings, now), signal: io.signal });
    if (!loaded.state) {
      printDiagnostics(io, loaded.diagnostics, await displayFor(dir, io.cwd));
      io.stderr(`scw-gitops keys: the desired state in ${dir} is invalid; nothing was read\n`);
      return EXIT_ERROR;
    }
    const desired = loaded.state;
    const runtime = await openRuntime(settings, io, deps, logger);
    try {
      const live = await observeLive(runtime.client, {
        instance: settings.instance,
        now: () => clock.now(),
        signal: io.signal,
      });
      const sinkRecords = await observeSinks(desired, runtime.sinks, {
        layouts: settings.sinks,
        defaultSink: settings.defaults.sink,
        signal: io.signal,
      });
      const rows = keyReport({ desired, live, sinkRecords, options: planOptionsFromSettings(settings), now });
      io.stdout(format === 'json' ? renderKeysJson(rows) : renderKeysText(rows, useColor(flags.values, io)));
      return rows.some((r) => FAILING_STATUSES.includes(r.status)) ? EXIT_ERROR : EXIT_OK;
    } finally {
      await runtime.close();
    }
  } catch (err) {
    return reportError(io, 'keys', err);
  }
}
