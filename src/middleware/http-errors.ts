/**
 * How a verification outcome becomes an HTTP answer: status, headers (`WWW-Authenticate`,
 * `RateLimit-*`, `Retry-After`) and a JSON body `{ error: { code, message } }`. Shared by every
 * middleware flavour, so node:http, Express, Hono and fetch runtimes answer byte for byte alike.
 * Portable: no node:*.
 * @module
 */
import type { ApiKeyInfo, ApiKeyVerifyCode, RateLimitState } from '../store/api-key-types.js';

/** Codes the middleware answers with: every verify failure code plus the middleware's own. */
export type MiddlewareErrorCode =
  | ApiKeyVerifyCode
  /** No token in the request. */
  | 'MISSING'
  /** Verification could not run (storage, KMS or audit down; manager closed). Fail closed. */
  | 'UNAVAILABLE'
  /** The middleware is misconfigured (e.g. a `scopes` function threw). */
  | 'INTERNAL';

/** The JSON body of every denial. Never holds the token, the key's hash or an error's details. */
export interface ErrorBody {
  /** What went wrong. */
  error: {
    /** Stable code, e.g. `MISSING`, `REVOKED`, `INSUFFICIENT_SCOPE`. */
    code: MiddlewareErrorCode;
    /** Fixed human-readable text of the code; never the token. */
    message: string;
  };
}

/** A denial, ready to be written by any framework. */
export interface Denial {
  /** 401 missing or unusable key, 403 missing scope, 429 rate limited or usage exceeded, 503 verification could not run, 500 misconfigured. */
  status: 401 | 403 | 429 | 500 | 503;
  /** Header name (lowercase) and value pairs. */
  headers: [string, string][];
  /** The JSON body to send. */
  body: ErrorBody;
}

const MESSAGES: Record<MiddlewareErrorCode, string> = {
  MISSING: 'An API key is required',
  MALFORMED: 'The API key is malformed',
  NOT_FOUND: 'The API key is not valid',
  REVOKED: 'The API key has been revoked',
  DISABLED: 'The API key is disabled',
  EXPIRED: 'The API key has expired',
  INSUFFICIENT_SCOPE: 'The API key lacks a required scope',
  RATE_LIMITED: 'Rate limit exceeded',
  USAGE_EXCEEDED: 'Usage limit exceeded',
  WRONG_ENVIRONMENT: 'The API key is for another environment',
  UNAVAILABLE: 'Authentication is temporarily unavailable',
  INTERNAL: 'Internal server error',
};

/** Every status the middleware can answer with, by code (documented in docs/request-path.md). */
export const STATUS_BY_CODE: Readonly<Record<MiddlewareErrorCode, Denial['status']>> = Object.freeze({
  MISSING: 401,
  MALFORMED: 401,
  NOT_FOUND: 401,
  REVOKED: 401,
  DISABLED: 401,
  EXPIRED: 401,
  INSUFFICIENT_SCOPE: 403,
  RATE_LIMITED: 429,
  USAGE_EXCEEDED: 429,
  WRONG_ENVIRONMENT: 401,
  UNAVAILABLE: 503,
  INTERNAL: 500,
});

/** Whole seconds from `now` to `at`, never negative. */
function secondsUntil(at: number, now: number): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (delta seconds) for a rate-limit state.
 *
 * @example
 * ```ts
 * rateLimitHeaders({ limit: 100, remaining: 99, reset: now + 60_000 }, now);
 * // [['ratelimit-limit','100'],['ratelimit-remaining','99'],['ratelimit-reset','60']]
 * ```
 * @throws never
 */
export function rateLimitHeaders(state: RateLimitState, now: number): [string, string][] {
  return [
    ['ratelimit-limit', String(state.limit)],
    ['ratelimit-remaining', String(Math.max(0, state.remaining))],
    ['ratelimit-reset', String(secondsUntil(state.reset, now))],
  ];
}

/** Options of {@link denial}. */
export interface DenialInput {
  code: MiddlewareErrorCode;
  /** `realm` of `WWW-Authenticate`. */
  realm: string;
  /** Current time (epoch ms) for delta-seconds headers. */
  now: number;
  /** The scopes the request asked for (named in a 403 `scope="..."`). */
  scopes?: readonly string[];
  rateLimit?: RateLimitState | undefined;
  key?: ApiKeyInfo | undefined;
}

/**
 * Builds the HTTP denial for a code:
 *
 * | code | status | headers |
 * |---|---|---|
 * | MISSING | 401 | `WWW-Authenticate: Bearer realm="api"` (no error, RFC 6750 §3.1) |
 * | MALFORMED, NOT_FOUND, REVOKED, DISABLED, EXPIRED, WRONG_ENVIRONMENT | 401 | `WWW-Authenticate: Bearer realm="api", error="invalid_token"` |
 * | INSUFFICIENT_SCOPE | 403 | `WWW-Authenticate: Bearer realm="api", error="insufficient_scope", scope="a b"` |
 * | RATE_LIMITED | 429 | `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`, `Retry-After` |
 * | USAGE_EXCEEDED | 429 | `RateLimit-*` when the key has a rate limit; `Retry-After` when credits refill |
 * | UNAVAILABLE | 503 | none (no details) |
 * | INTERNAL | 500 | none (no details) |
 *
 * Every denial also carries `Content-Type: application/json` and `Cache-Control: no-store`.
 *
 * @example
 * ```ts
 * const d = denial({ code: 'REVOKED', realm: 'api', now: Date.now() });
 * d.status; // 401
 * ```
 * @throws never
 */
export function denial(input: DenialInput): Denial {
  const { code, realm, now } = input;
  const status = STATUS_BY_CODE[code];
  const headers: [string, string][] = [
    ['content-type', 'application/json; charset=utf-8'],
    ['cache-control', 'no-store'],
  ];
  if (code === 'MISSING') {
    headers.push(['www-authenticate', `Bearer realm="${realm}"`]);
  } else if (status === 401) {
    headers.push(['www-authenticate', `Bearer realm="${realm}", error="invalid_token"`]);
  } else if (code === 'INSUFFICIENT_SCOPE') {
    const scope = input.scopes && input.scopes.length > 0 ? `, scope="${input.scopes.join(' ')}"` : '';
    headers.push(['www-authenticate', `Bearer realm="${realm}", error="insufficient_scope"${scope}`]);
  } else if (status === 429) {
    let retryAt: number | undefined;
    if (input.rateLimit) {
      headers.push(...rateLimitHeaders(input.rateLimit, now));
      if (code === 'RATE_LIMITED') retryAt = input.rateLimit.reset;
    }
    if (code === 'USAGE_EXCEEDED' && input.key?.refill) {
      const refill = input.key.refill;
      retryAt = refill.lastRefillAt + refill.every;
    }
    if (retryAt !== undefined) headers.push(['retry-after', String(Math.max(1, secondsUntil(retryAt, now)))]);
  }
  return { status, headers, body: { error: { code, message: MESSAGES[code] } } };
}
