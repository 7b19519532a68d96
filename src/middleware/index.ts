/**
 * `keywarden/middleware`: API-key authentication for HTTP servers.
 *
 * - {@link verifyRequest} for fetch-standard `Request`s (Hono, Next.js, Workers, Deno, Bun);
 * - {@link nodeMiddleware} for node:http, Express and Connect;
 * - {@link honoMiddleware} for Hono;
 * - {@link mcpAuth} for MCP servers on the SDK's streamable HTTP transport.
 *
 * Status codes and headers are documented in docs/request-path.md.
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
export {
  authRequired,
  hasScopes,
  type McpAuthInfo,
  type McpAuthOptions,
  type McpRequest,
  mcpAuth,
  toMcpAuthInfo,
} from './mcp.js';
export {
  type NodeAuthHandler,
  type NodeMiddlewareOptions,
  nodeMiddleware,
  type RequestWithKeywarden,
  writeDenial,
} from './node.js';
export type { ApiKeyVerifier, MiddlewareOptions } from './options.js';
