/**
 * The webhook signature scheme, for senders and receivers.
 *
 * Header `keywarden-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`;
 * several `v1` values may appear (one per secret while a secret is being rotated).
 * @module
 */
import { type Duration, parseDuration } from '../duration.js';
import { KeywardenError } from '../errors.js';
import { constantTimeEqualString, utf8Encode, zeroize } from '../internal/bytes.js';
import { buildSignatureHeader, computeSignature, parseWebhookSecrets, type WebhookSecret } from './secret.js';

export type { WebhookSecret } from './secret.js';

/**
 * Header carrying the signature.
 *
 * @example
 * ```ts
 * SIGNATURE_HEADER; // 'keywarden-signature'
 * ```
 */
export const SIGNATURE_HEADER = 'keywarden-signature';
/**
 * Header carrying the event `type`.
 *
 * @example
 * ```ts
 * EVENT_HEADER; // 'keywarden-event'
 * ```
 */
export const EVENT_HEADER = 'keywarden-event';
/**
 * Header carrying the delivery id (the same on every retry of one event: use it to deduplicate).
 *
 * @example
 * ```ts
 * DELIVERY_HEADER; // 'keywarden-delivery'
 * ```
 */
export const DELIVERY_HEADER = 'keywarden-delivery';

/** Longest signature header accepted by the verifier. */
const MAX_HEADER_LENGTH = 4096;
/** Most `v1` values accepted by the verifier. */
const MAX_SIGNATURES = 16;
/** Largest timestamp accepted (unix seconds, year 5138): catches milliseconds passed by mistake. */
const MAX_TIMESTAMP = 99_999_999_999;

/** Unix seconds, no sign, no leading zero (so `t` has one spelling and the MAC covers it exactly). */
const TIMESTAMP = /^(0|[1-9]\d{0,10})$/;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;

/** Options for {@link signWebhookPayload}. */
export interface SignWebhookPayloadOptions {
  /** The exact body bytes (or string, UTF-8 encoded) that will be sent. */
  payload: string | Uint8Array;
  /** One secret, or several (one `v1` each) while rotating secrets. */
  secret: WebhookSecret | readonly WebhookSecret[];
  /** Unix time in **seconds**. Default: now. */
  timestamp?: number;
}

/** Options for {@link verifyWebhookSignature}. */
export interface VerifyWebhookSignatureOptions {
  /** The raw request body, exactly as received (do not re-serialize parsed JSON). */
  payload: string | Uint8Array;
  /**
   * The `keywarden-signature` header value; node's `req.headers[...]` fits as is (a missing header,
   * or an array of more than one value, gives `false`).
   */
  header: string | readonly string[] | null | undefined;
  /** The shared secret, or several (any may match) while rotating secrets. */
  secret: WebhookSecret | readonly WebhookSecret[];
  /** Largest accepted |now − t|. Default `'5m'`. */
  tolerance?: Duration;
  /** Current time in epoch **milliseconds**. Default `Date.now()`. */
  now?: number;
}

function toBytes(payload: string | Uint8Array): Uint8Array {
  return typeof payload === 'string' ? utf8Encode(payload) : payload;
}

function requireObject(options: unknown): void {
  if (typeof options !== 'object' || options === null) {
    throw new KeywardenError('ERR_VALIDATION', 'options must be an object', { field: 'options' });
  }
}

/**
 * Signs a webhook body and returns the `keywarden-signature` header value. The notifier uses it;
 * it is handy for tests and for other senders that must interoperate.
 *
 * @example
 * ```ts
 * const header = signWebhookPayload({ payload: body, secret: 'whsec_0123456789abcdef', timestamp: 1767225600 });
 * // 't=1767225600,v1=5f0c...'
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `payload`, `secret` or `timestamp` (which must be
 *   whole unix seconds, not milliseconds).
 */
export function signWebhookPayload(options: SignWebhookPayloadOptions): string {
  requireObject(options);
  const { payload, secret, timestamp = Math.floor(Date.now() / 1000) } = options;
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) {
    throw new KeywardenError('ERR_VALIDATION', 'payload must be a string or a Uint8Array', {
      field: 'payload',
    });
  }
  const keys = parseWebhookSecrets(secret, 'secret');
  try {
    if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP) {
      throw new KeywardenError('ERR_VALIDATION', 'timestamp must be whole unix seconds (not milliseconds)', {
        field: 'timestamp',
      });
    }
    return buildSignatureHeader(keys, timestamp, toBytes(payload));
  } finally {
    zeroize(...keys); // private copies of the secrets: wipe them once used
  }
}

/** A parsed header: the timestamp and the candidate signatures (lowercase hex). */
interface ParsedHeader {
  timestamp: number;
  signatures: string[];
}

/** Parses `t=...,v1=...[,v1=...]`; unknown schemes (`v0=`, `v2=`) are ignored. Null if malformed. */
function parseHeader(input: unknown): ParsedHeader | null {
  const header = Array.isArray(input) && input.length === 1 ? (input[0] as unknown) : input;
  if (typeof header !== 'string' || header.length === 0 || header.length > MAX_HEADER_LENGTH) return null;
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const raw of header.split(',')) {
    const part = raw.trim();
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== null || !TIMESTAMP.test(value)) return null;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SHA256.test(value) || signatures.length >= MAX_SIGNATURES) return null;
      signatures.push(value.toLowerCase());
    }
  }
  if (timestamp === null || signatures.length === 0) return null;
  return { timestamp, signatures };
}

/**
 * Verifies a `keywarden-signature` header against the raw body, for webhook receivers. Accepts when
 * any `v1` matches any given secret (compared in constant time) and the timestamp is within
 * `tolerance` of `now` (either side). Malformed headers, a wrong payload type or a stale timestamp
 * give `false`; it never throws for anything the sender controls.
 *
 * @example
 * ```ts
 * declare const rawBody: Uint8Array; // the bytes as received
 * const ok = verifyWebhookSignature({
 *   payload: rawBody,
 *   header: req.headers['keywarden-signature'],
 *   secret: process.env.KEYWARDEN_WEBHOOK_SECRET!,
 * });
 * if (!ok) res.writeHead(401).end();
 * ```
 * @throws KeywardenError `ERR_VALIDATION` only for bad options of the receiver itself: `secret`,
 *   `tolerance` or `now` (not a finite number).
 */
export function verifyWebhookSignature(options: VerifyWebhookSignatureOptions): boolean {
  requireObject(options);
  const keys = parseWebhookSecrets(options.secret, 'secret');
  try {
    return verifyWith(keys, options);
  } finally {
    zeroize(...keys); // private copies of the secrets: wipe them once compared
  }
}

function verifyWith(keys: readonly Uint8Array[], options: VerifyWebhookSignatureOptions): boolean {
  const toleranceMs = parseDuration(options.tolerance === undefined ? '5m' : options.tolerance, 'tolerance');
  const now = options.now === undefined ? Date.now() : options.now;
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new KeywardenError('ERR_VALIDATION', 'now must be a finite number of epoch milliseconds', {
      field: 'now',
    });
  }
  const { payload } = options;
  if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) return false;
  const parsed = parseHeader(options.header);
  if (parsed === null) return false;
  if (Math.abs(now - parsed.timestamp * 1000) > toleranceMs) return false;
  const body = toBytes(payload);
  let match = false;
  for (const key of keys) {
    const expected = computeSignature(key, parsed.timestamp, body);
    for (const candidate of parsed.signatures) {
      // no early exit: every candidate is compared, each in constant time
      match = constantTimeEqualString(expected, candidate) || match;
    }
  }
  return match;
}
