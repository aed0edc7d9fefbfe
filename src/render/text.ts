/**
 * Text rendering of a plan, like `terraform plan`. Colour (ANSI) only when asked (TTY and not
 * --no-color). The last line is always the summary (`Plan: …`), `No changes. …` or
 * `Plan refused: …`.
 */
import { formatDiagnosticLines } from '../model/diagnostics.js';
import type { Action, Plan } from '../model/plan.js';
import { NO_CHANGES, partialNote, SYMBOL, stepBody, stepComment, stepTitle, summaryLine } from './format.js';

export interface TextRenderOptions {
  readonly color?: boolean;
}

const COLOR: Record<Action, string> = {
  create: '\u001b[32m',
  update: '\u001b[33m',
  replace: '\u001b[35m',
  delete: '\u001b[31m',
  adopt: '\u001b[36m',
};
const RESET = '\u001b[0m';
const BOLD = '\u001b[1m';
const RED = '\u001b[31m';
const YELLOW = '\u001b[33m';

export function renderPlanText(plan: Plan, opts: TextRenderOptions = {}): string {
  const c = (code: string, s: string) => (opts.color ? `${code}${s}${RESET}` : s);
  const out: string[] = [];
  out.push(
    `scw-gitops plan for organization ${plan.organizationId} (instance ${plan.instance}${
      plan.revision ? `, revision ${plan.revision}${plan.signer ? ` signed by ${plan.signer}` : ''}` : ''
    }) at ${plan.createdAt}`,
  );
  const partial = partialNote(plan);
  if (partial) out.push(c(YELLOW, partial));
  out.push('');

  const errors = plan.diagnostics.filter((d) => d.severity === 'error');
  const warnings = plan.diagnostics.filter((d) => d.severity === 'warning');

  if (plan.steps.length > 0) {
    out.push('scw-gitops will perform the following actions:');
    out.push('');
    for (const step of plan.steps) {
      out.push(`  ${c('\u001b[2m', stepComment(step))}`);
      const sym = SYMBOL[step.action].padStart(3);
      out.push(`${c(COLOR[step.action], sym)} ${c(BOLD, stepTitle(step))}`);
      for (const line of stepBody(step)) {
        const colored = line.startsWith('! ') ? c(YELLOW, line) : line;
        out.push(`      ${colored}`);
      }
      out.push('');
    }
  }

  if (plan.upcoming.length > 0) {
    out.push('Upcoming key rotations:');
    for (const k of plan.upcoming) {
      out.push(
        `  ${k.address} (${k.accessKey}) rotates at ${k.rotateAt}${k.expiresAt ? `, expires ${k.expiresAt}` : ''}`,
      );
    }
    out.push('');
  }

  if (warnings.length > 0) {
    out.push(c(YELLOW, `Warnings (${warnings.length}):`));
    for (const d of warnings) for (const line of formatDiagnosticLines(d)) out.push(`  ${c(YELLOW, line)}`);
    out.push('');
  }
  if (errors.length > 0) {
    out.push(c(RED, `Errors (${errors.length}):`));
    for (const d of errors) for (const line of formatDiagnosticLines(d)) out.push(`  ${c(RED, line)}`);
    out.push('');
    out.push(
      c(
        RED,
        `Plan refused: ${errors.length} error${errors.length === 1 ? '' : 's'}. Nothing will be changed.`,
      ),
    );
  } else if (plan.steps.length === 0) {
    out.push(c(BOLD, NO_CHANGES));
  } else {
    out.push(c(BOLD, summaryLine(plan)));
  }
  return `${out.join('\n')}\n`;
}
