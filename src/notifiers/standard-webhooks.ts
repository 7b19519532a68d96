/**
 * Standard Webhooks (https://www.standardwebhooks.com) signing, the webhook notifier's default
 * scheme, and its verifier for receivers. Receivers in other languages use any Standard Webhooks
 * library with the same `whsec_` secret.
 *
 * Headers: `webhook-id` (the message id, the same on every retry), `webhook-timestamp` (unix
 * seconds) and `webhook-signature`: space-separated `v1,<base64 HMAC-SHA256(key, id + "." +
 * timestamp + "." + body)>`, one per secret while secrets are being rotated. The key is the base64
 * part of the `whsec_` secret, decoded.
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { type Duration, parseDuration } from '../duration.js';
import { KeywardenError } from '../errors.js';
import {
  constantTimeEqualString,
  fromBase64Url,
  randomBytes,
  toBase64Url,
  utf8Encode,
  zeroize,
} from '../internal/bytes.js';

/**
 * Header carrying the message id.
 *
 * @example
 * ```ts
 * WEBHOOK_ID_HEADER; // 'webhook-id'
 * ```
 */
export const WEBHOOK_ID_HEADER = 'webhook-id';
/**
 * Header carrying the unix timestamp (seconds) of the attempt.
 *
 * @example
 * ```ts
 * WEBHOOK_TIMESTAMP_HEADER; // 'webhook-timestamp'
 * ```
 */
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
/**
 * Header carrying the `v1,<base64>` signatures.
 *
 * @example
 * ```ts
 * WEBHOOK_SIGNATURE_HEADER; // 'webhook-signature'
 * ```
 */
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

/** Shortest and longest signing key (decoded), as the Standard Webhooks specification asks. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
const MAX_SECRETS = 8;
const MAX_HEADER_LENGTH = 4096;
const MAX_SIGNATURES = 16;
const MAX_ID_LENGTH = 256;
const MAX_TIMESTAMP = 99_999_999_999;
const PREFIX = 'whsec_';
const TIMESTAMP = /^(0|[1-9]\d{0,10})$/;
const BASE64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;
const ID = /^[\x21-\x7e]+$/;

/** A Standard Webhooks secret: `whsec_` + base64 of 24–64 random bytes, or those bytes. */
export type StandardWebhookSecret = string | Uint8Array;

function invalid(field: string, message: string): KeywardenError {
  return new KeywardenError('ERR_VALIDATION', `${field} ${message}`, { field });
}

function toBase64(bytes: Uint8Array): string {
  const url = toBase64Url(bytes).replaceAll('-', '+').replaceAll('_', '/');
  return url + '='.repeat((4 - (url.length % 4)) % 4);
}

function parseOne(value: unknown, field: string): Uint8Array {
  const size = `${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes`;
  if (typeof value === 'string') {
    if (!value.startsWith(PREFIX) || value.length > 200) {
      throw invalid(field, `must be a Standard Webhooks secret: "whsec_" + base64 of ${size}`);
    }
    let key: Uint8Array;
    try {
      key = fromBase64Url(value.slice(PREFIX.length));
    } catch {
      throw invalid(field, 'must be "whsec_" + base64 (its base64 part does not decode)');
    }
    if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
      zeroize(key);
      throw invalid(field, `must decode to ${size}`);
    }
    return key;
  }
  if (value instanceof Uint8Array) {
    if (value.length < MIN_KEY_BYTES || value.length > MAX_KEY_BYTES) throw invalid(field, `must be ${size}`);
    return Uint8Array.from(value); // a private copy: later changes by the caller do not reach us
  }
  throw invalid(field, 'must be a "whsec_" string or a Uint8Array');
}

/**
 * Parses one secret or several (while rotating) into private copies of the signing keys.
 *
 * @example
 * ```ts
 * const keys = parseStandardSecrets(generateWebhookSecret(), 'secret');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `field` (or `field.N`); the message never echoes the secret.
 */
export function parseStandardSecrets(value: unknown, field: string): Uint8Array[] {
  if (Array.isArray(value)) {
    if (value.length < 1 || value.length > MAX_SECRETS)
      throw invalid(field, `must hold 1 to ${MAX_SECRETS} secrets`);
    const out: Uint8Array[] = [];
    try {
      for (const [i, v] of value.entries()) out.push(parseOne(v, `${field}.${i}`));
    } catch (error) {
      zeroize(...out);
      throw error;
    }
    return out;
  }
  return [parseOne(value, field)];
}

/**
 * A new random secret: `whsec_` + base64 of 32 random bytes. Give it to the receiver once; keep it
 * as a keywarden secret (`km.secrets.set`).
 *
 * @example
 * ```ts
 * const secret = generateWebhookSecret(); // 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw...'
 * ```
 * @throws never
 */
export function generateWebhookSecret(): string {
  const key = randomBytes(32);
  try {
    return PREFIX + toBase64(key);
  } finally {
    zeroize(key);
  }
}

/**
 * The base64 signature of one message under one key.
 *
 * @example
 * ```ts
 * declare const key: Uint8Array;
 * const sig = standardSignature(key, 'msg_1', 1767225600, body);
 * ```
 * @throws never
 */
export function standardSignature(
  key: Uint8Array,
  id: string,
  timestamp: number,
  payload: Uint8Array,
): string {
  const mac = hmac.create(sha256, key);
  mac.update(utf8Encode(`${id}.${timestamp}.`));
  mac.update(payload);
  return toBase64(mac.digest());
}

/**
 * The three headers of one message, signed with each key (space-separated `v1,` values).
 *
 * @example
 * ```ts
 * declare const keys: readonly Uint8Array[];
 * const headers = standardHeaders(keys, 'msg_1', 1767225600, body);
 * ```
 * @throws never
 */
export function standardHeaders(
  keys: readonly Uint8Array[],
  id: string,
  timestamp: number,
  payload: Uint8Array,
): Record<string, string> {
  return {
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
    [WEBHOOK_SIGNATURE_HEADER]: keys
      .map((k) => `v1,${standardSignature(k, id, timestamp, payload)}`)
      .join(' '),
  };
}

function toBytes(payload: string | Uint8Array): Uint8Array {
  return typeof payload === 'string' ? utf8Encode(payload) : payload;
}

/** Options of {@link signStandardWebhook}. */
export interface SignStandardWebhookOptions {
  /** The message id (`webhook-id`): the same on every retry of one message. */
  id: string;
  /** The exact body bytes (or string, UTF-8 encoded) that will be sent. */
  payload: string | Uint8Array;
  /** One `whsec_` secret, or several (one signature each) while rotating. */
  secret: StandardWebhookSecret | readonly StandardWebhookSecret[];
  /** Unix time in **seconds**. Default: now. */
  timestamp?: number;
}

/**
 * Signs a message per Standard Webhooks and returns its `webhook-id`, `webhook-timestamp` and
 * `webhook-signature` headers. The notifier uses it; it is handy for tests and other senders.
 *
 * @example
 * ```ts
 * declare const url: URL | RequestInfo;
 * const body = JSON.stringify({ type: 'key.rotated' });
 * const headers = signStandardWebhook({ id: 'msg_1', payload: body, secret: process.env.WEBHOOK_SECRET! });
 * await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `options`, `id`, `payload`, `secret` or `timestamp`.
 */
export function signStandardWebhook(options: SignStandardWebhookOptions): Record<string, string> {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object');
  const { id, payload, secret, timestamp = Math.floor(Date.now() / 1000) } = options;
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH || !ID.test(id)) {
    throw invalid('id', `must be 1 to ${MAX_ID_LENGTH} printable ASCII characters without spaces`);
  }
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    throw invalid('payload', 'must be a string or a Uint8Array');
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP) {
    throw invalid('timestamp', 'must be whole unix seconds (not milliseconds)');
  }
  const keys = parseStandardSecrets(secret, 'secret');
  try {
    return standardHeaders(keys, id, timestamp, toBytes(payload));
  } finally {
    zeroize(...keys);
  }
}

/** Request headers as a receiver has them: a fetch `Headers`, or node's `req.headers`. */
export type WebhookRequestHeaders =
  | {
      /** The header's value, or null when absent (fetch `Headers.get`). */
      get(name: string): string | null;
    }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Options of {@link verifyStandardWebhook}. */
export interface VerifyStandardWebhookOptions {
  /** The raw request body, exactly as received (do not re-serialize parsed JSON). */
  payload: string | Uint8Array;
  /** The request's headers: `request.headers` (fetch) or `req.headers` (node). */
  headers: WebhookRequestHeaders;
  /** The `whsec_` secret, or several (any may match) while rotating. */
  secret: StandardWebhookSecret | readonly StandardWebhookSecret[];
  /** Largest accepted |now − timestamp|. Default `'5m'`. */
  tolerance?: Duration;
  /** Current time in epoch **milliseconds**. Default `Date.now()`. */
  now?: number;
}

function header(headers: WebhookRequestHeaders, name: string): string | null {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    const v = (headers as { get(name: string): string | null }).get(name);
    return typeof v === 'string' ? v : null;
  }
  let found: unknown;
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== name) continue;
    if (found !== undefined) return null; // the same header twice: ambiguous
    found = v;
  }
  const one = Array.isArray(found) && found.length === 1 ? (found[0] as unknown) : found;
  return typeof one === 'string' ? one : null;
}

/**
 * Verifies a Standard Webhooks request, for receivers: any `v1` signature matches any given secret
 * (compared in constant time, every candidate) and `webhook-timestamp` is within `tolerance` of
 * `now` (either side). A missing or malformed header, a wrong body type or a stale timestamp give
 * `false`; it never throws for anything the sender controls. Deduplicate on `webhook-id`: a retry
 * of one message carries the same id.
 *
 * @example
 * ```ts
 * const ok = verifyStandardWebhook({
 *   payload: await request.text(), // the body as received
 *   headers: request.headers,
 *   secret: process.env.WEBHOOK_SECRET!,
 * });
 * if (!ok) console.log('refuse with 401');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` only for bad options of the receiver itself: `options`,
 *   `secret`, `tolerance`, `now`, `headers`.
 */
export function verifyStandardWebhook(options: VerifyStandardWebhookOptions): boolean {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object');
  const toleranceMs = parseDuration(options.tolerance === undefined ? '5m' : options.tolerance, 'tolerance');
  const now = options.now === undefined ? Date.now() : options.now;
  if (typeof now !== 'number' || !Number.isFinite(now))
    throw invalid('now', 'must be a finite number of epoch milliseconds');
  if (typeof options.headers !== 'object' || options.headers === null)
    throw invalid('headers', 'must be the request headers');
  const keys = parseStandardSecrets(options.secret, 'secret');
  try {
    const { payload } = options;
    if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) return false;
    const id = header(options.headers, WEBHOOK_ID_HEADER);
    const ts = header(options.headers, WEBHOOK_TIMESTAMP_HEADER);
    const sig = header(options.headers, WEBHOOK_SIGNATURE_HEADER);
    if (id === null || id.length > MAX_ID_LENGTH || !ID.test(id)) return false;
    if (ts === null || !TIMESTAMP.test(ts)) return false;
    if (sig === null || sig.length === 0 || sig.length > MAX_HEADER_LENGTH) return false;
    const timestamp = Number(ts);
    if (Math.abs(now - timestamp * 1000) > toleranceMs) return false;
    const candidates: string[] = [];
    for (const part of sig.split(' ')) {
      if (part === '') continue;
      const comma = part.indexOf(',');
      if (comma <= 0) return false;
      if (part.slice(0, comma) !== 'v1') continue; // other versions (v1a: asymmetric) are not ours
      const value = part.slice(comma + 1);
      if (!BASE64_SHA256.test(value) || candidates.length >= MAX_SIGNATURES) return false;
      candidates.push(value);
    }
    if (candidates.length === 0) return false;
    const body = toBytes(payload);
    let match = false;
    for (const key of keys) {
      const expected = standardSignature(key, id, timestamp, body);
      for (const candidate of candidates) match = constantTimeEqualString(expected, candidate) || match;
    }
    return match;
  } finally {
    zeroize(...keys);
  }
}
