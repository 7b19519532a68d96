/**
 * The web console in a real headless Chromium (playwright-core + the binary of @sparticuz/chromium):
 * the one-time login link, creating and revoking an API key (the token shown once), approving an
 * agent's access request, a cross-origin POST refused, the CSP header with no console error on any
 * page, a revealed secret gone after navigating away, and a read-only operator without write
 * buttons. Screenshots of each page go to test-results/console/.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../src/access/gateway/index.js';
import { CONSOLE_CSP } from '../../src/cli/console/handler.js';
import { launchChromium, screenshotPath } from '../support/chromium.js';
import { consoleFixture } from './harness.js';

const T = 120_000;
let browser: Browser;
let context: BrowserContext | undefined;
let open: Awaited<ReturnType<typeof consoleFixture>> | undefined;
let cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  browser = await launchChromium();
}, T);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
  await context?.close();
  context = undefined;
  await open?.console.close();
  open = undefined;
});

/** A console and a fresh browser context (390 px wide: the narrowest the console supports). */
async function setUp(scopes?: string[]) {
  open = await consoleFixture(scopes);
  context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return { ...open, page, problems };
}

async function logIn(page: Page, link: string): Promise<void> {
  await page.goto(link);
  await page.getByText('Signed in as alice').waitFor();
}

/** Navigates to a view and waits until it has rendered its heading. */
async function view(page: Page, hash: string, heading: string): Promise<void> {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

describe('console in Chromium', { timeout: T }, () => {
  it('logs in with the one-time link; a second use, a wrong and an expired link are refused', async () => {
    const { page, console: c, clock, problems } = await setUp();
    const wrong = await page.goto(`${c.url}/login?token=${'A'.repeat(43)}`);
    expect(wrong?.status()).toBe(401);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not valid');

    const link = c.loginLink();
    await logIn(page, link);
    expect(new URL(page.url()).pathname).toBe('/');
    const cookies = await context?.cookies();
    expect(cookies?.find((k) => k.name === 'kw_console')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    expect(await page.evaluate(() => document.cookie)).toBe(''); // HttpOnly: the page script cannot read it
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.screenshot({ path: screenshotPath('overview'), fullPage: true });

    const other = await browser.newContext();
    try {
      const again = await (await other.newPage()).goto(link);
      expect(again?.status()).toBe(401); // single use, even from another browser
      const expired = c.loginLink();
      clock.advance('3m');
      const late = await (await other.newPage()).goto(expired);
      expect(late?.status()).toBe(401);
    } finally {
      await other.close();
    }
    expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
  });

  it('creates an API key and rotates it (each token shown once, gone after navigating away), then revokes it', async () => {
    const { page, console: c, km, problems } = await setUp();
    await logIn(page, c.loginLink());
    await view(page, '#/api-keys', 'API keys');
    await page.getByLabel('Name').fill('billing-service');
    await page.getByLabel('Scopes (comma separated)').fill('invoices:read, invoices:write');
    await page.getByRole('button', { name: 'Create key' }).click();
    const out = page.getByRole('status', { name: 'New API key token' });
    await out.waitFor();
    const token = (await out.textContent()) ?? '';
    expect(token.length).toBeGreaterThan(32);
    const verified = await km.apiKeys.verify(token);
    expect(verified.valid && verified.key.scopes).toEqual(['invoices:read', 'invoices:write']);
    await page.getByRole('cell', { name: 'billing-service', exact: true }).waitFor();
    await page.screenshot({ path: screenshotPath('api-keys'), fullPage: true });

    await view(page, '#/secrets', 'Secrets');
    await view(page, '#/api-keys', 'API keys');
    expect(await page.content()).not.toContain(token);

    const id = verified.valid ? verified.key.id : '';
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Rotate billing-service' }).click();
    await page.getByRole('heading', { name: /billing-service version 2/ }).waitFor();
    const rotated = (await out.textContent()) ?? '';
    expect(rotated).not.toBe(token);
    const second = await km.apiKeys.verify(rotated);
    expect(second.valid && [second.key.id, second.version]).toEqual([id, 2]);
    await view(page, '#/audit', 'Audit log');
    expect(await page.content()).not.toContain(rotated);
    await view(page, '#/api-keys', 'API keys');

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Revoke billing-service' }).click();
    await page.getByText('Revoked billing-service').waitFor();
    expect((await km.apiKeys.get(id)).status).toBe('revoked');
    const audit = await km.audit.list({ recordId: id, type: 'key.revoked' });
    expect(audit.items.map((e) => e.actor)).toEqual(['alice']);
    expect(problems).toEqual([]);
  });

  it("approves an agent's access request; the agent's session works through the gateway until revoked in the console", async () => {
    const { page, console: c, km, access, problems } = await setUp();
    await km.secrets.set('STRIPE_KEY', 'sk_live_console_never_shown_0001');
    const seen: (string | undefined)[] = [];
    const upstream = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.setHeader('content-type', 'application/json');
      res.end('{"data":[]}');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const gateway = createGateway(access);
    await gateway.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(
      () => gateway.close(),
      () => new Promise<void>((resolve) => upstream.close(() => resolve())),
    );
    await access.tools.register({
      id: 'stripe',
      name: 'Payments',
      secret: 'STRIPE_KEY',
      upstream: {
        origin: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        auth: { type: 'bearer' },
        allowPrivateNetwork: true,
      },
      methods: ['GET'],
      paths: ['/v1/charges'],
      approval: 'required',
      maxDuration: '1h',
    });
    const req = await access.requests.create({
      toolId: 'stripe',
      agentId: 'agent-7',
      justification: 'list charges for the refund',
      duration: '30m',
    });
    await logIn(page, c.loginLink());
    await view(page, '#/access', 'Access');
    await page.getByRole('cell', { name: 'list charges for the refund' }).waitFor();
    await page.screenshot({ path: screenshotPath('access'), fullPage: true });
    await page.getByLabel('Shorter duration').fill('10m');
    await page.getByRole('button', { name: `Approve ${req.id}` }).click();
    await page.getByText(`Approved ${req.id}`).waitFor();
    const approved = await access.requests.get(req.id);
    expect(approved.status).toBe('approved');
    expect(approved.approvals.map((a) => a.approver)).toEqual(['alice']);
    expect(approved.grant.duration).toBe(600_000);
    expect(await page.content()).not.toContain('sk_live_console_never_shown_0001');

    // the agent opens its session and calls the tool through the gateway: the secret is injected
    const session = await access.sessions.open(req.id);
    const callTool = () =>
      fetch(`${gateway.url}/stripe/v1/charges`, { headers: { authorization: `Bearer ${session.token}` } });
    expect((await callTool()).status).toBe(200);
    expect(seen).toEqual(['Bearer sk_live_console_never_shown_0001']);
    await view(page, '#/secrets', 'Secrets');
    await view(page, '#/access', 'Access');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: `Revoke session ${session.id}` }).click();
    await page.getByText(`Revoked session ${session.start}`).waitFor();
    expect((await access.sessions.get(session.id)).status).toBe('revoked');
    expect((await callTool()).status).toBe(401); // revoked in the console: the next call is refused
    expect(seen).toHaveLength(1);
    expect(await page.content()).not.toContain(session.token);
    expect(problems).toEqual([]);
  });

  it('refuses a cross-origin POST from another local page, although the browser sends the cookie', async () => {
    const { page, console: c, km } = await setUp();
    await logIn(page, c.loginLink());
    const before = (await km.apiKeys.list()).items.length;
    // an attacker's page on another port of 127.0.0.1: same site (cookies are not port-scoped),
    // other origin; it posts a form to the console's API
    const attacker: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<form id="f" method="POST" action="${c.url}/api/api-keys" enctype="text/plain"><input name='{"name":"evil","x":"' value='"}'></form>` +
          `<script>fetch("${c.url}/api/api-keys",{method:"POST",mode:"no-cors",credentials:"include",body:'{"name":"evil2"}'});document.getElementById("f").submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (attacker.address() as AddressInfo).port;
      const refused = page.waitForResponse(
        (r) =>
          r.url() === `${c.url}/api/api-keys` &&
          r.request().method() === 'POST' &&
          r.request().resourceType() === 'document',
      );
      await page.goto(`http://127.0.0.1:${port}/`);
      const answer = await refused;
      expect(answer.status()).toBe(403);
      // same site (another port of 127.0.0.1): SameSite=Strict does not hold the cookie back
      expect((await answer.request().allHeaders()).cookie).toMatch(/kw_console=/);
      const problem = await answer.json();
      expect(problem).toMatchObject({ code: 'ERR_FORBIDDEN', field: 'header.origin' });
      expect(answer.headers()['content-security-policy']).toBe(CONSOLE_CSP);
    } finally {
      await new Promise<void>((resolve) => attacker.close(() => resolve()));
    }
    expect((await km.apiKeys.list()).items.length).toBe(before);
  });

  it('sends the CSP on every page and no page logs an error; screenshots of each page', async () => {
    const { page, console: c, km, problems } = await setUp();
    await km.secrets.set('DATABASE_URL', 'postgres://u:p@db/app', { rotation: { every: '30d' } });
    await km.keys.create({ name: 'tokens', type: 'ed25519' });
    const first = await page.goto(c.loginLink());
    expect(first?.headers()['content-security-policy']).toBe(CONSOLE_CSP);
    expect(first?.headers()['x-frame-options']).toBe('DENY');
    await page.getByText('Signed in as alice').waitFor();
    const pages: [string, string, string][] = [
      ['#/', 'Overview', 'overview'],
      ['#/api-keys', 'API keys', 'api-keys'],
      ['#/secrets', 'Secrets', 'secrets'],
      ['#/signing-keys', 'Signing keys', 'signing-keys'],
      ['#/rotation', 'Rotation', 'rotation'],
      ['#/access', 'Access', 'access'],
      ['#/audit', 'Audit log', 'audit'],
    ];
    for (const [hash, heading, name] of pages) {
      await view(page, hash, heading);
      await page.screenshot({ path: screenshotPath(name), fullPage: true });
      expect(await page.getByRole('alert').count(), hash).toBe(0); // no 'Cannot show this page'
    }
    await view(page, '#/signing-keys', 'Signing keys');
    await page.getByRole('button', { name: 'JWKS of tokens' }).click();
    await page.getByRole('heading', { name: 'JWKS of tokens' }).waitFor();
    expect(await page.locator('pre').textContent()).toContain('"kty": "OKP"');
    await view(page, '#/audit', 'Audit log');
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.getByText(/The chain is intact/).waitFor();
    await view(page, '#/rotation', 'Rotation');
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByRole('heading', { name: 'Dry run' }).waitFor();
    // the page itself cannot run inline script (CSP), so an injected <script> does nothing
    const ran = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = true';
      document.body.append(s);
      await new Promise((r) => setTimeout(r, 50));
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran).toBe(false);
    expect(problems.filter((p) => !p.includes('Content Security Policy'))).toEqual([]);
    expect(problems.filter((p) => p.includes('Content Security Policy'))).toHaveLength(1); // the injected one
  });

  it('reveals a secret after a confirmation (audited as the operator key); gone after navigating away', async () => {
    const { page, console: c, km, problems } = await setUp();
    const value = 'sk_live_revealed_once_0123456789';
    await km.secrets.set('STRIPE_KEY', value, { environment: 'production' });
    await logIn(page, c.loginLink());
    await view(page, '#/secrets', 'Secrets');
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await page.getByRole('button', { name: 'Reveal STRIPE_KEY' }).click();
    await expect.poll(() => asked).toContain('audit');
    expect(await page.content()).not.toContain(value); // dismissed: nothing fetched
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Reveal STRIPE_KEY' }).click();
    await page.getByText(value).waitFor();
    const reads = await km.audit.list({ type: 'secret.read' });
    expect(reads.items.map((e) => e.actor)).toEqual(['alice']); // the console's operator
    await view(page, '#/api-keys', 'API keys');
    expect(await page.content()).not.toContain(value);
    await view(page, '#/secrets', 'Secrets');
    expect(await page.content()).not.toContain(value);
    expect(problems).toEqual([]);
  });

  it('a read-only operator sees no write buttons', async () => {
    const { page, console: c, km, problems } = await setUp(['keywarden:read']);
    await km.apiKeys.create({ name: 'svc' });
    await km.secrets.set('API_TOKEN', 'tok_value_never_in_the_page_42');
    await logIn(page, c.loginLink());
    await view(page, '#/api-keys', 'API keys');
    await page.getByRole('cell', { name: 'svc', exact: true }).waitFor();
    expect(await page.getByRole('button', { name: /Create key|Revoke|Rotate/ }).count()).toBe(0);
    await view(page, '#/secrets', 'Secrets');
    expect(await page.getByRole('button', { name: /Set secret|Reveal/ }).count()).toBe(0);
    await view(page, '#/rotation', 'Rotation');
    expect(await page.getByRole('button', { name: /Run due/ }).count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
