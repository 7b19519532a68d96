/**
 * Webhook signing secrets: validation (never echoing the value) and the HMAC itself.
 * @internal
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { KeywardenError } from '../errors.js';
import { toHex, utf8Encode } from '../internal/bytes.js';

/**
 * A webhook signing secret: a string of at least 16 characters (its UTF-8 bytes are the HMAC key)
 * or a `Uint8Array` of at least 16 bytes.
 */
export type WebhookSecret = string | Uint8Array;

/**
 * Shortest accepted secret, in characters (string) or bytes (Uint8Array).
 *
 * @example
 * ```ts
 * MIN_SECRET_LENGTH; // 16
 * ```
 */
export const MIN_SECRET_LENGTH = 16;
/**
 * Longest accepted secret, in characters or bytes.
 *
 * @example
 * ```ts
 * MAX_SECRET_LENGTH; // 1024
 * ```
 */
export const MAX_SECRET_LENGTH = 1024;
/**
 * Most secrets accepted at once (secret rotation: old and new).
 *
 * @example
 * ```ts
 * MAX_SECRETS; // 8
 * ```
 */
export const MAX_SECRETS = 8;

function secretError(field: string, message: string): KeywardenError {
  return new KeywardenError('ERR_VALIDATION', `${field} ${message}`, { field });
}

function parseOne(value: unknown, field: string): Uint8Array {
  if (typeof value === 'string') {
    if (value.length < MIN_SECRET_LENGTH || value.length > MAX_SECRET_LENGTH) {
      throw secretError(
        field,
        `must be a string of ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} characters or a Uint8Array of ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} bytes`,
      );
    }
    return utf8Encode(value);
  }
  if (value instanceof Uint8Array) {
    if (value.length < MIN_SECRET_LENGTH || value.length > MAX_SECRET_LENGTH) {
      throw secretError(
        field,
        `must be a Uint8Array of ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} bytes or a string of ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} characters`,
      );
    }
    return Uint8Array.from(value); // a private copy: later changes by the caller do not reach us
  }
  throw secretError(field, 'must be a string or a Uint8Array');
}

/**
 * Validates one secret or a list of 1–8 secrets and returns private copies of their key bytes.
 * The value is never part of the error message.
 *
 * @example
 * ```ts
 * const keys = parseWebhookSecrets(process.env.WEBHOOK_SECRET, 'secret');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `field` (or `field.i` for a list item).
 */
export function parseWebhookSecrets(value: unknown, field: string): Uint8Array[] {
  if (Array.isArray(value)) {
    if (value.length < 1 || value.length > MAX_SECRETS) {
      throw secretError(field, `must hold 1 to ${MAX_SECRETS} secrets`);
    }
    return value.map((v, i) => parseOne(v, `${field}.${i}`));
  }
  return [parseOne(value, field)];
}

const DOT = utf8Encode('.');

/**
 * Lowercase hex HMAC-SHA256(key, `${timestamp}.` ‖ payload).
 *
 * @example
 * ```ts
 * declare const key: Uint8Array;
 * const v1 = computeSignature(key, 1767225600, utf8Encode('{"type":"key.created"}'));
 * ```
 * @throws never for valid inputs (callers validate).
 */
export function computeSignature(key: Uint8Array, timestamp: number, payload: Uint8Array): string {
  const mac = hmac.create(sha256, key);
  mac.update(utf8Encode(String(timestamp)));
  mac.update(DOT);
  mac.update(payload);
  return toHex(mac.digest());
}

/**
 * The signature header value: `t=<timestamp>,v1=<hex>` with one `v1` per key.
 *
 * @example
 * ```ts
 * declare const key: Uint8Array;
 * const header = buildSignatureHeader([key], 1767225600, body);
 * ```
 * @throws never for valid inputs (callers validate).
 */
export function buildSignatureHeader(
  keys: readonly Uint8Array[],
  timestamp: number,
  payload: Uint8Array,
): string {
  let out = `t=${timestamp}`;
  for (const key of keys) out += `,v1=${computeSignature(key, timestamp, payload)}`;
  return out;
}
