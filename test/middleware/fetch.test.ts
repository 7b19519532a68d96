import { describe, expect, it } from 'vitest';
import { verifyRequest } from '../../src/middleware/fetch.js';
import { fixture } from './harness.js';

const url = 'https://api.example.test/invoices';

describe('verifyRequest (fetch Request)', () => {
  it('returns the key and the RateLimit headers for a valid key', async () => {
    const f = await fixture();
    const opts = { scopes: ['invoices:read'], clock: f.clock };
    const r = await verifyRequest(
      f.km,
      new Request(url, { headers: { authorization: `Bearer ${f.tokens.limited}` } }),
      opts,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.key.name).toBe('limited');
    expect(r.result.version).toBe(1);
    const names = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'];
    expect(names.map((n) => r.headers.get(n))).toStrictEqual(['2', '1', '30']);
    expect(JSON.stringify(r)).not.toContain(f.tokens.limited);
    await f.km.close();
  });

  it('returns a ready Response for each failure', async () => {
    const f = await fixture();
    const opts = { scopes: ['invoices:read'], clock: f.clock };
    const cases: [Record<string, string>, number, string][] = [
      [{}, 401, 'MISSING'],
      [{ authorization: 'Bearer x' }, 401, 'MALFORMED'],
      [{ authorization: `Bearer ${f.tokens.other}` }, 403, 'INSUFFICIENT_SCOPE'],
      [{ authorization: `Bearer ${f.tokens.revoked}` }, 401, 'REVOKED'],
    ];
    for (const [headers, status, code] of cases) {
      const r = await verifyRequest(f.km, new Request(url, { headers }), opts);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.response.status).toBe(status);
      expect(((await r.response.json()) as { error: { code: string } }).error.code).toBe(code);
    }
    await f.km.close();
  });

  it('records the address given by clientIp, or X-Forwarded-For with trustProxy', async () => {
    const f = await fixture();
    const headers = { authorization: `Bearer ${f.tokens.revoked}`, 'x-forwarded-for': '198.51.100.9' };
    await verifyRequest(f.km, new Request(url, { headers }), { clientIp: () => '192.0.2.1' });
    f.clock.advance('1h');
    await verifyRequest(f.km, new Request(url, { headers }), {
      clientIp: () => '192.0.2.1',
      trustProxy: true,
    });
    const ips = (await f.km.audit.list({ type: 'key.verify_failed' })).items.map((e) => e.context['ip']);
    expect(ips).toStrictEqual(['192.0.2.1', '198.51.100.9']);
    await f.km.close();
  });

  it('answers 503 when storage fails, and rejects bad options', async () => {
    const f = await fixture();
    f.broken.on = true;
    const r = await verifyRequest(
      f.km,
      new Request(url, { headers: { authorization: `Bearer ${f.tokens.good}` } }),
    );
    expect(r.ok ? 200 : r.response.status).toBe(503);
    await expect(verifyRequest(f.km, new Request(url), { header: '' })).rejects.toThrow(/options.header/);
    await expect(verifyRequest({} as never, new Request(url))).rejects.toThrow(/km/);
    await f.km.close();
  });
});
