import { describe, expect, it } from 'vitest';
import { isKeywardenError } from '../../src/errors.js';
import { createTestKeyManager } from '../../src/testing/index.js';

// A token passed by mistake as an option *name* (e.g. `{ [token]: 1 }`) must not be echoed by the
// error that names the unknown option: neither in `field` nor in the message.
describe('unknown option keys', () => {
  it('never echo a token used as a key', async () => {
    const { km } = createTestKeyManager();
    const { token } = await km.apiKeys.create({ name: 'victim' });
    const error = await km.apiKeys.create({ name: 'x', [token]: 1 } as never).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isKeywardenError(error, 'ERR_VALIDATION')).toBe(true);
    const text = `${String((error as Error).message)} ${String((error as { field?: string }).field)} ${JSON.stringify(error)}`;
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split('_')[2]);
    await km.close();
  });

  it('still name a short, mistyped option', async () => {
    const { km } = createTestKeyManager();
    const error = await km.apiKeys.create({ name: 'x', scopez: ['a'] } as never).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isKeywardenError(error, 'ERR_VALIDATION')).toBe(true);
    expect(`${(error as Error).message} ${String((error as { field?: string }).field)}`).toContain('scopez');
    await km.close();
  });
});
