/**
 * Validation of {@link WebhookNotifierOptions}. Messages name the field and never echo a value
 * (the secret, header values and URL credentials are secrets).
 * @internal
 * @module
 */
import { type Duration, parseDuration } from '../duration.js';
import { KeywardenError } from '../errors.js';
import { utf8Encode } from '../internal/bytes.js';
import { parseWebhookSecrets, type WebhookSecret } from './secret.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER } from './signature.js';
import {
  parseStandardSecrets,
  type StandardWebhookSecret,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from './standard-webhooks.js';

/** Options for `webhookNotifier`. */
export interface WebhookNotifierOptions {
  /**
   * Where to POST, an `http:` or `https:` URL. Credentials in it (`https://user:pass@host/`) are
   * removed from the URL and sent as `Authorization: Basic` (unless `headers` sets `authorization`).
   */
  url: string | URL;
  /**
   * The signing secret, or several while rotating (one signature each). With the default
   * `scheme: 'standard'`: a Standard Webhooks secret, `whsec_` + base64 of 24–64 bytes (see
   * `generateWebhookSecret()`), or those bytes. With `scheme: 'keywarden'`: any string or bytes of
   * ≥ 16 characters.
   */
  secret: StandardWebhookSecret | WebhookSecret | readonly (StandardWebhookSecret | WebhookSecret)[];
  /**
   * How requests are signed. `'standard'` (default): Standard Webhooks (`webhook-id`,
   * `webhook-timestamp`, `webhook-signature: v1,<base64>`), verifiable by any Standard Webhooks
   * library or `verifyStandardWebhook`. `'keywarden'`: the 0.1 scheme (`keywarden-signature:
   * t=…,v1=<hex>`), verified by `verifyWebhookSignature`.
   */
  scheme?: 'standard' | 'keywarden';
  /** Limit on each attempt (connect, send, response headers). Default `'5s'`, at most `'5m'`. */
  timeout?: Duration;
  /** Extra attempts after the first, 0–10. Default 3. */
  retries?: number;
  /** Extra request headers (e.g. `authorization`). Cannot replace the ones keywarden sets. */
  headers?: Readonly<Record<string, string>>;
  /** A `fetch` implementation for runtimes without a global one. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

/** The validated, normalized options. */
export interface ResolvedWebhookOptions {
  /** The target URL without credentials or fragment. */
  url: string;
  /** scheme://host[:port] — the only part of the URL ever shown in messages. */
  origin: string;
  scheme: 'standard' | 'keywarden';
  keys: Uint8Array[];
  timeoutMs: number;
  retries: number;
  headers: Record<string, string>;
  fetch: typeof fetch;
}

const KNOWN = new Set(['url', 'secret', 'scheme', 'timeout', 'retries', 'headers', 'fetch']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;
const RESERVED = new Set([
  SIGNATURE_HEADER,
  EVENT_HEADER,
  DELIVERY_HEADER,
  WEBHOOK_ID_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'host',
]);
/** Longest per-attempt timeout. */
const MAX_TIMEOUT_MS = 300_000;
/**
 * Most retries.
 *
 * @example
 * ```ts
 * MAX_RETRIES; // 10
 * ```
 */
export const MAX_RETRIES = 10;

function invalid(field: string, message: string): KeywardenError {
  return new KeywardenError('ERR_VALIDATION', `${field} ${message}`, { field });
}

function parseUrl(value: unknown): { url: URL; basic: string | null } {
  let url: URL;
  try {
    if (value instanceof URL) url = new URL(value.href);
    else if (typeof value === 'string' && value.length <= 8192) url = new URL(value);
    else throw new TypeError('not a string');
  } catch {
    throw invalid('url', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid('url', 'must use http: or https:');
  }
  let basic: string | null = null;
  if (url.username !== '' || url.password !== '') {
    let userPass: string;
    try {
      userPass = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    } catch {
      throw invalid('url', 'has badly percent-encoded credentials');
    }
    let binary = '';
    for (const b of utf8Encode(userPass)) binary += String.fromCharCode(b);
    basic = `Basic ${btoa(binary)}`;
    url.username = '';
    url.password = '';
  }
  url.hash = '';
  return { url, basic };
}

function parseHeaders(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('headers', 'must be an object of header names to string values');
  }
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    const lower = name.toLowerCase();
    if (!TOKEN.test(name) || name.length > 256) throw invalid('headers', 'has an invalid header name');
    if (RESERVED.has(lower))
      throw invalid(`headers.${lower}`, 'is set by keywarden and cannot be overridden');
    if (lower in out) throw invalid(`headers.${lower}`, 'is given twice');
    if (typeof v !== 'string' || v.length > 8192 || BAD_VALUE.test(v)) {
      throw invalid(`headers.${lower}`, 'must be a string without CR, LF or NUL (at most 8192 characters)');
    }
    out[lower] = v;
  }
  return out;
}

/**
 * Validates and normalizes webhook options.
 *
 * @example
 * ```ts
 * const o = resolveWebhookOptions({ url: 'https://hooks.example.com/kw', secret });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the field (`url`, `secret`, `scheme`, `timeout`, `retries`,
 *   `headers.<name>`, `fetch`, or `options` for an unknown key).
 */
export function resolveWebhookOptions(options: WebhookNotifierOptions): ResolvedWebhookOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key))
      throw invalid(
        'options',
        'has an unknown key (expected url, secret, scheme, timeout, retries, headers, fetch)',
      );
  }
  const { url, basic } = parseUrl(options.url);
  const scheme = options.scheme === undefined ? 'standard' : options.scheme;
  if (scheme !== 'standard' && scheme !== 'keywarden')
    throw invalid('scheme', "must be 'standard' or 'keywarden'");
  const keys =
    scheme === 'standard'
      ? parseStandardSecrets(options.secret, 'secret')
      : parseWebhookSecrets(options.secret, 'secret');
  const timeoutMs = parseDuration(options.timeout === undefined ? '5s' : options.timeout, 'timeout');
  if (timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) throw invalid('timeout', 'must be from 1ms to 5m');
  const retries = options.retries === undefined ? 3 : options.retries;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > MAX_RETRIES) {
    throw invalid('retries', `must be an integer from 0 to ${MAX_RETRIES}`);
  }
  const headers = parseHeaders(options.headers);
  if (basic !== null && headers.authorization === undefined) headers.authorization = basic;
  const fetchFn =
    options.fetch === undefined ? (globalThis.fetch as typeof fetch | undefined) : options.fetch;
  if (typeof fetchFn !== 'function') {
    throw invalid('fetch', 'must be a fetch function (no global fetch in this runtime)');
  }
  return { url: url.href, origin: url.origin, scheme, keys, timeoutMs, retries, headers, fetch: fetchFn };
}
