/**
 * Running the git binary: the only place that spawns it. See docs/design/git-source.md for why
 * the binary (and not a library) and for the environment it runs in.
 *
 * Contract:
 * - Arguments are an array (no shell). Nothing secret is ever an argument: credentials travel in
 *   the child's environment (readable only by the same user) and files.
 * - The environment is built from scratch: PATH, HOME, LC_ALL=C (parseable messages), no
 *   terminal prompt, no system or global git config (the operator's `url.insteadOf` or signing
 *   settings must not change what the daemon fetches or trusts), and only the transports
 *   https, http, ssh, git and file (no `ext::`, which runs programs).
 * - Each command has a timeout and follows an AbortSignal; stdout and stderr are capped.
 * - `git` missing from PATH is a GitNotInstalledError with an actionable message.
 * - Every error message is scrubbed: known secrets and URL userinfo are removed.
 */
import { spawn } from 'node:child_process';
import { AppError } from '../errors.js';
import { scrubSecrets } from '../model/secret.js';
import { redactUrlText } from './git-url.js';

export const DEFAULT_GIT_TIMEOUT_MS = 120_000;
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;
const MAX_ERROR_LINES = 4;

export class GitNotInstalledError extends AppError {
  constructor(binary: string) {
    super(
      'git-not-installed',
      `the program '${binary}' was not found on PATH: the git source needs git (and gnupg, openssh-client for verification); Debian: apt-get install git gnupg openssh-client, or use source.dir with git-sync`,
    );
  }
}

/** A git command failed; `stderr` holds its last lines, scrubbed. */
export class GitCommandError extends AppError {
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(what: string, exitCode: number | null, stderr: string, options: { retryable?: boolean } = {}) {
    const detail = lastLines(stderr);
    super('git-failed', `${what}${detail ? `: ${detail}` : ''}`, options);
    this.exitCode = exitCode;
    this.stderr = cleanText(stderr);
  }
}

export interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GitRunOptions {
  /** Working directory (or use `gitDir`). */
  readonly cwd?: string;
  /** `--git-dir` of a bare repository. */
  readonly gitDir?: string;
  /** Extra environment for this command (credentials, GNUPGHOME, GIT_INDEX_FILE). */
  readonly env?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** A non-zero exit is returned, not thrown. */
  readonly allowFailure?: boolean;
  /** Description for errors (`fetching main from https://…`); default `git <first arg>`. */
  readonly what?: string;
}

export interface GitRunnerOptions {
  /** The binary (default `git`, looked up on PATH). */
  readonly binary?: string;
  /** Process environment to take PATH from (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** HOME of the child (ssh and gpg look there); default the system temp dir. */
  readonly home: string;
  readonly timeoutMs?: number;
  /** Variables passed through from `env` (the CLI passes SSH_AUTH_SOCK: the user's ssh agent). */
  readonly passEnv?: readonly string[];
}

/** Strip known secrets and URL userinfo from git's output. */
export function cleanText(text: string): string {
  return redactUrlText(scrubSecrets(text));
}

function lastLines(stderr: string): string {
  const lines = cleanText(stderr)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('hint:'));
  return lines.slice(-MAX_ERROR_LINES).join('; ');
}

export class GitRunner {
  readonly binary: string;
  readonly #baseEnv: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(opts: GitRunnerOptions) {
    this.binary = opts.binary ?? 'git';
    const env = opts.env ?? process.env;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
    this.#baseEnv = {
      PATH: env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: opts.home,
      LC_ALL: 'C',
      LANG: 'C',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: 'true',
      SSH_ASKPASS: 'true',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_ALLOW_PROTOCOL: 'https:http:ssh:git:file',
      GIT_OPTIONAL_LOCKS: '0',
      // Proxies are the operator's choice: keep them.
      ...pick(env, ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy']),
      ...pick(env, ['SSL_CERT_FILE', 'SSL_CERT_DIR', 'GIT_SSL_CAINFO']),
      ...pick(env, opts.passEnv ?? []),
    };
  }

  /** `git --version` → `2.39.5`; GitNotInstalledError when the binary is missing. */
  async version(signal?: AbortSignal): Promise<string> {
    const r = await this.run(['--version'], { ...(signal ? { signal } : {}), what: 'git --version' });
    return /(\d+\.\d+(?:\.\d+)?)/.exec(r.stdout)?.[1] ?? r.stdout.trim();
  }

  run(args: readonly string[], opts: GitRunOptions = {}): Promise<GitResult> {
    const full = opts.gitDir !== undefined ? ['--git-dir', opts.gitDir, ...args] : [...args];
    return this.#spawn(this.binary, full, { ...opts, what: opts.what ?? `git ${args[0] ?? ''}` });
  }

  /** Another program (gpg) in the same environment; a missing binary is a clear error too. */
  runProgram(
    program: string,
    args: readonly string[],
    opts: Omit<GitRunOptions, 'gitDir'> = {},
  ): Promise<GitResult> {
    return this.#spawn(program, [...args], { ...opts, what: opts.what ?? program });
  }

  #spawn(
    binary: string,
    full: readonly string[],
    opts: GitRunOptions & { what: string },
  ): Promise<GitResult> {
    const what = opts.what;
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    return new Promise<GitResult>((resolve, reject) => {
      if (opts.signal?.aborted) {
        reject(opts.signal.reason);
        return;
      }
      const child = spawn(binary, full, {
        cwd: opts.cwd,
        env: { ...this.#baseEnv, ...opts.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let outBytes = 0;
      let errBytes = 0;
      let killedFor: string | undefined;
      const kill = (why: string) => {
        if (killedFor !== undefined) return;
        killedFor = why;
        child.kill('SIGKILL');
      };
      child.stdout.on('data', (c: Buffer) => {
        outBytes += c.length;
        if (outBytes > MAX_OUTPUT_BYTES) kill('its output exceeded the limit');
        else out.push(c);
      });
      child.stderr.on('data', (c: Buffer) => {
        errBytes += c.length;
        if (errBytes <= 256 * 1024) err.push(c);
      });
      const timer = setTimeout(
        () => kill(`it did not finish within ${Math.round(timeoutMs / 1000)}s`),
        timeoutMs,
      );
      timer.unref();
      const onAbort = () => kill('aborted');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      child.on('error', (e: NodeJS.ErrnoException) => {
        done();
        if (e.code === 'ENOENT') reject(new GitNotInstalledError(binary));
        else reject(new GitCommandError(what, null, e.message));
      });
      child.on('close', (code) => {
        done();
        const stdout = Buffer.concat(out).toString('utf8');
        const stderr = Buffer.concat(err).toString('utf8');
        if (killedFor === 'aborted' && opts.signal?.aborted) {
          reject(opts.signal.reason);
          return;
        }
        if (killedFor !== undefined) {
          reject(
            new GitCommandError(`${what}: stopped because ${killedFor}`, code, stderr, { retryable: true }),
          );
          return;
        }
        const result = { code: code ?? -1, stdout, stderr };
        if (code !== 0 && !opts.allowFailure) {
          reject(new GitCommandError(what, code, stderr, { retryable: isTransient(stderr) }));
          return;
        }
        resolve(result);
      });
    });
  }
}

/** Network-ish failures worth retrying on the next interval (vs. a missing ref, bad auth). */
export function isTransient(stderr: string): boolean {
  return /could not resolve host|connection (?:refused|reset|timed out)|timed out|early EOF|unexpected disconnect|the remote end hung up|RPC failed|HTTP\/2 stream|returned error: 5\d\d|temporary failure/i.test(
    stderr,
  );
}

function pick(
  env: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') out[n] = v;
  }
  return out;
}
