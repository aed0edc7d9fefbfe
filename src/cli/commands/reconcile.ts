import type { CliIO } from '../io.js';
import { EXIT_ERROR } from '../io.js';

/** Placeholder until the command's issue lands. */
export async function run(_argv: readonly string[], io: CliIO): Promise<number> {
  io.stderr('scw-gitops reconcile: not implemented yet\n');
  return EXIT_ERROR;
}
