import { expect } from 'vitest';
import { type LoadOptions, type LoadResult, loadDesiredFromTexts } from '../../src/desired/load.js';
import type { Diagnostic } from '../../src/model/diagnostics.js';

export const NOW = new Date('2026-06-01T12:00:00Z');

/** Parse and validate in-memory files (`{ 'a.yaml': text }`) as if they were a directory. */
export function load(files: Record<string, string>, opts: Partial<LoadOptions> = {}): LoadResult {
  return loadDesiredFromTexts(
    '/desired',
    Object.entries(files).map(([file, text]) => ({ file, text })),
    { instance: 'default', now: NOW, ...opts },
  );
}

export function diagnosticsOf(text: string, opts: Partial<LoadOptions> = {}): Diagnostic[] {
  return load({ 'test.yaml': text }, opts).diagnostics;
}

export interface Expected {
  readonly code: string;
  readonly line: number;
  readonly col: number;
  readonly resource?: string | undefined;
  readonly field?: string | undefined;
  readonly severity?: 'error' | 'warning';
  readonly file?: string;
  readonly message?: RegExp;
  readonly hint?: RegExp | string;
}

/** Exactly one diagnostic with this code, at this place, about this resource and field. */
export function expectOne(diags: readonly Diagnostic[], e: Expected): Diagnostic {
  const matching = diags.filter((d) => d.code === e.code);
  expect(matching, `diagnostics with code ${e.code} in ${JSON.stringify(diags, null, 1)}`).toHaveLength(1);
  const d = matching[0]!;
  expect({
    severity: d.severity,
    file: d.location?.file,
    line: d.location?.line,
    col: d.location?.col,
    resource: d.resource,
    field: d.field,
  }).toEqual({
    severity: e.severity ?? 'error',
    file: e.file ?? 'test.yaml',
    line: e.line,
    col: e.col,
    resource: e.resource,
    field: e.field,
  });
  if (e.message) expect(d.message).toMatch(e.message);
  if (e.hint !== undefined) {
    if (typeof e.hint === 'string') expect(d.hint).toBe(e.hint);
    else expect(d.hint).toMatch(e.hint);
  }
  return d;
}

export function codes(diags: readonly Diagnostic[]): string[] {
  return diags.map((d) => d.code);
}

/** A document header; the body starts on line 5 (`spec:` when given). */
export function header(kind: string, name: string): string {
  return `apiVersion: scw-gitops/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n`;
}

/** Declarations that references in tests can point to. */
export const BASE = `${header('Project', 'web')}---
${header('Application', 'app')}---
${header('Group', 'admins')}`;
