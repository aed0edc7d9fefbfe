/**
 * Markdown rendering for a pull-request comment: a summary table, warnings and errors as
 * GitHub alerts, then one collapsed `<details>` section per kind with a `diff` block of its
 * steps (the text rendering's lines, without colour).
 */
import { type Diagnostic, formatDiagnostic } from '../model/diagnostics.js';
import type { Plan } from '../model/plan.js';
import { KINDS } from '../model/resources.js';
import { NO_CHANGES, partialNote, SYMBOL, stepBody, stepComment, stepTitle, summaryLine } from './format.js';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * A table with padded, aligned columns (readable as raw text, and what Markdown formatters
 * produce, so the committed golden files stay formatter-clean).
 */
function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[] = [],
): string[] {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const sep = `| ${widths.map((w, i) => (right[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), sep, ...rows.map(line)];
}

/**
 * The lines of an alert (`> [!CAUTION]`) listing diagnostics: one line each, and a diagnostic's
 * `details` as a list under it (separated by blank quote lines, so the list is a list).
 */
function alertLines(diagnostics: readonly Diagnostic[]): string[] {
  const out: string[] = [];
  diagnostics.forEach((d, i) => {
    const details = d.details ?? [];
    if (i > 0 && (details.length > 0 || (diagnostics[i - 1]?.details?.length ?? 0) > 0)) out.push('>');
    out.push(`> ${cell(formatDiagnostic(d))}  `);
    if (details.length === 0) return;
    out.push('>');
    for (const x of details) out.push(`> - ${cell(x)}`);
  });
  return out;
}

export function renderPlanMarkdown(plan: Plan): string {
  const out: string[] = [];
  const errors = plan.diagnostics.filter((d) => d.severity === 'error');
  const warnings = plan.diagnostics.filter((d) => d.severity === 'warning');
  out.push('### scw-gitops plan');
  out.push('');
  out.push(
    `Organization \`${plan.organizationId}\`, instance \`${plan.instance}\`${
      plan.revision ? `, revision \`${plan.revision}\`${plan.signer ? ` signed by ${plan.signer}` : ''}` : ''
    }, planned at ${plan.createdAt}.`,
  );
  out.push('');
  const partial = partialNote(plan);
  if (partial) out.push(cell(partial), '');
  if (errors.length > 0) {
    out.push(
      `**Plan refused: ${errors.length} error${errors.length === 1 ? '' : 's'}. Nothing will be changed.**`,
    );
  } else if (plan.steps.length === 0) {
    out.push(`**${NO_CHANGES}**`);
  } else {
    out.push(`**${summaryLine(plan)}**`);
    out.push('');
    const actions = ['create', 'update', 'replace', 'delete', 'adopt'] as const;
    out.push(
      ...table(
        ['Action', 'Count'],
        actions.map((a) => [`\`${SYMBOL[a]}\` ${a}`, String(plan.summary[a])]),
        [false, true],
      ),
    );
  }
  out.push('');
  if (errors.length > 0) {
    out.push('> [!CAUTION]');
    out.push(...alertLines(errors));
    out.push('');
  }
  const diagnosed = new Set(plan.diagnostics.map((d) => d.message));
  const stepWarnings = plan.steps.flatMap((s) =>
    s.warnings.filter((w) => !diagnosed.has(w)).map((w) => `${s.address}: ${w}`),
  );
  if (warnings.length > 0 || stepWarnings.length > 0) {
    out.push('> [!WARNING]');
    for (const w of new Set(stepWarnings)) out.push(`> ${cell(w)}  `);
    const seen = new Set<string>();
    const unique = warnings.filter((d) => {
      const key = formatDiagnostic(d);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (stepWarnings.length > 0 && unique.some((d) => (d.details?.length ?? 0) > 0)) out.push('>');
    out.push(...alertLines(unique));
    out.push('');
  }
  for (const kind of KINDS) {
    const steps = plan.steps.filter((s) => s.kind === kind);
    if (steps.length === 0) continue;
    out.push(`<details><summary>${kind} (${steps.length})</summary>`);
    out.push('');
    out.push(
      ...table(
        ['Action', 'Resource', 'Reason'],
        steps.map((s) => [
          `\`${SYMBOL[s.action]}\` ${s.action}`,
          `\`${cell(stepTitle(s))}\``,
          cell(s.reason),
        ]),
      ),
    );
    out.push('');
    out.push('```diff');
    for (const s of steps) {
      out.push(stepComment(s));
      out.push(`${SYMBOL[s.action]} ${stepTitle(s)}`);
      for (const l of stepBody(s)) out.push(`    ${l}`);
    }
    out.push('```');
    out.push('');
    out.push('</details>');
    out.push('');
  }
  if (plan.upcoming.length > 0) {
    out.push('<details><summary>Upcoming key rotations</summary>');
    out.push('');
    out.push(
      ...table(
        ['Key', 'Access key', 'Rotates at', 'Expires'],
        plan.upcoming.map((k) => [
          `\`${k.address}\``,
          `\`${k.accessKey}\``,
          k.rotateAt ?? '',
          k.expiresAt ?? 'never',
        ]),
      ),
    );
    out.push('');
    out.push('</details>');
    out.push('');
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}
