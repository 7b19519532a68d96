/**
 * Retry policy of the webhook notifier: exponential backoff with jitter, capped, and which
 * failures are worth another attempt.
 * @internal
 * @module
 */

/**
 * Delay before the first retry, before jitter.
 *
 * @example
 * ```ts
 * BACKOFF_BASE_MS; // 200
 * ```
 */
export const BACKOFF_BASE_MS = 200;
/**
 * Cap on one backoff delay.
 *
 * @example
 * ```ts
 * BACKOFF_MAX_MS; // 5_000
 * ```
 */
export const BACKOFF_MAX_MS = 5_000;

/**
 * The delay before retry number `retry` (1 = the first retry): `min(max, base·2^(retry−1))`, with
 * "equal jitter" (a uniformly random value in its upper half), so concurrent senders spread out.
 *
 * @example
 * ```ts
 * backoffDelay(1); // 100..200
 * backoffDelay(3); // 400..800
 * backoffDelay(9); // 2500..5000
 * ```
 * @throws never
 */
export function backoffDelay(retry: number, random: () => number = Math.random): number {
  const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, retry - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @example
 * ```ts
 * await sleep(backoffDelay(1));
 * ```
 * @throws never
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Whether an HTTP status deserves a retry: 5xx yes; 4xx (the receiver rejected this request; it
 * will reject it again) and 3xx (redirects are not followed) no.
 *
 * @example
 * ```ts
 * isRetryableStatus(503); // true
 * isRetryableStatus(404); // false
 * ```
 * @throws never
 */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 && status <= 599;
}

const SAFE_CODE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * A short, secret-free description of a network failure: the error code (`ECONNREFUSED`,
 * `UND_ERR_SOCKET`...) or the error class name, never the message (which may quote the URL).
 *
 * @example
 * ```ts
 * declare const err: unknown;
 * describeNetworkError(err); // 'ECONNREFUSED'
 * ```
 * @throws never
 */
export function describeNetworkError(error: unknown): string {
  const seen = new Set<unknown>();
  let current: unknown = error;
  // walk the cause chain: fetch wraps the socket error in a generic TypeError('fetch failed')
  while (typeof current === 'object' && current !== null && !seen.has(current) && seen.size < 5) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && SAFE_CODE.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return typeof name === 'string' && SAFE_CODE.test(name) ? name : 'unknown error';
}
