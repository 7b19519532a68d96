/**
 * The behaviour every middleware flavour must show, run against a real server over loopback.
 * Each flavour supplies `start(fixture, options)` returning a server whose `GET /invoices`
 * requires `invoices:read` and answers `{ id, owner }` of the verified key.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, fixture, read } from './harness.js';

/** How a flavour is started. */
export interface StartOptions {
  header?: string;
  onError?: (error: unknown) => void;
  trustProxy?: boolean;
}
export type Start = (
  f: Fixture,
  options: StartOptions,
) => Promise<{ base: string; close: () => Promise<void> }>;

export function describeMiddleware(name: string, start: Start): void {
  describe(`${name}: API-key middleware over loopback`, () => {
    let f: Fixture;
    let server: { base: string; close: () => Promise<void> };
    const errors: unknown[] = [];

    beforeEach(async () => {
      f = await fixture();
      errors.length = 0;
      server = await start(f, { onError: (e) => errors.push(e) });
    });
    afterEach(async () => {
      await server.close();
      await f.km.close();
    });

    const get = (headers: Record<string, string> = {}) => fetch(`${server.base}/invoices`, { headers });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    it('lets a valid key through and exposes the key, not the token', async () => {
      const r = await read(await get(bearer(f.tokens.good)));
      expect(r.status).toBe(200);
      expect(r.json).toStrictEqual({ id: f.ids.good, owner: 'acme' });
      expect(r.text).not.toContain(f.tokens.good);
    });

    it('accepts the Bearer scheme case-insensitively', async () => {
      const r = await get({ authorization: `bearer   ${f.tokens.good}` });
      expect(r.status).toBe(200);
    });

    it('answers 401 without an error code when no key is sent (RFC 6750)', async () => {
      const res = await get();
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const r = await read(res);
      expect(r.status).toBe(401);
      expect(r.json).toStrictEqual({ error: { code: 'MISSING', message: 'An API key is required' } });
    });

    it('treats another auth scheme as no key', async () => {
      const res = await get({ authorization: `Basic ${f.tokens.good}` });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MISSING');
    });

    it.each([
      ['garbage', 'not-a-key'],
      ['an empty bearer', ''],
      ['a mistyped key', 'TYPO'],
    ])('answers 401 invalid_token MALFORMED for %s', async (_label, value) => {
      const token =
        value === 'TYPO' ? `${f.tokens.good.slice(0, -1)}${f.tokens.good.endsWith('a') ? 'b' : 'a'}` : value;
      const res = await get({ authorization: `Bearer ${token}` });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token"');
      const r = await read(res);
      expect(r.status).toBe(401);
      expect(r.json).toMatchObject({ error: { code: 'MALFORMED' } });
      if (token.length > 0) expect(r.text).not.toContain(token);
    });

    it('answers 403 insufficient_scope naming the scope for a key without it', async () => {
      const res = await get(bearer(f.tokens.other));
      expect(res.headers.get('www-authenticate')).toBe(
        'Bearer realm="api", error="insufficient_scope", scope="invoices:read"',
      );
      const r = await read(res);
      expect(r.status).toBe(403);
      expect(r.json).toMatchObject({ error: { code: 'INSUFFICIENT_SCOPE' } });
      expect(r.text).not.toContain(f.tokens.other);
    });

    it('answers 401 REVOKED for a revoked key', async () => {
      const res = await get(bearer(f.tokens.revoked));
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token"');
      const r = await read(res);
      expect(r.status).toBe(401);
      expect(r.json).toStrictEqual({ error: { code: 'REVOKED', message: 'The API key has been revoked' } });
      expect(r.text).not.toContain(f.tokens.revoked);
    });

    it('reports RateLimit-* on success and answers 429 with Retry-After past the limit', async () => {
      const first = await get(bearer(f.tokens.limited));
      expect(first.status).toBe(200);
      expect(first.headers.get('ratelimit-limit')).toBe('2');
      expect(first.headers.get('ratelimit-remaining')).toBe('1');
      const second = await get(bearer(f.tokens.limited));
      expect(second.status).toBe(200);
      expect(second.headers.get('ratelimit-remaining')).toBe('0');
      expect(second.headers.get('ratelimit-reset')).toBe('60');
      const third = await get(bearer(f.tokens.limited));
      expect(third.headers.get('ratelimit-limit')).toBe('2');
      expect(third.headers.get('ratelimit-remaining')).toBe('0');
      expect(third.headers.get('ratelimit-reset')).toBe('30');
      expect(third.headers.get('retry-after')).toBe('30');
      const r = await read(third);
      expect(r.status).toBe(429);
      expect(r.json).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    });

    it('answers 429 USAGE_EXCEEDED with Retry-After at the next refill when credits run out', async () => {
      expect((await get(bearer(f.tokens.credits))).status).toBe(200);
      const res = await get(bearer(f.tokens.credits));
      expect(res.headers.get('retry-after')).toBe('3600');
      const r = await read(res);
      expect(r.status).toBe(429);
      expect(r.json).toMatchObject({ error: { code: 'USAGE_EXCEEDED' } });
    });

    it('fails closed with 503 and no details when storage fails', async () => {
      f.broken.on = true;
      const r = await read(await get(bearer(f.tokens.good)));
      expect(r.status).toBe(503);
      expect(r.json).toStrictEqual({
        error: { code: 'UNAVAILABLE', message: 'Authentication is temporarily unavailable' },
      });
      expect(r.text).not.toContain('refused');
      expect(r.text).not.toContain(f.tokens.good);
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).not.toContain(f.tokens.good);
    });

    it('records the client address and user agent in the audit trail of a failure', async () => {
      await get({ ...bearer(f.tokens.revoked), 'user-agent': 'probe/1.0' });
      const events = await f.km.audit.list({ type: 'key.verify_failed' });
      const last = events.items.at(-1);
      expect(last?.context).toMatchObject({ ip: '127.0.0.1', userAgent: 'probe/1.0' });
      expect(JSON.stringify(events.items)).not.toContain(f.tokens.revoked);
    });
  });

  describe(`${name}: custom header`, () => {
    it('reads a raw x-api-key header and ignores Authorization', async () => {
      const f = await fixture();
      const server = await start(f, { header: 'x-api-key' });
      try {
        const ok = await fetch(`${server.base}/invoices`, { headers: { 'x-api-key': f.tokens.good } });
        expect(ok.status).toBe(200);
        expect(await ok.json()).toStrictEqual({ id: f.ids.good, owner: 'acme' });
        const bearerOnly = await fetch(`${server.base}/invoices`, {
          headers: { authorization: `Bearer ${f.tokens.good}` },
        });
        expect(bearerOnly.status).toBe(401);
        expect(((await bearerOnly.json()) as { error: { code: string } }).error.code).toBe('MISSING');
        const bad = await fetch(`${server.base}/invoices`, { headers: { 'x-api-key': 'Bearer nope' } });
        expect(bad.status).toBe(401);
        expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('MALFORMED');
      } finally {
        await server.close();
        await f.km.close();
      }
    });
  });
}
