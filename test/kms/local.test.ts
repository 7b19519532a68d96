import { inspect } from 'node:util';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeywardenError, KeywardenError } from '../../src/errors.js';
import { fromHex, toBase64Url, toHex, utf8Encode } from '../../src/internal/bytes.js';
import { generateMasterKey, type LocalKmsOptions, localKms } from '../../src/kms/index.js';
import type { WrappedKey } from '../../src/ports/kms.js';
import { codeOf, validationField } from './helpers.js';

const CTX = { store: 's1', record: 'r1' };
const dek = (): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => i + 1);

function forms(bytes: Uint8Array): string[] {
  const b64url = toBase64Url(bytes);
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
  return [b64url, `${b64url}=`, b64, `${b64}=`, toHex(bytes), toHex(bytes).toUpperCase(), `  ${b64url}\n`];
}

describe('localKms master key encodings', () => {
  it('gives the same keyId for every accepted encoding of the same key', () => {
    const bytes = generateMasterKey({ encoding: 'bytes' });
    const ids = new Set([...forms(bytes), bytes].map((masterKey) => localKms({ masterKey }).keyId));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f]{16}$/);
  });

  it('unwraps across encodings of the same key (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (bytes) => {
        fc.pre(bytes.some((b) => b !== 0));
        const [a, b] = [localKms({ masterKey: toHex(bytes) }), localKms({ masterKey: toBase64Url(bytes) })];
        expect(await b.unwrapKey(await a.wrapKey(dek(), CTX), CTX)).toEqual(dek());
      }),
      { numRuns: 25 },
    );
  });

  it('gives different keyIds for different keys', () => {
    const ids = new Set(Array.from({ length: 50 }, () => localKms({ masterKey: generateMasterKey() }).keyId));
    expect(ids.size).toBe(50);
  });

  it('copies the caller buffer: zeroing it afterwards changes nothing', async () => {
    const bytes = generateMasterKey({ encoding: 'bytes' });
    const kms = localKms({ masterKey: bytes });
    const twin = localKms({ masterKey: Uint8Array.from(bytes) });
    bytes.fill(0);
    expect(await twin.unwrapKey(await kms.wrapKey(dek(), CTX), CTX)).toEqual(dek());
  });

  it('keyId is HMAC-SHA256(key, "keywarden/kms/key-id") truncated, never the key', async () => {
    const { hmac } = await import('@noble/hashes/hmac.js');
    const bytes = fromHex('11'.repeat(32));
    const expected = toHex(hmac(sha256, bytes, utf8Encode('keywarden/kms/key-id')).subarray(0, 8));
    expect(localKms({ masterKey: bytes }).keyId).toBe(expected);
  });
});

describe('localKms bad inputs', () => {
  const good = generateMasterKey();
  const badKeys: [string, unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['empty', ''],
    ['whitespace', '   '],
    ['number', 42],
    ['array', Array.from({ length: 32 }, () => 1)],
    ['ArrayBuffer', new Uint8Array(32).fill(1).buffer],
    ['Uint16Array', new Uint16Array(16).fill(1)],
    ['31 bytes', new Uint8Array(31).fill(1)],
    ['33 bytes', new Uint8Array(33).fill(1)],
    ['all zero bytes', new Uint8Array(32)],
    ['all zero hex', '0'.repeat(64)],
    ['hex 62', 'ab'.repeat(31)],
    ['hex 66', 'ab'.repeat(33)],
    ['hex bad char', `${'ab'.repeat(31)}ag`],
    ['base64 42', good.slice(0, 42)],
    ['base64 44 no pad', `${good}A`],
    ['base64 two pads', `${good}==`],
    ['base64 inner space', `${good.slice(0, 20)} ${good.slice(21)}`],
    ['base64 bad char', `${good.slice(0, 42)}*`],
    ['mixed alphabets', `-+${good.slice(2)}`],
    ['non canonical', `${good.slice(0, 42)}B`],
    ['48-byte base64', toBase64Url(new Uint8Array(48).fill(7))],
    ['object', { key: good }],
  ];
  for (const [label, masterKey] of badKeys) {
    it(`rejects masterKey: ${label}`, () => {
      expect(validationField(() => localKms({ masterKey } as LocalKmsOptions))).toBe('masterKey');
    });
  }

  it('never echoes the key in the error', () => {
    for (const key of [
      `${good.slice(0, 42)}*`,
      `${good}==`,
      `${toHex(new Uint8Array(32).fill(9)).slice(1)}Z`,
    ]) {
      let caught: unknown;
      try {
        localKms({ masterKey: key });
      } catch (error) {
        caught = error;
      }
      expect(isKeywardenError(caught, 'ERR_VALIDATION')).toBe(true);
      const shown = `${String(caught)} ${JSON.stringify(caught)} ${inspect(caught)}`;
      expect(shown.includes(key.slice(0, 16))).toBe(false);
      expect(shown.includes(key.slice(-16))).toBe(false);
    }
  });

  it('names previousKeys.N for a bad or duplicate previous key', () => {
    const other = generateMasterKey();
    expect(validationField(() => localKms({ masterKey: good, previousKeys: [other, 'nope'] }))).toBe(
      'previousKeys.1',
    );
    expect(validationField(() => localKms({ masterKey: good, previousKeys: [good] }))).toBe('previousKeys.0');
    const dupHex = toHex(new Uint8Array(Buffer.from(other, 'base64url')));
    expect(validationField(() => localKms({ masterKey: good, previousKeys: [other, dupHex] }))).toBe(
      'previousKeys.1',
    );
  });

  it('rejects bad options shapes', () => {
    expect(validationField(() => localKms(undefined as unknown as LocalKmsOptions))).toBe('options');
    expect(validationField(() => localKms('key' as unknown as LocalKmsOptions))).toBe('options');
    expect(validationField(() => localKms({ masterKey: good, previousKeys: good as never }))).toBe(
      'previousKeys',
    );
    expect(
      validationField(() =>
        localKms({ masterKey: good, previousKeys: Array.from({ length: 33 }, generateMasterKey) }),
      ),
    ).toBe('previousKeys');
    expect(validationField(() => localKms({ masterKey: good, masterkey: good } as LocalKmsOptions))).toBe(
      'options.masterkey',
    );
  });

  it('rejects an all-zero data key (a zeroized buffer) with ERR_VALIDATION', async () => {
    expect(await codeOf(localKms({ masterKey: good }).wrapKey(new Uint8Array(32), CTX))).toBe(
      'ERR_VALIDATION',
    );
  });
});

describe('localKms keyring rotation', () => {
  const A = generateMasterKey();
  const B = generateMasterKey({ encoding: 'hex' });

  it('unwraps keys of a previous master key, flags them for rewrap, wraps with the current one', async () => {
    const a = localKms({ masterKey: A });
    const wrappedA = await a.wrapKey(dek(), CTX);
    expect(a.needsRewrap(wrappedA)).toBe(false);

    const ab = localKms({ masterKey: B, previousKeys: [A] });
    expect(ab.previousKeyIds).toEqual([a.keyId]);
    expect(await ab.unwrapKey(wrappedA, CTX)).toEqual(dek());
    expect(ab.needsRewrap(wrappedA)).toBe(true);

    const wrappedB = await ab.wrapKey(dek(), CTX);
    expect(wrappedB.keyId).toBe(ab.keyId);
    expect(wrappedB.keyId).not.toBe(wrappedA.keyId);
    expect(ab.needsRewrap(wrappedB)).toBe(false);

    const onlyB = localKms({ masterKey: B });
    expect(await onlyB.unwrapKey(wrappedB, CTX)).toEqual(dek());
    expect(await codeOf(onlyB.unwrapKey(wrappedA, CTX))).toBe('ERR_KMS');
    expect(await codeOf(a.unwrapKey(wrappedB, CTX))).toBe('ERR_KMS');
  });

  it('a keyId pointing at another key of the ring fails authentication', async () => {
    const ab = localKms({ masterKey: B, previousKeys: [A] });
    const wrapped = await ab.wrapKey(dek(), CTX);
    const moved: WrappedKey = { ...wrapped, keyId: ab.previousKeyIds[0] as string };
    expect(await codeOf(ab.unwrapKey(moved, CTX))).toBe('ERR_DECRYPT');
  });

  it('needsRewrap is true for another kms or alg, and validates its input', () => {
    const kms = localKms({ masterKey: A });
    const w = { kms: 'local', keyId: kms.keyId, alg: 'A256GCM', data: 'x' };
    expect(kms.needsRewrap(w)).toBe(false);
    expect(kms.needsRewrap({ ...w, kms: 'passphrase' })).toBe(true);
    expect(kms.needsRewrap({ ...w, alg: 'A128GCM' })).toBe(true);
    expect(validationField(() => kms.needsRewrap(null as unknown as WrappedKey))).toBe('wrapped');
    expect(validationField(() => kms.needsRewrap({ ...w, keyId: 1 } as unknown as WrappedKey))).toBe(
      'wrapped.keyId',
    );
  });
});

describe('localKms format', () => {
  it('is AES-256-GCM under HKDF(master), nonce || ct || tag, AAD = canonical JSON of the header and context', async () => {
    const { gcm } = await import('@noble/ciphers/aes.js');
    const master = fromHex('42'.repeat(32));
    const kms = localKms({ masterKey: master });
    const wrapped = await kms.wrapKey(dek(), { record: 'r1', store: 's1' });
    expect(wrapped.kms).toBe('local');
    expect(wrapped.alg).toBe('A256GCM');
    expect(wrapped.data).toMatch(/^[A-Za-z0-9_-]{80}$/);
    const raw = new Uint8Array(Buffer.from(wrapped.data, 'base64url'));
    const kek = hkdf(sha256, master, undefined, utf8Encode('keywarden/kms/wrap/v1'), 32);
    const aad = utf8Encode(
      `{"alg":"A256GCM","context":{"record":"r1","store":"s1"},"keyId":"${kms.keyId}","kms":"local"}`,
    );
    expect(gcm(kek, raw.subarray(0, 12), aad).decrypt(raw.subarray(12))).toEqual(dek());
  });

  it('context keys cannot be confused with header fields', async () => {
    const kms = localKms({ masterKey: generateMasterKey() });
    const wrapped = await kms.wrapKey(dek(), { kms: 'local', alg: 'A256GCM' });
    expect(await codeOf(kms.unwrapKey(wrapped, {}))).toBe('ERR_DECRYPT');
    expect(await kms.unwrapKey(wrapped, { alg: 'A256GCM', kms: 'local' })).toEqual(dek());
  });

  it('a null-prototype context works like a plain one; a Map or class instance is rejected', async () => {
    const kms = localKms({ masterKey: generateMasterKey() });
    const ctx = Object.assign(Object.create(null) as Record<string, string>, CTX);
    expect(await kms.unwrapKey(await kms.wrapKey(dek(), ctx), CTX)).toEqual(dek());
    expect(await codeOf(kms.wrapKey(dek(), new Map() as never))).toBe('ERR_VALIDATION');
    expect(await codeOf(kms.wrapKey(dek(), new (class {})() as never))).toBe('ERR_VALIDATION');
  });
});

describe('localKms leaks and close', () => {
  it('never reveals key material through JSON.stringify or util.inspect', async () => {
    const bytes = generateMasterKey({ encoding: 'bytes' });
    const prev = generateMasterKey({ encoding: 'bytes' });
    const kms = localKms({ masterKey: toBase64Url(bytes), previousKeys: [toHex(prev)] });
    await kms.wrapKey(dek(), CTX);
    const shown = [
      JSON.stringify(kms),
      inspect(kms, { showHidden: true, depth: 10, getters: true }),
      inspect(Object.getOwnPropertyDescriptors(kms), { showHidden: true, depth: 10 }),
      String(kms),
    ].join('\n');
    for (const secret of [bytes, prev]) {
      const kek = hkdf(sha256, secret, undefined, utf8Encode('keywarden/kms/wrap/v1'), 32);
      for (const k of [secret, kek]) {
        for (const text of [...forms(k), Buffer.from(k).toString('base64')]) {
          expect(shown.includes(text.trim().replace(/=+$/, ''))).toBe(false);
        }
      }
    }
    // no byte array is reachable at all, in any form util.inspect could print
    expect(shown).not.toContain('Uint8Array');
    expect(shown).not.toContain('ArrayBuffer');
    expect(Object.keys(kms).sort()).toEqual(
      ['close', 'id', 'keyId', 'needsRewrap', 'previousKeyIds', 'unwrapKey', 'wrapKey'].sort(),
    );
    expect(Object.isFrozen(kms)).toBe(true);
  });

  it('close() makes later calls reject with ERR_CLOSED and is idempotent', async () => {
    const kms = localKms({ masterKey: generateMasterKey() });
    const wrapped = await kms.wrapKey(dek(), CTX);
    await kms.close();
    await kms.close();
    expect(await codeOf(kms.wrapKey(dek(), CTX))).toBe('ERR_CLOSED');
    expect(await codeOf(kms.unwrapKey(wrapped, CTX))).toBe('ERR_CLOSED');
    expect(() => kms.needsRewrap(wrapped)).toThrow(KeywardenError);
  });
});
