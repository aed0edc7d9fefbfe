/**
 * The dashboard in a real browser: Debian's Chromium driven by playwright-core (never a downloaded
 * browser build), against the daemon on the built-in sandbox with a copy of examples/basic.
 *
 * Chromium is required, not optional: without /usr/bin/chromium this test fails and says how to
 * install it (`.ci/run` does; test/helpers/chromium.ts). The screenshot is written to test-results/ (SCW_GITOPS_ARTIFACTS).
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { systemClock } from '../../src/clock.js';
import { defaultSettings } from '../../src/config/load-settings.js';
import type { Settings } from '../../src/config/settings.js';
import { type Daemon, startDaemon } from '../../src/daemon/daemon.js';
import { createLogger } from '../../src/logging/logger.js';
import { launchChromium } from '../helpers/chromium.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = process.env['SCW_GITOPS_ARTIFACTS'] ?? path.join(ROOT, 'test-results');

/** kind/name of every object declared in a desired-state directory. */
async function declaredObjects(dir: string): Promise<{ kind: string; name: string }[]> {
  const out: { kind: string; name: string }[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.ya?ml$/.test(e.name)) {
        for (const doc of parseAllDocuments(await readFile(p, 'utf8'))) {
          const v = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
          if (v?.kind && v.metadata?.name) out.push({ kind: v.kind, name: v.metadata.name });
        }
      }
    }
  };
  await walk(dir);
  return out;
}

/** Every value of the file sink's dotenv records (the keys' secrets among them). */
async function sinkValues(dir: string): Promise<string[]> {
  const values: string[] = [];
  for (const f of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue;
    const text = await readFile(path.join(f.parentPath, f.name), 'utf8');
    for (const m of text.matchAll(/^[A-Z_]*SECRET[A-Z_]*=(.+)$/gm)) values.push(m[1]!.replace(/^"|"$/g, ''));
  }
  return values;
}

/** A local notification receiver (the webhook target's URL). */
async function startReceiver(): Promise<{
  url: string;
  bodies: Record<string, unknown>[];
  close(): Promise<void>;
}> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the dashboard in Chromium (sandbox + examples/basic)', () => {
  let tmp: string;
  let dir: string;
  let daemon: Daemon;
  let browser: Browser;
  let page: Page;
  const cap = createLogCapture();
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    // Fails, with how to install it, when Debian's chromium is absent: never skipped.
    browser = await launchChromium();
    receiver = await startReceiver();
    tmp = await mkdtemp(path.join(tmpdir(), 'scw-ui-e2e-'));
    dir = path.join(tmp, 'desired');
    await cp(path.join(ROOT, 'examples/basic'), dir, { recursive: true });
    const d = defaultSettings();
    const settings: Settings = {
      ...d,
      instance: 'ui-e2e',
      source: { dir },
      scaleway: { ...d.scaleway, sandbox: { enabled: true, port: 0 } },
      sinks: [{ name: 'local', type: 'file', dir: path.join(tmp, 'secrets'), format: 'dotenv' }],
      defaults: { sink: 'local', rotation: { overlapMs: 60_000 } },
      server: { host: '127.0.0.1', port: 0 },
      notifications: [
        {
          type: 'webhook',
          name: 'ops',
          urlEnv: 'OPS_HOOK_URL',
          events: ['object-blocked', 'pass-failed', 'desired-state-invalid'],
          expiringWithinMs: 14 * 86_400_000,
          maxPerMinute: 20,
        },
      ],
    };
    daemon = await startDaemon({
      settings,
      env: { OPS_HOOK_URL: receiver.url },
      logger: createLogger({ level: 'debug', destination: cap.destination }),
      clock: systemClock,
      backoff: { baseMs: 600_000, maxMs: 600_000, factor: 2, jitter: 0 },
      disable: { cron: true, watch: true },
      dashboardRefreshMs: 250,
    });
    await waitFor(() => daemon.state.lastPass !== undefined && !daemon.loop.running, {
      timeoutMs: 30_000,
      what: 'startup pass',
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    // Every request the page makes is recorded; anything not on loopback is refused.
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      requests.push(url.href);
      return /^(127\.0\.0\.1|localhost|\[::1\])$/.test(url.hostname) ? route.continue() : route.abort();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await daemon?.stop();
    await receiver?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('shows the six keys on the timeline and every declared object', async () => {
    expect(daemon.adminUrl).toBeDefined();
    await page.goto(`${daemon.adminUrl}/ui`);
    await expect(page.title()).resolves.toBe('scw-gitops: ui-e2e');
    const rows = page.locator('svg.timeline g.key-row');
    expect(await rows.count()).toBe(6);
    const declared = await declaredObjects(dir);
    const keys = declared.filter((o) => o.kind === 'ApiKey').map((o) => `ApiKey/${o.name}`);
    expect(keys).toHaveLength(6);
    expect((await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-address')))).sort()).toEqual(
      keys.sort(),
    );
    // Each bar names its access key on hover (the SVG <title>), and it is a live key.
    const live = new Set((await daemon.runtime.client.listApiKeys()).map((k) => k.accessKey));
    const titles = await page.locator('svg.timeline rect.bar > title').allTextContents();
    expect(titles).toHaveLength(6);
    for (const t of titles) expect(live.has(t.split(' ')[0]!), t).toBe(true);
    for (const o of declared) {
      const row = page.locator(`tr.object[data-kind="${o.kind}"]`).filter({ hasText: o.name });
      expect(await row.count(), `${o.kind}/${o.name}`).toBeGreaterThanOrEqual(1);
    }
    expect(await page.locator('tr.object[data-state="in-sync"]').count()).toBe(declared.length);
    expect(await page.locator('tr.pass').count()).toBe(1);
  });

  it('filters objects by kind, state and text', async () => {
    await page.selectOption('#filter-kind', 'ApiKey');
    expect(await page.locator('tr.object:visible').count()).toBe(6);
    await page.fill('#filter-text', 'ci-');
    const visible = await page.locator('tr.object:visible').allTextContents();
    expect(visible.length).toBeGreaterThan(0);
    for (const t of visible) expect(t).toContain('ci-');
    await page.selectOption('#filter-kind', '');
    await page.fill('#filter-text', '');
    await page.selectOption('#filter-state', 'conflict');
    expect(await page.locator('tr.object:visible').count()).toBe(0);
    await page.selectOption('#filter-state', '');
  });

  it('shows a conflict with its file:line after the next pass, without reloading', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    await daemon.runtime.client.createApplication({
      name: 'shadow-app',
      description: 'made in the console',
      tags: [],
    });
    await writeFile(
      path.join(dir, 'apps', 'shadow.yaml'),
      'apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: shadow-app\nspec:\n  description: declared later\n',
    );
    const passes = daemon.loop.passes;
    daemon.request('test');
    await waitFor(() => daemon.loop.passes > passes && !daemon.loop.running, {
      timeoutMs: 30_000,
      what: 'the pass after the conflict',
    });
    const row = page.locator('tr.object[data-kind="Application"][data-state="conflict"]');
    await row.waitFor({ timeout: 10_000 });
    const text = await row.textContent();
    expect(text).toContain('shadow-app');
    expect(text).toMatch(/apps\/shadow\.yaml:\d+:\d+/);
    expect(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
    expect(await page.locator('tr.pass').count()).toBe(2);
    // The same conflict reached the notification receiver, once, with its file:line.
    await waitFor(() => receiver.bodies.length > 0, { timeoutMs: 10_000, what: 'a notification' });
    expect(receiver.bodies).toEqual([
      expect.objectContaining({
        version: 1,
        event: 'object-blocked',
        instance: 'ui-e2e',
        subject: 'Application/shadow-app',
        location: expect.objectContaining({ file: 'apps/shadow.yaml' }),
      }),
    ]);
  });

  it('has no serious or critical accessibility violations (axe-core)', async () => {
    const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    // Evaluated through the DevTools protocol (not a <script> tag), so the page's CSP stays strict.
    await page.evaluate(axeSource);
    const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as {
      violations: { id: string; impact: string | null; nodes: unknown[] }[];
    };
    expect(await page.evaluate('typeof axe.version')).toBe('string');
    const severe = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
    expect(severe).toEqual([]);
  });

  it('saves a screenshot as a test artifact', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: file, fullPage: true });
    expect((await readFile(file)).subarray(1, 4).toString()).toBe('PNG');
  });

  it('made no request off localhost, broke no CSP rule, and shows no secret', async () => {
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((u) => !/^http:\/\/127\.0\.0\.1:\d+\//.test(u))).toEqual([]);
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
    const secrets = await sinkValues(path.join(tmp, 'secrets'));
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    const pages = [
      await page.content(),
      await (await fetch(`${daemon.adminUrl}/ui`)).text(),
      await (await fetch(`${daemon.adminUrl}/ui/live`)).text(),
      await (await fetch(`${daemon.adminUrl}/status`)).text(),
      JSON.stringify(receiver.bodies),
    ];
    assertNoSecrets(pages, secrets);
    assertNoSecrets(cap.raw, secrets);
  });
});
