/**
 * The console's fetch handler: the one-time login, the static UI, and `/api/*` forwarded to the
 * management API with the operator key the console was started with (the browser never sees it).
 * Every answer carries a strict Content-Security-Policy and frame-ancestors 'none'. Every request
 * must name an allowed Host (DNS rebinding); every `/api` call and every state change needs the
 * session cookie, the session's CSRF token in `X-CSRF-Token`, and (for state changes) the
 * console's own Origin.
 * @module
 */
import type { AccessLike } from '../../http/access-types.js';
import { type ManagementApi, managementApi } from '../../http/handler.js';
import { HttpProblem, problemResponse } from '../../http/problem.js';
import type { KeyManager } from '../../manager/key-manager.js';
import { type ConsoleLogin, type ConsoleSession, csrfMatches } from './login.js';
import { APP_CSS, APP_JS, FAVICON_SVG, loginPage, SHELL_HTML } from './ui/assets.js';

/** Who the console acts as: the operator key it was started with. */
export interface ConsoleOperator {
  /** The operator's identity (the key's `ownerId`, else its id). */
  id: string;
  /** The operator API key's id. */
  keyId: string;
  scopes: readonly string[];
}

/** Options of {@link consoleHandler}. */
export interface ConsoleHandlerOptions {
  km: KeyManager;
  access?: AccessLike | undefined;
  /** The operator API key every `/api` call is made with; held in memory only. */
  operatorToken: string;
  operator: ConsoleOperator;
  login: ConsoleLogin;
  /** The `host:port` values the console answers to (e.g. `127.0.0.1:8787`, `localhost:8787`). */
  hosts: () => readonly string[];
}

/** The Content-Security-Policy of every console answer: nothing inline, nothing from elsewhere. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const SECURITY_HEADERS: [string, string][] = [
  ['content-security-policy', CONSOLE_CSP],
  ['x-frame-options', 'DENY'],
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cross-origin-resource-policy', 'same-origin'],
  ['cache-control', 'no-store'],
];

/** The session cookie's name. */
export const SESSION_COOKIE = 'kw_console';
const SAFE_METHODS = new Set(['GET', 'HEAD']);

function withSecurityHeaders(response: Response): Response {
  const headers = new Headers(response.headers);
  for (const [k, v] of SECURITY_HEADERS) headers.set(k, v);
  return new Response(response.body, { status: response.status, headers });
}

function text(body: string, type: string, status = 200, extra: [string, string][] = []): Response {
  return new Response(body, { status, headers: [['content-type', type], ...extra] });
}

function cookieOf(request: Request): string | undefined {
  const header = request.headers.get('cookie');
  if (header === null) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function forbidden(field: string, detail: string): HttpProblem {
  return new HttpProblem(403, 'ERR_FORBIDDEN', detail, { field });
}

/**
 * Refuses a state change that does not come from the console's own page: the Origin must be the
 * console's, `Sec-Fetch-Site` (when the browser sends it) same-origin.
 */
function assertSameOrigin(request: Request, host: string): void {
  const origin = request.headers.get('origin');
  if (origin !== `http://${host}`) throw forbidden('header.origin', 'Cross-origin request refused');
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin') {
    throw forbidden('header.sec-fetch-site', 'Cross-origin request refused');
  }
}

/**
 * Builds the console's fetch handler.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * declare const operatorToken: string;
 * declare const operator: ConsoleOperator;
 * const login = consoleLogin();
 * const handler = consoleHandler({ km, operatorToken, operator, login, hosts: () => ['127.0.0.1:8787'] });
 * createServer(nodeHandler(handler, { origin: 'http://127.0.0.1:8787' })).listen(8787, '127.0.0.1');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` from `managementApi` for a `km` that is not a key
 *   manager; the handler itself never throws (every failure is an answer).
 */
export function consoleHandler(options: ConsoleHandlerOptions): (request: Request) => Promise<Response> {
  const api: ManagementApi = managementApi(options.km, {
    basePath: '/api',
    ...(options.access !== undefined && { access: options.access }),
  });
  const { login, operator } = options;

  function requireSession(request: Request): ConsoleSession {
    const session = login.session(cookieOf(request));
    if (session === null) {
      throw new HttpProblem(
        401,
        'ERR_UNAUTHENTICATED',
        'Not logged in: open the login link from the terminal',
      );
    }
    return session;
  }

  function requireCsrf(request: Request, session: ConsoleSession): void {
    if (!csrfMatches(request.headers.get('x-csrf-token'), session.csrfToken)) {
      throw forbidden('header.x-csrf-token', 'Missing or wrong CSRF token');
    }
  }

  async function forward(request: Request, url: URL): Promise<Response> {
    const headers = new Headers(request.headers);
    headers.delete('cookie');
    headers.delete('x-csrf-token');
    headers.set('authorization', `Bearer ${options.operatorToken}`);
    const init: RequestInit = { method: request.method, headers };
    if (!SAFE_METHODS.has(request.method) && request.body !== null) {
      init.body = await request.arrayBuffer();
    }
    return api(new Request(url, init));
  }

  async function route(request: Request): Promise<Response> {
    const host = request.headers.get('host') ?? '';
    if (!options.hosts().includes(host)) {
      throw forbidden('header.host', 'Unknown Host: open the console at the address it printed');
    }
    const url = new URL(request.url);
    const path = url.pathname;
    const safe = SAFE_METHODS.has(request.method);
    if (!safe) assertSameOrigin(request, host);

    if (path === '/api' || path.startsWith('/api/')) {
      const session = requireSession(request);
      requireCsrf(request, session);
      return forward(request, url);
    }
    if (path === '/login' && safe) {
      const token = url.searchParams.get('token') ?? '';
      const redeemed = login.redeem(token);
      if (redeemed === null) {
        return text(
          loginPage('This login link is not valid: it was used already, it expired, or it is wrong.'),
          'text/html; charset=utf-8',
          401,
        );
      }
      return new Response(null, {
        status: 303,
        headers: [
          ['location', '/'],
          [
            'set-cookie',
            `${SESSION_COOKIE}=${redeemed.sessionId}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${redeemed.maxAgeSeconds}`,
          ],
        ],
      });
    }
    if (path === '/console/session' && safe) {
      const session = requireSession(request);
      return text(
        JSON.stringify({ operator, csrfToken: session.csrfToken }),
        'application/json; charset=utf-8',
      );
    }
    if (path === '/console/logout' && request.method === 'POST') {
      const session = requireSession(request);
      requireCsrf(request, session);
      login.end(cookieOf(request));
      return new Response(null, {
        status: 204,
        headers: [['set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`]],
      });
    }
    if (safe) {
      if (path === '/') return text(SHELL_HTML, 'text/html; charset=utf-8');
      if (path === '/console/app.js') return text(APP_JS, 'text/javascript; charset=utf-8');
      if (path === '/console/app.css') return text(APP_CSS, 'text/css; charset=utf-8');
      if (path === '/console/favicon.svg') return text(FAVICON_SVG, 'image/svg+xml');
    }
    throw new HttpProblem(404, 'ERR_NOT_FOUND', 'No such page');
  }

  return async (request) => {
    try {
      return withSecurityHeaders(await route(request));
    } catch (error) {
      const problem =
        error instanceof HttpProblem ? error : new HttpProblem(500, 'ERR_INTERNAL', 'Internal server error');
      return withSecurityHeaders(problemResponse(problem));
    }
  };
}
