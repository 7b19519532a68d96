/**
 * Fixtures of the console tests: a real memory-store manager with agent access, operator keys,
 * a console on a real loopback server, and raw HTTP requests (node:http, so the Host and Origin
 * headers are exactly what the test says).
 */
import { request as httpRequest } from 'node:http';
import { agentAccess } from '../../src/access/index.js';
import { type RunningConsole, startConsole } from '../../src/cli/console/serve.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';

/** A console over a fresh manager, as the admin operator `alice` unless scopes are given. */
export async function consoleFixture(scopes: string[] = ['keywarden:admin']) {
  const { km, clock } = createTestKeyManager();
  const access = agentAccess(km);
  const operatorToken = (await km.apiKeys.create({ name: 'console-op', ownerId: 'alice', scopes })).token;
  const running: RunningConsole = await startConsole({
    km,
    access,
    operatorToken,
    linkTtlMs: 120_000,
    now: () => clock.now(),
  });
  const host = new URL(running.url).host;
  return { km, clock, access, operatorToken, console: running, host };
}

/** What {@link raw} answers. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Sends one request with exactly the given headers (Host included) and reads the answer. */
export function raw(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Logs in with a fresh login link; returns the cookie header and the session's CSRF token. */
export async function logIn(c: RunningConsole, host: string): Promise<{ cookie: string; csrf: string }> {
  const login = await raw(c.loginLink(), 'GET', { host });
  if (login.status !== 303) throw new Error(`login answered ${login.status}`);
  const setCookie = login.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0] ?? '';
  const session = await raw(`${c.url}/console/session`, 'GET', { host, cookie });
  return { cookie, csrf: (JSON.parse(session.text) as { csrfToken: string }).csrfToken };
}
