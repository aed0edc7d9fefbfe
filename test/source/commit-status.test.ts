/**
 * Commit statuses posted to a local receiver emulating the GitHub and GitLab status APIs:
 * states, SHA, summary, link, retries with backoff that never block the caller, and no secret in
 * any payload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { CommitStatusSettings } from '../../src/config/settings.js';
import { Secret } from '../../src/model/secret.js';
import { CommitStatusReporter, statusDescription } from '../../src/source/commit-status.js';
import { type StatusApi, startStatusApi } from '../emulators/git-host/status-api.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { waitFor } from '../helpers/wait-for.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';

const TOKEN = 'status-token-0123456789abcdef';
const SHA = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);
let api: StatusApi;

function settings(over: Partial<CommitStatusSettings>): CommitStatusSettings {
  return {
    provider: 'github',
    apiUrl: api.url,
    repository: 'acme/iam',
    tokenEnv: 'STATUS_TOKEN',
    context: 'scw-gitops/prod',
    ...over,
  };
}

beforeAll(async () => {
  api = await startStatusApi({ token: TOKEN, repositories: ['acme/iam', 'platform/iam'] });
});
afterAll(async () => {
  await api?.close();
});

describe('commit statuses', () => {
  it('GitHub: pending then success, with the summary, the context and a link to /ui', async () => {
    const cap = createLogCapture();
    const reporter = await CommitStatusReporter.create(
      settings({ publicUrl: 'https://gitops.example.com' }),
      {
        env: { STATUS_TOKEN: TOKEN },
        logger: cap.logger,
        clock: systemClock,
      },
    );
    const before = api.statuses.length;
    reporter.report(SHA, 'pending', 'reconciling');
    reporter.report(SHA, 'success', 'applied: 2 created, 1 updated');
    await reporter.flush();
    const posted = api.statuses.slice(before);
    // the pending status may be superseded before it goes out: the last state always arrives
    expect(posted.at(-1)).toMatchObject({
      provider: 'github',
      repository: 'acme/iam',
      sha: SHA,
      body: {
        state: 'success',
        description: 'applied: 2 created, 1 updated',
        context: 'scw-gitops/prod',
        target_url: 'https://gitops.example.com/ui',
      },
    });
    expect(posted.at(-1)!.headers['x-github-api-version']).toBe('2022-11-28');
    // the same status twice is posted once
    reporter.report(SHA, 'success', 'applied: 2 created, 1 updated');
    await reporter.flush();
    expect(api.statuses.length).toBe(before + posted.length);
    await reporter.close();
  });

  it('GitLab: the project path URL-encoded, failure as "failed", name as the context', async () => {
    const cap = createLogCapture();
    const reporter = await CommitStatusReporter.create(
      settings({ provider: 'gitlab', repository: 'platform/iam', context: 'scw-gitops' }),
      { env: { STATUS_TOKEN: TOKEN }, logger: cap.logger, clock: systemClock },
    );
    expect(reporter.url(SHA2)).toBe(`${api.url}/projects/platform%2Fiam/statuses/${SHA2}`);
    reporter.report(SHA2, 'pending', 'reconciling');
    await reporter.flush();
    reporter.report(SHA2, 'failure', 'not applied: desired state is invalid (2 errors)');
    await reporter.flush();
    const mine = api.statuses.filter((s) => s.sha === SHA2 && s.provider === 'gitlab');
    expect(mine.map((s) => s.body['state'])).toEqual(['pending', 'failed']);
    expect(mine[1]!.body).toEqual({
      state: 'failed',
      description: 'not applied: desired state is invalid (2 errors)',
      name: 'scw-gitops',
    });
    await reporter.close();
  });

  it('retries with backoff on 5xx and 429 without blocking the caller', async () => {
    const clock = new FakeClock({ sleeps: 'manual' });
    const cap = createLogCapture();
    const reporter = await CommitStatusReporter.create(settings({}), {
      env: { STATUS_TOKEN: TOKEN },
      logger: cap.logger,
      clock,
      backoff: { baseMs: 1000, maxMs: 8000, attempts: 5 },
    });
    const sha = 'c'.repeat(40);
    api.failNext(3, 503);
    reporter.report(sha, 'success', 'in sync: no changes');
    // report() returned before anything was posted: the caller never waits for the host
    expect(api.statuses.some((s) => s.sha === sha)).toBe(false);
    await waitFor(() => clock.pendingSleeps().length === 1, { timeoutMs: 5000, what: 'first backoff' });
    expect(clock.pendingSleeps()).toEqual([1000]);
    await clock.tick(1000);
    await waitFor(() => clock.pendingSleeps().length === 1, { timeoutMs: 5000, what: 'second backoff' });
    expect(clock.pendingSleeps()).toEqual([2000]);
    await clock.tick(2000);
    await waitFor(() => clock.pendingSleeps().length === 1, { timeoutMs: 5000, what: 'third backoff' });
    expect(clock.pendingSleeps()).toEqual([4000]);
    await clock.tick(4000);
    await waitFor(() => api.statuses.some((s) => s.sha === sha), {
      timeoutMs: 5000,
      what: 'posted after retries',
    });
    expect(api.attempts.filter((a) => a.sha === sha).map((a) => a.status)).toEqual([503, 503, 503, 201]);
    await reporter.close();
  });

  it('gives up on a bad token with a clear warning, once', async () => {
    const cap = createLogCapture();
    const reporter = await CommitStatusReporter.create(settings({}), {
      env: { STATUS_TOKEN: 'not-the-token-value' },
      logger: cap.logger,
      clock: systemClock,
    });
    reporter.report('d'.repeat(40), 'success', 'ok');
    await reporter.flush();
    reporter.report('e'.repeat(40), 'success', 'ok');
    await reporter.flush();
    const warnings = cap.find('not posted: HTTP 401 (check the token and its permissions)');
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    assertNoSecrets(cap.raw, ['not-the-token-value', TOKEN]);
    await reporter.close();
  });

  it('never puts a secret in a payload: summaries are scrubbed, the token is only a header', async () => {
    const cap = createLogCapture();
    const leaked = new Secret('SCWSECRETVALUE-0000-1111-2222');
    const reporter = await CommitStatusReporter.create(settings({}), {
      env: { STATUS_TOKEN: TOKEN },
      logger: cap.logger,
      clock: systemClock,
    });
    reporter.report(
      'f'.repeat(40),
      'failure',
      `failed: key ${leaked.reveal()} at https://user:${TOKEN}@host/x`,
    );
    await reporter.flush();
    const posted = api.statuses.filter((s) => s.sha === 'f'.repeat(40));
    expect(posted).toHaveLength(1);
    assertNoSecrets(
      posted.map((s) => `${s.rawBody}\n${JSON.stringify(s.headers)}`),
      [TOKEN, leaked.reveal()],
    );
    expect(posted[0]!.body['description']).toBe('failed: key [redacted] at https://***@host/x');
    await reporter.close();
  });

  it('keeps a summary to one line of at most 140 characters', () => {
    const d = statusDescription(`line one\nline two ${'x'.repeat(200)}`);
    expect(d.startsWith('line one line two')).toBe(true);
    expect(d.length).toBe(140);
  });
});
