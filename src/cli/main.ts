#!/usr/bin/env node
/**
 * scw-gitops command line. Each command lives in src/cli/commands/<name>.ts and exports
 * `run: CommandHandler`; it is imported lazily so `validate` never loads network code.
 */
import { realpathSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { type CliIO, type CommandHandler, EXIT_ERROR } from './io.js';

export const COMMANDS: Readonly<
  Record<string, { summary: string; load: () => Promise<{ run: CommandHandler }> }>
> = {
  validate: {
    summary: 'Validate a desired-state directory (offline, no credentials)',
    load: () => import('./commands/validate.js'),
  },
  plan: {
    summary: 'Compute and print the plan for a desired-state directory',
    load: () => import('./commands/plan.js'),
  },
  reconcile: {
    summary: 'Plan and apply in one pass (--dry-run: plan only, CI exit codes)',
    load: () => import('./commands/reconcile.js'),
  },
  apply: {
    summary: 'Apply a saved JSON plan (refused if the organization changed since)',
    load: () => import('./commands/apply.js'),
  },
  run: {
    summary: 'Run the daemon (watch, schedule, webhooks, health, metrics)',
    load: () => import('./commands/run.js'),
  },
  sandbox: {
    summary: 'Serve the built-in Scaleway API emulator',
    load: () => import('./commands/sandbox.js'),
  },
  import: {
    summary: 'Write desired-state YAML for an existing organization',
    load: () => import('./commands/import.js'),
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: scw-gitops <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'scw-gitops <command> --help' for a command's options.\n`;
}

export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name === undefined ? EXIT_ERROR : 0;
  }
  if (name === '--version' || name === '-v') {
    const { version } = await import('../version.js');
    io.stdout(`${version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`scw-gitops: unknown command '${name}'\n\n${usage()}`);
    return EXIT_ERROR;
  }
  const mod = await command.load();
  return mod.run(rest, io);
}

function isEntryPoint(): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // V8's compile cache on disk (the OS temporary directory, or $NODE_COMPILE_CACHE): a command
  // after the first one loads its modules without compiling them again. Before any command
  // module is imported; a directory that cannot be used is silently skipped
  // (docs/design/performance.md, "Start-up").
  module.enableCompileCache?.();
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error(`received ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // `scw-gitops plan … | head`: a reader that went away ends the command quietly, like other CLIs.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(process.exitCode ?? 0);
    });
  }
  const io: CliIO = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
    signal: controller.signal,
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const msg = err instanceof Error ? err.message : String(err);
      process.stderr.write(`scw-gitops: ${msg}\n`);
      process.exitCode = EXIT_ERROR;
    },
  );
}
