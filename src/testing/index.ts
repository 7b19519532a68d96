/**
 * `keywarden/testing`: contract suites for every port (inject your runner's describe/it/expect),
 * a fake clock, record fixtures, and a ready-wired test manager.
 *
 * @example
 * ```ts
 * import { describe, it, expect } from 'vitest';
 * import { testStorageAdapter } from 'keywarden/testing';
 * import { memoryStorage as myStorage } from 'keywarden/adapters/memory'; // your adapter here
 * testStorageAdapter({ name: 'mine', create: async () => myStorage(), describe, it, expect });
 * ```
 * @module
 */
export { FAKE_CLOCK_START, type FakeClock, type FakeClockOptions, fakeClock } from './fake-clock.js';
export {
  FIXTURE_TIME,
  makeAuditEvent,
  makeComplexRecord,
  makeRecord,
  makeVersion,
  randomId,
} from './fixtures.js';
export { type KmsContractOptions, testKmsAdapter } from './kms-contract.js';
export { type MemoryMetaStore, memoryMetaStore } from './memory-meta.js';
export {
  type NotifierHarness,
  sampleKeyEvents,
  type TestNotifierOptions,
  testNotifier,
} from './notifier-contract.js';
export { type StorageContractOptions, testStorageAdapter } from './storage-contract.js';
export { createTestKeyManager, type TestKeyManager, type TestKeyManagerOptions } from './test-key-manager.js';
export type { AsyncMatchers, Matchers, TestApi } from './types.js';
