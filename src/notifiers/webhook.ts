/**
 * `webhookNotifier`: POSTs each event as signed JSON, with retries.
 * @module
 */
import { KeywardenError } from '../errors.js';
import { randomBytes, toHex, utf8Encode } from '../internal/bytes.js';
import type { KeyEvent, Notifier } from '../ports/notifier.js';
import { backoffDelay, describeNetworkError, isRetryableStatus, sleep } from './retry.js';
import { buildSignatureHeader } from './secret.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER } from './signature.js';
import { standardHeaders } from './standard-webhooks.js';
import { resolveWebhookOptions, type WebhookNotifierOptions } from './webhook-options.js';

export type { WebhookNotifierOptions } from './webhook-options.js';

/** A {@link Notifier} that POSTs to a URL; its JSON and inspect forms show only the origin. */
export interface WebhookNotifier extends Notifier {
  /** Safe description for logs: no secret, no path, no credentials. */
  toJSON(): {
    /** Always `'webhook'`. */
    notifier: 'webhook';
    /** Origin of the target URL (scheme, host, port): no path, query or credentials. */
    origin: string;
    /** Signature scheme: `'standard'` (Standard Webhooks) or `'keywarden'`. */
    scheme: 'standard' | 'keywarden';
    /** Timeout of one attempt, in milliseconds. */
    timeoutMs: number;
    /** Retries after a failed first attempt. */
    retries: number;
  };
}

const EVENT_TYPE = /^[a-z][a-z0-9_.]{0,63}$/;
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

type Attempt = { ok: true } | { ok: false; retryable: boolean; reason: string };

/**
 * A notifier that POSTs each event as JSON to `url`, signed with HMAC-SHA256.
 *
 * Wire format: `POST url`, `content-type: application/json`, body = the event as JSON, headers
 * `keywarden-event: <type>`, `keywarden-delivery: <random id>` (the same on every retry of one
 * event) and the signature. By default (`scheme: 'standard'`) that is Standard Webhooks:
 * `webhook-id: msg_<delivery id>`, `webhook-timestamp: <unix seconds>`, `webhook-signature:
 * v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>` with a `whsec_` secret, so any
 * Standard Webhooks library (or `verifyStandardWebhook`) verifies it. With `scheme: 'keywarden'`:
 * `keywarden-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`
 * (`verifyWebhookSignature`). Any 2xx is success. Network errors, timeouts and 5xx are retried up to `retries` times
 * with exponential backoff (200 ms base, jitter, 5 s cap); 3xx and 4xx are not. Each attempt is
 * limited by `timeout`. The secret stays in a closure: `JSON.stringify` and `util.inspect` of the
 * notifier show only the URL's origin.
 *
 * @example
 * ```ts
 * const notifier = webhookNotifier({
 *   url: 'https://ops.example.com/hooks/keywarden',
 *   secret: process.env.KEYWARDEN_WEBHOOK_SECRET!, // 'whsec_…', from generateWebhookSecret()
 *   timeout: '5s',
 *   retries: 3,
 * });
 * const km = createKeyManager({ storage, kms, notifier });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the field for bad options. `notify` rejects with
 *   `ERR_NOTIFY` (naming the origin and the last status or network error, never the secret, the
 *   path or credentials) once every attempt has failed, and with `ERR_VALIDATION` for an event
 *   without a valid `type`.
 */
export function webhookNotifier(options: WebhookNotifierOptions): WebhookNotifier {
  const {
    url,
    origin,
    scheme,
    keys,
    timeoutMs,
    retries,
    headers,
    fetch: fetchFn,
  } = resolveWebhookOptions(options);
  const attempts = retries + 1;

  async function attempt(body: Uint8Array<ArrayBuffer>, type: string, deliveryId: string): Promise<Attempt> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const timestamp = Math.floor(Date.now() / 1000); // fresh on each attempt: retries are not stale
      const signature =
        scheme === 'standard'
          ? standardHeaders(keys, `msg_${deliveryId}`, timestamp, body)
          : { [SIGNATURE_HEADER]: buildSignatureHeader(keys, timestamp, body) };
      const res = await fetchFn(url, {
        method: 'POST',
        headers: {
          'user-agent': 'keywarden-webhook',
          ...headers,
          'content-type': 'application/json',
          ...signature,
          [EVENT_HEADER]: type,
          [DELIVERY_HEADER]: deliveryId,
        },
        body,
        signal: controller.signal,
        redirect: 'manual',
      });
      try {
        await res.body?.cancel(); // the response body is not used; release the connection
      } catch {
        // ignore: the status is what matters
      }
      if (res.status >= 200 && res.status <= 299) return { ok: true };
      if (res.status === 0) return { ok: false, retryable: false, reason: 'redirect not followed' };
      const suffix = res.status >= 300 && res.status <= 399 ? ' (redirects are not followed)' : '';
      return { ok: false, retryable: isRetryableStatus(res.status), reason: `status ${res.status}${suffix}` };
    } catch (error) {
      if (controller.signal.aborted) {
        return { ok: false, retryable: true, reason: `timed out after ${timeoutMs} ms` };
      }
      return { ok: false, retryable: true, reason: `network error (${describeNetworkError(error)})` };
    } finally {
      clearTimeout(timer);
    }
  }

  async function notify(event: KeyEvent): Promise<void> {
    const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
    if (typeof type !== 'string' || !EVENT_TYPE.test(type)) {
      throw new KeywardenError('ERR_VALIDATION', 'event.type must be a KeyEvent type', {
        field: 'event.type',
      });
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(event);
    } catch {
      json = undefined;
    }
    if (json === undefined) {
      throw new KeywardenError('ERR_NOTIFY', `webhook ${origin}: event ${type} is not JSON-serializable`);
    }
    const body = new Uint8Array(utf8Encode(json)); // exactly the bytes that are signed
    const deliveryId = toHex(randomBytes(16));
    let last: Attempt = { ok: false, retryable: false, reason: 'not attempted' };
    let made = 0;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await sleep(backoffDelay(i));
      made++;
      last = await attempt(body, type, deliveryId);
      if (last.ok) return;
      if (!last.retryable) break;
    }
    const reason = last.ok ? 'unknown' : last.reason;
    throw new KeywardenError(
      'ERR_NOTIFY',
      `webhook ${origin}: delivery ${deliveryId} of ${type} failed after ${made} attempt${made === 1 ? '' : 's'}: ${reason}`,
    );
  }

  const description = { notifier: 'webhook' as const, origin, scheme, timeoutMs, retries };
  return Object.freeze({
    notify,
    toJSON: () => ({ ...description }),
    toString: () => `webhookNotifier(${origin})`,
    [INSPECT]: () => `webhookNotifier(${origin})`,
  });
}
