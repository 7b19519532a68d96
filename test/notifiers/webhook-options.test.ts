import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isKeywardenError, type KeywardenError } from '../../src/errors.js';
import { type WebhookNotifierOptions, webhookNotifier } from '../../src/notifiers/webhook.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import { sampleKeyEvents } from '../../src/testing/notifier-contract.js';
import { closedPort, type Receiver, startReceiver } from './receiver.js';

const SECRET = 'Sup3r-S3cret-Webhook-Value-do-not-leak';
const URL_PASSWORD = 'url-pa55word-do-not-leak';
const HEADER_TOKEN = 'Bearer header-token-do-not-leak';
const PATH_TOKEN = 'T000B000pathTokenDoNotLeak';

function validationField(options: unknown): string | undefined {
  try {
    webhookNotifier(options as WebhookNotifierOptions);
  } catch (e) {
    expect(isKeywardenError(e, 'ERR_VALIDATION')).toBe(true);
    const err = e as KeywardenError;
    for (const text of [err.message, JSON.stringify(err), inspect(err)]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('short-secret');
    }
    return err.field;
  }
  throw new Error('expected ERR_VALIDATION');
}

describe('webhookNotifier options', () => {
  const ok = { url: 'https://hooks.example.com/kw', secret: SECRET, scheme: 'keywarden' as const };

  it('accepts valid options (string or URL, string or byte secrets, durations)', () => {
    for (const o of [
      ok,
      { ...ok, url: new URL('http://127.0.0.1:8080/x') },
      { ...ok, secret: new Uint8Array(16) },
      { ...ok, secret: [SECRET, new Uint8Array(32)] },
      { ...ok, timeout: 250, retries: 0 },
      { ...ok, timeout: '1m', retries: 10, headers: { authorization: HEADER_TOKEN } },
      { ...ok, fetch: globalThis.fetch },
    ]) {
      expect(typeof webhookNotifier(o as WebhookNotifierOptions).notify).toBe('function');
    }
  });

  it('rejects a bad url with ERR_VALIDATION naming url', () => {
    for (const url of [
      '',
      'not a url',
      '/relative/path',
      'ftp://example.com/x',
      'file:///etc/passwd',
      'javascript:alert(1)',
      42,
      null,
      undefined,
    ]) {
      expect(validationField({ ...ok, url })).toBe('url');
    }
  });

  it('rejects a bad secret with ERR_VALIDATION naming secret, without echoing it', () => {
    for (const secret of [
      'short-secret',
      '',
      new Uint8Array(15),
      1234567890123456,
      null,
      undefined,
      [],
      { k: SECRET },
    ]) {
      expect(validationField({ ...ok, secret })).toBe('secret');
    }
    expect(validationField({ ...ok, secret: [SECRET, 'short-secret'] })).toBe('secret.1');
    expect(validationField({ ...ok, secret: Array.from({ length: 9 }, () => SECRET) })).toBe('secret');
  });

  it('rejects a bad timeout naming timeout', () => {
    for (const timeout of [-1, 0, 1.5, '5 seconds', '', '10m', null, {}]) {
      expect(validationField({ ...ok, timeout })).toBe('timeout');
    }
  });

  it('rejects retries outside 0..10 naming retries', () => {
    for (const retries of [-1, 11, 1.5, '3', Number.NaN, null]) {
      expect(validationField({ ...ok, retries })).toBe('retries');
    }
  });

  it('rejects bad headers naming the header, and refuses to override keywarden headers', () => {
    expect(validationField({ ...ok, headers: 'x' })).toBe('headers');
    expect(validationField({ ...ok, headers: ['a'] })).toBe('headers');
    expect(validationField({ ...ok, headers: { 'bad name': 'x' } })).toBe('headers');
    expect(validationField({ ...ok, headers: { 'x-a': 'line\r\nbreak' } })).toBe('headers.x-a');
    expect(validationField({ ...ok, headers: { 'x-a': 1 } })).toBe('headers.x-a');
    expect(validationField({ ...ok, headers: { 'X-A': 'a', 'x-a': 'b' } })).toBe('headers.x-a');
    for (const name of [
      'Keywarden-Signature',
      'keywarden-event',
      'keywarden-delivery',
      'Content-Type',
      'host',
    ]) {
      expect(validationField({ ...ok, headers: { [name]: 'x' } })).toBe(`headers.${name.toLowerCase()}`);
    }
  });

  it('rejects a non-function fetch, unknown keys and a non-object', () => {
    expect(validationField({ ...ok, fetch: 'fetch' })).toBe('fetch');
    expect(validationField({ ...ok, retry: 3 })).toBe('options');
    expect(validationField(null)).toBe('options');
    expect(validationField('https://example.com')).toBe('options');
  });
});

describe('webhookNotifier never leaks its secret', () => {
  const open: Receiver[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  const [event] = sampleKeyEvents() as [KeyEvent];
  const forbidden = [SECRET, URL_PASSWORD, HEADER_TOKEN, 'header-token-do-not-leak', PATH_TOKEN];
  const assertClean = (text: string) => {
    for (const f of forbidden) expect(text).not.toContain(f);
  };

  it('JSON.stringify, util.inspect and String show only the origin', () => {
    const n = webhookNotifier({
      url: `https://ops:${URL_PASSWORD}@hooks.example.com/services/${PATH_TOKEN}?token=${PATH_TOKEN}`,
      secret: SECRET,
      scheme: 'keywarden',
      headers: { authorization: HEADER_TOKEN },
    });
    const views = [
      JSON.stringify(n),
      inspect(n),
      inspect(n, { showHidden: true, depth: Number.POSITIVE_INFINITY, customInspect: true }),
      inspect(n, { showHidden: true, depth: Number.POSITIVE_INFINITY, customInspect: false }),
      String(n),
      JSON.stringify(Object.entries(n)),
    ];
    for (const v of views) assertClean(v);
    expect(JSON.parse(JSON.stringify(n))).toEqual({
      notifier: 'webhook',
      origin: 'https://hooks.example.com',
      scheme: 'keywarden',
      timeoutMs: 5000,
      retries: 3,
    });
    expect(Object.keys(n)).not.toContain('secret');
    expect(Object.isFrozen(n)).toBe(true);
  });

  it('a byte secret is copied: changing the caller array does not change signatures', async () => {
    const key = new TextEncoder().encode(SECRET);
    const r = await startReceiver(SECRET);
    open.push(r);
    const n = webhookNotifier({ url: r.url, secret: key, scheme: 'keywarden' });
    key.fill(0);
    await n.notify(event);
    expect(r.requests[0]?.verified).toBe(true);
  });

  it('error messages of every failure kind contain neither secret, path, query nor credentials', async () => {
    const port = await closedPort();
    const r404 = await startReceiver(SECRET, () => 404);
    const r500 = await startReceiver(SECRET, () => 500);
    const hang = await startReceiver(SECRET, () => 'hang');
    open.push(r404, r500, hang);
    const secretPath = `/services/${PATH_TOKEN}?token=${PATH_TOKEN}`;
    const withCreds = (u: string) =>
      `${u.replace('http://', `http://ops:${URL_PASSWORD}@`).replace('/hooks/keywarden', secretPath)}`;
    const targets = [
      withCreds(r404.url),
      withCreds(r500.url),
      withCreds(hang.url),
      withCreds(`http://127.0.0.1:${port}/hooks/keywarden`),
    ];
    for (const url of targets) {
      const n = webhookNotifier({
        url,
        secret: SECRET,
        scheme: 'keywarden',
        timeout: '200ms',
        retries: 1,
        headers: { 'x-api-key': HEADER_TOKEN },
      });
      const err = (await n.notify(event).catch((e: unknown) => e)) as KeywardenError;
      expect(isKeywardenError(err, 'ERR_NOTIFY')).toBe(true);
      expect(err.message).toMatch(
        /^webhook http:\/\/127\.0\.0\.1:\d+: delivery [0-9a-f]{32} of key\.created failed/,
      );
      assertClean(err.message);
      assertClean(JSON.stringify(err));
      assertClean(inspect(err, { showHidden: true, depth: Number.POSITIVE_INFINITY }));
      assertClean(String(err.stack));
    }
    // the path and query were really used (so the test above proves they are kept out of errors)
    expect(r404.requests[0]?.path).toBe(secretPath);
  });
});
