import { describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, renderDashboard } from '../../src/ui/dashboard.js';
import { renderKeyTimeline } from '../../src/ui/timeline.js';
import { largeStatus, NOW, smallStatus, withPasses } from './status-fixture.js';

const DAY = 86_400_000;

/** Everything a strict CSP (`default-src 'self'`) would refuse, or that leaves the origin. */
function cspViolations(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (m[2]!.trim() !== '') out.push(`inline script: ${m[2]!.slice(0, 40)}`);
    if (!/\bsrc="\/ui\//.test(m[1]!)) out.push(`script not from /ui/: ${m[1]}`);
  }
  if (/<style\b/i.test(html)) out.push('inline <style>');
  for (const m of html.matchAll(/\s(style|on[a-z]+)\s*=/gi)) out.push(`attribute ${m[1]}`);
  for (const m of html.matchAll(/\b(?:src|href|action)="([^"]*)"/gi)) {
    if (!m[1]!.startsWith('/') && !m[1]!.startsWith('#')) out.push(`external reference ${m[1]}`);
  }
  return out;
}

describe('dashboard page', () => {
  const page = renderDashboard('page', withPasses(smallStatus()), { now: NOW });

  it('needs nothing a strict CSP refuses, and nothing from outside', () => {
    expect(DASHBOARD_CSP).toMatch(/^default-src 'self'/);
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
    expect(cspViolations(page)).toEqual([]);
    expect(page).toContain('<script src="/ui/dashboard.js" defer></script>');
    expect(page).toContain('<link rel="stylesheet" href="/ui/dashboard.css">');
  });

  it('has a header: organization, instance, revision and validity, last pass, next pass', () => {
    const header = page.slice(page.indexOf('<header'), page.indexOf('</header>'));
    expect(header).toContain('11111111-2222-3333-4444-555555555555');
    expect(header).toContain('prod-eu');
    expect(header).toContain('abc1234');
    expect(header).toMatch(/valid/);
    expect(header).toContain('file-change');
    expect(header).toContain('1.2 s');
    expect(header).toContain('partial');
    // The next pass: the earliest of the next resync and the next due instant.
    expect(header).toContain(
      new Date(NOW.getTime() + 0.01 * DAY).toISOString().slice(0, 16).replace('T', ' '),
    );
  });

  it('says when the newest desired state is invalid, with each error and its file:line', () => {
    const doc = smallStatus();
    const invalid = renderDashboard(
      'page',
      {
        ...doc,
        desiredState: {
          revision: 'def5678',
          valid: false,
          revisionInUse: 'abc1234',
          errors: [
            {
              severity: 'error',
              code: 'yaml',
              message: 'unexpected end of the stream',
              location: { file: 'apps/x.yaml', line: 3, col: 1 },
            },
          ],
        },
      },
      { now: NOW },
    );
    expect(invalid).toContain('def5678');
    expect(invalid).toContain('invalid');
    expect(invalid).toContain('apps/x.yaml:3:1');
    expect(invalid).toContain('unexpected end of the stream');
    expect(invalid).toContain('abc1234');
  });

  it('lists every object with its state, diagnostic and file:line, escaped', () => {
    const rows = [...page.matchAll(/<tr class="object" data-kind="(\w+)" data-state="([\w-]+)"/g)];
    expect(rows.map((m) => `${m[1]}:${m[2]}`)).toEqual([
      'Project:in-sync',
      'Application:conflict',
      'Policy:pending',
      'ApiKey:blocked',
    ]);
    expect(page).toContain('apps/app-1.yaml:6:9');
    expect(page).toContain('an application named app-1 exists and is not managed by scw-gitops');
    expect(page).toContain('blocked by Application/app-1');
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Filters by kind and state, and a text search, each labelled.
    expect(page).toMatch(/<label for="filter-kind">/);
    expect(page).toMatch(/<label for="filter-state">/);
    expect(page).toMatch(/<label for="filter-text">/);
  });

  it('shows the last 20 passes with their step counts and failures', () => {
    const passes = [...page.matchAll(/<tr class="pass"/g)];
    expect(passes).toHaveLength(20);
    expect(page).toContain('delivering the secret of ApiKey/key-2 failed');
  });

  it('refreshes by itself: the live part is its own fragment, polled by the script', () => {
    const live = renderDashboard('live', smallStatus(), { now: NOW });
    expect(live.startsWith('<div id="live">')).toBe(true);
    const parts = [...live.matchAll(/<(\w+) id="([\w-]+)" data-live>/g)].map((m) => m[2]);
    expect(parts).toEqual(['summary', 'alerts', 'keys', 'objects', 'passes']);
    for (const id of parts) expect(page).toContain(`id="${id}" data-live>`);
    // The filters are outside the refreshed parts: a refresh never resets what the user typed.
    expect(live).not.toContain('filter-text');
    expect(page).toMatch(/data-refresh-ms="\d+"/);
  });
});

describe('key timeline', () => {
  const rows = smallStatus().inventory!.keys;
  const svg = renderKeyTimeline(rows, { now: NOW, expiringWithinMs: 7 * DAY });

  it('draws one row per declared key, with a bar per live key and its access key on hover', () => {
    expect([...svg.matchAll(/<g class="key-row"/g)]).toHaveLength(6);
    for (const row of rows) {
      for (const k of row.keys) expect(svg).toMatch(new RegExp(`<title>${k.accessKey} \\(${k.role}\\)`));
    }
    expect(svg).toMatch(/^<svg[^>]* role="img" aria-labelledby="timeline-title timeline-desc"/);
  });

  it('marks now, rotateAt, the overlap of a retiring key, expired and near-expiry keys', () => {
    expect(svg).toContain('class="now"');
    expect([...svg.matchAll(/class="rotate-at"/g)].length).toBe(6);
    expect([...svg.matchAll(/class="overlap"/g)]).toHaveLength(1);
    // The retiring key expires in 3 days (within 7), the lapsed one 2 days ago.
    expect(svg).toMatch(/class="bar retiring expiring"[^>]*><title>SCWOLDOLDOLDOLDOLDOL/);
    expect(svg).toMatch(/class="bar current expired"[^>]*><title>SCWEXPIREDEXPIREDEX/);
    expect(svg).toMatch(/class="bar current"[^>]*><title>SCWNEWNEWNEWNEWNEWNE/);
  });

  it('stays readable at 300 keys: fixed row height, every row labelled', () => {
    const big = renderKeyTimeline(largeStatus(300).inventory!.keys, { now: NOW, expiringWithinMs: 7 * DAY });
    expect([...big.matchAll(/<g class="key-row"/g)]).toHaveLength(300);
    const small = /viewBox="0 0 (\d+) (\d+)"/.exec(svg)!;
    const large = /viewBox="0 0 (\d+) (\d+)"/.exec(big)!;
    expect(large[1]).toBe(small[1]);
    const perRow = (Number(large[2]) - Number(small[2])) / (300 - 6);
    expect(perRow).toBeGreaterThanOrEqual(16);
    expect(perRow).toBeLessThanOrEqual(24);
    expect(big).toContain('>key-299<');
  });

  it('says there is nothing to draw when no key is declared', () => {
    expect(renderKeyTimeline([], { now: NOW, expiringWithinMs: DAY })).toContain('No ApiKey is declared');
  });
});
