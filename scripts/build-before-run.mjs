/**
 * `npm start` and `npm run cli` run `node --import ./scripts/build-before-run.mjs dist/cli/main.js …`:
 * Node evaluates this module, top-level await included, before it loads the entry point, so
 * dist/ is brought up to date (scripts/build-fast.mjs: an incremental transpile, no type-check)
 * by the same process that then runs it. One Node start instead of a build process and a run
 * process; nothing is printed when nothing had to be transpiled.
 */
import { buildFast } from './build-fast.mjs';

await buildFast({ quiet: true });
