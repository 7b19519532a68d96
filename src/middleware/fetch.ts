/**
 * `verifyRequest`: API-key authentication for fetch-standard runtimes (Hono, Next.js route
 * handlers, Cloudflare Workers, Deno, Bun). Portable: no node:*, no Buffer.
 * @module
 */
import type { ApiKeyInfo, ApiKeyVerifySuccess } from '../store/api-key-types.js';
import { authorize } from './authorize.js';
import type { Denial } from './http-errors.js';
import {
  type ApiKeyVerifier,
  assertVerifier,
  type MiddlewareOptions,
  type ResolvedMiddlewareOptions,
  resolveOptions,
} from './options.js';

/** Options of {@link verifyRequest}: the shared ones plus how to learn the client address. */
export interface VerifyRequestOptions extends MiddlewareOptions<Request> {
  /**
   * The client address, recorded in audit events (a `Request` does not carry it): e.g.
   * `(req) => req.headers.get('cf-connecting-ip') ?? undefined` on Workers, or Bun's
   * `server.requestIP(req)?.address`. With `trustProxy: true`, `X-Forwarded-For` wins.
   */
  clientIp?: (request: Request) => string | undefined;
}

/** The answer of {@link verifyRequest}. */
export type VerifyRequestResult =
  | {
      /** The key is valid and has the scopes: go on. */
      ok: true;
      /** The verified key (never the token). */
      key: ApiKeyInfo;
      /** The whole verify result: version, remaining credits, rate-limit state. */
      result: ApiKeyVerifySuccess;
      /** `RateLimit-*` headers to copy onto your response (empty without a rate limit). */
      headers: Headers;
    }
  | {
      /** The request is refused: return `response`. */
      ok: false;
      /** The 401/403/429/500/503 answer to return as is. */
      response: Response;
    };

const resolved = new WeakMap<object, ResolvedMiddlewareOptions<Request>>();
const DEFAULTS = resolveOptions<Request>({});

function resolveCached(options: VerifyRequestOptions | undefined): ResolvedMiddlewareOptions<Request> {
  if (options === undefined) return DEFAULTS;
  let o = resolved.get(options);
  if (o === undefined) {
    const { clientIp: _clientIp, ...shared } = options;
    o = resolveOptions<Request>(shared);
    resolved.set(options, o);
  }
  return o;
}

/**
 * The denial as a fetch `Response`.
 *
 * @example
 * ```ts
 * const response = denialResponse(denial({ code: 'MISSING', realm: 'api', now: Date.now() })); // 401
 * ```
 * @throws never
 */
export function denialResponse(d: Denial): Response {
  return new Response(JSON.stringify(d.body), { status: d.status, headers: d.headers });
}

/**
 * Verifies the API key of a fetch `Request`. On success returns the key; otherwise a ready
 * `Response` (401 missing/invalid key with `WWW-Authenticate`, 403 insufficient scope, 429 with
 * `RateLimit-*` and `Retry-After`, 503 when verification itself failed). The token is never
 * echoed, logged or returned. Options are validated once per options object (keep it in a
 * constant).
 *
 * @example
 * ```ts
 * import { verifyRequest } from 'keywarden/middleware';
 * const auth = { scopes: ['invoices:read'] };
 * export async function GET(request: Request) {
 *   const r = await verifyRequest(km, request, auth);
 *   if (!r.ok) return r.response;
 *   return Response.json({ owner: r.key.ownerId }, { headers: r.headers });
 * }
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (the promise rejects) for bad options or a `km`
 *   without `apiKeys.verify`: a configuration error; never for a bad request.
 */
export async function verifyRequest(
  km: ApiKeyVerifier,
  request: Request,
  options?: VerifyRequestOptions,
): Promise<VerifyRequestResult> {
  assertVerifier(km);
  const o = resolveCached(options);
  const h = request.headers;
  let remoteAddress: string | undefined;
  if (options?.clientIp) {
    try {
      remoteAddress = options.clientIp(request);
    } catch {
      remoteAddress = undefined; // an unknown address is not a reason to refuse the request
    }
  }
  const out = await authorize(km, o, request, {
    header: h.get(o.header),
    remoteAddress,
    forwardedFor: o.trustProxy ? h.get('x-forwarded-for') : undefined,
    userAgent: h.get('user-agent'),
    requestId: h.get('x-request-id'),
  });
  if (!out.ok) return { ok: false, response: denialResponse(out.denial) };
  return { ok: true, key: out.result.key, result: out.result, headers: new Headers(out.headers) };
}
