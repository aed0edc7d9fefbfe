/**
 * State file: the whole organization as JSON, written atomically (temp file + rename, mode
 * 0600 because it holds the emulator keys' secrets) after each write, read at start.
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SandboxState } from './model.js';

export function loadStateFile(file: string): SandboxState | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`sandbox state file ${file}: not valid JSON (${(err as Error).message})`);
  }
  const state = parsed as Partial<SandboxState>;
  if (
    state === null ||
    typeof state !== 'object' ||
    state.version !== 1 ||
    typeof state.organization_id !== 'string'
  ) {
    throw new Error(`sandbox state file ${file}: unsupported format (expected version 1)`);
  }
  for (const key of ['users', 'projects', 'applications', 'api_keys', 'groups', 'policies'] as const) {
    if (!Array.isArray(state[key])) throw new Error(`sandbox state file ${file}: "${key}" must be an array`);
  }
  return state as SandboxState;
}

let counter = 0;

export function saveStateFile(file: string, state: SandboxState): void {
  const tmp = join(dirname(file), `.${process.pid}.${Date.now()}.${counter++}.sandbox-state.tmp`);
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
