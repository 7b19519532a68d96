/**
 * Options shared by every middleware flavour, and their validation (done once, when the
 * middleware is built, so a misconfiguration fails at startup, not on the first request).
 * Portable: no node:*.
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { ApiKeyVerifyResult, VerifyApiKeyOptions } from '../store/api-key-types.js';
import { headerName } from './token.js';

/**
 * What the middleware needs from a key manager: `km.apiKeys.verify`. A `KeyManager` fits.
 */
export interface ApiKeyVerifier {
  /** The API keys view (`km.apiKeys`). */
  readonly apiKeys: {
    /** Verifies a token (as `km.apiKeys.verify`): the middleware passes the request's scopes and context. */
    verify(token: unknown, options?: VerifyApiKeyOptions): Promise<ApiKeyVerifyResult>;
  };
}

/**
 * Options of `verifyRequest`, `nodeMiddleware`, `honoMiddleware` and `mcpAuth`. `Req` is the
 * framework's request type (fetch `Request`, node `IncomingMessage`, Hono `Context`).
 */
export interface MiddlewareOptions<Req> {
  /**
   * Where the key is read from. Default `'authorization'`, read as `Bearer <token>`. Any other
   * header name (e.g. `'x-api-key'`) is read raw (the whole trimmed value is the token).
   */
  header?: string;
  /** Scopes every request must be granted, or a function of the request returning them. */
  scopes?: readonly string[] | ((req: Req) => readonly string[]);
  /** Credits and rate-limit units one request costs (default 1; 0 checks without consuming). */
  cost?: number | ((req: Req) => number);
  /** The tenant a request is for; a key of another tenant is refused as NOT_FOUND. */
  tenantId?: (req: Req) => string | undefined;
  /**
   * The environment this server serves (`'production'`), or a function of the request: a valid
   * key created for another environment is refused (401, code `WRONG_ENVIRONMENT`).
   */
  environment?: string | ((req: Req) => string | undefined);
  /**
   * Take the client address from the first `X-Forwarded-For` entry instead of the socket.
   * Only set it behind a proxy that overwrites that header. Default false.
   */
  trustProxy?: boolean;
  /** `realm` of `WWW-Authenticate` (default `'api'`). */
  realm?: string;
  /** Clock for the delta seconds of `RateLimit-Reset`/`Retry-After`; pass the manager's clock. Default `Date.now`. */
  clock?: Clock;
  /**
   * Called when verification fails for a reason other than the key (storage down, manager
   * closed, a throwing `scopes` function). The answer is still 503 (500 for a misconfiguration)
   * with no details; use this to log. It never receives the token. Its own errors are ignored.
   */
  onError?: (error: unknown, req: Req) => void;
}

/** Options after validation. */
export interface ResolvedMiddlewareOptions<Req> {
  header: string;
  scopes: (req: Req) => readonly string[];
  cost: ((req: Req) => number) | undefined;
  tenantId: ((req: Req) => string | undefined) | undefined;
  environment: ((req: Req) => string | undefined) | undefined;
  trustProxy: boolean;
  realm: string;
  clock: Clock;
  onError: ((error: unknown, req: Req) => void) | undefined;
}

const systemClock: Clock = { now: () => Date.now() };
const NO_SCOPES: readonly string[] = Object.freeze([]);
const KNOWN = new Set([
  'header',
  'scopes',
  'cost',
  'tenantId',
  'environment',
  'trustProxy',
  'realm',
  'clock',
  'onError',
]);

function invalid(field: string, message: string): KeywardenError {
  return new KeywardenError('ERR_VALIDATION', `${field} ${message}`, { field });
}

/**
 * Validates middleware options.
 *
 * @example
 * ```ts
 * const o = resolveOptions({ header: 'x-api-key', scopes: ['files:read'] });
 * o.header; // 'x-api-key'
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the option (`options.header`, `options.scopes`,
 *   `options.cost`, `options.tenantId`, `options.trustProxy`, `options.realm`, `options.clock`,
 *   `options.onError`, or an unknown `options.<name>`).
 */
export function resolveOptions<Req>(options: MiddlewareOptions<Req> = {}): ResolvedMiddlewareOptions<Req> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalid('options', 'must be an object');
  }
  for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw invalid(`options.${k}`, 'is not an option');
  let header = 'authorization';
  if (options.header !== undefined) {
    try {
      header = headerName(options.header);
    } catch {
      throw invalid('options.header', 'must be a valid HTTP header name');
    }
  }
  const s = options.scopes;
  let scopes: (req: Req) => readonly string[];
  if (s === undefined) scopes = () => NO_SCOPES;
  else if (typeof s === 'function') scopes = s;
  else if (Array.isArray(s) && s.every((x) => typeof x === 'string')) {
    const fixed = Object.freeze([...s]);
    scopes = () => fixed;
  } else throw invalid('options.scopes', 'must be an array of strings or a function');
  const c = options.cost;
  let cost: ((req: Req) => number) | undefined;
  if (c === undefined) cost = undefined;
  else if (typeof c === 'function') cost = c;
  else if (typeof c === 'number' && Number.isSafeInteger(c) && c >= 0) cost = () => c;
  else throw invalid('options.cost', 'must be a non-negative integer or a function');
  if (options.tenantId !== undefined && typeof options.tenantId !== 'function') {
    throw invalid('options.tenantId', 'must be a function');
  }
  const env = options.environment;
  let environment: ((req: Req) => string | undefined) | undefined;
  if (env === undefined) environment = undefined;
  else if (typeof env === 'function') environment = env;
  else if (typeof env === 'string' && env.length > 0 && env.length <= 64) environment = () => env;
  else throw invalid('options.environment', 'must be a string of 1-64 characters or a function');
  if (options.trustProxy !== undefined && typeof options.trustProxy !== 'boolean') {
    throw invalid('options.trustProxy', 'must be a boolean');
  }
  const realm = options.realm ?? 'api';
  if (typeof realm !== 'string' || !/^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(realm)) {
    throw invalid('options.realm', 'must be 1-64 printable characters without quotes or backslashes');
  }
  if (options.clock !== undefined && typeof options.clock?.now !== 'function') {
    throw invalid('options.clock', 'must have a now() method');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw invalid('options.onError', 'must be a function');
  }
  return {
    header,
    scopes,
    cost,
    tenantId: options.tenantId,
    environment,
    trustProxy: options.trustProxy ?? false,
    realm,
    clock: options.clock ?? systemClock,
    onError: options.onError,
  };
}

/**
 * Checks that `km` can verify API keys.
 *
 * @example
 * ```ts
 * assertVerifier(km);
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `km`) when it has no `apiKeys.verify`.
 */
export function assertVerifier(km: unknown): asserts km is ApiKeyVerifier {
  const apiKeys = (km as { apiKeys?: { verify?: unknown } } | null)?.apiKeys;
  if (typeof apiKeys?.verify !== 'function') throw invalid('km', 'must be a key manager (km.apiKeys.verify)');
}
