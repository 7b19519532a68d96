/**
 * Standard Webhooks: the webhook notifier signs per the specification by default, and the
 * `standardwebhooks` npm package (the reference implementation) verifies what a real loopback
 * receiver got; `verifyStandardWebhook` verifies what that package signs. Attacks (tampered body,
 * wrong secret, changed id, stale or future timestamp, malformed or missing headers) are refused.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { isKeywardenError, type KeywardenError } from '../../src/errors.js';
import {
  generateWebhookSecret,
  signStandardWebhook,
  verifyStandardWebhook,
} from '../../src/notifiers/standard-webhooks.js';
import { webhookNotifier } from '../../src/notifiers/webhook.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import { sampleKeyEvents } from '../../src/testing/notifier-contract.js';

interface Got {
  headers: IncomingHttpHeaders;
  body: string;
  verified: boolean;
}

/** A loopback receiver that verifies with the `standardwebhooks` package and answers by `status(n)`. */
async function reference(secret: string, status: (n: number) => number = () => 200) {
  const got: Got[] = [];
  const wh = new Webhook(secret);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified = false;
      try {
        wh.verify(body, req.headers as Record<string, string>);
        verified = true;
      } catch {
        verified = false;
      }
      const n = got.length;
      got.push({ headers: req.headers, body, verified });
      res.writeHead(verified ? status(n) : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    got,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});
const [event] = sampleKeyEvents() as [KeyEvent];

describe('webhookNotifier signs per Standard Webhooks by default', () => {
  it('the standardwebhooks package verifies every delivery; the body is the event', async () => {
    const secret = generateWebhookSecret();
    const r = await reference(secret);
    open.push(r);
    const n = webhookNotifier({ url: r.url, secret });
    for (const e of sampleKeyEvents()) await n.notify(e);
    expect(r.got.length).toBe(sampleKeyEvents().length);
    for (const g of r.got) {
      expect(g.verified).toBe(true);
      expect(g.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(g.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(g.headers['keywarden-signature']).toBeUndefined();
      expect(g.headers['keywarden-event']).toBe((JSON.parse(g.body) as KeyEvent).type);
    }
    expect(JSON.parse(r.got[0]!.body)).toEqual(JSON.parse(JSON.stringify(sampleKeyEvents()[0])));
    expect(n.toJSON()).toMatchObject({ scheme: 'standard' });
  });

  it('a retry carries the same webhook-id (receivers deduplicate on it) and verifies again', async () => {
    const secret = generateWebhookSecret();
    const r = await reference(secret, (i) => (i === 0 ? 503 : 200));
    open.push(r);
    await webhookNotifier({ url: r.url, secret, retries: 2 }).notify(event);
    expect(r.got).toHaveLength(2);
    expect(r.got.every((g) => g.verified)).toBe(true);
    expect(r.got[1]!.headers['webhook-id']).toBe(r.got[0]!.headers['webhook-id']);
  });

  it('while rotating, one signature per secret: receivers on the old and the new secret both verify', async () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const rOld = await reference(oldSecret);
    const rNew = await reference(newSecret);
    open.push(rOld, rNew);
    await webhookNotifier({ url: rOld.url, secret: [newSecret, oldSecret] }).notify(event);
    await webhookNotifier({ url: rNew.url, secret: [newSecret, oldSecret] }).notify(event);
    expect([rOld.got[0]?.verified, rNew.got[0]?.verified]).toEqual([true, true]);
    expect(String(rOld.got[0]?.headers['webhook-signature']).split(' ')).toHaveLength(2);
    // a receiver on an unrelated secret refuses
    const other = await reference(generateWebhookSecret());
    open.push(other);
    await expect(
      webhookNotifier({ url: other.url, secret: newSecret, retries: 0 }).notify(event),
    ).rejects.toThrow(/status 401/);
  });

  it('secrets must be whsec_ + base64 of 24 to 64 bytes; errors never echo them', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const field = (s: unknown) => {
      try {
        webhookNotifier({ url: 'https://hooks.example.com/x', secret: s as string });
      } catch (e) {
        const err = e as KeywardenError;
        expect(isKeywardenError(err, 'ERR_VALIDATION')).toBe(true);
        for (const text of [err.message, JSON.stringify(err), inspect(err)]) {
          expect(text).not.toContain(typeof s === 'string' ? s.slice(6) : 'never');
        }
        return err.field;
      }
      return 'accepted';
    };
    expect(field(secret)).toBe('accepted');
    expect(field(new Uint8Array(32))).toBe('accepted');
    expect(field('a-plain-secret-of-32-characters!!')).toBe('secret'); // no whsec_ prefix
    expect(field('whsec_not*base64*at*all*********')).toBe('secret');
    expect(field(`whsec_${Buffer.alloc(16).toString('base64')}`)).toBe('secret'); // 16 bytes: too short
    expect(field(`whsec_${Buffer.alloc(65).toString('base64')}`)).toBe('secret'); // too long
    expect(field(new Uint8Array(8))).toBe('secret');
    expect(field([secret, 'nope'])).toBe('secret.1');
    expect(() => webhookNotifier({ url: 'https://x.example/', secret, scheme: 'svix' as never })).toThrow(
      expect.objectContaining({ field: 'scheme' }),
    );
    // the 0.1 scheme stays available with its own secrets
    expect(() =>
      webhookNotifier({
        url: 'https://x.example/',
        secret: 'a-plain-secret-of-32-characters!!',
        scheme: 'keywarden',
      }),
    ).not.toThrow();
  });
});

describe('verifyStandardWebhook (receivers)', () => {
  const secret = generateWebhookSecret();
  const body = JSON.stringify({ type: 'key.rotated', id: 'k_1' });
  const nowMs = 1_767_225_600_000;
  const signedByReference = (id = 'msg_abc', at = nowMs, payload = body) => {
    const signature = new Webhook(secret).sign(id, new Date(at), payload);
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at / 1000)),
      'webhook-signature': signature,
    };
  };
  const verify = (headers: Record<string, string>, payload: string | Uint8Array = body, s: string = secret) =>
    verifyStandardWebhook({ payload, headers, secret: s, now: nowMs });

  it('accepts what the standardwebhooks package signs, from node headers or a fetch Headers', () => {
    const headers = signedByReference();
    expect(verify(headers)).toBe(true);
    expect(verify(headers, new TextEncoder().encode(body))).toBe(true);
    expect(verifyStandardWebhook({ payload: body, headers: new Headers(headers), secret, now: nowMs })).toBe(
      true,
    );
    // and the reference verifies what signStandardWebhook produces
    const ours = signStandardWebhook({ id: 'msg_1', payload: body, secret });
    expect(() => new Webhook(secret).verify(body, ours)).not.toThrow();
  });

  it('refuses a tampered body, another secret, a changed id, a stale or future timestamp', () => {
    const headers = signedByReference();
    expect(verify(headers, body.replace('k_1', 'k_2'))).toBe(false);
    expect(verify(headers, body, generateWebhookSecret())).toBe(false);
    expect(verify({ ...headers, 'webhook-id': 'msg_other' })).toBe(false);
    const stale = signedByReference('msg_abc', nowMs - 6 * 60_000);
    expect(verify(stale)).toBe(false);
    expect(
      verifyStandardWebhook({ payload: body, headers: stale, secret, now: nowMs, tolerance: '10m' }),
    ).toBe(true);
    expect(verify(signedByReference('msg_abc', nowMs + 6 * 60_000))).toBe(false);
    // the timestamp is signed: moving it to now breaks the signature
    expect(verify({ ...stale, 'webhook-timestamp': String(nowMs / 1000) })).toBe(false);
  });

  it('refuses missing, malformed and ambiguous headers without throwing', () => {
    const h = signedByReference();
    const sig = h['webhook-signature'];
    for (const bad of [
      {},
      { ...h, 'webhook-signature': '' },
      { ...h, 'webhook-signature': sig.replace('v1,', 'v1a,') }, // another scheme only
      { ...h, 'webhook-signature': sig.replace('v1,', '') },
      { ...h, 'webhook-signature': `${sig.slice(0, -2)}==` },
      { ...h, 'webhook-signature': `${sig} `.repeat(20) },
      { ...h, 'webhook-timestamp': String(nowMs) }, // milliseconds
      { ...h, 'webhook-timestamp': '-1' },
      { ...h, 'webhook-timestamp': '1e9' },
      { ...h, 'webhook-id': '' },
      { ...h, 'webhook-id': 'has space' },
      { ...h, 'Webhook-Id': 'msg_other' }, // the same header twice in another case
    ] as Record<string, string>[]) {
      expect(verify(bad)).toBe(false);
    }
    expect(verifyStandardWebhook({ payload: 42 as never, headers: h, secret, now: nowMs })).toBe(false);
    // a signature for another key in the list does not hide a valid one
    expect(verify({ ...h, 'webhook-signature': `v1,${'A'.repeat(43)}= ${sig}` })).toBe(true);
  });

  it('bad receiver options are ERR_VALIDATION naming the field', () => {
    const h = signedByReference();
    const field = (o: Record<string, unknown>) => {
      try {
        verifyStandardWebhook({ payload: body, headers: h, secret, ...o } as never);
      } catch (e) {
        return isKeywardenError(e, 'ERR_VALIDATION') ? e.field : 'other';
      }
      return 'none';
    };
    expect(field({ secret: 'whsec_short' })).toBe('secret');
    expect(field({ tolerance: 'soon' })).toBe('tolerance');
    expect(field({ now: Number.NaN })).toBe('now');
    expect(field({ headers: null })).toBe('headers');
  });
});
