/** What a scenario hands back to bench/run.ts: tables (printed as Markdown), targets, raw data. */

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
  readonly notes?: readonly string[];
}

export interface Target {
  /** The row of the target table, e.g. `10k no-op from the CLI, cold`. */
  readonly name: string;
  /** As measured (median), in `unit`. */
  readonly value: number;
  readonly limit: number;
  readonly unit: 'ms' | 'requests' | 'B' | 'MiB';
  readonly met: boolean;
  readonly detail?: string;
}

export interface ScenarioReport {
  readonly tables: readonly Table[];
  readonly targets: readonly Target[];
  readonly raw: unknown;
}

export interface BenchContext {
  /** Rounds per variant (interleaved). */
  readonly rounds: number;
  /** Smaller organizations and fewer samples, to build and debug the benchmark itself. */
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

export interface BenchScenario {
  readonly name: string;
  readonly description: string;
  /** Not part of a plain `npm run bench` (run it by name). */
  readonly optIn?: boolean;
  run(ctx: BenchContext): Promise<ScenarioReport>;
}

export function target(
  name: string,
  value: number,
  limit: number,
  unit: Target['unit'],
  detail?: string,
): Target {
  return { name, value, limit, unit, met: value <= limit, ...(detail !== undefined ? { detail } : {}) };
}

export function markdownTable(t: Table): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const lines = [
    `### ${t.title}`,
    '',
    `| ${t.columns.map(esc).join(' | ')} |`,
    `| ${t.columns.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
  if (t.notes?.length) lines.push('', ...t.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}
