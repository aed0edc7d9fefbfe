/**
 * `scw-gitops run --config FILE [--once]`: the daemon (or one pass with --once).
 *
 * Exit codes: 0 stopped cleanly (or --once converged/applied), 1 error (invalid settings, startup
 * failure, --once pass failed).
 */
import { resolve } from 'node:path';
import { systemClock } from '../../clock.js';
import { loadSettings } from '../../config/load-settings.js';
import { requireSourceDir } from '../../config/source-dir.js';
import { runOnce, startDaemon } from '../../daemon/daemon.js';
import { AppError } from '../../errors.js';
import { createLogger, resolvePretty } from '../../logging/logger.js';
import { scrubSecrets } from '../../model/secret.js';
import { version } from '../../version.js';
import type { CliIO } from '../io.js';
import { parseCommandLine, RUN_OPTIONS, renderOptions } from '../options.js';
import { EXIT_ERROR, EXIT_OK } from '../io.js';

const HELP = `Usage: scw-gitops run [--config FILE] [--once] [--log-format FORMAT]

Run the reconciliation daemon: watch the desired-state directory, resync on a schedule, check
key rotations, accept webhooks, and serve /healthz, /readyz, /metrics and /status.

Options:
${renderOptions(RUN_OPTIONS.options)}
Environment:
  SCW_GITOPS_CONFIG     Settings file when --config is absent
  SCW_GITOPS_LOG_LEVEL  Override log.level (trace, debug, info, warn, error)
  SCW_GITOPS_INSTANCE   Override instance
  SCW_GITOPS_HOST       Override server.host
  SCW_GITOPS_PORT       Override server.port (0 = any free port; the URL is logged)
  SCW_GITOPS_DATA_DIR   Override dataDir: relative file-sink dirs and the sandbox state file are
                        resolved against it (a writable volume under a read-only root filesystem)
  SCW_GITOPS_CACHE_DIR  Cache directory (policy rules cache; default .scw-gitops-cache under dataDir)
`;

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let values: ReturnType<typeof parseCommandLine<typeof RUN_OPTIONS>>['values'];
  try {
    const parsed = parseCommandLine(RUN_OPTIONS, argv);
    if (parsed.positionals.length > 0) {
      throw new Error(
        `unexpected argument ${JSON.stringify(parsed.positionals[0])}: the daemon reads source.dir from the settings`,
      );
    }
    values = parsed.values;
    if (values.help) {
      io.stdout(HELP);
      return EXIT_OK;
    }
    const format = values['log-format'];
    if (format !== undefined && format !== 'text' && format !== 'json') {
      throw new Error(`--log-format must be text or json, got ${JSON.stringify(format)}`);
    }
  } catch (err) {
    io.stderr(
      `scw-gitops run: ${err instanceof Error ? err.message : String(err)}\n\nRun 'scw-gitops run --help' for usage.\n`,
    );
    return EXIT_ERROR;
  }

  let settings: Awaited<ReturnType<typeof loadSettings>>;
  try {
    settings = await loadSettings(values.config ?? io.env['SCW_GITOPS_CONFIG'], { env: io.env, cwd: io.cwd });
    const cacheDir = values['cache-dir'];
    if (cacheDir !== undefined) settings = { ...settings, cacheDir: resolve(io.cwd, cacheDir) };
    // The daemon has no DIR argument: source.dir is required here, and sinks must stay outside it.
    requireSourceDir(settings);
  } catch (err) {
    io.stderr(`scw-gitops run: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_ERROR;
  }

  const logger = createLogger({
    level: settings.log.level,
    // The daemon logs JSON for collectors; text only on a terminal (log.pretty: auto) or when asked.
    pretty:
      values['log-format'] !== undefined
        ? values['log-format'] === 'text'
        : resolvePretty(settings.log.pretty, io.isTTY),
    color: io.isTTY && io.env['NO_COLOR'] === undefined,
    destination: { write: (line: string) => io.stdout(line) },
    base: { service: 'scw-gitops', instance: settings.instance, version },
  });

  if (values.once) {
    const report = await runOnce({ settings, env: io.env, logger, clock: systemClock, signal: io.signal });
    return report.verdict === 'success' ? EXIT_OK : EXIT_ERROR;
  }

  if (io.signal.aborted) return EXIT_OK;
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon({ settings, env: io.env, logger, clock: systemClock });
  } catch (err) {
    const message = scrubSecrets(err instanceof Error ? err.message : String(err));
    logger.fatal({ err }, 'daemon failed to start');
    io.stderr(`scw-gitops run: ${err instanceof AppError ? message : `startup failed: ${message}`}\n`);
    return EXIT_ERROR;
  }
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  logger.info(
    { reason: String((io.signal.reason as Error | undefined)?.message ?? 'signal') },
    'stop requested',
  );
  await daemon.stop();
  return EXIT_OK;
}
