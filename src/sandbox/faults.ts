/**
 * Fault injection for the sandbox: the failure modes the real API produces
 * (docs/design/scaleway-api.md §11, item 15) plus transport faults and concurrent writers, all driven
 * by one seeded PRNG so a run is reproducible. Options come from startSandbox, from
 * `SCW_SANDBOX_*` environment variables, and can be changed at runtime.
 */
import { createRng, parseSeed, type Rng } from './prng.js';
import type { ShiftRecord } from './shift.js';

export type { ShiftRecord } from './shift.js';

export interface ListPageInfo {
  /** Plural resource key of the listing (`applications`, `projects`, `api_keys`, ...). */
  resource: string;
  page: number;
  pageSize: number;
  query: URLSearchParams;
}

export interface FaultOptions {
  /** Added latency per request (ms). */
  latencyMs?: number;
  /** Extra random latency in [0, jitterMs). */
  latencyJitterMs?: number;
  /** Probability [0,1] of a gateway 429 (empty body, no Content-Type, `X-Envoy-Ratelimited: true`). */
  rate429?: number;
  /** Probability [0,1] of a 5xx before the request reaches the store. */
  rate5xx?: number;
  /** Probability [0,1] that the connection is destroyed without an answer (before processing). */
  resetRate?: number;
  /**
   * Probability [0,1] that a successful write (POST/PATCH/PUT/DELETE) is committed but its
   * response is lost (502 or a reset): the ambiguous-write case clients must reconcile.
   */
  ambiguousWriteRate?: number;
  /** Requests per second allowed (token bucket, burst = max(1, rps)); beyond it → 429. 0/undefined = off. */
  rps?: number;
  /** Probability [0,1] of 412 precondition_failed (resource_not_usable) on project DELETE. */
  projectDelete412Rate?: number;
  /** Window (ms) after a membership change during which the next one on the same group gets 409 transient_state. */
  groupTransientWindowMs?: number;
  /** Window (ms) after any policy/rule change during which requests may get 403 permissions_denied (IAM propagation). */
  transient403WindowMs?: number;
  /** Probability [0,1] of that 403 inside the window (default 1 when the window is set). */
  transient403Rate?: number;
  /** Apply the transient 403 to the admin key too (default false: only other keys, as real propagation affects new grants). */
  transient403IncludesAdmin?: boolean;
  /**
   * Probability [0,1] that, before a page after the first of a full listing, one object of an
   * earlier page is deleted and one is created (`total_count` unchanged): an object slides onto
   * a page already read and the reader misses it (src/sandbox/shift.ts).
   */
  shiftRate?: number;
  /** Called before a list page is computed; tests mutate the store here to simulate concurrent writers. */
  onListPage?: (info: ListPageInfo) => void | Promise<void>;
  /** PRNG seed for fault decisions. */
  seed?: number;
}

/** Partial update: a key set to `undefined` clears that setting. */
export type FaultPatch = { [K in keyof FaultOptions]?: FaultOptions[K] | undefined };

export type NumericFault = Exclude<keyof FaultOptions, 'onListPage' | 'seed' | 'transient403IncludesAdmin'>;

const ENV: ReadonlyArray<[string, NumericFault]> = [
  ['SCW_SANDBOX_LATENCY_MS', 'latencyMs'],
  ['SCW_SANDBOX_LATENCY_JITTER_MS', 'latencyJitterMs'],
  ['SCW_SANDBOX_429_RATE', 'rate429'],
  ['SCW_SANDBOX_5XX_RATE', 'rate5xx'],
  ['SCW_SANDBOX_RESET_RATE', 'resetRate'],
  ['SCW_SANDBOX_AMBIGUOUS_RATE', 'ambiguousWriteRate'],
  ['SCW_SANDBOX_RPS', 'rps'],
  ['SCW_SANDBOX_PROJECT_DELETE_412_RATE', 'projectDelete412Rate'],
  ['SCW_SANDBOX_GROUP_TRANSIENT_MS', 'groupTransientWindowMs'],
  ['SCW_SANDBOX_TRANSIENT_403_MS', 'transient403WindowMs'],
  ['SCW_SANDBOX_TRANSIENT_403_RATE', 'transient403Rate'],
  ['SCW_SANDBOX_SHIFT_RATE', 'shiftRate'],
];

/** Reads `SCW_SANDBOX_*` variables; throws on a value that is not a non-negative number. */
export function faultOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): FaultOptions {
  const out: FaultOptions = {};
  for (const [name, key] of ENV) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0)
      throw new Error(`${name}: expected a non-negative number, got "${raw}"`);
    out[key] = n;
  }
  const seed = parseSeed(env['SCW_SANDBOX_SEED']);
  if (seed !== undefined) out.seed = seed;
  try {
    validateFaultOptions(out);
  } catch (err) {
    const key = (err as Error).message.split(' ')[2]?.replace(':', '');
    const name = ENV.find(([, k]) => k === key)?.[0] ?? 'SCW_SANDBOX_*';
    throw new Error(`${name}: ${(err as Error).message.split(': ').slice(1).join(': ')}`);
  }
  return out;
}

const RATE_KEYS: ReadonlySet<NumericFault> = new Set([
  'rate429',
  'rate5xx',
  'resetRate',
  'ambiguousWriteRate',
  'projectDelete412Rate',
  'transient403Rate',
  'shiftRate',
]);

export function validateFaultOptions(opts: FaultOptions): void {
  for (const [key, value] of Object.entries(opts)) {
    if (key === 'onListPage' || key === 'transient403IncludesAdmin' || value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new Error(`sandbox fault ${key}: expected a non-negative number`);
    }
    if (RATE_KEYS.has(key as NumericFault) && value > 1) {
      throw new Error(`sandbox fault ${key}: a rate must be between 0 and 1`);
    }
  }
}

/** Runtime handle on the fault settings (exposed as SandboxHandle.faults). */
export class FaultController {
  private opts: FaultOptions;
  private rng: Rng;
  private tokens = 0;
  private lastRefill = 0;
  private injected = 0;
  private readonly shiftLog: ShiftRecord[] = [];

  constructor(
    initial: FaultOptions = {},
    private readonly nowMs: () => number = () => Date.now(),
  ) {
    validateFaultOptions(initial);
    this.opts = { ...initial };
    this.rng = createRng(initial.seed);
  }

  /** Current settings (a copy). */
  get(): FaultOptions {
    return { ...this.opts };
  }

  /** Replaces all settings (a `seed` restarts the PRNG). */
  set(opts: FaultOptions): void {
    validateFaultOptions(opts);
    this.opts = { ...opts };
    if (opts.seed !== undefined) this.rng = createRng(opts.seed);
    this.tokens = 0;
    this.lastRefill = 0;
  }

  /** Changes some settings, keeping the others; `undefined` values clear a setting. */
  adjust(patch: FaultPatch): void {
    const merged: FaultOptions = { ...this.opts };
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete (merged as Record<string, unknown>)[k];
      else (merged as Record<string, unknown>)[k] = v;
    }
    validateFaultOptions(merged);
    this.opts = merged;
    if (patch.seed !== undefined) this.rng = createRng(patch.seed);
  }

  /** Turns every fault off. */
  clear(): void {
    this.opts = {};
  }

  /** Number of faults injected so far (429, 5xx, resets, 412, 403, ambiguous writes, shifts). */
  injectedCount(): number {
    return this.injected;
  }

  countInjected(): void {
    this.injected++;
  }

  chance(rate: number | undefined): boolean {
    if (!rate || rate <= 0) return false;
    if (rate >= 1) return true;
    return this.rng.next() < rate;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.rng.int(items.length)] as T;
  }

  /** A seeded index in [0, n). */
  index(n: number): number {
    return this.rng.int(n);
  }

  recordShift(shift: ShiftRecord): void {
    this.injected++;
    this.shiftLog.push(shift);
  }

  /** Every pagination shift so far (oldest first), with the object each one hid from its reader. */
  shifts(): readonly ShiftRecord[] {
    return [...this.shiftLog];
  }

  latencyMs(): number {
    const base = this.opts.latencyMs ?? 0;
    const jitter = this.opts.latencyJitterMs ?? 0;
    return base + (jitter > 0 ? this.rng.next() * jitter : 0);
  }

  /** Token bucket: true when this request is over the configured requests-per-second. */
  overRateLimit(): boolean {
    const rps = this.opts.rps;
    if (!rps || rps <= 0) return false;
    const now = this.nowMs();
    const burst = Math.max(1, rps);
    if (this.lastRefill === 0) {
      this.lastRefill = now;
      this.tokens = burst;
    } else {
      this.tokens = Math.min(burst, this.tokens + ((now - this.lastRefill) / 1000) * rps);
      this.lastRefill = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return false;
    }
    return true;
  }

  get options(): Readonly<FaultOptions> {
    return this.opts;
  }
}
