/**
 * Renderings of `scw-gitops keys` (src/planner/key-report.ts): an aligned text table, one row per
 * declared key with its retiring keys under it, then a count per status; or JSON (`{ keys }`).
 */
import type { KeyRow, KeyStatus } from '../planner/key-report.js';
import { sortKeys } from '../model/sort-keys.js';

/** Worst first: the order of the summary line. */
const STATUS_ORDER: readonly KeyStatus[] = [
  'expired',
  'missing',
  'secret-missing',
  'sink-unreadable',
  'rotation-due',
  'ok',
];

const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';
const RESET = '\u001b[0m';

function inSinkText(row: KeyRow): string {
  if (row.inSink === null) return row.sinkError !== undefined ? 'unreadable' : '-';
  return row.inSink ? 'yes' : 'NO';
}

export function renderKeysJson(rows: readonly KeyRow[]): string {
  return `${JSON.stringify(sortKeys({ keys: rows }), null, 2)}\n`;
}

export function renderKeysText(rows: readonly KeyRow[], color = false): string {
  const header = [
    'KEY',
    'ACCESS KEY',
    'STATE',
    'CREATED',
    'EXPIRES',
    'NEXT ROTATION',
    'SINK',
    'IN SINK',
    'STATUS',
  ];
  const table = rows.map((r) => [
    r.address,
    r.current?.accessKey ?? '-',
    r.current?.state ?? '-',
    r.current?.createdAt ?? '-',
    r.current ? (r.current.expiresAt ?? 'never') : '-',
    r.nextRotation ?? '-',
    r.sink ? `${r.sink.location} (${r.sink.name})` : '-',
    inSinkText(r),
    r.status,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((cells) => cells[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const paint = (status: KeyStatus, text: string) => {
    if (!color || status === 'ok') return text;
    return `${status === 'rotation-due' || status === 'sink-unreadable' ? YELLOW : RED}${text}${RESET}`;
  };
  const out = [line(header)];
  rows.forEach((row, i) => {
    out.push(paint(row.status, line(table[i]!)));
    if (row.sinkError !== undefined) out.push(`  sink unreadable: ${row.sinkError}`);
    for (const r of row.retiring) {
      out.push(
        `  ${r.state} ${r.accessKey}: created ${r.createdAt}, expires ${r.expiresAt ?? 'never'}, overlap ends ${r.overlapEndsAt}`,
      );
    }
  });
  const counts = STATUS_ORDER.map((s) => [s, rows.filter((r) => r.status === s).length] as const).filter(
    ([, n]) => n > 0,
  );
  out.push(
    '',
    `${rows.length} key${rows.length === 1 ? '' : 's'}: ${counts.length > 0 ? counts.map(([s, n]) => `${n} ${s}`).join(', ') : 'none declared'}`,
  );
  return `${out.join('\n')}\n`;
}
