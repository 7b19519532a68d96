import { afterEach, describe, expect, it } from 'vitest';
import { isKeywardenError, type KeywardenError } from '../../src/errors.js';
import { verifyWebhookSignature } from '../../src/notifiers/signature.js';
import { webhookNotifier } from '../../src/notifiers/webhook.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import { sampleKeyEvents, testNotifier } from '../../src/testing/notifier-contract.js';
import { closedPort, type Receiver, startReceiver } from './receiver.js';

const SECRET = 'whsec_contract_0123456789abcdef';

testNotifier({
  name: 'webhookNotifier (real node:http receiver, every signature verified)',
  describe,
  it,
  expect,
  create: async () => {
    const receiver = await startReceiver(SECRET);
    return {
      notifier: webhookNotifier({ url: receiver.url, secret: SECRET, scheme: 'keywarden', retries: 0 }),
      received: async () => {
        expect(receiver.requests.every((r) => r.verified)).toBe(true);
        return receiver.events();
      },
      close: () => receiver.close(),
    };
  },
});

describe('webhookNotifier delivery', () => {
  const open: Receiver[] = [];
  const start = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    open.push(r);
    return r;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  const [event] = sampleKeyEvents() as [KeyEvent];
  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => e,
    );
    expect(isKeywardenError(err, 'ERR_NOTIFY')).toBe(true);
    return err as KeywardenError;
  };

  it('POSTs the event as signed JSON with the documented headers', async () => {
    const r = await start(SECRET);
    await webhookNotifier({
      url: r.url,
      secret: SECRET,
      scheme: 'keywarden',
      headers: { 'X-Team': 'ops' },
    }).notify(event);
    expect(r.requests).toHaveLength(1);
    const req = r.requests[0] as (typeof r.requests)[0];
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hooks/keywarden');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['keywarden-event']).toBe(event.type);
    expect(req.headers['keywarden-delivery']).toMatch(/^[0-9a-f]{32}$/);
    expect(req.headers['keywarden-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(req.headers['x-team']).toBe('ops');
    expect(req.verified).toBe(true);
    expect(JSON.parse(req.body)).toEqual(event);
    expect(
      verifyWebhookSignature({
        payload: req.body,
        header: req.headers['keywarden-signature'] as string,
        secret: 'wrong-secret-0123456789',
      }),
    ).toBe(false);
  });

  it('gives each event its own delivery id', async () => {
    const r = await start(SECRET);
    const n = webhookNotifier({ url: r.url, secret: SECRET, scheme: 'keywarden' });
    await n.notify(event);
    await n.notify(event);
    expect(r.requests[0]?.headers['keywarden-delivery']).not.toBe(
      r.requests[1]?.headers['keywarden-delivery'],
    );
  });

  it('signs with every secret while rotating; a receiver with either secret accepts', async () => {
    const NEW = 'whsec_new_secret_abcdefghijkl';
    const rOld = await start(SECRET);
    const rNew = await start(NEW);
    await webhookNotifier({ url: rOld.url, secret: [NEW, SECRET], scheme: 'keywarden' }).notify(event);
    await webhookNotifier({ url: rNew.url, secret: [NEW, SECRET], scheme: 'keywarden' }).notify(event);
    expect(rOld.requests[0]?.verified).toBe(true);
    expect(rNew.requests[0]?.verified).toBe(true);
  });

  it('retries a 500 and succeeds, with the same delivery id on both attempts', async () => {
    const r = await start(SECRET, (n) => (n === 0 ? 500 : 204));
    await expect(
      webhookNotifier({ url: r.url, secret: SECRET, scheme: 'keywarden' }).notify(event),
    ).resolves.toBe(undefined);
    expect(r.requests).toHaveLength(2);
    const [a, b] = r.requests;
    expect(a?.headers['keywarden-delivery']).toBe(b?.headers['keywarden-delivery']);
    expect(a?.body).toBe(b?.body);
    expect(b?.verified).toBe(true);
    expect(r.events()).toHaveLength(1);
  });

  it('gives up after retries+1 attempts of 503 with ERR_NOTIFY naming the status', async () => {
    const r = await start(SECRET, () => 503);
    const err = await failure(
      webhookNotifier({ url: r.url, secret: SECRET, scheme: 'keywarden', retries: 2 }).notify(event),
    );
    expect(r.requests).toHaveLength(3);
    expect(err.message).toContain('status 503');
    expect(err.message).toContain('3 attempts');
  });

  it('does not retry a 4xx and rejects ERR_NOTIFY', async () => {
    for (const status of [400, 404, 410, 422]) {
      const r = await start(SECRET, () => status);
      const err = await failure(
        webhookNotifier({ url: r.url, secret: SECRET, scheme: 'keywarden', retries: 3 }).notify(event),
      );
      expect(r.requests).toHaveLength(1);
      expect(err.message).toContain(`status ${status}`);
    }
  });

  it('rejects (401, no retry) when the receiver cannot verify the signature', async () => {
    const r = await start('the-receiver-has-another-secret');
    const err = await failure(
      webhookNotifier({ url: r.url, secret: SECRET, scheme: 'keywarden' }).notify(event),
    );
    expect(r.requests).toHaveLength(1);
    expect(err.message).toContain('status 401');
  });

  it('does not follow redirects (a 3xx fails without retry)', async () => {
    const r = await start(SECRET, () => 307);
    const err = await failure(
      webhookNotifier({ url: r.url, secret: SECRET, scheme: 'keywarden' }).notify(event),
    );
    expect(r.requests).toHaveLength(1);
    expect(err.message).toContain('status 307');
  });

  it('times out each attempt of a receiver that never answers, then rejects ERR_NOTIFY', async () => {
    const r = await start(SECRET, () => 'hang');
    const err = await failure(
      webhookNotifier({
        url: r.url,
        secret: SECRET,
        scheme: 'keywarden',
        timeout: '200ms',
        retries: 1,
      }).notify(event),
    );
    expect(r.requests).toHaveLength(2); // timeout × attempts: both attempts reached it
    expect(err.message).toContain('timed out after 200 ms');
    expect(err.message).toContain('2 attempts');
  });

  it('retries a refused connection, then rejects ERR_NOTIFY naming the cause', async () => {
    const port = await closedPort();
    const err = await failure(
      webhookNotifier({
        url: `http://127.0.0.1:${port}/x`,
        secret: SECRET,
        scheme: 'keywarden',
        retries: 2,
      }).notify(event),
    );
    expect(err.message).toContain('3 attempts');
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('retries a network error from an injected fetch, then succeeds', async () => {
    const r = await start(SECRET);
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      if (calls === 1)
        throw new TypeError('fetch failed', {
          cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
        });
      return fetch(input, init);
    };
    await webhookNotifier({ url: r.url, secret: SECRET, scheme: 'keywarden', fetch: flaky }).notify(event);
    expect(calls).toBe(2);
    expect(r.requests).toHaveLength(1);
    expect(r.requests[0]?.verified).toBe(true);
  });

  it('sends URL credentials as Basic auth, not in the URL', async () => {
    const r = await start(SECRET);
    const url = r.url.replace('http://', 'http://hook%20user:p%40ss@');
    await webhookNotifier({ url, secret: SECRET, scheme: 'keywarden' }).notify(event);
    const auth = r.requests[0]?.headers.authorization as string;
    expect(Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString('utf8')).toBe('hook user:p@ss');
  });

  it('rejects an event without a valid type with ERR_VALIDATION, sending nothing', async () => {
    const r = await start(SECRET);
    const n = webhookNotifier({ url: r.url, secret: SECRET, scheme: 'keywarden' });
    for (const bad of [null, {}, { ...event, type: 'Bad Type\r\nx: y' }, { ...event, type: 42 }]) {
      await expect(n.notify(bad as never)).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
        field: 'event.type',
      });
    }
    expect(r.requests).toHaveLength(0);
  });

  it('rejects an event that is not JSON-serializable with ERR_NOTIFY, sending nothing', async () => {
    const r = await start(SECRET);
    const n = webhookNotifier({ url: r.url, secret: SECRET, scheme: 'keywarden' });
    await failure(n.notify({ ...event, version: 10n } as never));
    expect(r.requests).toHaveLength(0);
  });
});
