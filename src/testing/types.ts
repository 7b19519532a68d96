/**
 * The slice of a test runner the contract suites need. Pass vitest's, jest's, or node:test-based
 * equivalents: the suites never import a runner themselves.
 * @module
 */

/** A matcher object as returned by `expect(value)`; only the matchers the suites use. */
export interface Matchers {
  /** Fails unless the value is `expected` (`Object.is`). */
  toBe(expected: unknown): void;
  /** Fails unless the value deeply equals `expected`. */
  toEqual(expected: unknown): void;
  /** Fails unless the value deeply equals `expected`, `undefined` properties and classes included. */
  toStrictEqual(expected: unknown): void;
  /** Fails unless the value is `null`. */
  toBeNull(): void;
  /** Fails unless the value is `undefined`. */
  toBeUndefined(): void;
  /** Fails when the value is `undefined`. */
  toBeDefined(): void;
  /** Fails unless the value is truthy. */
  toBeTruthy(): void;
  /** Fails unless the value is falsy. */
  toBeFalsy(): void;
  /** Fails unless the value is `> n`. */
  toBeGreaterThan(n: number): void;
  /** Fails unless the value is `>= n`. */
  toBeGreaterThanOrEqual(n: number): void;
  /** Fails unless the value is `< n`. */
  toBeLessThan(n: number): void;
  /** Fails unless the value is `<= n`. */
  toBeLessThanOrEqual(n: number): void;
  /** Fails unless the array or string contains `item`. */
  toContain(item: unknown): void;
  /** Fails unless `value.length === n`. */
  toHaveLength(n: number): void;
  /** Fails unless the string matches `pattern` (a string: contains it). */
  toMatch(pattern: RegExp | string): void;
  /** Fails unless the value has every property of `expected` (deeply, extra properties allowed). */
  toMatchObject(expected: object): void;
  /** Fails unless the function throws (matching `expected` when given). */
  toThrow(expected?: unknown): void;
  /** The same matchers, negated. */
  not: Matchers;
  /** Matchers applied to the reason a promise rejects with (fails if it resolves). */
  rejects: AsyncMatchers;
  /** Matchers applied to the value a promise resolves to (fails if it rejects). */
  resolves: AsyncMatchers;
}

/** `expect(promise).rejects` / `.resolves`. */
export interface AsyncMatchers {
  /** Rejects unless the settled value is an error matching `expected` (when given). */
  toThrow(expected?: unknown): Promise<void>;
  /** Rejects unless the settled value has every property of `expected`. */
  toMatchObject(expected: object): Promise<void>;
  /** Rejects unless the settled value deeply equals `expected`. */
  toEqual(expected: unknown): Promise<void>;
  /** Rejects unless the settled value is `expected` (`Object.is`). */
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
  /** The runner's `describe`: groups the suite's tests under `name`. */
  describe(name: string, fn: () => void): void;
  /** The runner's `it`/`test`: one test, with an optional timeout in milliseconds. */
  it(name: string, fn: () => Promise<void> | void, timeout?: number): void;
  /** The runner's `expect`; the suites call only the {@link Matchers} on what it returns. */
  // biome-ignore lint/suspicious/noExplicitAny: runners type `expect` very differently; the suites use only `Matchers`.
  expect: (value: unknown) => any;
}
