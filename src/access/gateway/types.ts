/**
 * Public types of `keywarden/access/gateway`.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duration } from '../../duration.js';
import type { AgentAccess, ToolsView } from '../types.js';
import type { GatewayLookup } from './address.js';

/** The part of {@link AgentAccess} the gateway uses (an `agentAccess(km)` object fits). */
export type GatewayAccess = Pick<AgentAccess, 'authorize' | 'reportViolation' | 'verify'> &
  Partial<Pick<AgentAccess, 'flush'>> & {
    /** Tool lookup: the gateway reads a tool's `upstream.auth` to know where the agent's token is. */
    readonly tools: Pick<ToolsView, 'get'>;
  };

/** Options of `createGateway`. */
export interface GatewayOptions {
  /** Largest request body forwarded, in bytes; larger ones get 413. Default 10 MiB. */
  maxBodyBytes?: number;
  /**
   * Idle time allowed while waiting on the upstream (resolving, connecting, between response
   * bytes) and on the agent's request body; then 504 (or the stream is cut). Default `'60s'`.
   * One shared check runs every eighth of it (at most every second), so a call is cut after
   * between `timeout` and about 1.25 × `timeout` without a byte moving.
   */
  timeout?: Duration;
  /**
   * Resolves a tool origin's host name. Default the system resolver. Whatever it returns is
   * checked (private, loopback and link-local addresses are refused unless the tool allows them)
   * and the socket connects to exactly the checked address.
   */
  lookup?: GatewayLookup;
  /**
   * `Host` header values the gateway accepts (`'gw.internal:8787'`); others get 400 and a
   * violation. The Host header never routes a call either way. Default: when started with
   * `listen` on a named address, that address and port (plus `localhost:port` on loopback); when
   * listening on `0.0.0.0` / `::` or mounted as a handler, any.
   */
  allowedHosts?: string[];
  /**
   * Extra CA certificates (PEM) trusted for `https` origins, added to Node's bundled roots: for
   * upstreams behind an internal PKI. The certificate is always checked against the origin's host
   * name, whatever address the name resolved to.
   */
  ca?: string | string[];
}

/** A node:http request listener. */
export type GatewayHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** What `createGateway` returns. */
export interface Gateway {
  /** The request listener, to mount in your own node:http server (or Express, Connect). */
  readonly handler: GatewayHandler;
  /** Starts a standalone server (default `127.0.0.1`, a free port). Resolves with its URL. */
  listen(options?: { host?: string; port?: number }): Promise<{
    /** `http://host:port` the server listens on (the same as {@link Gateway.url}). */
    url: string;
  }>;
  /** `http://host:port` of the standalone server. @throws KeywardenError `ERR_INVALID_STATE` before `listen`. */
  readonly url: string;
  /**
   * Stops the server (if any), closes pooled upstream connections, then writes the access object's
   * queued call audit rows and call counts (`access.flush()`, see the `auditBatch` option).
   * @throws KeywardenError `ERR_AUDIT`, `ERR_STORAGE` when those cannot be written (they stay queued).
   */
  close(): Promise<void>;
  /** Same as {@link Gateway.close}, for `await using gw = createGateway(access)`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Every `error` code of a gateway answer (`{ "error": CODE }`):
 * - 400 `BAD_REQUEST`: absolute-form, authority-form or asterisk target, unsafe path, a Host header
 *   not in `allowedHosts`, CONNECT, upgrade.
 * - 401 `MISSING` (no token in the tool's slot), `MALFORMED`, `NOT_FOUND`, `EXPIRED`, `REVOKED`.
 * - 403 `FORBIDDEN` (tool, method or path not allowed; unknown tool), `TOKEN_EXPOSED` (the proxy
 *   token in the query, the body or another header).
 * - 413 `PAYLOAD_TOO_LARGE`. 429 `USAGE_EXCEEDED`.
 * - 502 `ADDRESS_REFUSED` (the origin resolves to an address the tool may not dial),
 *   `REDIRECT_REFUSED` (a redirect off the tool's origin), `UPSTREAM_ENCODING` (a content
 *   encoding the gateway cannot decode to scrub), `UPSTREAM_ERROR`.
 * - 503 `UNAVAILABLE` (storage or audit failed: fail closed). 504 `UPSTREAM_TIMEOUT`.
 */
export type GatewayErrorCode =
  | 'BAD_REQUEST'
  | 'MISSING'
  | 'MALFORMED'
  | 'NOT_FOUND'
  | 'EXPIRED'
  | 'REVOKED'
  | 'FORBIDDEN'
  | 'TOKEN_EXPOSED'
  | 'PAYLOAD_TOO_LARGE'
  | 'USAGE_EXCEEDED'
  | 'ADDRESS_REFUSED'
  | 'REDIRECT_REFUSED'
  | 'UPSTREAM_ENCODING'
  | 'UPSTREAM_ERROR'
  | 'UNAVAILABLE'
  | 'UPSTREAM_TIMEOUT';
