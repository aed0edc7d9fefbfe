/**
 * The report of a command that failed after reading its settings: invalid desired state, a
 * refused plan, an API or sink error, failed apply steps. Rendered as text (stderr, `--out` with
 * `--output text`) and as Markdown (`--output markdown --out FILE`: what the CI examples post on
 * the pull request, so a failure gets a comment like a plan does).
 *
 * Every diagnostic is shown with what it carries: location, resource, field, message, hint and
 * details (a list under it). Paths are already in the display style (src/cli/display.ts).
 * Pure; nothing here sees a secret (messages are scrubbed by whoever built the report).
 */
import { type Diagnostic, formatDiagnosticLines } from '../model/diagnostics.js';
import type { Plan } from '../model/plan.js';

export interface FailureReport {
  /** The command line's verb, as the user typed it: `plan`, `reconcile --dry-run`, `reconcile`. */
  readonly command: string;
  /** What went wrong, one line. */
  readonly summary: string;
  /** What it means for the organization: "Nothing was changed." or what was applied. */
  readonly consequence: string;
  /** Errors first, then warnings. */
  readonly diagnostics: readonly Diagnostic[];
  /** The plan, when one was made (refused, or partly applied). */
  readonly plan?: Pick<Plan, 'organizationId' | 'instance' | 'revision' | 'createdAt'>;
  /** Objects held back by an error, one line each (render/format.ts `describeBlocked`). */
  readonly blocked?: readonly string[];
  /** Outcome lines of an apply that failed part way (`ApiKey/ci: failed: …`). */
  readonly outcomes?: readonly string[];
  /** What to do next, when there is a clear next step. */
  readonly next?: string;
}

function ordered(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [
    ...diagnostics.filter((d) => d.severity === 'error'),
    ...diagnostics.filter((d) => d.severity !== 'error'),
  ];
}

export function renderFailureText(report: FailureReport): string {
  const lines: string[] = [`scw-gitops ${report.command} failed: ${report.summary}`, report.consequence];
  const diagnostics = ordered(report.diagnostics);
  if (diagnostics.length > 0) {
    lines.push('');
    for (const d of diagnostics) lines.push(...formatDiagnosticLines(d));
  }
  if (report.blocked && report.blocked.length > 0)
    lines.push(
      '',
      `Blocked (${report.blocked.length}): not changed until the errors are fixed`,
      ...report.blocked.map((b) => `  ${b}`),
    );
  if (report.outcomes && report.outcomes.length > 0) lines.push('', ...report.outcomes);
  if (report.next) lines.push('', report.next);
  return `${lines.join('\n')}\n`;
}

/** Text inside inline code: backticks cannot be escaped there, so they become quotes. */
function code(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

/** One line of prose: no raw HTML, no line breaks (a message may quote user input). */
function prose(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function markdownDiagnostic(d: Diagnostic): string[] {
  const where = d.location ? `${code(`${d.location.file}:${d.location.line}:${d.location.col}`)} ` : '';
  const subject = [d.resource, d.field].filter((x): x is string => Boolean(x));
  const about = subject.length > 0 ? `${code(subject.join(' '))}: ` : '';
  const hint = d.hint ? ` _(${prose(d.hint)})_` : '';
  const lines = [`- **${d.severity}** ${where}${about}${prose(d.message)} [${code(d.code)}]${hint}`];
  for (const x of d.details ?? []) lines.push(`  - ${prose(x)}`);
  return lines;
}

export function renderFailureMarkdown(report: FailureReport): string {
  const out: string[] = [`### scw-gitops ${prose(report.command)} failed`, ''];
  if (report.plan) {
    const p = report.plan;
    out.push(
      `Organization ${code(p.organizationId)}, instance ${code(p.instance)}${
        p.revision ? `, revision ${code(p.revision)}` : ''
      }, planned at ${p.createdAt}.`,
      '',
    );
  }
  const summary = report.summary.charAt(0).toUpperCase() + report.summary.slice(1);
  out.push('> [!CAUTION]', `> **${prose(summary)}.**`, `> ${prose(report.consequence)}`, '');
  const diagnostics = ordered(report.diagnostics);
  if (diagnostics.length > 0) {
    for (const d of diagnostics) out.push(...markdownDiagnostic(d));
    out.push('');
  }
  if (report.blocked && report.blocked.length > 0) {
    out.push(`**Blocked (${report.blocked.length})**: not changed until the errors are fixed`, '');
    for (const b of report.blocked) out.push(`- ${prose(b)}`);
    out.push('');
  }
  if (report.outcomes && report.outcomes.length > 0) {
    out.push(
      '<details open><summary>What was applied</summary>',
      '',
      '```text',
      ...report.outcomes,
      '```',
      '',
      '</details>',
      '',
    );
  }
  if (report.next) out.push(prose(report.next), '');
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}
