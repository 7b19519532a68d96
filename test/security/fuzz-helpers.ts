/** Shared pieces of the fuzz tests. */
import { isKeywardenError } from '../../src/errors.js';

/** Runs `run` and rethrows anything it throws that is not a KeywardenError. */
export async function onlyKeywardenErrors(run: () => unknown): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!isKeywardenError(error)) throw error;
  }
}
