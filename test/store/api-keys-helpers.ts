/** Shared helpers of the API-key, manager and audit tests. */
import { expect } from 'vitest';
import type { KeywardenErrorCode } from '../../src/errors.js';
import { KeywardenError } from '../../src/errors.js';

export { allAudit, delegateStorage as wrapStorage, snapshot } from '../support/store-context.js';

/** Asserts `fn` rejects with a KeywardenError of `code` (and `field` when given); returns it. */
export async function expectKw(
  fn: () => Promise<unknown>,
  code: KeywardenErrorCode,
  field?: string,
): Promise<KeywardenError> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(KeywardenError);
  const e = caught as KeywardenError;
  expect(e.code).toBe(code);
  if (field !== undefined) expect(e.field).toBe(field);
  return e;
}

/** Flips the last base62 character of a token's secret part (checksum then fixed up by the caller). */
export function flipChar(s: string, index: number): string {
  const c = s[index];
  return s.slice(0, index) + (c === 'a' ? 'b' : 'a') + s.slice(index + 1);
}
