/**
 * The git source against real git: a bare repository reached by file URL and over loopback HTTP
 * (git http-backend behind a Node server), pushes, force-pushes, a deleted branch, tags, semver,
 * a pinned commit, a push webhook's commit, credentials that never show, and git missing.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { GitSourceSettings } from '../../src/config/settings.js';
import { GitNotInstalledError, GitRunner } from '../../src/source/git-command.js';
import { GitSource } from '../../src/source/git-source.js';
import { startGitHttpServer, type GitHttpServer } from '../emulators/git-host/git-http-server.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';
import { createGitFixture, type GitFixture, gitSourceSettings } from './git-fixture.js';

const APP = (name: string, description = 'app') =>
  `apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n  description: ${description}\n`;

let fx: GitFixture;

function settings(over: Partial<GitSourceSettings> = {}): GitSourceSettings {
  return gitSourceSettings(fx, over);
}

async function open(over: Partial<GitSourceSettings> = {}, env: Record<string, string> = {}) {
  const cap = createLogCapture();
  const source = await GitSource.open(settings(over), { env, logger: cap.logger, clock: systemClock });
  return { source, cap };
}

beforeAll(async () => {
  fx = await createGitFixture();
  await fx.commit({ 'iam/a.yaml': APP('a'), 'README.md': 'not desired state\n' }, { message: 'first' });
});

afterAll(async () => {
  await fx?.close();
});

describe('git source: fetching by file URL', () => {
  it('clones, checks out only the path, and follows new commits', async () => {
    const { source } = await open();
    expect((await source.snapshot()).accepted).toBeUndefined();
    const first = await source.sync();
    expect(first.changed).toBe(true);
    const head = (await fx.git(['rev-parse', 'HEAD'])).trim();
    const acc = first.snapshot.accepted!;
    expect(acc.revision).toBe(head);
    expect(acc.ref).toBe('refs/heads/main');
    expect(acc.verification.status).toBe('not-checked');
    expect(await readFile(path.join(acc.dir, 'a.yaml'), 'utf8')).toContain('name: a');
    await expect(readFile(path.join(acc.dir, 'README.md'), 'utf8')).rejects.toThrow();

    expect((await source.sync()).changed).toBe(false);
    const next = await fx.commit({ 'iam/b.yaml': APP('b') });
    const second = await source.sync();
    expect(second.changed).toBe(true);
    expect(second.snapshot.accepted?.revision).toBe(next);
    expect(await readFile(path.join(second.snapshot.accepted!.dir, 'b.yaml'), 'utf8')).toContain('name: b');
    // the previous tree stays readable for a pass that started on it
    expect(await readFile(path.join(acc.dir, 'a.yaml'), 'utf8')).toContain('name: a');
    await source.close();
  });

  it('resumes the accepted revision after a restart, without fetching', async () => {
    const s = settings();
    const cap = createLogCapture();
    const one = await GitSource.open(s, { env: {}, logger: cap.logger, clock: systemClock });
    const synced = await one.sync();
    const again = await GitSource.open(s, { env: {}, logger: cap.logger, clock: systemClock });
    expect((await again.snapshot()).accepted?.revision).toBe(synced.snapshot.accepted?.revision);
    expect(cap.find('resuming from the revision accepted before the restart')).toHaveLength(1);
  });

  it('refuses a force-push by default and keeps the applied revision', async () => {
    const { source, cap } = await open();
    const before = (await source.sync()).snapshot.accepted!.revision!;
    const rewritten = await fx.rewrite({ 'iam/a.yaml': APP('a', 'rewritten history') });
    const result = await source.sync();
    expect(result.changed).toBe(true);
    expect(result.refusal).toMatchObject({ revision: rewritten, code: 'force-push' });
    expect(result.refusal!.reason).toMatch(/branch main was rewritten \(force-push\)/);
    expect(result.snapshot.accepted?.revision).toBe(before);
    const line = cap.find('refused revision')[0]!;
    expect(line['level']).toBe(50);
    expect(line['msg']).toContain(`still reconciling ${before.slice(0, 12)}`);
    // reported once: the next sync of the same commit is quiet
    expect((await source.sync()).changed).toBe(false);
    expect(cap.find('refused revision')).toHaveLength(1);
    expect(source.status()).toMatchObject({ refused: { revision: rewritten, code: 'force-push' } });
  });

  it('follows a force-push with a warning under forcePush: follow', async () => {
    const { source, cap } = await open({ forcePush: 'follow' });
    await source.sync();
    const rewritten = await fx.rewrite({ 'iam/a.yaml': APP('a', 'second rewrite') });
    const result = await source.sync();
    expect(result.snapshot.accepted?.revision).toBe(rewritten);
    expect(cap.find('following it (source.git.forcePush: follow)')).toHaveLength(1);
  });

  it('reports a deleted branch clearly and keeps reconciling the last revision', async () => {
    await fx.commit({ 'iam/x.yaml': APP('x') }, { branch: 'release' });
    const { source, cap } = await open({ ref: { branch: 'release' } });
    const kept = (await source.sync()).snapshot.accepted!.revision;
    await fx.deleteBranch('release');
    const result = await source.sync();
    expect(result.fetched).toBe(false);
    expect(result.snapshot.accepted?.revision).toBe(kept);
    expect(result.snapshot.error).toMatchObject({ code: 'ref-not-found' });
    expect(result.snapshot.error!.message).toMatch(
      /branch 'release' does not exist on file:\/\/.*\(deleted or renamed\?\)/,
    );
    await source.sync();
    expect(cap.find("branch 'release' does not exist")).toHaveLength(1);
    expect(cap.find("branch 'release' does not exist")[0]!['msg']).toContain('still reconciling');
  });

  it('refuses a commit whose path is gone, naming the path', async () => {
    const { source } = await open({ path: 'only-here' });
    const result = await source.sync();
    expect(result.snapshot.accepted).toBeUndefined();
    expect(result.refusal).toMatchObject({ code: 'path-not-found' });
    expect(result.refusal!.reason).toMatch(
      /source.git.path 'only-here' is not a directory in commit [0-9a-f]{12}/,
    );
  });

  it('follows a tag, a semver range and a pinned commit', async () => {
    const v1 = await fx.commit({ 'iam/v.yaml': APP('v', 'one') });
    await fx.tag('v1.0.0', { annotated: true });
    const v2 = await fx.commit({ 'iam/v.yaml': APP('v', 'two') });
    await fx.tag('v1.2.0', { annotated: true });
    await fx.commit({ 'iam/v.yaml': APP('v', 'three') });
    await fx.tag('v2.0.0');

    const tag = await open({ ref: { tag: 'v1.0.0' } });
    expect((await tag.source.sync()).snapshot.accepted).toMatchObject({
      revision: v1,
      ref: 'refs/tags/v1.0.0',
    });

    const range = await open({ ref: { semver: '^1.0.0' } });
    expect((await range.source.sync()).snapshot.accepted).toMatchObject({
      revision: v2,
      ref: 'refs/tags/v1.2.0',
    });

    const pinned = await open({ ref: { commit: v1 } });
    expect((await pinned.source.sync()).snapshot.accepted?.revision).toBe(v1);

    const onBranch = await open({ ref: { commit: v1, branch: 'main' } });
    expect((await onBranch.source.sync()).snapshot.accepted?.revision).toBe(v1);

    // a tag moved to another commit is a rewrite too
    await fx.tag('v1.0.0', { annotated: true, force: true, at: v2 });
    const moved = await tag.source.sync();
    expect(moved.refusal).toMatchObject({ code: 'force-push' });
    expect(moved.refusal!.reason).toMatch(/tag v1\.0\.0 moved from/);

    const none = await open({ ref: { semver: '>=9' } });
    const r = await none.source.sync();
    expect(r.snapshot.error?.message).toMatch(/no tag of file:.* is a version in the range >=9/);
  });

  it('fetches the exact commit a push webhook names, even when the branch lags', async () => {
    const { source } = await open();
    const head = (await source.sync()).snapshot.accepted!.revision!;
    // a commit the host has, but not yet on the branch
    await fx.git(['checkout', '--quiet', '--detach', head]);
    await fx.git(['commit', '--quiet', '--allow-empty', '-m', 'pushed']);
    const pushed = (await fx.git(['rev-parse', 'HEAD'])).trim();
    await fx.git(['push', '--quiet', 'origin', 'HEAD:refs/pending/push']);
    await fx.git(['checkout', '--quiet', 'main']);

    const hinted = await source.sync({ hint: { ref: 'refs/heads/main', sha: pushed } });
    expect(hinted.snapshot.accepted?.revision).toBe(pushed);
    // the branch still lags: the pushed commit is kept, not treated as a force-push
    const again = await source.sync();
    expect(again.changed).toBe(false);
    expect(again.snapshot.accepted?.revision).toBe(pushed);
    // a webhook for another branch does not move this source
    const other = await source.sync({ hint: { ref: 'refs/heads/other', sha: head } });
    expect(other.snapshot.accepted?.revision).toBe(pushed);
  });

  it('says clearly when git is not installed', async () => {
    const cap = createLogCapture();
    const git = new GitRunner({ binary: path.join(fx.root, 'no-such-git'), home: fx.root });
    const err = await GitSource.open(settings(), {
      env: {},
      logger: cap.logger,
      clock: systemClock,
      git,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitNotInstalledError);
    expect((err as Error).message).toMatch(
      /was not found on PATH: the git source needs git .*apt-get install git gnupg openssh-client/,
    );
  });
});

describe('git source over loopback HTTP with credentials', () => {
  const TOKEN = 'ghp_loopbackTokenValue0123456789';
  let server: GitHttpServer;

  beforeAll(async () => {
    server = await startGitHttpServer({
      root: fx.root,
      auth: { username: 'x-access-token', password: TOKEN },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('fetches with a token from the environment, and never shows it', async () => {
    const url = `${server.url}/origin.git`;
    const { source, cap } = await open({ url, auth: { tokenEnv: 'GIT_TOKEN' } }, { GIT_TOKEN: TOKEN });
    const result = await source.sync();
    expect(result.snapshot.accepted?.revision).toBe((await fx.git(['rev-parse', 'main'])).trim());
    expect(server.requests.some((r) => r.authenticated && r.status === 200)).toBe(true);
    const next = await fx.commit({ 'iam/http.yaml': APP('http') });
    expect((await source.sync()).snapshot.accepted?.revision).toBe(next);
    assertNoSecrets(cap.raw, [TOKEN]);
    expect(JSON.stringify(source.status())).not.toContain(TOKEN);
  });

  it('takes a credential out of the URL: not in git, not in logs, status or errors', async () => {
    const withCreds = `${server.url.replace('://', `://x-access-token:${TOKEN}@`)}/origin.git`;
    const { source, cap } = await open({ url: withCreds });
    const result = await source.sync();
    expect(result.snapshot.accepted).toBeDefined();
    expect(source.remote.fetchUrl).not.toContain(TOKEN);
    expect(source.status()['url']).toBe(`${server.url.replace('://', '://***@')}/origin.git`);
    const config = await readFile(path.join(source.mirror.gitDir, 'config'), 'utf8');
    expect(config).not.toContain(TOKEN);

    // a failing fetch (the repository is gone) names the URL without the credential
    const missing = await open({ url: withCreds.replace('origin.git', 'missing.git') });
    const failed = await missing.source.sync();
    expect(failed.snapshot.error?.message).toContain('***@');
    expect(failed.snapshot.error?.message).not.toContain(TOKEN);
    assertNoSecrets([...cap.raw, ...missing.cap.raw, JSON.stringify(missing.source.status())], [TOKEN]);
  });

  it('reports refused credentials as an auth failure', async () => {
    const { source, cap } = await open(
      { url: `${server.url}/origin.git`, auth: { tokenEnv: 'GIT_TOKEN' } },
      { GIT_TOKEN: 'wrong-token-value' },
    );
    const result = await source.sync();
    expect(result.snapshot.accepted).toBeUndefined();
    expect(result.snapshot.error).toMatchObject({ code: 'auth-failed' });
    expect(result.snapshot.error!.message).toMatch(/refused the credentials \(check source.git.auth\)/);
    assertNoSecrets(cap.raw, ['wrong-token-value', TOKEN]);
  });

  it('fails at start, naming the variable, when the token is not set', async () => {
    const err = await open({ url: `${server.url}/origin.git`, auth: { tokenEnv: 'GIT_TOKEN' } }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).toBe(
      'source.git.auth.tokenEnv: environment variable GIT_TOKEN is not set or empty',
    );
  });

  it('cleans up its trees: only the recent revisions stay on disk', async () => {
    const { source } = await open();
    for (let i = 0; i < 5; i++) {
      await fx.commit({ 'iam/loop.yaml': APP('loop', `round ${i}`) });
      await source.sync();
    }
    const trees = await import('node:fs/promises').then((fs) =>
      fs.readdir(path.join(source.mirror.root, 'trees')),
    );
    expect(trees.length).toBeLessThanOrEqual(3);
    await rm(path.join(source.mirror.root, 'trees'), { recursive: true, force: true });
  });
});
