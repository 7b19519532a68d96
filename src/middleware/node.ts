/**
 * `keywarden/middleware/node`: API-key authentication for node:http, Express (4 and 5) and
 * Connect. Uses node:http types only (no runtime import). Importing it types `req.keywarden` and
 * `res.locals.keywarden` in Express handlers (a global `Express.Request` / `Express.Locals`
 * augmentation).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiKeyVerifyResult, ApiKeyVerifySuccess } from '../store/api-key-types.js';
import { prepareVerify, successHeaders, verifyFailed, verifyRefused } from './authorize.js';
import type { Denial } from './http-errors.js';
import { type ApiKeyVerifier, assertVerifier, type MiddlewareOptions, resolveOptions } from './options.js';

declare global {
  // Express reads its request and `res.locals` types from these global interfaces: with this
  // augmentation `req.keywarden` and `res.locals.keywarden` are typed in every Express handler,
  // without a hand-written declaration (and without importing anything from Express here).
  namespace Express {
    interface Request {
      /** Set by keywarden's `nodeMiddleware` after a successful check (never the token). */
      keywarden?: ApiKeyVerifySuccess;
    }
    interface Locals {
      /**
       * Set by keywarden's `nodeMiddleware` after a successful check (never the token). Typed as
       * present, like Hono's variables: read it in handlers mounted after the middleware.
       */
      keywarden: ApiKeyVerifySuccess;
    }
  }
}

/** A node request after a successful {@link nodeMiddleware} check. */
export type RequestWithKeywarden<Req extends IncomingMessage = IncomingMessage> = Req & {
  /** The verify result: `key`, `version`, `remaining?`, `rateLimit?`. Never the token. */
  keywarden?: ApiKeyVerifySuccess;
};

/** Options of {@link nodeMiddleware}. */
export type NodeMiddlewareOptions<Req extends IncomingMessage = IncomingMessage> = MiddlewareOptions<Req>;

/**
 * The handler {@link nodeMiddleware} returns. Resolves `true` when the request may go on (the
 * key is on `req.keywarden` and, with Express, `res.locals.keywarden`), `false` when it has
 * already answered. It never rejects.
 */
export type NodeAuthHandler<Req extends IncomingMessage = IncomingMessage> = (
  req: Req,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => Promise<boolean>;

/** The answer of a request refused before verify (shared: a settled promise is never written to). */
const FALSE: Promise<boolean> = Promise.resolve(false);

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Writes a denial to a node response (unless headers were already sent, in which case the
 * connection is just ended).
 *
 * @example
 * ```ts
 * writeDenial(res, denial({ code: 'MISSING', realm: 'api', now: Date.now() }));
 * ```
 * @throws never
 */
export function writeDenial(res: ServerResponse, d: Denial): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify(d.body);
  res.statusCode = d.status;
  for (const [name, value] of d.headers) res.setHeader(name, value);
  res.setHeader('content-length', body.length); // ASCII-only JSON: characters = bytes
  res.end(body);
}

/**
 * Builds a middleware that verifies the API key of each request (`Authorization: Bearer <token>`
 * or the configured header).
 *
 * It works two ways:
 * - **As middleware** (Express, Connect, or any `(req, res, next)` stack): on success it sets
 *   `req.keywarden` (and `res.locals.keywarden` when `res.locals` exists), adds `RateLimit-*`
 *   headers when the key has a rate limit, and calls `next()`. On failure it answers (401, 403,
 *   429, or 503 when verification itself failed) and does not call `next`: it fails closed and
 *   never passes an infrastructure error to `next(err)`, where an error handler might let it through.
 * - **As a gate** (plain node:http, no `next`): `if (!(await auth(req, res))) return;` — it
 *   resolves `true` when the handler should go on, `false` when it already answered.
 *
 * The token is never echoed, logged, or put on the request.
 *
 * @example
 * ```ts
 * // Express 5
 * import express from 'express';
 * const app = express();
 * app.use('/api', nodeMiddleware(km, { scopes: ['invoices:read'], clock }));
 * app.get('/api/invoices', (req, res) => res.json({ owner: res.locals.keywarden.key.ownerId }));
 * ```
 * @example
 * ```ts
 * // node:http
 * import { createServer } from 'node:http';
 * const auth = nodeMiddleware(km, { header: 'x-api-key' });
 * createServer(async (req, res) => {
 *   if (!(await auth(req, res))) return;
 *   res.end(`hello ${(req as RequestWithKeywarden).keywarden?.key.name}`);
 * });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` for bad options or a `km` without `apiKeys.verify`
 *   (at build time); the returned handler never throws or rejects.
 */
export function nodeMiddleware<Req extends IncomingMessage = IncomingMessage>(
  km: ApiKeyVerifier,
  options: NodeMiddlewareOptions<Req> = {},
): NodeAuthHandler<Req> {
  assertVerifier(km);
  const o = resolveOptions<Req>(options);
  /** After a verify that threw or rejected: 503 (500 for a misconfiguration), reported to `onError`. */
  const fail = (req: Req, res: ServerResponse, error: unknown): boolean => {
    writeDenial(res, verifyFailed(o, error, req));
    return false;
  };
  /** After a verify that answered: the denial, or the key on the request and `next()`. */
  const settle = (
    req: Req,
    res: ServerResponse,
    next: ((error?: unknown) => void) | undefined,
    result: ApiKeyVerifyResult,
    scopes: readonly string[],
  ): boolean => {
    if (!result.valid) {
      writeDenial(res, verifyRefused(o, result, scopes));
      return false;
    }
    (req as RequestWithKeywarden<Req>).keywarden = result;
    const locals = (res as ServerResponse & { locals?: Record<string, unknown> }).locals;
    if (typeof locals === 'object' && locals !== null) locals.keywarden = result;
    if (result.rateLimit !== undefined && !res.headersSent) {
      const headers = successHeaders(o, result);
      for (let i = 0; i < headers.length; i++) {
        const [name, value] = headers[i] as [string, string];
        res.setHeader(name, value);
      }
    }
    next?.();
    return true;
  };
  // The steps around verify are synchronous (see authorize.ts); the verify's own promise carries
  // the rest: one reaction per request (two small closures), no async function frame of our own
  return (req, res, next) => {
    const h = req.headers;
    const p = prepareVerify(
      o,
      req,
      headerValue(h[o.header]),
      req.socket?.remoteAddress,
      o.trustProxy ? headerValue(h['x-forwarded-for']) : undefined,
      h['user-agent'],
      headerValue(h['x-request-id']),
    );
    if (!p.ok) {
      writeDenial(res, p.denial);
      return FALSE;
    }
    let verified: Promise<ApiKeyVerifyResult>;
    try {
      // Promise.resolve: a native promise comes back as is; a custom verifier may return a plain value
      verified = Promise.resolve(km.apiKeys.verify(p.token, p.options));
    } catch (error) {
      return Promise.resolve(fail(req, res, error));
    }
    const scopes = p.scopes;
    // anonymous arrows: a named one costs a defineProperty per request under tsx (esbuild keepNames)
    return verified.then(
      (result) => settle(req, res, next, result, scopes),
      (error: unknown) => fail(req, res, error),
    );
  };
}
