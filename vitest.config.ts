import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Two projects, one rule (CONTRIBUTING.md#tests):
 * - `slow`: whole-product runs, whatever their file name: test/e2e, test/crash, test/chaos and
 *   test/fuzz, plus any `*.e2e.test.ts` or `*.slow.test.ts` elsewhere (a daemon end to end next
 *   to its unit tests, a year of simulated rotations).
 * - `fast`: every other test (unit, golden, contract, emulator cross-checks). `npm run test:fast`
 *   runs only these, in under a minute on 2 CPUs; a new test file is fast unless it says otherwise.
 * `npm test` runs both.
 */
export const SLOW_TESTS = [
  'test/e2e/**/*.test.ts',
  'test/crash/**/*.test.ts',
  'test/chaos/**/*.test.ts',
  'test/fuzz/**/*.test.ts',
  'test/**/*.e2e.test.ts',
  'test/**/*.slow.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // One worker per CPU available to this process (vitest's default leaves one idle). Tests are
    // independent under parallel workers: ports 0, temp directories, nothing shared on disk.
    maxWorkers: availableParallelism(),
    setupFiles: ['test/setup/no-external-network.ts'],
    projects: [
      {
        extends: true,
        // Fast files share their worker's module graph (isolate: false): the imports are paid
        // once per worker instead of once per file, which is most of a unit test's cost. They
        // must not leave global state behind (fake timers restored, servers closed, env untouched).
        test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: SLOW_TESTS, isolate: false },
      },
      { extends: true, test: { name: 'slow', include: SLOW_TESTS } },
    ],
  },
});
