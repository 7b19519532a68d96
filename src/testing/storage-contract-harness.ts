/**
 * The harness shared by the parts of the storage contract suite: per-test adapter lifecycle and
 * error assertions. Internal to `keywarden/testing`.
 * @internal
 * @module
 */
import { isKeywardenError, type KeywardenErrorCode } from '../errors.js';
import type { StorageAdapter, StoredRecord } from '../ports/storage.js';
import type { TestApi } from './types.js';

/** Options of `testStorageAdapter`. */
export interface StorageContractOptions extends TestApi {
  /** Shown in the suite title, e.g. `'memory'`, `'postgres'`. */
  name: string;
  /**
   * Returns a NEW, EMPTY adapter on every call (initialized or not: the suite calls `init()` itself).
   * Each test gets its own adapter, so a SQL adapter's factory must give isolation per call,
   * e.g. a fresh schema or database; a file adapter's, a fresh temporary directory.
   */
  create: () => Promise<StorageAdapter>;
  /** Called after `close()` at the end of every test, e.g. to drop the schema or remove the directory. */
  destroy?: (adapter: StorageAdapter) => Promise<void>;
  /** Per-test timeout in ms, passed to `it`. Default: the runner's own. */
  timeoutMs?: number;
}

/** What each part of the suite is given. */
export interface ContractContext {
  /** The injected `describe`. */
  describe(name: string, fn: () => void): void;
  /** Declares a test that receives a fresh, initialized, empty adapter, closed and destroyed afterwards. */
  test(name: string, fn: (storage: StorageAdapter) => Promise<void>): void;
  // biome-ignore lint/suspicious/noExplicitAny: runners type `expect` very differently.
  expect: (value: unknown) => any;
  /** Asserts `run` rejects (or throws) a `KeywardenError` with exactly `code`. */
  expectCode(run: Promise<unknown> | (() => Promise<unknown>), code: KeywardenErrorCode): Promise<void>;
  /** Asserts a settled promise failed with a `KeywardenError` of exactly `code`. */
  expectSettledCode(result: PromiseSettledResult<unknown>, code: KeywardenErrorCode): void;
}

function describeError(error: unknown): string {
  if (isKeywardenError(error)) return error.code;
  if (error instanceof Error) return `not a KeywardenError: ${error.name}: ${error.message}`;
  return `not a KeywardenError: ${String(error)}`;
}

/**
 * Builds the {@link ContractContext} for a suite run.
 *
 * @example
 * ```ts
 * import { describe, expect, it } from 'vitest';
 * const ctx = createContractContext({ name: 'memory', create: async () => memoryStorage(), describe, it, expect });
 * ```
 * @throws never (failures are reported through the injected `expect`)
 */
export function createContractContext(options: StorageContractOptions): ContractContext {
  const { expect } = options;
  const expectSettledCode = (result: PromiseSettledResult<unknown>, code: KeywardenErrorCode): void => {
    expect(result.status).toBe('rejected');
    if (result.status === 'rejected') expect(describeError(result.reason)).toBe(code);
  };
  return {
    describe: (name, fn) => options.describe(name, fn),
    expect,
    test(name, fn) {
      const body = async (): Promise<void> => {
        const storage = await options.create();
        try {
          await storage.init?.();
          await fn(storage);
        } finally {
          try {
            await storage.close?.();
          } finally {
            await options.destroy?.(storage);
          }
        }
      };
      if (options.timeoutMs === undefined) options.it(name, body);
      else options.it(name, body, options.timeoutMs);
    },
    async expectCode(run, code) {
      let outcome: PromiseSettledResult<unknown>;
      try {
        const value = await (typeof run === 'function' ? run() : run);
        outcome = { status: 'fulfilled', value };
      } catch (reason) {
        outcome = { status: 'rejected', reason };
      }
      expectSettledCode(outcome, code);
    },
    expectSettledCode,
  };
}

/**
 * The JSON round trip of a value: what any adapter storing plain JSON must give back.
 *
 * @example
 * ```ts
 * import { expect } from 'vitest';
 * declare const r: StoredRecord;
 * expect(await storage.get(r.id)).toStrictEqual(jsonCopy(r));
 * ```
 * @throws TypeError for values JSON cannot hold (e.g. a BigInt or a cycle).
 */
export function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Comparator for `(createdAt, id)` order; ids compare by UTF-16 code unit (byte order for ASCII).
 *
 * @example
 * ```ts
 * declare const records: StoredRecord[];
 * const ordered = [...records].sort(byCreatedAtThenId);
 * ```
 * @throws never
 */
export function byCreatedAtThenId(a: StoredRecord, b: StoredRecord): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Every record of a listing, following cursors (at most 10,000 pages, to stop a cursor loop).
 *
 * @example
 * ```ts
 * const secrets = await listAll(storage, { kind: 'secret', limit: 100 });
 * ```
 * @throws Error when the cursor never ends; whatever `list` throws.
 */
export async function listAll(
  storage: StorageAdapter,
  query: Omit<Parameters<StorageAdapter['list']>[0], 'cursor'>,
): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const result = await storage.list(cursor === undefined ? query : { ...query, cursor });
    out.push(...result.items);
    if (result.cursor === undefined) return out;
    cursor = result.cursor;
  }
  throw new Error('list cursor did not terminate after 10,000 pages');
}

/**
 * Ids, for compact assertions.
 *
 * @example
 * ```ts
 * import { expect } from 'vitest';
 * declare const a: StoredRecord, b: StoredRecord;
 * const page = await storage.list({ limit: 10 });
 * expect(ids(page.items)).toStrictEqual([a.id, b.id]);
 * ```
 * @throws never
 */
export function ids(records: readonly { id: string }[]): string[] {
  return records.map((r) => r.id);
}
