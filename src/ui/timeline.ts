/**
 * The key timeline of the dashboard (docs/operations.md#dashboard): one row per declared ApiKey,
 * a bar per live key from its creation to its expiry, the instant rotation becomes due, each
 * retiring key's overlap window, and a "now" line. Plain SVG, no script: hovering a bar shows its
 * `<title>` (access key id, role, dates; never a secret). Rows have a fixed height, so the chart
 * reads the same at 6 keys and at 300 (it grows downwards, the page scrolls).
 */
import type { KeyBar, KeyTimelineRow } from '../model/inventory.js';
import { esc, shortUtc } from './html.js';

export interface TimelineOptions {
  readonly now: Date;
  /** Keys expiring within this window are highlighted. */
  readonly expiringWithinMs: number;
}

const WIDTH = 1000;
const LABEL = 220;
const RIGHT = 16;
const AXIS = 34;
const ROW = 20;
const BAR = 10;
const DAY = 86_400_000;

const ms = (iso: string | null | undefined): number | undefined => {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};

/** The time span shown: every bar's start and end, and now, with a little room either side. */
function domain(rows: readonly KeyTimelineRow[], now: number): [number, number] {
  let lo = now - 7 * DAY;
  let hi = now + 30 * DAY;
  for (const row of rows) {
    for (const k of row.keys) {
      for (const t of [ms(k.createdAt), ms(k.expiresAt), ms(k.rotateAt), ms(k.retireAt)]) {
        if (t === undefined) continue;
        lo = Math.min(lo, t);
        hi = Math.max(hi, t);
      }
    }
  }
  const pad = (hi - lo) * 0.02;
  return [lo - pad, hi + pad];
}

/** Round tick instants (whole days, weeks or months) across the span. */
function ticks(lo: number, hi: number): number[] {
  const span = hi - lo;
  const steps = [DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 182 * DAY, 365 * DAY];
  const step = steps.find((s) => span / s <= 8) ?? steps[steps.length - 1]!;
  const first = Math.ceil(lo / step) * step;
  const out: number[] = [];
  for (let t = first; t <= hi; t += step) out.push(t);
  return out;
}

function keyClass(k: KeyBar, now: number, within: number): string {
  const expires = ms(k.expiresAt);
  const cls = ['bar', k.role];
  if (expires !== undefined && expires <= now) cls.push('expired');
  else if (expires !== undefined && expires - now <= within) cls.push('expiring');
  return cls.join(' ');
}

function describeKey(row: KeyTimelineRow, k: KeyBar, now: number): string {
  const parts = [
    `${k.accessKey} (${k.role})`,
    `${row.address}`,
    `created ${shortUtc(new Date(k.createdAt))}`,
  ];
  const expires = ms(k.expiresAt);
  if (expires === undefined) parts.push('never expires');
  else parts.push(`${expires <= now ? 'expired' : 'expires'} ${shortUtc(new Date(expires))}`);
  if (k.rotateAt) parts.push(`rotates ${shortUtc(new Date(k.rotateAt))}`);
  if (k.retireAt) parts.push(`overlap ends ${shortUtc(new Date(k.retireAt))}`);
  return parts.join(', ');
}

const f = (n: number): string => n.toFixed(1);

export function renderKeyTimeline(rows: readonly KeyTimelineRow[], opts: TimelineOptions): string {
  if (rows.length === 0) return '<p class="empty">No ApiKey is declared.</p>';
  const now = opts.now.getTime();
  const [lo, hi] = domain(rows, now);
  const x = (t: number): number => LABEL + ((t - lo) / (hi - lo)) * (WIDTH - LABEL - RIGHT);
  const height = AXIS + rows.length * ROW + 8;
  const out: string[] = [];
  const expiring = rows.filter((r) =>
    r.keys.some((k) => {
      const e = ms(k.expiresAt);
      return e !== undefined && e - now <= opts.expiringWithinMs;
    }),
  ).length;
  out.push(
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="timeline-title timeline-desc" viewBox="0 0 ${WIDTH} ${height}" preserveAspectRatio="xMinYMin meet">`,
    `<title id="timeline-title">Key timeline: ${rows.length} declared key${rows.length === 1 ? '' : 's'}</title>`,
    `<desc id="timeline-desc">One row per declared ApiKey, bars from creation to expiry; ${expiring} with a key expiring within ${Math.round(opts.expiringWithinMs / DAY)} days or expired. The table below lists the same keys.</desc>`,
  );
  // Axis: ticks with dates, light grid lines across the rows.
  out.push('<g class="axis">');
  for (const t of ticks(lo, hi)) {
    const tx = f(x(t));
    out.push(
      `<line class="grid" x1="${tx}" y1="${AXIS - 6}" x2="${tx}" y2="${height - 4}"/>`,
      `<text class="tick" x="${tx}" y="${AXIS - 12}" text-anchor="middle">${new Date(t).toISOString().slice(0, 10)}</text>`,
    );
  }
  out.push('</g>');
  rows.forEach((row, i) => {
    const y = AXIS + i * ROW;
    const by = y + (ROW - BAR) / 2;
    out.push(`<g class="key-row" data-address="${esc(row.address)}">`);
    const label = row.name.length > 30 ? `${row.name.slice(0, 29)}…` : row.name;
    out.push(
      `<text class="label" x="${LABEL - 8}" y="${y + ROW / 2 + 4}" text-anchor="end">${esc(label)}<title>${esc(row.address)} (application ${esc(row.application)})</title></text>`,
    );
    if (row.keys.length === 0) {
      out.push(`<text class="nokey" x="${LABEL + 4}" y="${y + ROW / 2 + 4}">no live key</text>`);
    }
    // Retiring keys first, so the current key's bar is drawn on top of an overlap.
    const ordered = [...row.keys].sort(
      (a, b) => (a.role === 'retiring' ? -1 : 0) - (b.role === 'retiring' ? -1 : 0),
    );
    for (const k of ordered) {
      const start = ms(k.createdAt) ?? lo;
      const end = ms(k.expiresAt) ?? hi;
      const x0 = x(Math.max(start, lo));
      const w = Math.max(2, x(Math.min(end, hi)) - x0);
      if (k.role === 'retiring' && k.retireAt) {
        // The overlap: from when its successor was created to when it is deleted.
        const successor = row.keys
          .filter((o) => o !== k && o.role !== 'retiring')
          .map((o) => ms(o.createdAt))
          .filter((t): t is number => t !== undefined);
        const from = successor.length > 0 ? Math.min(...successor) : start;
        const to = ms(k.retireAt) ?? end;
        out.push(
          `<rect class="overlap" x="${f(x(from))}" y="${y + 1}" width="${f(Math.max(2, x(to) - x(from)))}" height="${ROW - 2}"><title>${esc(`overlap of ${k.accessKey}: until ${shortUtc(new Date(to))}`)}</title></rect>`,
        );
      }
      out.push(
        `<rect class="${keyClass(k, now, opts.expiringWithinMs)}" x="${f(x0)}" y="${by}" width="${f(w)}" height="${BAR}" rx="2"><title>${esc(describeKey(row, k, now))}</title></rect>`,
      );
      const rot = ms(k.rotateAt);
      if (k.role !== 'retiring' && rot !== undefined) {
        const rx = f(x(rot));
        out.push(
          `<line class="rotate-at" x1="${rx}" y1="${y + 2}" x2="${rx}" y2="${y + ROW - 2}"><title>${esc(`${k.accessKey} rotates ${shortUtc(new Date(rot))}`)}</title></line>`,
        );
      }
    }
    out.push('</g>');
  });
  const nx = f(x(now));
  out.push(
    `<line class="now" x1="${nx}" y1="${AXIS - 8}" x2="${nx}" y2="${height - 4}"><title>now: ${esc(shortUtc(opts.now))}</title></line>`,
    `<text class="now-label" x="${nx}" y="10" text-anchor="middle">now</text>`,
    '</svg>',
  );
  return out.join('\n');
}
