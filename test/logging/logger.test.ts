import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { createLogger, passLogger, resolvePretty } from '../../src/logging/logger.js';
import { isSecretKey, sanitizeLogValue } from '../../src/logging/redact.js';
import { Secret } from '../../src/model/secret.js';
import { assertNoSecrets, createLogCapture } from '../helpers/log-capture.js';

const SECRET_KEY = '5f1c7d2e-90ab-4cde-8f01-23456789abcd';
const VAULT_TOKEN = 'hvs.CAESIJ-very-secret-vault-token';
const WEBHOOK = 'It is a Secret to Everybody';
const UNREGISTERED_PASSWORD = 'correct-horse-battery-staple';

describe('createLogger redaction', () => {
  it('never lets a secret value through, whatever the shape', () => {
    const secret = new Secret(SECRET_KEY);
    new Secret(VAULT_TOKEN);
    new Secret(WEBHOOK);
    const cap = createLogCapture();
    const logger = createLogger({ level: 'trace', destination: cap.destination, base: { service: 'test' } });

    // keys, at every depth
    logger.info({ secretKey: SECRET_KEY, accessKey: 'SCWABCDEFGHIJKLMNOPQ' }, 'created key');
    logger.info({ key: { secret_key: SECRET_KEY } }, 'api body');
    logger.info({ response: { body: { data: { secret_key: SECRET_KEY } } } }, 'deep api body');
    logger.info({ a: { b: { c: { d: { password: UNREGISTERED_PASSWORD } } } } }, 'very deep');
    logger.info({ headers: { 'X-Auth-Token': SECRET_KEY, 'x-vault-token': VAULT_TOKEN } }, 'headers');
    logger.info({ req: { headers: { authorization: `Bearer ${VAULT_TOKEN}` } } }, 'request');
    logger.info(
      { token: VAULT_TOKEN, vaultToken: VAULT_TOKEN, auth: { client_token: VAULT_TOKEN } },
      'login',
    );
    logger.info({ password: UNREGISTERED_PASSWORD, webhookSecret: WEBHOOK }, 'creds');
    // values under innocent keys
    logger.info({ note: `the key is ${SECRET_KEY}` }, 'note');
    logger.info({ list: ['x', SECRET_KEY, { nested: [VAULT_TOKEN] }] }, 'arrays');
    logger.info(
      {
        map: new Map([
          ['x-auth-token', SECRET_KEY],
          ['other', VAULT_TOKEN],
        ]),
      },
      'maps',
    );
    logger.info({ wrapped: secret, set: new Set([SECRET_KEY]) }, 'Secret and Set');
    logger.info({ encoded: Buffer.from(SECRET_KEY).toString('base64') }, 'base64');
    logger.info({ hex: Buffer.from(SECRET_KEY).toString('hex') }, 'hex');
    logger.info({ b64url: Buffer.from(VAULT_TOKEN).toString('base64url') }, 'base64url');
    logger.info(
      { url: new URL(`https://user:${UNREGISTERED_PASSWORD}@vault.example/v1?token=${VAULT_TOKEN}`) },
      'url',
    );
    logger.info({ buf: Buffer.from(SECRET_KEY) }, 'buffer');
    // messages, interpolation, errors
    logger.info(`message with ${SECRET_KEY}`);
    logger.info('interpolated %s and %o', SECRET_KEY, { token: VAULT_TOKEN });
    logger.error(new Error(`upstream said ${SECRET_KEY}`));
    logger.error({ err: new Error('outer', { cause: new Error(`inner ${VAULT_TOKEN}`) }) }, 'wrapped');
    const withProps = Object.assign(new Error('with props'), {
      secretKey: SECRET_KEY,
      body: `x ${SECRET_KEY}`,
    });
    logger.warn({ err: withProps }, 'error props');
    logger.error(new ConfigError(`bad ${SECRET_KEY}`), 'config');
    // bindings and child loggers
    const child = passLogger(logger, 'rec-1', { secret: SECRET_KEY, note: VAULT_TOKEN });
    child.info({ step: 'create' }, 'child line');
    child.child({ x: { token: VAULT_TOKEN } }).debug('grandchild');
    // circular structures do not crash the logger
    const circ: Record<string, unknown> = { name: 'loop' };
    circ['self'] = circ;
    logger.info({ circ }, 'circular');

    expect(cap.lines.length).toBe(26);
    assertNoSecrets(cap.raw, [UNREGISTERED_PASSWORD]);
    assertNoSecrets(cap.lines, [UNREGISTERED_PASSWORD]);

    // What is not secret stays readable.
    expect(cap.lines[0]).toMatchObject({
      accessKey: 'SCWABCDEFGHIJKLMNOPQ',
      secretKey: '[redacted]',
      msg: 'created key',
    });
    expect(cap.lines[0]).toMatchObject({ level: 'info', service: 'test' });
    expect(cap.find('child line')[0]).toMatchObject({ reconcileId: 'rec-1', step: 'create' });
    expect(cap.find('grandchild')[0]).toMatchObject({ reconcileId: 'rec-1' });
    expect(cap.find('note')[0]).toMatchObject({ note: 'the key is [redacted]' });
    expect(cap.find('circular')[0]).toMatchObject({ circ: { name: 'loop', self: '[circular]' } });
    const wrapped = cap.find('wrapped')[0] as {
      err: { type: string; message: string; cause: { message: string } };
    };
    expect(wrapped.err).toMatchObject({
      type: 'Error',
      message: 'outer',
      cause: { message: 'inner [redacted]' },
    });
    expect(cap.find('config')[0]).toMatchObject({ err: { type: 'ConfigError', code: 'config-invalid' } });
  });

  it('redacts in pretty mode too', () => {
    new Secret(SECRET_KEY);
    const out: string[] = [];
    const logger = createLogger({ pretty: true, destination: { write: (s: string) => out.push(s) } });
    logger.info({ secretKey: SECRET_KEY, note: SECRET_KEY }, `pretty ${SECRET_KEY}`);
    expect(out.join('')).toContain('pretty [redacted]');
    expect(out.join('')).not.toMatch(/^\{/);
    assertNoSecrets(out);
  });

  it('resolves pretty auto against the terminal', () => {
    expect(resolvePretty('auto', true)).toBe(true);
    expect(resolvePretty('auto', false)).toBe(false);
    expect(resolvePretty(true, false)).toBe(true);
    expect(resolvePretty(false, true)).toBe(false);
  });
});

describe('isSecretKey / sanitizeLogValue', () => {
  it('classifies keys', () => {
    for (const k of [
      'secretKey',
      'secret_key',
      'SECRET_KEY',
      'token',
      'Authorization',
      'X-Auth-Token',
      'x-vault-token',
      'password',
      'clientToken',
      'secretId',
      'webhookSecret',
    ]) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of [
      'accessKey',
      'tokenEnv',
      'tokenFile',
      'secretEnv',
      'secretFile',
      'tokenPath',
      'name',
      'reconcileId',
    ]) {
      expect(isSecretKey(k), k).toBe(false);
    }
  });

  it('keeps structure and non-secret values', () => {
    expect(
      sanitizeLogValue({ a: 1, b: [true, null], c: { tokenEnv: 'VAULT_TOKEN' }, d: new Date(0) }),
    ).toEqual({
      a: 1,
      b: [true, null],
      c: { tokenEnv: 'VAULT_TOKEN' },
      d: '1970-01-01T00:00:00.000Z',
    });
  });
});
