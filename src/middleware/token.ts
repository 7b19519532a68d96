/**
 * Reading the API key from a request header: `Authorization: Bearer <token>` (the default) or a
 * custom header read raw (e.g. `x-api-key`). Portable: no node:*.
 * @internal
 * @module
 */

/** Outcome of reading the token from a header value. */
export type TokenRead =
  /** No credentials at all (header absent, empty, or another auth scheme such as `Basic`). */
  | { kind: 'missing' }
  /** The token, unchecked (verify decides whether it is well formed). */
  | { kind: 'token'; token: string };

/** Longest header value inspected; a longer one is passed on as is and fails verify as MALFORMED. */
const MAX_TOKEN_LENGTH = 4096;

/**
 * Normalizes a header name option: lowercase, validated as an RFC 9110 token.
 *
 * @example
 * ```ts
 * headerName('X-API-Key'); // 'x-api-key'
 * ```
 * @throws TypeError when `name` is not a valid header name.
 */
export function headerName(name: string): string {
  if (typeof name !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/.test(name)) {
    throw new TypeError('header must be a valid HTTP header name');
  }
  return name.toLowerCase();
}

/** Whether the character at `i` is printable ASCII other than a space (so never trimmed). */
function visibleAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i); // NaN past the end: false
  return c > 0x20 && c < 0x7f;
}

/**
 * Reads the token from the value of the configured header.
 *
 * - `authorization`: the scheme must be `Bearer` (case-insensitive, RFC 7235); the rest, trimmed,
 *   is the token. Another scheme (e.g. `Basic`) counts as no bearer credentials (`missing`).
 * - any other header: the trimmed value is the token.
 *
 * The token is returned to be verified and is never copied anywhere else.
 *
 * @example
 * ```ts
 * readToken('authorization', 'Bearer kw_abc...'); // { kind: 'token', token: 'kw_abc...' }
 * readToken('x-api-key', undefined);              // { kind: 'missing' }
 * ```
 * @throws never
 */
export function readToken(header: string, value: string | null | undefined): TokenRead {
  const token = tokenOf(header, value);
  return token === undefined ? { kind: 'missing' } : { kind: 'token', token };
}

/**
 * {@link readToken} without the result object: the token, or undefined when the request has no
 * credentials (the middleware's per-request path).
 *
 * @example
 * ```ts
 * tokenOf('authorization', 'Bearer kw_abc...'); // 'kw_abc...'
 * tokenOf('authorization', 'Basic dXNlcg==');    // undefined
 * tokenOf('authorization', 'Bearer');            // '' (malformed: verify answers MALFORMED)
 * ```
 * @throws never
 */
export function tokenOf(header: string, value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const raw = value.length > MAX_TOKEN_LENGTH ? value.slice(0, MAX_TOKEN_LENGTH) : value;
  // node:http already strips the spaces around a header value: trim only when an end needs it
  const trimmed = visibleAt(raw, 0) && visibleAt(raw, raw.length - 1) ? raw : raw.trim();
  if (trimmed.length === 0) return undefined;
  if (header !== 'authorization') return trimmed;
  // the usual spelling first, without a regular expression or a lowercased copy
  if (trimmed.startsWith('Bearer ')) {
    // the end is trimmed already; the start only when more spaces follow the scheme
    return visibleAt(trimmed, 7) ? trimmed.slice(7) : trimmed.slice(7).trim();
  }
  const space = trimmed.search(/[ \t]/);
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') return undefined;
  // "Bearer" with no token is a malformed credential: verify reports MALFORMED for ''.
  return space === -1 ? '' : trimmed.slice(space + 1).trim();
}

/**
 * The first address of an `X-Forwarded-For` value (the client, as reported by the nearest
 * trusted proxy chain), or undefined.
 *
 * @example
 * ```ts
 * firstForwarded('203.0.113.7, 10.0.0.2'); // '203.0.113.7'
 * ```
 * @throws never
 */
export function firstForwarded(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const first = value.split(',', 1)[0]?.trim();
  return first ? first : undefined;
}
