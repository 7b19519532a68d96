/**
 * ETags of management answers: strong ones from a record's revision and representation, weak ones
 * from a hash of a JSON body, and the `If-Match` / `If-None-Match` comparisons (RFC 9110 §13).
 * Portable: no node:*.
 * @module
 */
import { toBase64Url, utf8Encode } from '../internal/bytes.js';
import { cryptoBackend } from '../internal/crypto-backend.js';
import { HttpProblem } from './problem.js';

/**
 * The strong ETag of a record: its revision plus a digest of its JSON representation
 * (`"r<revision>-<digest>"`), so fields computed at read time (credits refilled, expiry passed)
 * also change it. `If-Match` compares the whole tag.
 *
 * @example
 * ```ts
 * declare const key: ApiKeyInfo;
 * recordEtag(key.revision, JSON.stringify(key)); // '"r3-Xk2..."'
 * ```
 * @throws never
 */
export function recordEtag(revision: number, json: string): string {
  return `"r${revision}-${toBase64Url(cryptoBackend().sha256(utf8Encode(json)).subarray(0, 9))}"`;
}

/**
 * A weak ETag of a JSON body (first 128 bits of its SHA-256, base64url).
 *
 * @example
 * ```ts
 * bodyEtag('{"a":1}'); // 'W/"..."'
 * ```
 * @throws never
 */
export function bodyEtag(json: string): string {
  return `W/"${toBase64Url(cryptoBackend().sha256(utf8Encode(json)).subarray(0, 16))}"`;
}

function entityTags(header: string): string[] {
  return header
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/**
 * True when `If-None-Match` matches `etag` (weak comparison: `W/` ignored).
 *
 * @example
 * ```ts
 * noneMatch('W/"abc"', 'W/"abc"'); // true -> answer 304
 * ```
 * @throws never
 */
export function noneMatch(header: string | null, etag: string): boolean {
  if (header === null) return false;
  const opaque = etag.replace(/^W\//, '');
  return entityTags(header).some((t) => t === '*' || t.replace(/^W\//, '') === opaque);
}

/**
 * Checks an `If-Match` header against the resource's current strong ETag; `*` matches any
 * existing resource, weak tags never match. Absent header: no precondition.
 *
 * @example
 * ```ts
 * declare const key: ApiKeyInfo;
 * assertIfMatch(request.headers.get('if-match'), recordEtag(key.revision, JSON.stringify(key)));
 * ```
 * @throws HttpProblem 412 `ERR_PRECONDITION_FAILED` when the header names another version.
 */
export function assertIfMatch(header: string | null, current: string): void {
  if (header === null) return;
  const tags = entityTags(header);
  if (tags.some((t) => t === '*' || t === current)) return;
  throw new HttpProblem(412, 'ERR_PRECONDITION_FAILED', 'If-Match does not match the current version', {
    headers: [['etag', current]],
  });
}
