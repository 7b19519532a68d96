/**
 * The shared `StorageAdapter` contract suite. Every adapter keywarden ships passes it, and
 * third parties run it against their own: it never imports a test runner; you inject yours.
 * @module
 */
import { describeAuditContract } from './storage-contract-audit.js';
import { createContractContext, type StorageContractOptions } from './storage-contract-harness.js';
import { describeListContract } from './storage-contract-list.js';
import { describeRecordContract } from './storage-contract-records.js';

export type { StorageContractOptions } from './storage-contract-harness.js';

/**
 * Registers the storage contract tests for one adapter with the injected runner.
 *
 * Each test calls `create()` for a NEW, EMPTY adapter, calls `init()` on it, runs, then calls
 * `close()` and `destroy(adapter)`. So the factory must isolate calls: a SQL adapter's factory
 * creates a fresh schema or database per call (and `destroy` drops it); a file adapter's, a fresh
 * temporary directory.
 *
 * What it checks: exact JSON round trips (unicode, awkward numbers, every field), input copying,
 * id and unique-name clashes (`ERR_ALREADY_EXISTS`), compare-and-swap updates and deletes
 * (`ERR_CONFLICT`, `ERR_NOT_FOUND`; a `record.revision` other than `expectedRevision + 1` is
 * `ERR_VALIDATION`) including 20 racing writers, every list filter, `(createdAt, id)` order (ids
 * compare by code unit / byte order, e.g. `COLLATE "C"` in SQL), keyset cursors stable across
 * inserts and deletes, `ERR_VALIDATION` for a bad cursor or a limit outside 1..1000,
 * `dueForRotation`, a gapless hash-chained audit log under concurrent appends (each append's
 * events get consecutive seqs), audit filters and paging, metadata compare-and-swap, `readMacs`
 * (when the adapter has it: stored MACs in order, null when absent, current after writes), and
 * idempotent `init`/`close`. Every error assertion requires a `KeywardenError` with the exact code.
 *
 * Conventions it fixes where the port is silent: `delete(missingId, { expectedRevision })` returns
 * false; `appendAudit([])` is a no-op; a page that happens to end exactly at the last record may
 * carry a cursor, but the page after it is then empty with no cursor.
 *
 * @example
 * ```ts
 * import { describe, expect, it } from 'vitest';
 * import { memoryStorage } from 'keywarden/adapters/memory';
 * import { testStorageAdapter } from 'keywarden/testing';
 *
 * testStorageAdapter({ name: 'memory', create: async () => memoryStorage(), describe, it, expect });
 * ```
 * @example
 * ```ts
 * import postgres from 'postgres';
 * import { describe, expect, it } from 'vitest';
 * const sql = postgres(process.env.DATABASE_URL!);
 * declare const dropSchema: (storage: StorageAdapter) => Promise<void>; // your cleanup
 * // A SQL adapter: one schema per test.
 * testStorageAdapter({
 *   name: 'postgres',
 *   create: async () => postgresStorage({ sql, schema: `kw_test_${crypto.randomUUID().slice(0, 8)}` }),
 *   destroy: async (s) => dropSchema(s),
 *   timeoutMs: 20_000,
 *   describe, it, expect,
 * });
 * ```
 * @throws never itself; failures surface through the injected runner.
 */
export function testStorageAdapter(options: StorageContractOptions): void {
  const ctx = createContractContext(options);
  options.describe(`StorageAdapter contract: ${options.name}`, () => {
    describeRecordContract(ctx);
    describeListContract(ctx);
    describeAuditContract(ctx);
  });
}
