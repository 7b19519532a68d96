/**
 * A frozen object that still changes: its one enumerable member `a` is a getter answering
 * `value(n)` on its n-th read. For the tests of what may be remembered about a frozen object
 * (only frozen objects with data properties: src/internal/canonical-json.ts `frozenData`).
 *
 * @example
 * ```ts
 * const tricky = frozenGetter((n) => n); // tricky.a is 1, then 2, ...
 * ```
 * @throws never
 */
export function frozenGetter(value: (reads: number) => unknown): object {
  let n = 0;
  return Object.freeze(
    Object.defineProperty({}, 'a', {
      enumerable: true,
      get: () => {
        n += 1;
        return value(n);
      },
    }),
  );
}
