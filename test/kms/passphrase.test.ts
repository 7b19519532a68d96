import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isKeywardenError } from '../../src/errors.js';
import { toBase64Url, toHex, utf8Encode } from '../../src/internal/bytes.js';
import { PASSPHRASE_META_KEY, type PassphraseKmsOptions, passphraseKms } from '../../src/kms/index.js';
import type { MetaStore } from '../../src/ports/storage.js';
import { memoryMetaStore } from '../../src/testing/memory-meta.js';
import { codeOf, validationField } from './helpers.js';

const FAST = { N: 2 ** 14 } as const;
const PASS = 'correct horse battery staple';
const CTX = { store: 's1', record: 'r1' };
const dek = (): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

async function opened(meta: MetaStore, options: Partial<PassphraseKmsOptions> = {}) {
  const kms = passphraseKms({ passphrase: PASS, scrypt: FAST, ...options });
  await kms.init(meta);
  return kms;
}

describe('passphraseKms', () => {
  it('a wrong passphrase fails to unwrap with ERR_DECRYPT', async () => {
    const meta = memoryMetaStore();
    const wrapped = await (await opened(meta)).wrapKey(dek(), CTX);
    const wrong = await opened(meta, { passphrase: 'correct horse battery stapler' });
    expect(await codeOf(wrong.unwrapKey(wrapped, CTX))).toBe('ERR_DECRYPT');
    expect((await opened(meta)).needsRewrap(wrapped)).toBe(false);
    expect(await (await opened(meta)).unwrapKey(wrapped, CTX)).toEqual(dek());
  });

  it('normalizes the passphrase to NFC', async () => {
    const meta = memoryMetaStore();
    const composed = 'caf\u00e9 au lait!';
    const decomposed = 'cafe\u0301 au lait!';
    const wrapped = await (await opened(meta, { passphrase: composed })).wrapKey(dek(), CTX);
    expect(await (await opened(meta, { passphrase: decomposed })).unwrapKey(wrapped, CTX)).toEqual(dek());
  });

  it('persists salt and parameters in meta; stored parameters win over options', async () => {
    const meta = memoryMetaStore();
    const first = await opened(meta, { scrypt: { N: 2 ** 14, r: 8, p: 1 } });
    const raw = meta.entries()[PASSPHRASE_META_KEY] as string;
    const stored = JSON.parse(raw);
    expect(stored).toMatchObject({ v: 1, alg: 'scrypt', N: 2 ** 14, r: 8, p: 1 });
    expect(stored.salt).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(raw.includes(PASS)).toBe(false);
    const wrapped = await first.wrapKey(dek(), CTX);

    const second = await opened(meta, { scrypt: { N: 2 ** 16, r: 4, p: 2 } });
    expect(await second.unwrapKey(wrapped, CTX)).toEqual(dek());
    expect(meta.entries()[PASSPHRASE_META_KEY]).toBe(raw);
    expect(meta.writes).toBe(1);
  });

  it('stores differ: the same passphrase on another store has another salt and keyId', async () => {
    const [a, b] = [await opened(memoryMetaStore()), await opened(memoryMetaStore())];
    const wrapped = await a.wrapKey(dek(), CTX);
    expect((await b.wrapKey(dek(), CTX)).keyId).not.toBe(wrapped.keyId);
    expect(await codeOf(b.unwrapKey(wrapped, CTX))).toBe('ERR_KMS');
  });

  it('concurrent init of two instances on one meta store ends with one salt both can use', async () => {
    const meta = memoryMetaStore();
    let conflicts = 0;
    const racing: MetaStore = {
      getMeta: (key) => meta.getMeta(key),
      async setMeta(key, value, options) {
        try {
          await meta.setMeta(key, value, options);
        } catch (error) {
          if (isKeywardenError(error, 'ERR_CONFLICT')) conflicts++;
          throw error;
        }
      },
    };
    const a = passphraseKms({ passphrase: PASS, scrypt: FAST });
    const b = passphraseKms({ passphrase: PASS, scrypt: FAST });
    await Promise.all([a.init(racing), b.init(racing)]);
    expect(meta.writes).toBe(1);
    expect(conflicts).toBe(1);
    expect(await b.unwrapKey(await a.wrapKey(dek(), CTX), CTX)).toEqual(dek());
    expect(await a.unwrapKey(await b.wrapKey(dek(), CTX), CTX)).toEqual(dek());
  });

  it('init is idempotent, shared while in flight, and refuses a second store', async () => {
    const meta = memoryMetaStore();
    const kms = passphraseKms({ passphrase: PASS, scrypt: FAST });
    const inits = [kms.init(meta), kms.init(meta)];
    const wrapping = kms.wrapKey(dek(), CTX); // waits for the init in flight
    await Promise.all(inits);
    await kms.init(meta);
    expect(await kms.unwrapKey(await wrapping, CTX)).toEqual(dek());
    expect(await codeOf(kms.init(memoryMetaStore()))).toBe('ERR_KMS');
  });

  it('wrap, unwrap and needsRewrap before init fail with ERR_KMS', async () => {
    const kms = passphraseKms({ passphrase: PASS, scrypt: FAST });
    const w = { kms: 'passphrase', keyId: 'x', alg: 'A256GCM', data: 'x' };
    for (const p of [kms.wrapKey(dek(), CTX), kms.unwrapKey(w, CTX)]) {
      try {
        await p;
        throw new Error('expected a rejection');
      } catch (error) {
        expect(isKeywardenError(error, 'ERR_KMS')).toBe(true);
        expect((error as Error).message).toBe('passphraseKms: init() was not called');
      }
    }
    expect(() => kms.needsRewrap(w)).toThrow('init() was not called');
  });

  it('rejects corrupt stored parameters with ERR_KMS and stays retryable', async () => {
    const salt = toBase64Url(new Uint8Array(16).fill(3));
    const base = { v: 1, alg: 'scrypt', N: 2 ** 14, r: 8, p: 1, salt };
    const corrupt = [
      'not json',
      '[]',
      JSON.stringify({ ...base, v: 2 }),
      JSON.stringify({ ...base, alg: 'argon2id' }),
      JSON.stringify({ ...base, N: 2 ** 10 }),
      JSON.stringify({ ...base, N: 3 * 2 ** 14 }),
      JSON.stringify({ ...base, N: 2 ** 20, r: 16 }),
      JSON.stringify({ ...base, salt: 'short' }),
      JSON.stringify({ ...base, salt: '!!!!!!!!!!!!!!!!!!!!!!' }),
      JSON.stringify({ ...base, extra: true }),
    ];
    for (const raw of corrupt) {
      const kms = passphraseKms({ passphrase: PASS, scrypt: FAST });
      expect(await codeOf(kms.init(memoryMetaStore({ [PASSPHRASE_META_KEY]: raw })))).toBe('ERR_KMS');
      await kms.init(memoryMetaStore({ [PASSPHRASE_META_KEY]: JSON.stringify(base) }));
      expect(await kms.unwrapKey(await kms.wrapKey(dek(), CTX), CTX)).toEqual(dek());
    }
  });

  it('reports a failing meta store as ERR_STORAGE, then init can be retried', async () => {
    const meta = memoryMetaStore();
    let fail = true;
    const flaky: MetaStore = {
      getMeta: async (key) => {
        if (fail) throw new Error('connection reset');
        return meta.getMeta(key);
      },
      setMeta: (key, value, options) => meta.setMeta(key, value, options),
    };
    const kms = passphraseKms({ passphrase: PASS, scrypt: FAST });
    expect(await codeOf(kms.init(flaky))).toBe('ERR_STORAGE');
    fail = false;
    await kms.init(flaky);
    expect(await kms.unwrapKey(await kms.wrapKey(dek(), CTX), CTX)).toEqual(dek());
  });

  it('rejects bad options naming the field', () => {
    const cases: [unknown, string][] = [
      [undefined, 'options'],
      [{ passphrase: 42 }, 'passphrase'],
      [{}, 'passphrase'],
      [{ passphrase: 'short' }, 'passphrase'],
      [{ passphrase: 'x'.repeat(1025) }, 'passphrase'],
      [{ passphrase: PASS, scrypt: { N: 2 ** 13 } }, 'scrypt.N'],
      [{ passphrase: PASS, scrypt: { N: 2 ** 21 } }, 'scrypt.N'],
      [{ passphrase: PASS, scrypt: { N: 20000 } }, 'scrypt.N'],
      [{ passphrase: PASS, scrypt: { N: '16384' } }, 'scrypt.N'],
      [{ passphrase: PASS, scrypt: { r: 0 } }, 'scrypt.r'],
      [{ passphrase: PASS, scrypt: { p: 1.5 } }, 'scrypt.p'],
      [{ passphrase: PASS, scrypt: { n: 2 ** 14 } }, 'scrypt'],
      [{ passphrase: PASS, scrypt: 'fast' }, 'scrypt'],
      [{ passphrase: PASS, scrypt: { N: 2 ** 20, r: 9 } }, 'scrypt'],
      [{ passphrase: PASS, salt: 'x' }, 'options.salt'],
    ];
    for (const [options, field] of cases) {
      expect(validationField(() => passphraseKms(options as PassphraseKmsOptions))).toBe(field);
    }
    expect(passphraseKms({ passphrase: 'x'.repeat(1024) }).id).toBe('passphrase');
  });

  it('rejects a meta that is not a MetaStore with ERR_VALIDATION', async () => {
    const kms = passphraseKms({ passphrase: PASS, scrypt: FAST });
    expect(await codeOf(kms.init(null as unknown as MetaStore))).toBe('ERR_VALIDATION');
    expect(await codeOf(kms.init({ getMeta: () => null } as unknown as MetaStore))).toBe('ERR_VALIDATION');
  });

  it('never reveals the passphrase or the derived key, and close() rejects later calls', async () => {
    const meta = memoryMetaStore();
    const kms = await opened(meta);
    const wrapped = await kms.wrapKey(dek(), CTX);
    const shown = [JSON.stringify(kms), inspect(kms, { showHidden: true, depth: 10, getters: true })].join(
      '\n',
    );
    expect(shown.includes(PASS)).toBe(false);
    expect(shown.includes(toHex(utf8Encode(PASS)))).toBe(false);
    expect(shown).not.toContain('Uint8Array');
    await kms.close();
    await kms.close();
    expect(await codeOf(kms.wrapKey(dek(), CTX))).toBe('ERR_CLOSED');
    expect(await codeOf(kms.unwrapKey(wrapped, CTX))).toBe('ERR_CLOSED');
    expect(await codeOf(kms.init(meta))).toBe('ERR_CLOSED');
  });

  it('close() during init leaves it closed', async () => {
    const kms = passphraseKms({ passphrase: PASS, scrypt: FAST });
    const init = kms.init(memoryMetaStore());
    await kms.close();
    expect(await codeOf(init)).toBe('ERR_CLOSED');
    expect(await codeOf(kms.wrapKey(dek(), CTX))).toBe('ERR_CLOSED');
  });
});
