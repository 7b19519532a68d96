/**
 * The console server over real loopback HTTP (no browser): the one-time login link, the session
 * cookie, the Host check against DNS rebinding, the Origin and CSRF checks, the security headers on
 * every answer, and that the operator key never reaches the browser.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../src/cli/console/handler.js';
import { consoleLogin } from '../../src/cli/console/login.js';
import { consoleOperator, startConsole } from '../../src/cli/console/serve.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { consoleFixture, logIn, raw } from './harness.js';

type Fixture = Awaited<ReturnType<typeof consoleFixture>>;
let open: Fixture | undefined;
afterEach(async () => {
  await open?.console.close();
  open = undefined;
});
const fixture = async (scopes?: string[]) => {
  open = await consoleFixture(scopes);
  return open;
};

describe('console login link', () => {
  it('works once, sets an HttpOnly SameSite=Strict cookie, and a second use is refused', async () => {
    const f = await fixture();
    const link = f.console.loginLink();
    const first = await raw(link, 'GET', { host: f.host });
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(/^kw_console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const second = await raw(link, 'GET', { host: f.host });
    expect(second.status).toBe(401);
    expect(second.headers['set-cookie']).toBeUndefined();
    expect(second.text).toContain('not valid');
    expect(second.text).not.toContain(new URL(link).searchParams.get('token'));
  });

  it('refuses an expired link, a wrong one, and an earlier one once a new one is printed', async () => {
    const f = await fixture();
    const expired = f.console.loginLink();
    f.clock.advance('121s');
    expect((await raw(expired, 'GET', { host: f.host })).status).toBe(401);
    const good = f.console.loginLink();
    const token = new URL(good).searchParams.get('token') as string;
    const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const t of [wrong, '', 'x', `${token}x`]) {
      expect((await raw(`${f.console.url}/login?token=${t}`, 'GET', { host: f.host })).status).toBe(401);
    }
    const replaced = f.console.loginLink(); // `good` stops working
    expect((await raw(good, 'GET', { host: f.host })).status).toBe(401);
    expect((await raw(replaced, 'GET', { host: f.host })).status).toBe(303);
  });

  it('ends a session after it sits idle, and on logout', async () => {
    let t = 0;
    const login = consoleLogin({ idleTtlMs: 1000, absoluteTtlMs: 5000, now: () => t });
    const a = login.redeem(login.newLinkToken());
    expect(a).not.toBeNull();
    t = 999;
    expect(login.session(a?.sessionId)).not.toBeNull();
    t = 1999;
    expect(login.session(a?.sessionId)).toBeNull();
    const b = login.redeem(login.newLinkToken());
    for (const at of [2500, 3400, 4300, 5200]) {
      t = at; // seen often, but past its absolute end at 6999
      expect(login.session(b?.sessionId)).not.toBeNull();
    }
    t = 7000;
    expect(login.session(b?.sessionId)).toBeNull();
    const c = login.redeem(login.newLinkToken());
    login.end(c?.sessionId);
    expect(login.session(c?.sessionId)).toBeNull();
  });
});

describe('console requests', () => {
  it('answers only to its own Host (DNS rebinding), even with a valid session', async () => {
    const f = await fixture();
    const { cookie, csrf } = await logIn(f.console, f.host);
    const port = new URL(f.console.url).port;
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${Number(port) + 1}`]) {
      const r = await raw(`${f.console.url}/api/secrets`, 'GET', { host, cookie, 'x-csrf-token': csrf });
      expect([r.status, JSON.parse(r.text).field]).toEqual([403, 'header.host']);
    }
    const ok = await raw(`${f.console.url}/api/secrets`, 'GET', {
      host: `localhost:${port}`,
      cookie,
      'x-csrf-token': csrf,
    });
    expect(ok.status).toBe(200);
  });

  it('needs the session and its CSRF token for every API call, and the own Origin for changes', async () => {
    const f = await fixture();
    const { cookie, csrf } = await logIn(f.console, f.host);
    const url = `${f.console.url}/api/api-keys`;
    const json = { 'content-type': 'application/json' };
    const body = JSON.stringify({ name: 'forged' });
    const before = (await f.km.apiKeys.list()).items.length;
    const cases: [Record<string, string>, number, string | undefined][] = [
      [{ 'x-csrf-token': csrf, origin: f.console.url }, 401, undefined], // no cookie
      [{ cookie, origin: f.console.url }, 403, 'header.x-csrf-token'],
      [
        // a wrong token: the last character changed (never to itself, 1 run in 64 did before)
        {
          cookie,
          origin: f.console.url,
          'x-csrf-token': `${csrf.slice(0, -1)}${csrf.endsWith('A') ? 'B' : 'A'}`,
        },
        403,
        'header.x-csrf-token',
      ],
      [{ cookie, 'x-csrf-token': csrf }, 403, 'header.origin'], // no Origin
      [{ cookie, 'x-csrf-token': csrf, origin: 'http://127.0.0.1:1' }, 403, 'header.origin'],
      [{ cookie, 'x-csrf-token': csrf, origin: 'null' }, 403, 'header.origin'],
      [
        { cookie, 'x-csrf-token': csrf, origin: f.console.url, 'sec-fetch-site': 'same-site' },
        403,
        'header.sec-fetch-site',
      ],
    ];
    for (const [headers, status, field] of cases) {
      const r = await raw(url, 'POST', { host: f.host, ...json, ...headers }, body);
      expect([r.status, JSON.parse(r.text).field]).toEqual([status, field]);
    }
    expect((await f.km.apiKeys.list()).items.length).toBe(before);
    const read = await raw(url, 'GET', { host: f.host, cookie });
    expect([read.status, JSON.parse(read.text).field]).toEqual([403, 'header.x-csrf-token']);
    const made = await raw(
      url,
      'POST',
      {
        host: f.host,
        ...json,
        cookie,
        'x-csrf-token': csrf,
        origin: f.console.url,
        'sec-fetch-site': 'same-origin',
      },
      body,
    );
    expect(made.status).toBe(201);
    expect(JSON.parse(made.text).key.name).toBe('forged');
  });

  it('puts the CSP, frame and sniffing headers on every answer and never sends the operator key', async () => {
    const f = await fixture();
    const { cookie, csrf } = await logIn(f.console, f.host);
    const paths = [
      '/',
      '/console/app.js',
      '/console/app.css',
      '/console/session',
      '/nope',
      '/api/api-keys',
      '/api/nope',
      '/login?token=x',
    ];
    for (const path of paths) {
      const r = await raw(`${f.console.url}${path}`, 'GET', { host: f.host, cookie, 'x-csrf-token': csrf });
      expect(r.headers['content-security-policy'], path).toBe(CONSOLE_CSP);
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.text).not.toContain(f.operatorToken);
      expect(JSON.stringify(r.headers)).not.toContain(f.operatorToken);
    }
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    const shell = await raw(`${f.console.url}/`, 'GET', { host: f.host });
    expect(shell.text).not.toMatch(/<script(?![^>]*\ssrc=)/); // no inline script
    expect(shell.text).not.toMatch(/\sstyle=|<style/); // no inline style
    expect(shell.text).not.toMatch(/https?:\/\//); // nothing from elsewhere
    const session = JSON.parse(
      (await raw(`${f.console.url}/console/session`, 'GET', { host: f.host, cookie })).text,
    );
    expect(session.operator).toEqual({ id: 'alice', keyId: expect.any(String), scopes: ['keywarden:admin'] });
  });

  it('logs out with the CSRF token; the cookie stops working', async () => {
    const f = await fixture();
    const { cookie, csrf } = await logIn(f.console, f.host);
    const h = { host: f.host, cookie, origin: f.console.url };
    expect((await raw(`${f.console.url}/console/logout`, 'POST', h)).status).toBe(403);
    expect(
      (await raw(`${f.console.url}/console/logout`, 'POST', { ...h, 'x-csrf-token': csrf })).status,
    ).toBe(204);
    const after = await raw(`${f.console.url}/api/secrets`, 'GET', {
      host: f.host,
      cookie,
      'x-csrf-token': csrf,
    });
    expect(after.status).toBe(401);
  });
});

describe('console operator', () => {
  it('acts with the operator key only: a key without keywarden scopes, a tenant key or a wrong one is refused', async () => {
    const { km } = createTestKeyManager();
    const app = (await km.apiKeys.create({ name: 'app', scopes: ['*', 'invoices:read'] })).token;
    const tenant = (await km.apiKeys.create({ name: 't', scopes: ['keywarden:admin'], tenantId: 'acme' }))
      .token;
    for (const token of [app, tenant, 'kw_not_a_key']) {
      const error = await consoleOperator(km, token).catch((e: unknown) => e);
      expect((error as { code?: string }).code).toBe('ERR_FORBIDDEN');
      expect(String((error as Error).message)).not.toContain(token);
      await expect(startConsole({ km, operatorToken: token })).rejects.toMatchObject({
        code: 'ERR_FORBIDDEN',
      });
    }
    const reader = (
      await km.apiKeys.create({ name: 'r', ownerId: 'rita', scopes: ['keywarden:read', 'x:y'] })
    ).token;
    expect(await consoleOperator(km, reader)).toMatchObject({ id: 'rita', scopes: ['keywarden:read'] });
  });

  it('a read-only operator gets 403 from write routes through the console', async () => {
    const f = await fixture(['keywarden:read']);
    const { cookie, csrf } = await logIn(f.console, f.host);
    const r = await raw(
      `${f.console.url}/api/api-keys`,
      'POST',
      {
        host: f.host,
        cookie,
        'x-csrf-token': csrf,
        origin: f.console.url,
        'content-type': 'application/json',
      },
      JSON.stringify({ name: 'nope' }),
    );
    expect([r.status, JSON.parse(r.text).code]).toEqual([403, 'ERR_FORBIDDEN']);
  });
});
