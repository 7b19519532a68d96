/**
 * `keywarden/middleware`: API-key authentication for HTTP servers, portable (no node:* types, so
 * it type-checks in a Workers or browser project without @types/node).
 *
 * - {@link verifyRequest} for fetch-standard `Request`s (Hono, Next.js, Workers, Deno, Bun);
 * - {@link honoMiddleware} for Hono (`c.get('keywarden')` is typed, no `Variables` to declare).
 *
 * For node:http, Express and Connect use `nodeMiddleware` from `keywarden/middleware/node`; for
 * MCP servers on the SDK's streamable HTTP transport, `mcpAuth` from `keywarden/middleware/mcp`
 * (both were exported here before 0.2; see docs/migration.md).
 *
 * Status codes and headers are documented in docs/request-path.md.
 *
 * @example
 * ```ts
 * import { verifyRequest } from 'keywarden/middleware';
 *
 * export default {
 *   async fetch(request: Request) {
 *     const auth = await verifyRequest(km, request, { scopes: ['invoices:read'] });
 *     if (!auth.ok) return auth.response;
 *     return Response.json({ key: auth.key.id }, { headers: auth.headers });
 *   },
 * };
 * ```
 * @module
 */
export type { ApiKeyInfo, ApiKeyVerifySuccess, RateLimitState } from '../store/api-key-types.js';
export type { AuthorizeOutcome, RequestFacts } from './authorize.js';
export {
  denialResponse,
  type VerifyRequestOptions,
  type VerifyRequestResult,
  verifyRequest,
} from './fetch.js';
export {
  type HonoAuthHandler,
  type HonoContextLike,
  type HonoMiddlewareOptions,
  honoMiddleware,
} from './hono.js';
export {
  type Denial,
  denial,
  type ErrorBody,
  type MiddlewareErrorCode,
  rateLimitHeaders,
  STATUS_BY_CODE,
} from './http-errors.js';
export type { ApiKeyVerifier, MiddlewareOptions } from './options.js';
