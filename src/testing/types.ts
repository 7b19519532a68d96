/**
 * The slice of a test runner the contract suites need. Pass vitest's, jest's, or node:test-based
 * equivalents: the suites never import a runner themselves.
 * @module
 */

/** A matcher object as returned by `expect(value)`; only the matchers the suites use. */
export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toStrictEqual(expected: unknown): void;
  toBeNull(): void;
  toBeUndefined(): void;
  toBeDefined(): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toBeGreaterThan(n: number): void;
  toBeGreaterThanOrEqual(n: number): void;
  toBeLessThan(n: number): void;
  toBeLessThanOrEqual(n: number): void;
  toContain(item: unknown): void;
  toHaveLength(n: number): void;
  toMatch(pattern: RegExp | string): void;
  toMatchObject(expected: object): void;
  toThrow(expected?: unknown): void;
  not: Matchers;
  rejects: AsyncMatchers;
  resolves: AsyncMatchers;
}

/** `expect(promise).rejects` / `.resolves`. */
export interface AsyncMatchers {
  toThrow(expected?: unknown): Promise<void>;
  toMatchObject(expected: object): Promise<void>;
  toEqual(expected: unknown): Promise<void>;
  toBe(expected: unknown): Promise<void>;
}

/**
 * The runner functions injected into every contract suite.
 *
 * @example
 * ```ts
 * import { describe, it, expect } from 'vitest';
 * import { memoryStorage as myStorage } from 'keywarden/adapters/memory'; // your adapter here
 * testStorageAdapter({ name: 'mine', create: async () => myStorage(), describe, it, expect });
 * ```
 */
export interface TestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => Promise<void> | void, timeout?: number): void;
  // biome-ignore lint/suspicious/noExplicitAny: runners type `expect` very differently; the suites use only `Matchers`.
  expect: (value: unknown) => any;
}
