/**
 * The contract suite must have teeth: run it against deliberately broken adapters and check the
 * right tests fail (and, against a correct adapter, that every test passes).
 */
import { describe, expect, it } from 'vitest';
import { KeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { KmsAdapter, WrappedKey } from '../../src/ports/kms.js';
import { testKmsAdapter } from '../../src/testing/kms-contract.js';

/** Runs the suite with a collecting runner; returns the titles of failed tests. */
async function failures(create: () => KmsAdapter): Promise<{ failed: string[]; total: number }> {
  const tests: [string, () => Promise<void> | void][] = [];
  testKmsAdapter({
    name: 'probe',
    create,
    samples: 4,
    describe: (_name, fn) => fn(),
    it: (title, fn) => {
      tests.push([title, fn]);
    },
    expect,
  });
  const failed: string[] = [];
  for (const [title, fn] of tests) {
    try {
      await fn();
    } catch {
      failed.push(title);
    }
  }
  return { failed, total: tests.length };
}

/** A correct adapter with one behaviour overridden. */
function broken(override: Partial<KmsAdapter>): () => KmsAdapter {
  return () => {
    const inner = localKms({ masterKey: generateMasterKey() });
    return {
      id: inner.id,
      wrapKey: (dek, ctx) => inner.wrapKey(dek, ctx),
      unwrapKey: (w, ctx) => inner.unwrapKey(w, ctx),
      needsRewrap: (w) => inner.needsRewrap(w),
      close: () => inner.close(),
      ...override,
    };
  };
}

describe('testKmsAdapter itself', () => {
  it('passes every test for a correct adapter', async () => {
    const { failed, total } = await failures(() => localKms({ masterKey: generateMasterKey() }));
    expect(total).toBeGreaterThanOrEqual(14);
    expect(failed).toEqual([]);
  });

  it('catches an adapter that ignores the context', async () => {
    const make = broken({});
    const { failed } = await failures(() => {
      const kms = make();
      return { ...kms, wrapKey: (d, _c) => kms.wrapKey(d, {}), unwrapKey: (w, _c) => kms.unwrapKey(w, {}) };
    });
    expect(failed.some((t) => t.startsWith('binds the context'))).toBe(true);
  });

  it('catches an adapter that mutates the input data key', async () => {
    const make = broken({});
    const { failed } = await failures(() => {
      const kms = make();
      return {
        ...kms,
        wrapKey: async (dek, ctx) => {
          const w = await kms.wrapKey(dek, ctx);
          dek.fill(7);
          return w;
        },
      };
    });
    expect(failed.some((t) => t.startsWith('returns a fresh Uint8Array'))).toBe(true);
  });

  it('catches an adapter that hands out the same buffer twice', async () => {
    const make = broken({});
    const { failed } = await failures(() => {
      const kms = make();
      const cache = new Map<string, Uint8Array>();
      return {
        ...kms,
        unwrapKey: async (w, ctx) => {
          const hit = cache.get(w.data) ?? (await kms.unwrapKey(w, ctx));
          cache.set(w.data, hit);
          return hit;
        },
      };
    });
    expect(failed).toContain('returns a fresh Uint8Array equal to the input and never mutates the input');
  });

  it('catches raw TypeErrors on malformed input and a missing dek check', async () => {
    const make = broken({});
    const { failed } = await failures(() => {
      const kms = make();
      return {
        ...kms,
        unwrapKey: async (w: WrappedKey, ctx) => {
          if (w.data.length === 0) throw new TypeError('boom');
          return kms.unwrapKey(w, ctx);
        },
        wrapKey: async (dek, ctx) =>
          kms.wrapKey(
            Uint8Array.from({ length: 32 }, (_, i) => dek[i] ?? 1),
            ctx,
          ),
      };
    });
    expect(failed.some((t) => t.startsWith('rejects a malformed WrappedKey'))).toBe(true);
    expect(failed.some((t) => t.startsWith('rejects bad data keys'))).toBe(true);
  });

  it('catches a deterministic wrap and an id that differs from wrapped.kms', async () => {
    const make = broken({});
    const { failed } = await failures(() => {
      const kms = make();
      let last: WrappedKey | null = null;
      return {
        ...kms,
        id: 'other',
        wrapKey: async (dek, ctx) => {
          last = last ?? (await kms.wrapKey(dek, ctx));
          return last;
        },
      };
    });
    expect(failed.some((t) => t.startsWith('has a non-empty string id'))).toBe(true);
    expect(failed.some((t) => t.startsWith('wraps the same data key differently'))).toBe(true);
  });

  it('catches an adapter that keeps working after close or throws synchronously', async () => {
    const { failed } = await failures(
      broken({
        close: async () => {},
        unwrapKey: (() => {
          throw new KeywardenError('ERR_DECRYPT', 'sync');
        }) as KmsAdapter['unwrapKey'],
      }),
    );
    expect(failed.some((t) => t.startsWith('close (when implemented)'))).toBe(true);
    expect(failed.some((t) => t.startsWith('binds the context'))).toBe(true);
  });
});
