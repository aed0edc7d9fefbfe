/**
 * The dashboard's two static files, served from `/ui/` (same origin, so the strict CSP of
 * dashboard.ts allows them). Hand-written and small: no framework, no build step, no CDN.
 */

/** `/ui/dashboard.js`: refresh the live parts without reloading, filter the objects table. */
export const DASHBOARD_JS = `'use strict';
(function () {
  var body = document.body;
  var refreshMs = Number(body.getAttribute('data-refresh-ms')) || 10000;
  var status = document.getElementById('refresh-status');
  var kind = document.getElementById('filter-kind');
  var state = document.getElementById('filter-state');
  var text = document.getElementById('filter-text');

  function applyFilters() {
    var k = kind ? kind.value : '';
    var s = state ? state.value : '';
    var t = text ? text.value.trim().toLowerCase() : '';
    var rows = document.querySelectorAll('tr.object');
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var ok = (!k || r.getAttribute('data-kind') === k) &&
        (!s || r.getAttribute('data-state') === s) &&
        (!t || (r.getAttribute('data-text') || '').indexOf(t) !== -1 || r.textContent.toLowerCase().indexOf(t) !== -1);
      r.hidden = !ok;
      if (ok) shown++;
    }
    var form = document.querySelector('form.filters');
    if (form) form.setAttribute('data-shown', String(shown));
  }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var parts = doc.querySelectorAll('[data-live]');
    for (var i = 0; i < parts.length; i++) {
      var old = document.getElementById(parts[i].id);
      if (old) old.replaceWith(document.importNode(parts[i], true));
    }
    applyFilters();
  }

  function refresh() {
    fetch('/ui/live', { cache: 'no-store', credentials: 'same-origin' })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.text();
      })
      .then(function (html) {
        swap(html);
        body.setAttribute('data-refreshed-at', new Date().toISOString());
        if (status) status.textContent = '';
      })
      .catch(function (err) {
        if (status) status.textContent = 'Refresh failed (' + err.message + '); showing the last known state.';
      })
      .then(function () {
        setTimeout(refresh, refreshMs);
      });
  }

  [kind, state, text].forEach(function (el) {
    if (el) el.addEventListener('input', applyFilters);
  });
  var form = document.querySelector('form.filters');
  if (form) form.addEventListener('submit', function (e) { e.preventDefault(); });
  applyFilters();
  setTimeout(refresh, refreshMs);
})();
`;

/** `/ui/dashboard.css`. Colours keep a 4.5:1 contrast for text. */
export const DASHBOARD_CSS = `:root { color-scheme: light; --fg: #1b1f24; --muted: #4a5360; --line: #d0d7de; --ok: #116329; --bad: #a40e26; --warn: #7d4e00; --accent: #0550ae; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #fff; }
header { padding: 12px 20px; border-bottom: 1px solid var(--line); background: #f6f8fa; }
h1 { font-size: 18px; margin: 0 0 6px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
main { padding: 0 20px 24px; }
code { font: 12px/1.3 ui-monospace, SFMono-Regular, Menlo, monospace; }
dl.facts { display: flex; flex-wrap: wrap; gap: 6px 24px; margin: 0; }
dl.facts div { min-width: 140px; }
dt { font-size: 12px; color: var(--muted); }
dd { margin: 0; }
.badge, .state, .result { display: inline-block; padding: 0 6px; border-radius: 8px; border: 1px solid currentColor; font-size: 12px; }
.ok, .state.in-sync, .state.adopted, .result.converged, .result.applied { color: var(--ok); }
.bad, .state.blocked, .state.conflict, .state.failed, .result.failed, .result.invalid { color: var(--bad); }
.state.pending, .result.partial, .result.aborted, .unknown { color: var(--warn); }
.alert { border: 1px solid var(--bad); border-radius: 6px; padding: 8px 12px; margin-top: 12px; }
.refresh { color: var(--bad); min-height: 1em; margin: 8px 0 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); }
tr[hidden] { display: none; }
.diag.error { color: var(--bad); }
.diag.warning { color: var(--warn); }
.filters { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; margin: 0 0 8px; }
.filters input, .filters select { font: inherit; padding: 2px 4px; }
.counts, .empty { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.timeline-box { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; padding: 4px; }
svg.timeline { width: 100%; min-width: 720px; height: auto; font: 11px system-ui, sans-serif; }
svg .tick, svg .label, svg .nokey { fill: var(--fg); }
svg .grid { stroke: #eaeef2; }
svg .bar.current { fill: #0969da; }
svg .bar.pending { fill: #8250df; }
svg .bar.retiring { fill: #8c959f; }
svg .bar.expiring { fill: #bf8700; }
svg .bar.expired { fill: #cf222e; }
svg .overlap { fill: #fff8c5; stroke: #d4a72c; stroke-dasharray: 3 2; }
svg .rotate-at { stroke: #1b1f24; stroke-width: 2; }
svg .now { stroke: #cf222e; stroke-width: 1.5; }
svg .now-label { fill: #a40e26; font-weight: 600; }
.legend { color: var(--muted); }
.swatch { display: inline-block; width: 12px; height: 10px; margin: 0 4px 0 10px; vertical-align: middle; border-radius: 2px; }
.swatch.current { background: #0969da; } .swatch.retiring { background: #8c959f; } .swatch.overlap { background: #fff8c5; border: 1px dashed #d4a72c; }
.swatch.expiring { background: #bf8700; } .swatch.expired { background: #cf222e; } .swatch.rotate { background: #1b1f24; width: 3px; } .swatch.now { background: #cf222e; width: 2px; }
details { margin-top: 8px; }
`;
