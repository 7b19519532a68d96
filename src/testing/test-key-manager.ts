/**
 * `createTestKeyManager`: a key manager over memory storage, a random master key and a fake clock,
 * for tests and examples.
 * @module
 */
import { memoryStorage } from '../adapters/memory.js';
import { generateMasterKey, localKms } from '../kms/index.js';
import { createKeyManager, type KeyManager, type KeyManagerOptions } from '../manager/key-manager.js';
import type { StorageAdapter } from '../ports/storage.js';
import { type FakeClock, type FakeClockOptions, fakeClock } from './fake-clock.js';

/** Options of {@link createTestKeyManager}: any manager option (all optional here) plus `now`. */
export type TestKeyManagerOptions = Partial<KeyManagerOptions> & {
  /** Start time of the fake clock (ignored when `clock` is given). */
  now?: FakeClockOptions['now'];
};

/** What {@link createTestKeyManager} returns. */
export interface TestKeyManager {
  /** The key manager under test (memory storage, a local KMS and `clock` unless you passed your own). */
  km: KeyManager;
  /** The fake clock driving `km` (when you passed your own `clock`, a fake clock that `km` does not use). */
  clock: FakeClock;
  /** The storage `km` writes to (inspect it in assertions). */
  storage: StorageAdapter;
}

/**
 * Creates a key manager for tests: `memoryStorage()`, `localKms` with a fresh random master key
 * and a `fakeClock()`, unless you pass your own `storage`, `kms` or `clock`. Every other option is
 * passed to `createKeyManager` unchanged.
 *
 * @example
 * ```ts
 * import { createTestKeyManager } from 'keywarden/testing';
 * const { km, clock } = createTestKeyManager();
 * const { token } = await km.apiKeys.create({ name: 't', expiresIn: '1h' });
 * clock.advance('2h');
 * (await km.apiKeys.verify(token)).valid; // false
 * ```
 * @throws KeywardenError `ERR_VALIDATION` for a bad option (as `createKeyManager`).
 */
export function createTestKeyManager(options: TestKeyManagerOptions = {}): TestKeyManager {
  const { now, ...rest } = options;
  const clock = fakeClock(now === undefined ? {} : { now });
  const storage = rest.storage ?? memoryStorage();
  const km = createKeyManager({
    ...rest,
    storage,
    kms: rest.kms ?? localKms({ masterKey: generateMasterKey() }),
    clock: rest.clock ?? clock,
  });
  return { km, clock, storage };
}
