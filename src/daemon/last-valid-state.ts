/**
 * The last valid desired state, kept in memory and, when the settings have a data directory, in
 * `<dataDir>/last-valid-desired-state.json` (docs/concepts.md, "The last valid desired state"):
 * a daemon restarted on an invalid revision still keeps owned keys alive from it. The file is
 * written atomically (temporary name, then rename) after a pass whose desired state was valid
 * and differs from the one stored; a missing, unreadable or malformed file is ignored with a
 * warning (the daemon then waits for a valid revision, as before).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { DesiredState } from '../model/desired.js';

export const LAST_VALID_FILE = 'last-valid-desired-state.json';

/** Format of the file; another version is ignored. */
const VERSION = 1;

function looksLikeDesiredState(value: unknown): value is DesiredState {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['root'] === 'string' &&
    Array.isArray(v['resources']) &&
    v['resources'].every(
      (r) =>
        typeof r === 'object' &&
        r !== null &&
        typeof (r as Record<string, unknown>)['kind'] === 'string' &&
        typeof (r as Record<string, unknown>)['address'] === 'string',
    )
  );
}

export class LastValidState {
  #state: DesiredState | undefined;
  #stored: string | undefined;
  #loaded = false;
  readonly #file: string | undefined;
  readonly #log: Logger;

  constructor(dataDir: string | undefined, logger: Logger) {
    this.#file = dataDir !== undefined ? path.join(dataDir, LAST_VALID_FILE) : undefined;
    this.#log = logger;
  }

  /** The last valid desired state: in memory, else (first call only) from the file. */
  async get(): Promise<DesiredState | undefined> {
    if (this.#state || this.#loaded || !this.#file) return this.#state;
    this.#loaded = true;
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.#log.warn({ file: this.#file, err }, 'cannot read the last valid desired state; ignored');
      return undefined;
    }
    try {
      const doc = JSON.parse(text) as { version?: unknown; state?: unknown };
      if (doc.version !== VERSION || !looksLikeDesiredState(doc.state)) throw new Error('unexpected content');
      this.#state = doc.state;
      this.#stored = text;
      this.#log.info(
        { file: this.#file, revision: doc.state.revision },
        'last valid desired state restored from the data directory',
      );
    } catch (err) {
      this.#log.warn(
        { file: this.#file, error: (err as Error).message },
        'the stored last valid desired state is malformed; ignored',
      );
    }
    return this.#state;
  }

  /** Remember a valid desired state (and store it when it changed). Never throws. */
  async set(state: DesiredState): Promise<void> {
    this.#state = state;
    this.#loaded = true;
    if (!this.#file) return;
    const text = `${JSON.stringify({ version: VERSION, state })}\n`;
    if (text === this.#stored) return;
    try {
      await mkdir(path.dirname(this.#file), { recursive: true });
      const tmp = `${this.#file}.${process.pid}.tmp`;
      await writeFile(tmp, text, { mode: 0o600 });
      await rename(tmp, this.#file);
      this.#stored = text;
    } catch (err) {
      this.#log.warn({ file: this.#file, err }, 'cannot store the last valid desired state');
    }
  }
}
