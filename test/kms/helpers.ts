/** Shared probes of the KMS tests. */
import { expect } from 'vitest';
import { KeywardenError } from '../../src/errors.js';

export { validationField } from '../generator/helpers.js';

/** The code of the KeywardenError `promise` rejects with (fails the test if it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KeywardenError);
    return (error as KeywardenError).code;
  }
  throw new Error('expected a rejection');
}
