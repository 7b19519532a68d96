import { describe, expect, it } from 'vitest';
import {
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  backoffDelay,
  describeNetworkError,
  isRetryableStatus,
} from '../../src/notifiers/retry.js';

describe('backoff policy', () => {
  it('doubles from the base, with jitter in the upper half, capped', () => {
    for (let retry = 1; retry <= 12; retry++) {
      const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (retry - 1));
      expect(backoffDelay(retry, () => 0)).toBe(exp / 2);
      expect(backoffDelay(retry, () => 0.999999)).toBe(Math.round(exp / 2 + 0.999999 * (exp / 2)));
      expect(backoffDelay(retry, () => 0.999999)).toBeLessThanOrEqual(BACKOFF_MAX_MS);
    }
    expect(backoffDelay(1, () => 0)).toBe(100);
    expect(backoffDelay(1, () => 1)).toBe(200);
    expect(backoffDelay(20, () => 1)).toBe(BACKOFF_MAX_MS);
  });

  it('bounds the total backoff of the largest retry count', () => {
    let total = 0;
    for (let retry = 1; retry <= 10; retry++) total += backoffDelay(retry, () => 1);
    expect(total).toBeLessThanOrEqual(35_000);
  });

  it('retries only 5xx statuses', () => {
    expect([500, 502, 503, 504, 599].every(isRetryableStatus)).toBe(true);
    expect([200, 301, 400, 401, 404, 409, 429, 600].some(isRetryableStatus)).toBe(false);
  });

  it('describes network errors by code or class name, never by message', () => {
    const wrapped = new TypeError('fetch failed http://user:pw@host/secret', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    expect(describeNetworkError(wrapped)).toBe('ECONNREFUSED');
    expect(describeNetworkError(new TypeError('http://user:pw@host'))).toBe('TypeError');
    expect(describeNetworkError(Object.assign(new Error('x'), { code: 'bad code with spaces' }))).toBe(
      'Error',
    );
    expect(describeNetworkError('a string')).toBe('unknown error');
    const loop: { cause?: unknown; name: string } = { name: 'Loop' };
    loop.cause = loop;
    expect(describeNetworkError(loop)).toBe('Loop');
  });
});
