/**
 * `keywarden/middleware/mcp` — `mcpAuth`: protects an MCP server on the streamable HTTP transport of
 * `@modelcontextprotocol/sdk` with keywarden API keys and scopes, per server and per tool.
 * Typed structurally: no dependency on the SDK. Uses node:http types only.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KeywardenError } from '../errors.js';
import type { ApiKeyVerifySuccess } from '../store/api-key-types.js';
import { scopesGranted } from '../store/api-keys/scopes.js';
import { denial } from './http-errors.js';
import { type NodeAuthHandler, type NodeMiddlewareOptions, nodeMiddleware, writeDenial } from './node.js';
import { type ApiKeyVerifier, resolveOptions } from './options.js';

/**
 * The SDK's `AuthInfo` (`@modelcontextprotocol/sdk/server/auth/types.js`), which the transport
 * hands to every tool handler as `extra.authInfo`. `token` holds the key's public `start`
 * (`kw_<id>`), never the secret token.
 */
export interface McpAuthInfo {
  /** The key's public `start` (`${prefix}_${id}`), NOT the token: keywarden never keeps it. */
  token: string;
  /** The key id. */
  clientId: string;
  /** Scopes granted to the key (wildcards as stored: `*`, `ns:*`). */
  scopes: string[];
  /** Key expiry in seconds since the epoch, when it expires. */
  expiresAt?: number;
  /** `extra.keywarden` is the full verify result (key info, version, credits, rate limit). */
  extra: {
    /** The verify result of the request's key (never the token). */
    keywarden: ApiKeyVerifySuccess;
  };
}

/**
 * What `req.auth` holds after {@link mcpAuth}, typed as the shape it shares with the SDK's own
 * `AuthInfo`: keywarden sets a {@link McpAuthInfo} (so `extra.keywarden` is there), and the SDK's
 * `requireBearerAuth`, if your project also uses it, types `req.auth` as its `AuthInfo`. One type
 * both fit, so the two declarations never conflict; the full verify result is also on
 * `req.keywarden`, typed without the optional chain.
 */
export interface McpRequestAuth {
  /** keywarden: the key's public `start`, never the token. */
  token: string;
  /** keywarden: the key id. */
  clientId: string;
  /** Scopes granted (wildcards as stored: `*`, `ns:*`). */
  scopes: string[];
  /** Expiry in seconds since the epoch, when there is one. */
  expiresAt?: number;
  /** keywarden: `{ keywarden: verifyResult }`; other middleware may put other data here. */
  extra?: {
    /** The verify result of the request's key, when keywarden set `req.auth`. */
    keywarden?: ApiKeyVerifySuccess;
    /** Whatever another bearer middleware put there. */
    [key: string]: unknown;
  };
}

declare global {
  // Like `req.keywarden` (keywarden/middleware/node): Express reads its request type from this
  // global interface, so `req.auth` is typed in every Express handler once keywarden/middleware/mcp
  // is imported, without a hand-written declaration. The MCP SDK's `requireBearerAuth` declares
  // `auth` on Express's `Request` too, as its `AuthInfo`: McpRequestAuth is a supertype of it, so
  // both declarations hold together (the SDK's wins where both are in the program).
  namespace Express {
    interface Request {
      /** Set by keywarden's `mcpAuth` once the key is verified (never the token); the MCP transport hands it to tools as `extra.authInfo`. */
      auth?: McpRequestAuth;
    }
  }
}

/**
 * A node request as {@link mcpAuth} takes it and the MCP transport reads it: `auth` set by
 * `mcpAuth` (typed as {@link McpRequestAuth}, so an Express request fits it whether or not the
 * SDK's own `requireBearerAuth` typing is in your program), `body` when parsed.
 */
export type McpRequest = IncomingMessage & {
  /** Set by `mcpAuth` once the key is verified; the MCP SDK passes it to tool handlers as `extra.authInfo`. */
  auth?: McpRequestAuth;
  /** The parsed JSON-RPC body (e.g. by `express.json()`), needed to enforce `toolScopes`. */
  body?: unknown;
  /** The verify result, set by the node middleware inside `mcpAuth`. */
  keywarden?: ApiKeyVerifySuccess;
};

/** Options of {@link mcpAuth}. */
export interface McpAuthOptions<Req extends McpRequest = McpRequest> extends NodeMiddlewareOptions<Req> {
  /**
   * Extra scopes a `tools/call` of a tool needs, by tool name (on top of `scopes`). Enforcing
   * them needs the parsed JSON-RPC body on `req.body` (e.g. `express.json()` before `mcpAuth`);
   * a POST without one is refused with 500, never let through.
   */
  toolScopes?: Readonly<Record<string, readonly string[]>>;
  /**
   * `false` runs the server without authentication, for local development only: a request with no
   * key passes with `req.auth` unset (a request that does carry a key is still verified, so a
   * wrong key still answers 401). Default: `KEYWARDEN_AUTH_REQUIRED` (`false`/`0` turn it off),
   * else true. Refused (`ERR_VALIDATION`, at build time) when `NODE_ENV` is `production`, and
   * warned about on the console when it takes effect.
   */
  required?: boolean;
  /** Where the "authentication is off" warning goes (default `console.warn`). */
  warn?: (message: string) => void;
}

/**
 * Whether {@link mcpAuth} requires a key: the `required` option, else `KEYWARDEN_AUTH_REQUIRED`,
 * else true; `false` is refused in production.
 *
 * @example
 * ```ts
 * authRequired(undefined, { KEYWARDEN_AUTH_REQUIRED: 'false', NODE_ENV: 'development' }); // false
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `options.required` or `KEYWARDEN_AUTH_REQUIRED`)
 *   for a value that is not a boolean, or `false` while `NODE_ENV=production`.
 */
export function authRequired(
  option: unknown,
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  let required = true;
  let field = 'options.required';
  if (option !== undefined) {
    if (typeof option !== 'boolean') {
      throw new KeywardenError('ERR_VALIDATION', 'options.required must be a boolean', { field });
    }
    required = option;
  } else if (env.KEYWARDEN_AUTH_REQUIRED !== undefined && env.KEYWARDEN_AUTH_REQUIRED !== '') {
    field = 'KEYWARDEN_AUTH_REQUIRED';
    const v = env.KEYWARDEN_AUTH_REQUIRED.trim().toLowerCase();
    if (v === 'false' || v === '0') required = false;
    else if (v !== 'true' && v !== '1') {
      throw new KeywardenError('ERR_VALIDATION', 'KEYWARDEN_AUTH_REQUIRED must be true or false', { field });
    }
  }
  if (!required && env.NODE_ENV === 'production') {
    throw new KeywardenError(
      'ERR_VALIDATION',
      `${field} is false while NODE_ENV=production: refusing to serve without authentication`,
      { field },
    );
  }
  return required;
}

/** The tool names of every `tools/call` in a JSON-RPC message or batch. */
function calledTools(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  const names: string[] = [];
  for (const m of messages) {
    if (typeof m !== 'object' || m === null) continue;
    const { method, params } = m as { method?: unknown; params?: { name?: unknown } };
    if (method === 'tools/call' && typeof params?.name === 'string') names.push(params.name);
  }
  return names;
}

/**
 * True when `auth` (an `extra.authInfo` in a tool handler) grants every scope in `scopes`,
 * with keywarden's wildcard rules (`*`, `ns:*`).
 *
 * @example
 * ```ts
 * import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * declare const server: McpServer;
 * server.registerTool('delete_file', {}, async (extra) => {
 *   if (!hasScopes(extra.authInfo, ['files:delete'])) {
 *     return { isError: true, content: [{ type: 'text', text: 'needs files:delete' }] };
 *   }
 *   return { content: [{ type: 'text', text: 'deleted' }] };
 * });
 * ```
 * @throws never
 */
export function hasScopes(
  auth: { scopes: readonly string[] } | undefined,
  scopes: readonly string[],
): boolean {
  return auth !== undefined && Array.isArray(auth.scopes) && scopesGranted(auth.scopes, scopes);
}

/**
 * The keywarden {@link McpAuthInfo} of a verified request.
 *
 * @example
 * ```ts
 * declare const result: ApiKeyVerifySuccess;
 * (req as McpRequest).auth = toMcpAuthInfo(result);
 * ```
 * @throws never
 */
export function toMcpAuthInfo(result: ApiKeyVerifySuccess): McpAuthInfo {
  const info: McpAuthInfo = {
    token: result.key.start,
    clientId: result.key.id,
    scopes: [...result.key.scopes],
    extra: { keywarden: result },
  };
  if (result.key.expiresAt !== null) info.expiresAt = Math.floor(result.key.expiresAt / 1000);
  return info;
}

/**
 * Builds the middleware to put in front of the MCP endpoint (Express, Connect or plain
 * node:http, like {@link nodeMiddleware}). It verifies the API key (`Authorization: Bearer`),
 * requires `scopes` for every request and `toolScopes[name]` for a `tools/call` of that tool
 * (403 `insufficient_scope` naming the missing scopes, as the MCP authorization spec asks), and
 * sets `req.auth` so `transport.handleRequest(req, res, req.body)` passes it to tool handlers as
 * `extra.authInfo`. Failures answer 401/403/429/503 before the transport sees the request.
 *
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
 * import express from 'express';
 * const buildServer = () => new McpServer({ name: 'files', version: '1.0.0' });
 * const app = express();
 * app.use(express.json());
 * app.post('/mcp', mcpAuth(km, { scopes: ['mcp'], toolScopes: { delete_file: ['files:delete'] } }),
 *   async (req, res) => {
 *     const server = buildServer();
 *     const transport = new StreamableHTTPServerTransport({}); // stateless
 *     res.on('close', () => { transport.close(); server.close(); });
 *     await server.connect(transport);
 *     await transport.handleRequest(req, res, req.body);
 *   });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` for bad options (`options.toolScopes`...), a `km`
 *   without `apiKeys.verify`, or `required: false` (or `KEYWARDEN_AUTH_REQUIRED=false`) while
 *   `NODE_ENV=production`; the handler never rejects.
 */
export function mcpAuth<Req extends McpRequest = McpRequest>(
  km: ApiKeyVerifier,
  options: McpAuthOptions<Req> = {},
): NodeAuthHandler<Req> {
  const { toolScopes, required: requiredOption, warn, ...shared } = options;
  const required = authRequired(requiredOption);
  const base = resolveOptions<Req>(shared);
  if (toolScopes !== undefined) {
    const ok =
      typeof toolScopes === 'object' &&
      toolScopes !== null &&
      Object.values(toolScopes).every((s) => Array.isArray(s) && s.every((x) => typeof x === 'string'));
    if (!ok) {
      throw new KeywardenError(
        'ERR_VALIDATION',
        'options.toolScopes must map tool names to arrays of scopes',
        {
          field: 'options.toolScopes',
        },
      );
    }
  }
  const scopesFor = (req: Req): readonly string[] => {
    const wanted = new Set(base.scopes(req));
    if (toolScopes !== undefined && req.method === 'POST') {
      if (req.body === undefined) throw new TypeError('mcpAuth toolScopes need the parsed body on req.body');
      for (const name of calledTools(req.body)) {
        const extra = Object.hasOwn(toolScopes, name) ? toolScopes[name] : undefined;
        for (const s of extra ?? []) wanted.add(s);
      }
    }
    return [...wanted];
  };
  const inner = nodeMiddleware<Req>(km, { ...shared, scopes: scopesFor });
  if (!required) {
    (warn ?? console.warn)(
      'keywarden: WARNING: mcpAuth is NOT checking API keys (required: false / KEYWARDEN_AUTH_REQUIRED=false). Anyone who can reach this server can call every tool. Development only; refused when NODE_ENV=production.',
    );
  }
  return async (req: Req, res: ServerResponse, next?: (error?: unknown) => void) => {
    if (!required && req.headers[base.header] === undefined) {
      next?.();
      return true;
    }
    const passed = await inner(req, res);
    if (!passed) return false;
    const result = req.keywarden;
    if (result === undefined) {
      writeDenial(res, denial({ code: 'INTERNAL', realm: base.realm, now: base.clock.now() }));
      return false;
    }
    req.auth = toMcpAuthInfo(result);
    next?.();
    return true;
  };
}
