/** Medians with min–max over the rounds of one variant, and their printing. */

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** `333 ms (318–352)` or `1.85 s (1.80–2.02)`. */
export function fmtTime(sum: Summary): string {
  if (sum.n === 0) return '—';
  const unit = sum.median >= 1000 ? 's' : 'ms';
  const f = (v: number) => (unit === 's' ? (v / 1000).toFixed(2) : v.toFixed(0));
  return sum.n === 1 ? `${f(sum.median)} ${unit}` : `${f(sum.median)} ${unit} (${f(sum.min)}–${f(sum.max)})`;
}

export function fmtBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  if (Math.abs(bytes) >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (Math.abs(bytes) >= 1024) return `${(bytes / 1024).toFixed(2)} KiB`;
  return `${bytes.toFixed(0)} B`;
}

export function fmtMiB(sum: Summary): string {
  if (sum.n === 0) return '—';
  const f = (v: number) => (v / 1024 / 1024).toFixed(0);
  return sum.n === 1 ? `${f(sum.median)} MiB` : `${f(sum.median)} MiB (${f(sum.min)}–${f(sum.max)})`;
}

/**
 * Runs every variant once per round, in the same order each round, for `rounds` rounds: a slow
 * phase of the machine (other processes) is spread over all variants instead of hitting one.
 */
export async function interleave<T>(
  rounds: number,
  variants: ReadonlyArray<{ readonly name: string; readonly run: (round: number) => Promise<T> }>,
  onSample?: (variant: string, round: number, sample: T) => void,
): Promise<Map<string, T[]>> {
  const out = new Map<string, T[]>(variants.map((v) => [v.name, []]));
  for (let round = 1; round <= rounds; round++) {
    for (const v of variants) {
      const sample = await v.run(round);
      out.get(v.name)!.push(sample);
      onSample?.(v.name, round, sample);
    }
  }
  return out;
}
