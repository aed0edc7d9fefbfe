/** HTML text helpers for the server-rendered dashboard: everything from the status is escaped. */
import type { SourceLocation } from '../model/diagnostics.js';

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escape text for an element's content or a double-quoted attribute. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** `file:line:col`. */
export function where(location: SourceLocation | undefined): string {
  return location ? `${location.file}:${location.line}:${location.col}` : '';
}

/** An instant as `YYYY-MM-DD HH:MM UTC` inside a `<time>` element (empty when unknown). */
export function time(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return esc(iso);
  return `<time datetime="${esc(d.toISOString())}">${esc(shortUtc(d))}</time>`;
}

export function shortUtc(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** 1234 ms → `1.2 s`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
