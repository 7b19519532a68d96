/**
 * API tokens: `{prefix}_{id}_{secret}{checksum}`.
 *
 * - `prefix`: 1–32 of `[a-z0-9_]`, not starting or ending with `_` (`kw`, `sk_live`).
 * - `id`: 12 base62 characters, the record id (a lookup key, not a secret).
 * - `secret`: 32 base62 characters from the CSPRNG (~190.5 bits).
 * - `checksum`: CRC-32 (IEEE) of every character before it, base62, left-padded to 6.
 *
 * Parsing runs from the right (fixed-width tail), so prefixes may contain `_`. The checksum lets a
 * verifier drop typos and look-alikes without a storage read; it is not a security boundary.
 * @module
 */
import * as z from 'zod/mini';
import { validationError } from '../errors.js';
import { parseInput } from '../internal/validate.js';
import { BASE62_DIGIT, decodeBase62Range, encodeBase62Uint32, randomBase62 } from './base62.js';
import { crc32AsciiRange } from './crc32.js';
import { generateId } from './ids.js';

/**
 * Characters in a token id.
 *
 * @example
 * ```ts
 * API_TOKEN_ID_LENGTH; // 12
 * ```
 */
export const API_TOKEN_ID_LENGTH = 12;
/**
 * Characters in a token secret.
 *
 * @example
 * ```ts
 * API_TOKEN_SECRET_LENGTH; // 32
 * ```
 */
export const API_TOKEN_SECRET_LENGTH = 32;
/**
 * Characters in a token checksum.
 *
 * @example
 * ```ts
 * API_TOKEN_CHECKSUM_LENGTH; // 6
 * ```
 */
export const API_TOKEN_CHECKSUM_LENGTH = 6;
/**
 * Longest prefix.
 *
 * @example
 * ```ts
 * API_TOKEN_PREFIX_MAX_LENGTH; // 32
 * ```
 */
export const API_TOKEN_PREFIX_MAX_LENGTH = 32;
/** Characters after the prefix: `_` + id + `_` + secret + checksum. */
const TAIL_LENGTH = 1 + API_TOKEN_ID_LENGTH + 1 + API_TOKEN_SECRET_LENGTH + API_TOKEN_CHECKSUM_LENGTH;
/**
 * Shortest possible token (1-character prefix): 53.
 *
 * @example
 * ```ts
 * API_TOKEN_MIN_LENGTH; // 53: a 1-character prefix, '_', 12-char id, '_', 32-char secret, 6-char checksum
 * ```
 */
export const API_TOKEN_MIN_LENGTH = 1 + TAIL_LENGTH;
/**
 * Longest possible token (32-character prefix): 84.
 *
 * @example
 * ```ts
 * API_TOKEN_MAX_LENGTH; // 84: a 32-character prefix, '_', 12-char id, '_', 32-char secret, 6-char checksum
 * ```
 */
export const API_TOKEN_MAX_LENGTH = API_TOKEN_PREFIX_MAX_LENGTH + TAIL_LENGTH;
/**
 * Most tokens {@link generateApiTokens} makes in one call.
 *
 * @example
 * ```ts
 * MAX_BATCH_COUNT; // 10_000
 * ```
 */
export const MAX_BATCH_COUNT = 10_000;

/**
 * The prefix rule as a regular expression (bounded, no backtracking blow-up).
 *
 * @example
 * ```ts
 * API_TOKEN_PREFIX_PATTERN; // /^[a-z0-9](?:[a-z0-9_]{0,30}[a-z0-9])?$/
 * ```
 */
export const API_TOKEN_PREFIX_PATTERN = /^[a-z0-9](?:[a-z0-9_]{0,30}[a-z0-9])?$/;
const ID_PATTERN = /^[0-9A-Za-z]{12}$/;

/** A generated token. Show `token` once; store only its keyed hash. */
export interface GeneratedApiToken {
  /** The full token, `{prefix}_{id}_{secret}{checksum}`. Secret: never log it. */
  token: string;
  /** The record id embedded in the token. */
  id: string;
  /** The prefix embedded in the token. */
  prefix: string;
}

/** Why {@link checkApiToken} rejected its input. */
export type ApiTokenRejection = 'type' | 'length' | 'format' | 'checksum';

/** A well-formed token's parts. `secret` is secret: never log it. */
export interface ParsedApiToken {
  /** Always `true`: the layout and checksum are valid (the token may still be unknown or revoked). */
  ok: true;
  /** The prefix before the first `_` (e.g. `'kw'`). */
  prefix: string;
  /** The 12-character base62 record id. */
  id: string;
  /** The 32-character base62 secret (without the checksum). Never log it. */
  secret: string;
}

/** The result of {@link checkApiToken}. */
export type ApiTokenCheck =
  | ParsedApiToken
  | {
      /** `false`: not a well-formed token; no storage lookup is needed to refuse it. */
      ok: false;
      /** The first check that failed. */
      reason: ApiTokenRejection;
    };

const PREFIX_CHAR = 1;
const BASE62_CHAR = 2;
/** Character classes of ASCII codes: bit 1 = prefix character, bit 2 = base62 digit. */
const CHAR_CLASS: Uint8Array = (() => {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if ((BASE62_DIGIT[c] as number) >= 0) table[c] = (table[c] as number) | BASE62_CHAR;
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x5f) {
      table[c] = (table[c] as number) | PREFIX_CHAR;
    }
  }
  return table;
})();
const UNDERSCORE = 0x5f;

const REJECT_TYPE = Object.freeze({ ok: false, reason: 'type' } as const);
const REJECT_LENGTH = Object.freeze({ ok: false, reason: 'length' } as const);
const REJECT_FORMAT = Object.freeze({ ok: false, reason: 'format' } as const);
const REJECT_CHECKSUM = Object.freeze({ ok: false, reason: 'checksum' } as const);

/**
 * True when `prefix` is a valid token prefix: 1–32 of `[a-z0-9_]`, no leading or trailing `_`.
 *
 * @example
 * ```ts
 * isApiTokenPrefix('sk_live'); // true
 * isApiTokenPrefix('_kw'); // false
 * isApiTokenPrefix('KW'); // false
 * ```
 * @throws never
 */
export function isApiTokenPrefix(prefix: unknown): prefix is string {
  return (
    typeof prefix === 'string' &&
    prefix.length <= API_TOKEN_PREFIX_MAX_LENGTH &&
    API_TOKEN_PREFIX_PATTERN.test(prefix)
  );
}

const prefixSchema = z
  .string()
  .check(
    z.maxLength(API_TOKEN_PREFIX_MAX_LENGTH),
    z.regex(API_TOKEN_PREFIX_PATTERN, 'must be 1-32 of [a-z0-9_], not starting or ending with _'),
  );
const optionsSchema = z.strictObject({
  prefix: prefixSchema,
  id: z.optional(z.string().check(z.regex(ID_PATTERN, 'must be 12 base62 characters'))),
});

/** Options of {@link generateApiToken}. */
export interface GenerateApiTokenOptions {
  /** Token prefix, e.g. `'kw'` or `'sk_live'`. */
  prefix: string;
  /** Record id to embed (12 base62 characters); generated when absent. */
  id?: string | undefined;
}

/** Builds a token from validated parts. */
function assembleToken(prefix: string, id: string): string {
  const body = `${prefix}_${id}_${randomBase62(API_TOKEN_SECRET_LENGTH)}`;
  return body + encodeBase62Uint32(crc32AsciiRange(body, 0, body.length), API_TOKEN_CHECKSUM_LENGTH);
}

/**
 * Generates an API token with a fresh 32-character secret and a CRC-32 checksum.
 *
 * @example
 * ```ts
 * const { token, id } = generateApiToken({ prefix: 'sk_live' });
 * // token: 'sk_live_3xT9bQ0aZk1M_<32 base62><6 base62>'
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `options`, `options.prefix` or `options.id`.
 */
export function generateApiToken(options: GenerateApiTokenOptions): GeneratedApiToken {
  const { prefix, id } = parseInput(optionsSchema, options, 'options');
  const recordId = id ?? generateId(API_TOKEN_ID_LENGTH);
  return { token: assembleToken(prefix, recordId), id: recordId, prefix };
}

/**
 * Generates `count` tokens with the same prefix and fresh random ids.
 *
 * @param count - 1 to {@link MAX_BATCH_COUNT}
 * @example
 * ```ts
 * const tokens = generateApiTokens(100, { prefix: 'kw' });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `count`, `options` or `options.prefix`.
 */
export function generateApiTokens(
  count: number,
  options: Omit<GenerateApiTokenOptions, 'id'>,
): GeneratedApiToken[] {
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_BATCH_COUNT) {
    throw validationError('count', `must be an integer from 1 to ${MAX_BATCH_COUNT}`);
  }
  const { prefix } = parseInput(z.strictObject({ prefix: prefixSchema }), options, 'options');
  const out: GeneratedApiToken[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const id = generateId(API_TOKEN_ID_LENGTH);
    out[i] = { token: assembleToken(prefix, id), id, prefix };
  }
  return out;
}

/**
 * Checks a candidate token offline: type, length, alphabet and layout, then the checksum.
 * Never throws. Length is checked before any scan, every scan is a single bounded pass (no regex),
 * and nothing is allocated unless the token is well-formed.
 *
 * @example
 * ```ts
 * function precheck(request: Request): Response | null {
 *   const r = checkApiToken(request.headers.get('x-api-key'));
 *   if (!r.ok) return new Response(null, { status: 401 }); // r.reason: 'type'|'length'|'format'|'checksum'
 *   return null; // well-formed: look the key up (km.apiKeys.verify)
 * }
 * ```
 * @throws never
 */
export function checkApiToken(token: unknown): ApiTokenCheck {
  if (typeof token !== 'string') return REJECT_TYPE;
  const length = token.length;
  if (length < API_TOKEN_MIN_LENGTH || length > API_TOKEN_MAX_LENGTH) return REJECT_LENGTH;
  const prefixEnd = length - TAIL_LENGTH; // index of the `_` after the prefix
  const idEnd = prefixEnd + 1 + API_TOKEN_ID_LENGTH; // index of the `_` after the id
  const checksumStart = length - API_TOKEN_CHECKSUM_LENGTH;

  if (token.charCodeAt(0) === UNDERSCORE || token.charCodeAt(prefixEnd - 1) === UNDERSCORE) {
    return REJECT_FORMAT;
  }
  for (let i = 0; i < prefixEnd; i++) {
    const c = token.charCodeAt(i);
    if (c >= 128 || ((CHAR_CLASS[c] as number) & PREFIX_CHAR) === 0) return REJECT_FORMAT;
  }
  if (token.charCodeAt(prefixEnd) !== UNDERSCORE || token.charCodeAt(idEnd) !== UNDERSCORE) {
    return REJECT_FORMAT;
  }
  for (let i = prefixEnd + 1; i < length; i++) {
    if (i === idEnd) continue;
    const c = token.charCodeAt(i);
    if (c >= 128 || ((CHAR_CLASS[c] as number) & BASE62_CHAR) === 0) return REJECT_FORMAT;
  }
  // The checksum is public information (anyone can compute it), so a plain comparison is fine.
  if (decodeBase62Range(token, checksumStart, length) !== crc32AsciiRange(token, 0, checksumStart)) {
    return REJECT_CHECKSUM;
  }
  return {
    ok: true,
    prefix: token.slice(0, prefixEnd),
    id: token.slice(prefixEnd + 1, idEnd),
    secret: token.slice(idEnd + 1, checksumStart),
  };
}

/**
 * Parses a token: its parts when {@link checkApiToken} accepts it, otherwise `null`. Never throws.
 *
 * @example
 * ```ts
 * parseApiToken('not a token'); // null
 * ```
 * @throws never
 */
export function parseApiToken(token: unknown): ParsedApiToken | null {
  const result = checkApiToken(token);
  return result.ok ? result : null;
}
