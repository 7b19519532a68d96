/**
 * `honoMiddleware`: API-key authentication for Hono. Typed structurally, so keywarden has no
 * dependency (not even a types one) on hono; any Hono 4 app accepts it. Portable.
 * @module
 */
import type { ApiKeyVerifySuccess } from '../store/api-key-types.js';
import { authorize } from './authorize.js';
import { denialResponse } from './fetch.js';
import { type ApiKeyVerifier, assertVerifier, type MiddlewareOptions, resolveOptions } from './options.js';

// TS2664 where hono is not in the program (the portable-core check, the .d.ts build): inert there.
// biome-ignore lint/suspicious/noTsIgnore: TS2664 only where hono is absent; @ts-expect-error would fail where it is present
// @ts-ignore -- an augmentation of an optional peer; with hono installed it merges as below
declare module 'hono' {
  // Hono merges this interface into every context's variables (its own jwt middleware does the
  // same): `c.get('keywarden')` and `c.var.keywarden` are typed without a hand-declared
  // `Variables`. Hono infers a middleware's env only from its own `Context` type, which keywarden
  // does not import (no dependency on hono); in a .d.ts this augmentation is inert without hono.
  interface ContextVariableMap {
    /** Set by keywarden's `honoMiddleware` after a successful check (never the token). */
    keywarden: ApiKeyVerifySuccess;
  }
}

/**
 * The part of a Hono `Context` the middleware uses. `c.get('keywarden')` is typed in your
 * handlers (a `ContextVariableMap` augmentation); nothing to declare in the app's `Variables`.
 */
export interface HonoContextLike {
  /** Hono's request wrapper. */
  req: {
    /** The fetch `Request`: its headers carry the key. */
    raw: Request;
  };
  /** On @hono/node-server: `{ incoming, outgoing }`; the socket address is read from `incoming`. */
  env?: unknown;
  /** Stores the verify result, read back with `c.get('keywarden')`. */
  set(key: 'keywarden', value: ApiKeyVerifySuccess): void;
  /** Sets a response header (the `RateLimit-*` headers). */
  header(name: string, value: string): void;
}

/** Options of {@link honoMiddleware}; functions receive the Hono context. */
export interface HonoMiddlewareOptions<C extends HonoContextLike = HonoContextLike>
  extends MiddlewareOptions<C> {
  /**
   * The client address when the runtime is not @hono/node-server (e.g. from `getConnInfo(c)` of
   * your adapter). On @hono/node-server the socket address is used by default.
   */
  clientIp?: (c: C) => string | undefined;
}

/** A Hono middleware handler. */
export type HonoAuthHandler<C extends HonoContextLike = HonoContextLike> = (
  c: C,
  next: () => Promise<void>,
) => Promise<Response | undefined>;

function nodeSocketAddress(env: unknown): string | undefined {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: unknown } } } | null | undefined)
    ?.incoming;
  const address = incoming?.socket?.remoteAddress;
  return typeof address === 'string' ? address : undefined;
}

/**
 * Builds a Hono middleware that verifies the API key of each request. On success it sets
 * `c.set('keywarden', result)` (read it with `c.get('keywarden')`), adds `RateLimit-*` headers
 * when the key has a rate limit, and calls `next()`. Otherwise it returns the 401/403/429/503
 * JSON response and the handler never runs. The token is never echoed or logged.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { honoMiddleware } from 'keywarden/middleware';
 *
 * const app = new Hono();
 * app.use('/api/*', honoMiddleware(km, { scopes: ['invoices:read'] }));
 * app.get('/api/invoices', (c) => c.json({ key: c.get('keywarden').key.id }));
 * ```
 * @throws KeywardenError `ERR_VALIDATION` for bad options or a `km` without `apiKeys.verify`
 *   (at build time); the handler itself never throws.
 */
export function honoMiddleware<C extends HonoContextLike = HonoContextLike>(
  km: ApiKeyVerifier,
  options: HonoMiddlewareOptions<C> = {},
): HonoAuthHandler<C> {
  assertVerifier(km);
  const { clientIp, ...shared } = options;
  const o = resolveOptions<C>(shared);
  return async (c, next) => {
    const h = c.req.raw.headers;
    let remoteAddress: string | undefined;
    try {
      remoteAddress = clientIp ? clientIp(c) : nodeSocketAddress(c.env);
    } catch {
      remoteAddress = undefined;
    }
    const out = await authorize(km, o, c, {
      header: h.get(o.header),
      remoteAddress,
      forwardedFor: o.trustProxy ? h.get('x-forwarded-for') : undefined,
      userAgent: h.get('user-agent'),
      requestId: h.get('x-request-id'),
    });
    if (!out.ok) return denialResponse(out.denial);
    c.set('keywarden', out.result);
    for (const [name, value] of out.headers) c.header(name, value);
    await next();
    return undefined;
  };
}
