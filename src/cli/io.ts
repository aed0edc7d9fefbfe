/** What a CLI command gets from the composition root; tests pass their own. */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** stdout is a terminal (colour allowed). */
  readonly isTTY: boolean;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /**
   * Ask the user one question and resolve with the line typed. Present only when stdin and stdout
   * are an interactive terminal: CI jobs, pipes and the daemon are never asked anything.
   */
  readonly ask?: (question: string) => Promise<string>;
}

/** Exit codes: 0 ok / no changes, 1 error, 2 changes pending (plan, reconcile --dry-run). */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES = 2;

export type CommandHandler = (argv: readonly string[], io: CliIO) => Promise<number>;
