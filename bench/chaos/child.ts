/**
 * The CLI as a child process for kill points: bundled once with esbuild (tsx's compiler) so a
 * process starts in a fraction of a second; falls back to `node --import tsx`.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { World } from './world.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export async function bundleCli(outDir: string): Promise<string[]> {
  const entry = 'src/cli/main.ts';
  try {
    const esbuild = (await import('esbuild')) as typeof import('esbuild');
    const outfile = join(outDir, 'scw-gitops-cli.mjs');
    await esbuild.build({
      entryPoints: [join(REPO, entry)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      outfile,
      logLevel: 'error',
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
    });
    return [outfile];
  } catch {
    return ['--import', 'tsx', join(REPO, entry)];
  }
}

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Killed by us (SIGKILL) before it exited on its own. */
  readonly killed: boolean;
  readonly ms: number;
}

/**
 * Runs `scw-gitops <args>` against the world; SIGKILLs it after `killAfterMs` (when given) unless it
 * exited before. Output is appended to the world's outputs (scanned for secrets).
 */
export function runCli(
  world: World,
  cli: readonly string[],
  args: readonly string[],
  opts: { killAfterMs?: number; crashAt?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...cli, ...args], {
      cwd: world.base,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: world.base,
        SCW_ACCESS_KEY: world.sandbox.adminAccessKey,
        SCW_SECRET_KEY: world.sandbox.adminSecretKey,
        SCW_DEFAULT_ORGANIZATION_ID: world.sandbox.organizationId,
        SCW_GITOPS_LOG_LEVEL: 'debug',
        ...(opts.crashAt ? { SCW_GITOPS_CRASH_AT: opts.crashAt } : {}),
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let killed = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => world.outputs.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => world.outputs.push(d));
    const killer =
      opts.killAfterMs !== undefined
        ? setTimeout(() => {
            if (child.exitCode === null && child.signalCode === null) {
              killed = true;
              child.kill('SIGKILL');
            }
          }, opts.killAfterMs)
        : undefined;
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`scw-gitops ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 60_000} ms`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (killer) clearTimeout(killer);
      clearTimeout(timeout);
      resolve({ code, signal, killed: killed || signal === 'SIGKILL', ms: performance.now() - t0 });
    });
  });
}
