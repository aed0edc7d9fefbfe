/**
 * Commit and tag verification with real keys: GnuPG (batch-generated ed25519 keys in a temporary
 * GNUPGHOME) and SSH (`ssh-keygen -Y`, an allowed-signers file). Trusted, untrusted, unsigned,
 * tags, and what `enforce` and `warn` do with each in the git source.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import type { GitSourceSettings, GitVerifySettings } from '../../src/config/settings.js';
import { GitRunner } from '../../src/source/git-command.js';
import { GitSource } from '../../src/source/git-source.js';
import { parseGpgStatus, TrustStore, verifyObject } from '../../src/source/git-verify.js';
import { createLogCapture } from '../helpers/log-capture.js';
import { createGitFixture, type GitFixture, gitSourceSettings } from './git-fixture.js';

let fx: GitFixture;
let git: GitRunner;
let trust: TrustStore;

const APP = (name: string) =>
  `apiVersion: scw-gitops/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n  description: app\n`;

function verifySettings(over: Partial<GitVerifySettings> = {}): GitVerifySettings {
  return {
    mode: 'enforce',
    openpgpKeys: [fx.keys.alicePublic],
    allowedSigners: fx.keys.allowedSigners,
    ...over,
  };
}

function sourceSettings(verify: GitVerifySettings, over: Partial<GitSourceSettings> = {}): GitSourceSettings {
  return gitSourceSettings(fx, { verify, ...over });
}

beforeAll(async () => {
  fx = await createGitFixture();
  git = new GitRunner({ home: fx.root });
  trust = await TrustStore.create(verifySettings(), path.join(fx.root, 'trust'), git);
});

afterAll(async () => {
  await fx?.close();
});

describe('verifying commits and tags', () => {
  it('trusts exactly the configured OpenPGP keys', async () => {
    expect([...trust.fingerprints]).toEqual([fx.keys.aliceFingerprint]);
    const alice = await fx.commit({ 'iam/a.yaml': APP('a') }, { sign: { gpg: 'alice' } });
    const mallory = await fx.commit({ 'iam/m.yaml': APP('m') }, { sign: { gpg: 'mallory' } });
    const unsigned = await fx.commit({ 'iam/u.yaml': APP('u') });
    const v = (sha: string) => verifyObject(git, fx.origin, trust, 'commit', sha);

    expect(await v(alice)).toEqual({
      status: 'verified',
      object: 'commit',
      signer: { type: 'openpgp', key: fx.keys.aliceFingerprint, identity: 'Alice <alice@example.com>' },
      reason: `signed by trusted OpenPGP key ${fx.keys.aliceFingerprint}`,
    });
    expect(await v(mallory)).toMatchObject({
      status: 'untrusted',
      signer: { type: 'openpgp', key: fx.keys.malloryFingerprint },
      reason: `signed by OpenPGP key ${fx.keys.malloryFingerprint}, which is not among the trusted keys`,
    });
    expect(await v(unsigned)).toEqual({
      status: 'unsigned',
      object: 'commit',
      reason: 'the commit is not signed',
    });
  });

  it('trusts SSH keys listed in the allowed signers', async () => {
    const bob = await fx.commit({ 'iam/b.yaml': APP('b') }, { sign: { ssh: 'bob' } });
    const eve = await fx.commit({ 'iam/e.yaml': APP('e') }, { sign: { ssh: 'eve' } });
    expect(await verifyObject(git, fx.origin, trust, 'commit', bob)).toEqual({
      status: 'verified',
      object: 'commit',
      signer: { type: 'ssh', key: fx.keys.bobFingerprint, identity: 'bob@example.com' },
      reason: `signed by trusted SSH key ${fx.keys.bobFingerprint} (bob@example.com)`,
    });
    expect(await verifyObject(git, fx.origin, trust, 'commit', eve)).toMatchObject({
      status: 'untrusted',
      signer: { type: 'ssh' },
      reason: expect.stringMatching(/^signed by SSH key SHA256:\S+, which is not in the allowed signers$/),
    });
    const gpgOnly = await TrustStore.create(
      { mode: 'enforce', openpgpKeys: [fx.keys.alicePublic] },
      path.join(fx.root, 'trust-gpg-only'),
      git,
    );
    expect(await verifyObject(git, fx.origin, gpgOnly, 'commit', bob)).toMatchObject({
      status: 'untrusted',
      reason: 'the commit is signed with an SSH key, and no verify.allowedSigners file is configured',
    });
  });

  it('verifies the tag (not the commit) for tags; a lightweight tag is unsigned', async () => {
    await fx.commit({ 'iam/t.yaml': APP('t') });
    await fx.tag('signed-1', { sign: { gpg: 'alice' } });
    await fx.tag('plain-1');
    expect(await verifyObject(git, fx.origin, trust, 'tag', 'refs/tags/signed-1')).toMatchObject({
      status: 'verified',
      object: 'tag',
      signer: { key: fx.keys.aliceFingerprint },
    });
    expect(await verifyObject(git, fx.origin, trust, 'tag', 'refs/tags/plain-1')).toEqual({
      status: 'unsigned',
      object: 'tag',
      reason: 'the tag is a lightweight tag: it carries no signature',
    });
  });

  it('reads expired, revoked and bad signatures from the gpg status lines', () => {
    const fp = fx.keys.aliceFingerprint;
    const t = { fingerprints: new Set([fp]) };
    expect(parseGpgStatus(`[GNUPG:] EXPKEYSIG ABCD Alice <a@x>\n`, 'commit', t)).toMatchObject({
      status: 'expired-key',
    });
    expect(parseGpgStatus(`[GNUPG:] REVKEYSIG ABCD Alice <a@x>\n`, 'commit', t)).toMatchObject({
      status: 'revoked-key',
    });
    expect(parseGpgStatus(`[GNUPG:] BADSIG ABCD Alice <a@x>\n`, 'commit', t)).toMatchObject({
      status: 'bad-signature',
    });
  });

  it('refuses a settings key file without a public key', async () => {
    const err = await TrustStore.create(
      { mode: 'enforce', openpgpKeys: [fx.keys.allowedSigners] },
      path.join(fx.root, 'trust-bad'),
      git,
    ).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/openpgpKeys: .*allowed_signers holds no OpenPGP public key/);
  });
});

describe('verify.mode in the git source', () => {
  it('enforce: applies signed commits, refuses unsigned and untrusted ones, keeps the last verified', async () => {
    const signed = await fx.commit({ 'iam/ok.yaml': APP('ok') }, { sign: { gpg: 'alice' } });
    const cap = createLogCapture();
    const source = await GitSource.open(sourceSettings(verifySettings()), {
      env: {},
      logger: cap.logger,
      clock: systemClock,
    });
    const first = await source.sync();
    expect(first.snapshot.accepted).toMatchObject({
      revision: signed,
      verification: { status: 'verified', signer: { identity: 'Alice <alice@example.com>' } },
    });

    const unsigned = await fx.commit({ 'iam/bad.yaml': APP('bad') });
    const refused = await source.sync();
    expect(refused.changed).toBe(true);
    expect(refused.refusal).toMatchObject({
      revision: unsigned,
      code: 'unsigned',
      reason: 'the commit is not signed',
    });
    expect(refused.snapshot.accepted?.revision).toBe(signed);
    const line = cap.find('refused revision')[0]!;
    expect(line).toMatchObject({ revision: unsigned, code: 'unsigned', accepted: signed, level: 50 });

    const untrusted = await fx.commit({ 'iam/evil.yaml': APP('evil') }, { sign: { ssh: 'eve' } });
    const second = await source.sync();
    expect(second.refusal).toMatchObject({
      revision: untrusted,
      code: 'untrusted',
      verification: { signer: { type: 'ssh' } },
    });
    expect(second.snapshot.accepted?.revision).toBe(signed);
    expect(source.status()).toMatchObject({
      verify: 'enforce',
      accepted: { revision: signed, verification: 'verified' },
      refused: { revision: untrusted, code: 'untrusted' },
    });

    // a signed commit on top is accepted again (its parents are not re-checked: only the tip is applied)
    const fixed = await fx.commit({ 'iam/evil.yaml': null, 'iam/bad.yaml': null }, { sign: { ssh: 'bob' } });
    const third = await source.sync();
    expect(third.snapshot.accepted).toMatchObject({ revision: fixed, verification: { status: 'verified' } });
    expect(third.snapshot.refused).toBeUndefined();
  });

  it('enforce: after a restart the accepted revision is verified again', async () => {
    const head = await fx.commit({ 'iam/r.yaml': APP('r') }, { sign: { gpg: 'alice' } });
    const settings = sourceSettings(verifySettings());
    const cap = createLogCapture();
    const one = await GitSource.open(settings, { env: {}, logger: cap.logger, clock: systemClock });
    expect((await one.sync()).snapshot.accepted?.revision).toBe(head);
    // the operator drops alice from the trusted keys: her commit is no longer usable
    const two = await GitSource.open(
      { ...settings, verify: verifySettings({ openpgpKeys: [fx.keys.malloryPublic] }) },
      { env: {}, logger: cap.logger, clock: systemClock },
    );
    expect((await two.snapshot()).accepted).toBeUndefined();
    expect(cap.find('no longer verifies')).toHaveLength(1);
  });

  it('warn: applies unsigned and untrusted commits with a warning naming the reason', async () => {
    const cap = createLogCapture();
    const source = await GitSource.open(sourceSettings(verifySettings({ mode: 'warn' })), {
      env: {},
      logger: cap.logger,
      clock: systemClock,
    });
    const unsigned = await fx.commit({ 'iam/w.yaml': APP('w') });
    const result = await source.sync();
    expect(result.snapshot.accepted).toMatchObject({
      revision: unsigned,
      verification: { status: 'unsigned' },
    });
    expect(result.refusal).toBeUndefined();
    const warn = cap.find('applying it anyway (source.git.verify.mode: warn)');
    expect(warn).toHaveLength(1);
    expect(warn[0]).toMatchObject({ level: 40, revision: unsigned, verification: 'unsigned' });
  });

  it('tag refs: enforce refuses an unsigned tag and accepts a signed one', async () => {
    await fx.commit({ 'iam/rel.yaml': APP('rel') });
    await fx.tag('v3.0.0');
    const cap = createLogCapture();
    const source = await GitSource.open(sourceSettings(verifySettings(), { ref: { semver: '>=3' } }), {
      env: {},
      logger: cap.logger,
      clock: systemClock,
    });
    const first = await source.sync();
    expect(first.snapshot.accepted).toBeUndefined();
    expect(first.refusal).toMatchObject({
      code: 'unsigned',
      reason: 'the tag is a lightweight tag: it carries no signature',
    });
    expect(cap.find('no accepted revision yet: nothing is reconciled')).toHaveLength(1);
    const sha = await fx.commit({ 'iam/rel.yaml': APP('rel2') });
    await fx.tag('v3.1.0', { sign: { gpg: 'alice' } });
    const second = await source.sync();
    expect(second.snapshot.accepted).toMatchObject({
      revision: sha,
      ref: 'refs/tags/v3.1.0',
      verification: { status: 'verified', object: 'tag' },
    });
  });
});
