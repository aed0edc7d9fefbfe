/**
 * The read-only dashboard (`GET /ui`, docs/operations.md#dashboard), rendered on the server from
 * the same StatusDocument `/status` serves. The page is plain HTML plus one stylesheet and one
 * small script from `/ui/` (assets.ts): no inline script or style, nothing from another origin, so
 * it runs under a strict CSP (`DASHBOARD_CSP`) and offline. The script polls `/ui/live` (the
 * `live` part below) and swaps it in, and filters the object table; without it the page still
 * shows everything.
 */
import { OBJECT_STATES, type ObjectStatus } from '../model/inventory.js';
import { KINDS } from '../model/resources.js';
import type { PassRecord, StatusDocument } from '../model/status.js';
import { duration, esc, time, where } from './html.js';
import { renderKeyTimeline } from './timeline.js';

export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

export interface DashboardOptions {
  readonly now: Date;
  /** Keys expiring within this window are highlighted (default 14 days). */
  readonly expiringWithinMs?: number;
  /** How often the page refreshes its live part (default 10 s). */
  readonly refreshMs?: number;
}

const DAY = 86_400_000;

function passTrigger(p: PassRecord): string {
  return p.reasons.join(', ');
}

function passCounts(p: PassRecord): string {
  const plan = p.summary?.plan;
  if (!plan) return '';
  const planned = Object.entries(plan)
    .filter(([, n]) => n > 0)
    .map(([a, n]) => `${n} ${a}`);
  return planned.length > 0 ? planned.join(', ') : 'no change';
}

/** The earliest of the next resync, the next due instant and a scheduled retry. */
function nextPass(doc: StatusDocument): { at: string; why: string } | undefined {
  const candidates: { at: string; why: string }[] = [];
  if (doc.schedule.nextResyncAt) candidates.push({ at: doc.schedule.nextResyncAt, why: 'resync' });
  if (doc.schedule.nextDueAt) candidates.push({ at: doc.schedule.nextDueAt, why: 'rotation or expiry due' });
  if (doc.schedule.retryAt) candidates.push({ at: doc.schedule.retryAt, why: 'retry' });
  candidates.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return candidates[0];
}

function header(doc: StatusDocument): string {
  const ds = doc.desiredState;
  const validity =
    ds.valid === null
      ? '<span class="badge unknown">not read yet</span>'
      : ds.valid
        ? '<span class="badge ok">valid</span>'
        : '<span class="badge bad">invalid</span>';
  const last = doc.lastPass;
  const next = nextPass(doc);
  const item = (term: string, value: string): string => `<div><dt>${term}</dt><dd>${value}</dd></div>`;
  return [
    '<header id="summary" data-live>',
    '<h1>scw-gitops</h1>',
    '<dl class="facts">',
    item('Organization', `<code>${esc(doc.organizationId)}</code>`),
    item('Instance', esc(doc.instance)),
    item(
      'Revision',
      `<code>${esc(ds.revisionInUse ?? doc.revision ?? 'unknown')}</code> ${validity}` +
        (ds.revision && ds.revision !== ds.revisionInUse ? ` newest: <code>${esc(ds.revision)}</code>` : ''),
    ),
    item(
      'Last pass',
      last
        ? `<span class="result ${esc(last.result ?? 'running')}">${esc(last.result ?? 'running')}</span> ` +
            `${esc(passTrigger(last))}, ${esc(duration(last.durationMs))}, ${time(last.finishedAt)}`
        : 'none yet',
    ),
    item('Next pass', next ? `${time(next.at)} (${esc(next.why)})` : 'on the next change'),
    item(
      'State',
      `${doc.ready ? 'ready' : 'not ready'}${doc.leader ? ', leader' : ', standby'}, version ${esc(doc.version)}`,
    ),
    '</dl>',
    '</header>',
  ].join('\n');
}

function desiredStateErrors(doc: StatusDocument): string {
  const ds = doc.desiredState;
  if (ds.valid !== false) return '';
  const items = ds.errors.map(
    (e) =>
      `<li><code>${esc(where(e.location))}</code> ${esc(e.message)}${e.hint ? ` <em>${esc(e.hint)}</em>` : ''}</li>`,
  );
  return [
    '<section class="alert" aria-labelledby="invalid-title">',
    `<h2 id="invalid-title">The desired state at <code>${esc(ds.revision ?? 'the newest revision')}</code> is invalid</h2>`,
    `<p>Nothing from it is applied; the daemon keeps working from <code>${esc(ds.revisionInUse ?? 'no revision')}</code>.</p>`,
    `<ul>${items.join('')}</ul>`,
    '</section>',
  ].join('\n');
}

function objectDetail(o: ObjectStatus): string {
  const parts: string[] = [];
  for (const d of o.diagnostics ?? []) {
    parts.push(
      `<div class="diag ${esc(d.severity)}">${esc(d.message)}${d.location ? ` <code>${esc(where(d.location))}</code>` : ''}</div>`,
    );
  }
  if (o.blockedBy) parts.push(`<div class="diag">blocked by ${esc(o.blockedBy)}</div>`);
  for (const a of o.actions ?? []) {
    parts.push(`<div>${esc(a.action)} (${esc(a.reason)}${a.detail ? `: ${esc(a.detail)}` : ''})</div>`);
  }
  if (o.error) parts.push(`<div class="diag error">${esc(o.error)}</div>`);
  if (!o.declared) parts.push('<div>no longer declared</div>');
  return parts.join('');
}

function objectsTable(doc: StatusDocument): string {
  const objects = doc.inventory?.objects ?? [];
  if (objects.length === 0) return '<p class="empty">No object yet: the first pass has not planned.</p>';
  const rows = objects.map(
    (o) =>
      `<tr class="object" data-kind="${esc(o.kind)}" data-state="${esc(o.state)}" data-text="${esc(`${o.address} ${where(o.location)}`.toLowerCase())}">` +
      `<td>${esc(o.kind)}</td><td>${esc(o.name)}</td>` +
      `<td><span class="state ${esc(o.state)}">${esc(o.state)}</span></td>` +
      `<td>${objectDetail(o)}</td><td><code>${esc(where(o.location))}</code></td></tr>`,
  );
  const counts = OBJECT_STATES.map((s) => [s, objects.filter((o) => o.state === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  return [
    `<p class="counts">${objects.length} objects: ${esc(counts)}</p>`,
    '<table class="objects"><caption class="visually-hidden">Declared objects and their state</caption>',
    '<thead><tr><th scope="col">Kind</th><th scope="col">Name</th><th scope="col">State</th><th scope="col">Detail</th><th scope="col">Declared at</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody></table>`,
  ].join('\n');
}

function keysTable(doc: StatusDocument): string {
  const rows = (doc.inventory?.keys ?? []).flatMap((row) =>
    row.keys.map(
      (k) =>
        `<tr><td>${esc(row.name)}</td><td><code>${esc(k.accessKey)}</code></td><td>${esc(k.role)}</td>` +
        `<td>${time(k.createdAt)}</td><td>${time(k.rotateAt)}</td><td>${k.expiresAt ? time(k.expiresAt) : 'never'}</td><td>${time(k.retireAt)}</td></tr>`,
    ),
  );
  if (rows.length === 0) return '';
  return [
    '<details><summary>The keys as a table</summary>',
    '<table class="keys"><caption class="visually-hidden">Live keys of the declared ApiKeys</caption>',
    '<thead><tr><th scope="col">ApiKey</th><th scope="col">Access key</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Rotates</th><th scope="col">Expires</th><th scope="col">Overlap ends</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody></table></details>`,
  ].join('\n');
}

function passesTable(doc: StatusDocument): string {
  const passes = doc.passes.slice(0, 20);
  if (passes.length === 0) return '<p class="empty">No pass has finished yet.</p>';
  const rows = passes.map(
    (p) =>
      `<tr class="pass"><td>${time(p.startedAt)}</td><td>${esc(passTrigger(p))}</td>` +
      `<td><span class="result ${esc(p.result ?? '')}">${esc(p.result ?? '')}</span></td><td>${esc(duration(p.durationMs))}</td>` +
      `<td>${esc(passCounts(p))}</td><td>${p.failures ?? 0}</td><td>${esc(p.error ?? '')}</td></tr>`,
  );
  return [
    '<table class="passes"><caption class="visually-hidden">The last passes, newest first</caption>',
    '<thead><tr><th scope="col">Started</th><th scope="col">Trigger</th><th scope="col">Result</th><th scope="col">Duration</th><th scope="col">Planned steps</th><th scope="col">Failures</th><th scope="col">Error</th></tr></thead>',
    `<tbody>${rows.join('\n')}</tbody></table>`,
  ].join('\n');
}

/** The parts the script refreshes, each replaced by id (`data-live`). */
function liveParts(
  doc: StatusDocument,
  opts: DashboardOptions,
): Record<'summary' | 'alerts' | 'keys' | 'objects' | 'passes', string> {
  const within = opts.expiringWithinMs ?? 14 * DAY;
  return {
    summary: header(doc),
    alerts: `<div id="alerts" data-live>${desiredStateErrors(doc)}</div>`,
    keys: [
      '<div id="keys" data-live>',
      `<p class="legend"><span class="swatch current"></span>current <span class="swatch retiring"></span>retiring <span class="swatch overlap"></span>overlap <span class="swatch expiring"></span>expires within ${Math.round(within / DAY)} days <span class="swatch expired"></span>expired <span class="swatch rotate"></span>rotation due <span class="swatch now"></span>now</p>`,
      `<div class="timeline-box">${renderKeyTimeline(doc.inventory?.keys ?? [], { now: opts.now, expiringWithinMs: within })}</div>`,
      keysTable(doc),
      '</div>',
    ].join('\n'),
    objects: `<div id="objects" data-live>${objectsTable(doc)}</div>`,
    passes: `<div id="passes" data-live>${passesTable(doc)}</div>`,
  };
}

function filters(): string {
  const option = (v: string) => `<option value="${esc(v)}">${esc(v)}</option>`;
  return [
    '<form class="filters" role="search" aria-label="Filter objects">',
    `<label for="filter-kind">Kind</label> <select id="filter-kind"><option value="">all</option>${KINDS.map(option).join('')}</select>`,
    `<label for="filter-state">State</label> <select id="filter-state"><option value="">all</option>${OBJECT_STATES.map(option).join('')}</select>`,
    '<label for="filter-text">Search</label> <input id="filter-text" type="search" autocomplete="off">',
    '</form>',
  ].join('\n');
}

/** `page`: the whole document; `live`: the parts the script refreshes, in one fragment. */
export function renderDashboard(part: 'page' | 'live', doc: StatusDocument, opts: DashboardOptions): string {
  const p = liveParts(doc, opts);
  if (part === 'live') return `<div id="live">\n${Object.values(p).join('\n')}\n</div>`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>scw-gitops: ${esc(doc.instance)}</title>`,
    '<link rel="stylesheet" href="/ui/dashboard.css">',
    '<script src="/ui/dashboard.js" defer></script>',
    '</head>',
    `<body data-refresh-ms="${opts.refreshMs ?? 10_000}">`,
    p.summary,
    '<main>',
    '<p id="refresh-status" role="status" class="refresh"></p>',
    p.alerts,
    '<section aria-labelledby="keys-title">',
    '<h2 id="keys-title">Key timeline</h2>',
    p.keys,
    '</section>',
    '<section aria-labelledby="objects-title">',
    '<h2 id="objects-title">Objects</h2>',
    filters(),
    p.objects,
    '</section>',
    '<section aria-labelledby="passes-title">',
    '<h2 id="passes-title">Recent passes</h2>',
    p.passes,
    '</section>',
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
