/**
 * Regular expressions for keywarden's token formats, to register with secret scanners (GitHub's
 * partner program, gitleaks, trufflehog). A token is `{prefix}_{id: 12 base62}_{secret: 32
 * base62}{checksum: 6 base62}`; proxy tokens use the prefix `kwp`. The patterns are anchored on
 * word boundaries (`_` is a word character, so `xkw_…` or `sk_kw_…` do not match a `kw` pattern)
 * and hold no nested quantifier (linear time in RE2, Hyperscan and JavaScript).
 * @module
 */

import { isApiTokenPrefix } from '../crypto/tokens.js';
import { validationError } from '../errors.js';

const TAIL = '_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}';

/**
 * The pattern source (no flags) for API keys with `prefix`.
 *
 * @example
 * ```ts
 * apiKeyTokenPattern('sk_live'); // '\\bsk_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}\\b'
 * new RegExp(apiKeyTokenPattern('kw')).test(token); // true for a token made with prefix 'kw'
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `prefix`) unless it is a valid token prefix.
 */
export function apiKeyTokenPattern(prefix: string): string {
  if (!isApiTokenPrefix(prefix)) {
    throw validationError('prefix', 'must be 1-32 of [a-z0-9_], not starting or ending with _');
  }
  return `\\b${prefix}${TAIL}\\b`;
}

/**
 * The patterns for keywarden's default formats: API keys with the default prefix `kw`, proxy tokens
 * (`kwp`), and any prefix (broad: use it only when your prefixes vary).
 *
 * @example
 * ```ts
 * const session = await access.sessions.open('r8Kq2nZ4xW1p');
 * new RegExp(KEYWARDEN_TOKEN_PATTERNS.proxyToken).test(session.token); // true
 * ```
 */
export const KEYWARDEN_TOKEN_PATTERNS = Object.freeze({
  /** API keys made with the default prefix `kw`. */
  apiKey: `\\bkw${TAIL}\\b`,
  /** Agent access proxy tokens (`kwp_…`). */
  proxyToken: `\\bkwp${TAIL}\\b`,
  /** Tokens of any valid prefix (1-32 of `[a-z0-9_]`): broad, more false positives. */
  anyPrefix: `\\b[a-z0-9](?:[a-z0-9_]{0,30}[a-z0-9])?${TAIL}\\b`,
});
