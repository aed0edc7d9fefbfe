/**
 * TEST HOOK: simulated crashes for the custody crash tests (test/crash/**).
 *
 * When (and only when) the environment variable `SCW_GITOPS_CRASH_AT` is set to one of the labels
 * below, the process kills itself with SIGKILL the first time execution reaches that point, exactly
 * as `kill -9` would: no finally blocks, no flushing, no cleanup. Unset (production), every call
 * is a no-op apart from one property read.
 *
 * Labels, in the order the custody protocol reaches them (src/executor/deliver-secret.ts):
 *   before-create     sink preflight done, key not created yet
 *   key-created       key created (marked pending), secret not yet written
 *   secret-written    secret written to the sink, not yet verified
 *   secret-verified   secret verified in the sink, key still marked pending
 *   key-ready         key marked ready, previous key (replace) not yet retired/deleted
 *   previous-disposed previous key retired or deleted (end of the replace sequence)
 */
export const CRASH_POINTS = [
  'before-create',
  'key-created',
  'secret-written',
  'secret-verified',
  'key-ready',
  'previous-disposed',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];

export const CRASH_ENV = 'SCW_GITOPS_CRASH_AT';

export type CrashHook = (point: CrashPoint) => void;

/** The default hook: SIGKILL this process at the point named by SCW_GITOPS_CRASH_AT, if any. */
export const envCrashHook: CrashHook = (point) => {
  const want = process.env[CRASH_ENV];
  if (want === undefined || want !== point) return;
  process.kill(process.pid, 'SIGKILL');
};
