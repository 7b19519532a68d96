/**
 * The contract every {@link KmsAdapter} must meet. Run it against your own adapter (a cloud KMS, an
 * HSM) with your test runner's `describe`/`it`/`expect`; the suite never imports a runner.
 * @module
 */
import { isKeywardenError, type KeywardenErrorCode } from '../errors.js';
import { randomBytes, toBase64Url, toHex } from '../internal/bytes.js';
import type { KmsAdapter, KmsContext, WrappedKey } from '../ports/kms.js';
import type { MetaStore } from '../ports/storage.js';
import { memoryMetaStore } from './memory-meta.js';
import type { TestApi } from './types.js';

/** Options of {@link testKmsAdapter}. */
export interface KmsContractOptions extends TestApi {
  /** Shown in the suite title, e.g. `'local'`, `'aws-kms'`. */
  name: string;
  /**
   * Returns a new adapter for each test. If it has `init`, the suite calls it with `meta()` (default:
   * a fresh in-memory MetaStore per test); it calls `close` (if any) after each test.
   */
  create: () => KmsAdapter | Promise<KmsAdapter>;
  /** The MetaStore given to `init`. Default: `memoryMetaStore()`, fresh per test. */
  meta?: () => MetaStore | Promise<MetaStore>;
  /** Random data keys in the round-trip test. Default 64. */
  samples?: number;
  /** Per-test timeout in ms, passed to `it`. Default: the runner's. */
  timeoutMs?: number;
}

/** Codes an adapter may use to reject a tampered or malformed WrappedKey. */
const TAMPER_CODES: readonly KeywardenErrorCode[] = ['ERR_DECRYPT', 'ERR_KMS', 'ERR_VALIDATION'];
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const CONTEXT: KmsContext = Object.freeze({
  store: 'st_contract',
  record: 'rec_0001',
  version: '1',
  type: 'secret',
});

function newDek(): Uint8Array {
  const dek = randomBytes(32);
  dek[0] = (dek[0] as number) | 1; // never all zeros
  return dek;
}

/** Runs `run` and returns what it rejected with; fails if it resolved or threw synchronously. */
async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  let promise: Promise<unknown>;
  try {
    promise = run();
  } catch (error) {
    throw new Error(`expected a rejected promise, but the call threw synchronously: ${String(error)}`);
  }
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject, but it resolved');
}

function flipChar(text: string, index: number): string {
  const c = text[index] as string;
  const i = B64URL.indexOf(c);
  const next = B64URL[(i < 0 ? 0 : i + 1) % 64] as string;
  return text.slice(0, index) + next + text.slice(index + 1);
}

/**
 * Declares the KMS adapter contract suite.
 *
 * @example
 * ```ts
 * import { describe, it, expect } from 'vitest';
 * import { testKmsAdapter } from 'keywarden/testing';
 * declare const awsKms: (options: { keyId: string }) => KmsAdapter; // your adapter
 * testKmsAdapter({ name: 'aws-kms', create: () => awsKms({ keyId: process.env.KMS_KEY! }), describe, it, expect });
 * ```
 * @throws never itself; failed expectations are reported by the runner.
 */
export function testKmsAdapter(options: KmsContractOptions): void {
  const { describe, it, expect, name } = options;
  const samples = options.samples ?? 64;

  const test = (title: string, fn: (kms: KmsAdapter) => Promise<void>): void => {
    const body = async (): Promise<void> => {
      const kms = await options.create();
      try {
        if (kms.init) await kms.init(options.meta ? await options.meta() : memoryMetaStore());
        await fn(kms);
      } finally {
        await kms.close?.();
      }
    };
    if (options.timeoutMs === undefined) it(title, body);
    else it(title, body, options.timeoutMs);
  };

  const expectError = (error: unknown, codes: readonly KeywardenErrorCode[]): void => {
    expect(error instanceof TypeError && !isKeywardenError(error)).toBe(false);
    expect(isKeywardenError(error)).toBe(true);
    expect(codes).toContain((error as { code: string }).code);
  };

  const expectTamperRejected = async (kms: KmsAdapter, wrapped: unknown): Promise<void> => {
    expectError(await rejection(() => kms.unwrapKey(wrapped as WrappedKey, CONTEXT)), TAMPER_CODES);
  };

  describe(`KmsAdapter contract: ${name}`, () => {
    test('has a non-empty string id, written as wrapped.kms', async (kms) => {
      expect(typeof kms.id).toBe('string');
      expect(kms.id.length).toBeGreaterThan(0);
      const wrapped = await kms.wrapKey(newDek(), CONTEXT);
      expect(wrapped.kms).toBe(kms.id);
    });

    test('round-trips many random data keys', async (kms) => {
      const deks = Array.from({ length: samples }, newDek);
      deks.push(
        new Uint8Array(32).fill(0xff),
        Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 1 : 0)),
      );
      for (const dek of deks) {
        const context = { ...CONTEXT, record: toHex(randomBytes(6)) };
        const wrapped = await kms.wrapKey(dek, context);
        expect(await kms.unwrapKey(wrapped, context)).toEqual(dek);
      }
    });

    test('returns a fresh Uint8Array equal to the input and never mutates the input', async (kms) => {
      const dek = newDek();
      const copy = Uint8Array.from(dek);
      const wrapped = await kms.wrapKey(dek, CONTEXT);
      expect(dek).toEqual(copy);
      const a = await kms.unwrapKey(wrapped, CONTEXT);
      expect(a instanceof Uint8Array).toBe(true);
      expect(a.length).toBe(32);
      expect(a === dek).toBe(false);
      expect(a.buffer === dek.buffer).toBe(false);
      expect(a).toEqual(copy);
      a.fill(0);
      expect(dek).toEqual(copy);
      expect(await kms.unwrapKey(wrapped, CONTEXT)).toEqual(copy);
    });

    test('returns a WrappedKey that is plain JSON and survives a JSON round trip', async (kms) => {
      const dek = newDek();
      const wrapped = await kms.wrapKey(dek, CONTEXT);
      for (const field of ['kms', 'keyId', 'alg', 'data'] as const) {
        expect(typeof wrapped[field]).toBe('string');
        expect(wrapped[field].length).toBeGreaterThan(0);
      }
      const parsed = JSON.parse(JSON.stringify(wrapped)) as WrappedKey;
      expect(parsed).toStrictEqual({ ...wrapped });
      expect(await kms.unwrapKey(parsed, JSON.parse(JSON.stringify(CONTEXT)))).toEqual(dek);
      const text = JSON.stringify(wrapped);
      expect(text.includes(toHex(dek))).toBe(false);
      expect(text.includes(toBase64Url(dek))).toBe(false);
    });

    test('wraps the same data key differently each time', async (kms) => {
      const dek = newDek();
      const a = await kms.wrapKey(dek, CONTEXT);
      const b = await kms.wrapKey(dek, CONTEXT);
      expect(a.data === b.data).toBe(false);
      expect(await kms.unwrapKey(b, CONTEXT)).toEqual(dek);
    });

    test('binds the context: a changed, extended, reduced or empty context fails with ERR_DECRYPT', async (kms) => {
      const dek = newDek();
      const wrapped = await kms.wrapKey(dek, CONTEXT);
      const { type: _dropped, ...reduced } = CONTEXT;
      const others: KmsContext[] = [
        { ...CONTEXT, record: 'rec_0002' },
        { ...CONTEXT, version: '2' },
        { ...CONTEXT, extra: '' },
        reduced,
        {},
      ];
      for (const context of others) {
        expectError(await rejection(() => kms.unwrapKey(wrapped, context)), ['ERR_DECRYPT']);
      }
      const reordered = Object.fromEntries(Object.entries(CONTEXT).reverse());
      expect(await kms.unwrapKey(wrapped, reordered)).toEqual(dek);
    });

    test('rejects a tampered data field with a KeywardenError', async (kms) => {
      const wrapped = await kms.wrapKey(newDek(), CONTEXT);
      const { data } = wrapped;
      const positions = new Set([0, 1, Math.floor(data.length / 2), data.length - 2, data.length - 1]);
      for (const i of positions) await expectTamperRejected(kms, { ...wrapped, data: flipChar(data, i) });
      for (const bad of ['', data.slice(0, -4), `${data}AAAA`, data.slice(4), `${data.slice(0, -1)}!`, ' ']) {
        await expectTamperRejected(kms, { ...wrapped, data: bad });
      }
    });

    test('rejects a changed keyId, alg or kms with a KeywardenError', async (kms) => {
      const wrapped = await kms.wrapKey(newDek(), CONTEXT);
      const variants: Partial<WrappedKey>[] = [
        { keyId: flipChar(wrapped.keyId, 0) },
        { keyId: '' },
        { keyId: `${wrapped.keyId}0` },
        { alg: 'A128GCM' },
        { alg: '' },
        {
          alg:
            wrapped.alg.toLowerCase() === wrapped.alg ? wrapped.alg.toUpperCase() : wrapped.alg.toLowerCase(),
        },
        { kms: `${wrapped.kms}-other` },
        { kms: '' },
      ];
      for (const change of variants) await expectTamperRejected(kms, { ...wrapped, ...change });
    });

    test('rejects a malformed WrappedKey with a KeywardenError, never a TypeError', async (kms) => {
      const wrapped = await kms.wrapKey(newDek(), CONTEXT);
      const { data: _d, ...noData } = wrapped;
      const malformed: unknown[] = [
        null,
        undefined,
        'wrapped',
        42,
        [],
        {},
        noData,
        { ...wrapped, data: 123 },
        { ...wrapped, keyId: null },
        { ...wrapped, alg: undefined },
        { ...wrapped, kms: {} },
      ];
      for (const bad of malformed) await expectTamperRejected(kms, bad);
    });

    test('rejects bad data keys with ERR_VALIDATION naming dek', async (kms) => {
      const secretish = randomBytes(33);
      const bad: unknown[] = [
        new Uint8Array(0),
        new Uint8Array(16).fill(1),
        new Uint8Array(31).fill(1),
        secretish,
        new Uint8Array(64).fill(1),
        new Uint16Array(16).fill(1),
        new Uint8Array(32).fill(1).buffer,
        Array.from({ length: 32 }, () => 1),
        'a'.repeat(32),
        null,
        undefined,
        42,
        {},
      ];
      for (const dek of bad) {
        const error = await rejection(() => kms.wrapKey(dek as Uint8Array, CONTEXT));
        expectError(error, ['ERR_VALIDATION']);
        expect((error as { field?: string }).field).toBe('dek');
        const shown = `${String(error)} ${JSON.stringify(error)}`;
        expect(shown.includes(toHex(secretish))).toBe(false);
        expect(shown.includes(toBase64Url(secretish))).toBe(false);
      }
    });

    test('rejects a context that is not an object of strings with ERR_VALIDATION', async (kms) => {
      const dek = newDek();
      const wrapped = await kms.wrapKey(dek, CONTEXT);
      const bad: unknown[] = [null, undefined, 'context', 7, ['a'], { record: 1 }, { record: null }];
      for (const context of bad) {
        expectError(await rejection(() => kms.wrapKey(dek, context as KmsContext)), ['ERR_VALIDATION']);
        expectError(await rejection(() => kms.unwrapKey(wrapped, context as KmsContext)), ['ERR_VALIDATION']);
      }
    });

    test('handles many concurrent wraps and unwraps', async (kms) => {
      const deks = Array.from({ length: 32 }, newDek);
      const wrapped = await Promise.all(
        deks.map((dek, i) => kms.wrapKey(dek, { ...CONTEXT, record: `r${i}` })),
      );
      const back = await Promise.all(
        wrapped.map((w, i) => kms.unwrapKey(w, { ...CONTEXT, record: `r${i}` })),
      );
      back.forEach((dek, i) => {
        expect(dek).toEqual(deks[i]);
      });
    });

    test('needsRewrap (when implemented) is false for a key it just wrapped', async (kms) => {
      const wrapped = await kms.wrapKey(newDek(), CONTEXT);
      if (kms.needsRewrap) expect(kms.needsRewrap(wrapped)).toBe(false);
      else expect(kms.needsRewrap).toBeUndefined();
    });

    test('close (when implemented) is idempotent and later calls reject with a KeywardenError', async (kms) => {
      const wrapped = await kms.wrapKey(newDek(), CONTEXT);
      if (!kms.close) return expect(kms.close).toBeUndefined();
      await kms.close();
      await kms.close();
      expectError(await rejection(() => kms.wrapKey(newDek(), CONTEXT)), ['ERR_CLOSED', 'ERR_KMS']);
      expectError(await rejection(() => kms.unwrapKey(wrapped, CONTEXT)), ['ERR_CLOSED', 'ERR_KMS']);
    });
  });
}
