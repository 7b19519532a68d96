import { gcm } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeywardenError } from '../../src/errors.js';
import { randomBytes, toBase64Url, utf8Decode, utf8Encode } from '../../src/internal/bytes.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { KmsAdapter } from '../../src/ports/kms.js';
import type { SealedValue } from '../../src/ports/storage.js';
import {
  dekContext,
  openValue,
  rewrapSealed,
  sealAssociatedData,
  sealValue,
} from '../../src/records/envelope.js';
import { outcomeCode as code } from '../support/store-context.js';

const kms = localKms({ masterKey: generateMasterKey() });
const ctx = { kms };
const state = { storeId: 'store-1' };
const binding = {
  recordId: 'rec1',
  version: 1,
  kind: 'secret' as const,
  name: 'DB_URL',
  tenantId: 'acme' as string | null,
  environment: 'production',
};

describe('envelope', () => {
  it('round-trips any bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 2048 }), async (bytes) => {
        const sealed = await sealValue(ctx, state, bytes, binding);
        const opened = await openValue(ctx, state, sealed, binding);
        expect(opened).toEqual(bytes);
      }),
      { numRuns: 50 },
    );
  });

  it('writes the documented format', async () => {
    const sealed = await sealValue(ctx, state, utf8Encode('hello'), binding);
    expect(sealed.alg).toBe('A256GCM');
    expect(sealed.f).toBe(2);
    expect(sealed.nonce).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(sealed.ct).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(sealed.ct.length).toBe(Math.ceil(((5 + 16) * 4) / 3));
    expect(sealed.dek).toMatchObject({ kms: 'local', keyId: kms.keyId, alg: 'A256GCM' });
    expect(utf8Decode(sealAssociatedData('s', binding))).toBe(
      '{"e":"production","f":2,"k":"secret","n":"DB_URL","r":"rec1","s":"s","t":"acme","v":1}',
    );
    expect(utf8Decode(sealAssociatedData('s', { ...binding, tenantId: null }, 1))).toBe(
      '{"f":1,"k":"secret","r":"rec1","s":"s","v":1}',
    );
  });

  it('uses a fresh data key and nonce each time', async () => {
    const a = await sealValue(ctx, state, utf8Encode('same'), binding);
    const b = await sealValue(ctx, state, utf8Encode('same'), binding);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.ct).not.toBe(b.ct);
    expect(a.dek.data).not.toBe(b.dek.data);
  });

  it('does not modify the plaintext it seals', async () => {
    const bytes = utf8Encode('keep me');
    await sealValue(ctx, state, bytes, binding);
    expect(utf8Decode(bytes)).toBe('keep me');
  });

  it('fails with ERR_DECRYPT when moved to another record, version, kind or store', async () => {
    const sealed = await sealValue(ctx, state, utf8Encode('v'), binding);
    expect(await code(openValue(ctx, state, sealed, { ...binding, recordId: 'rec2' }))).toBe('ERR_DECRYPT');
    expect(await code(openValue(ctx, state, sealed, { ...binding, version: 2 }))).toBe('ERR_DECRYPT');
    expect(await code(openValue(ctx, state, sealed, { ...binding, kind: 'key' }))).toBe('ERR_DECRYPT');
    expect(await code(openValue(ctx, { storeId: 'store-2' }, sealed, binding))).toBe('ERR_DECRYPT');
  });

  it('fails with ERR_DECRYPT when the name, tenant or environment changed', async () => {
    const sealed = await sealValue(ctx, state, utf8Encode('v'), binding);
    for (const changed of [
      { ...binding, name: 'DB_URL2' },
      { ...binding, name: 'db_url' },
      { ...binding, tenantId: 'other' },
      { ...binding, tenantId: null },
      { ...binding, environment: 'staging' },
    ]) {
      expect(await code(openValue(ctx, state, sealed, changed))).toBe('ERR_DECRYPT');
    }
    const untenanted = { ...binding, tenantId: null };
    const sealedNull = await sealValue(ctx, state, utf8Encode('v'), untenanted);
    expect(await code(openValue(ctx, state, sealedNull, { ...binding, tenantId: 'null' }))).toBe(
      'ERR_DECRYPT',
    );
    expect(utf8Decode(await openValue(ctx, state, sealedNull, untenanted))).toBe('v');
  });

  it('fails with ERR_DECRYPT under another master key, and for an unknown key id', async () => {
    const sealed = await sealValue(ctx, state, utf8Encode('v'), binding);
    const other = { kms: localKms({ masterKey: generateMasterKey() }) };
    expect(await code(openValue(other, state, sealed, binding))).toBe('ERR_DECRYPT');
  });

  it('gives ERR_DECRYPT for every malformed sealed value, never a TypeError', async () => {
    const good = await sealValue(ctx, state, utf8Encode('v'), binding);
    const bad: unknown[] = [
      null,
      undefined,
      'sealed',
      42,
      [],
      {},
      { ...good, alg: 'A128GCM' },
      { ...good, alg: undefined },
      { ...good, nonce: undefined },
      { ...good, nonce: 5 },
      { ...good, nonce: 'AAAA' },
      { ...good, nonce: `${good.nonce}==` },
      { ...good, nonce: good.nonce.replace(/./, '+') },
      { ...good, nonce: '!!!!!!!!!!!!!!!!' },
      { ...good, ct: '' },
      { ...good, ct: 'AAAA' },
      { ...good, ct: null },
      { ...good, ct: 'é'.repeat(30) },
      { ...good, dek: null },
      { ...good, dek: 'x' },
      { ...good, dek: { ...good.dek, data: undefined } },
      { ...good, dek: { ...good.dek, data: '' } },
      { ...good, dek: { ...good.dek, data: 'AAAA' } },
      { ...good, dek: { ...good.dek, kms: 'aws' } },
      { ...good, dek: { ...good.dek, alg: 'A128KW' } },
      { ...good, dek: { ...good.dek, keyId: 'ffffffffffffffff' } },
      { ...good, dek: { ...good.dek, keyId: 7 } },
    ];
    for (const value of bad) expect(await code(openValue(ctx, state, value, binding))).toBe('ERR_DECRYPT');
  });

  it('maps an untyped KMS failure to ERR_KMS on seal and open', async () => {
    const broken: KmsAdapter = {
      id: 'broken',
      wrapKey: async () => {
        throw new Error('network down');
      },
      unwrapKey: async () => {
        throw new Error('network down');
      },
    };
    expect(await code(sealValue({ kms: broken }, state, utf8Encode('v'), binding))).toBe('ERR_KMS');
    const sealed = await sealValue(ctx, state, utf8Encode('v'), binding);
    expect(await code(openValue({ kms: broken }, state, sealed, binding))).toBe('ERR_KMS');
  });

  it('passes typed KMS errors through, and maps ERR_VALIDATION from the KMS to ERR_DECRYPT', async () => {
    const closed: KmsAdapter = {
      id: 'local',
      wrapKey: async () => {
        throw new KeywardenError('ERR_CLOSED', 'closed');
      },
      unwrapKey: async () => {
        throw new KeywardenError('ERR_VALIDATION', 'bad wrapped', { field: 'wrapped' });
      },
    };
    expect(await code(sealValue({ kms: closed }, state, utf8Encode('v'), binding))).toBe('ERR_CLOSED');
    const sealed = await sealValue(ctx, state, utf8Encode('v'), binding);
    expect(await code(openValue({ kms: closed }, state, sealed, binding))).toBe('ERR_DECRYPT');
  });

  it('rejects a malformed wrapped key returned by a KMS', async () => {
    const liar: KmsAdapter = {
      id: 'liar',
      wrapKey: async () => ({ kms: 'liar' }) as never,
      unwrapKey: async () => new Uint8Array(32),
    };
    expect(await code(sealValue({ kms: liar }, state, utf8Encode('v'), binding))).toBe('ERR_KMS');
  });

  it('refuses a bad binding', async () => {
    for (const b of [
      { ...binding, recordId: '' },
      { ...binding, version: 0 },
      { ...binding, version: 1.5 },
      { ...binding, kind: 'other' },
      { ...binding, name: undefined },
      { ...binding, tenantId: undefined },
      { ...binding, tenantId: 7 },
      { ...binding, environment: null },
    ]) {
      expect(await code(sealValue(ctx, state, utf8Encode('v'), b as never))).toBe('ERR_INVALID_STATE');
    }
  });

  it('zeroes the data key it gave the KMS', async () => {
    let seen: Uint8Array | null = null;
    const spy: KmsAdapter = {
      id: 'local',
      wrapKey: async (dek, c) => {
        seen = dek;
        return kms.wrapKey(dek, c);
      },
      unwrapKey: (w, c) => kms.unwrapKey(w, c),
    };
    await sealValue({ kms: spy }, state, utf8Encode('v'), binding);
    expect(seen).not.toBeNull();
    expect(Array.from(seen as unknown as Uint8Array).every((b) => b === 0)).toBe(true);
  });

  it('rewraps without touching nonce or ciphertext', async () => {
    const a = generateMasterKey();
    const b = generateMasterKey();
    const oldKms = localKms({ masterKey: a });
    const sealed = await sealValue({ kms: oldKms }, state, utf8Encode('payload'), binding);
    const ring = localKms({ masterKey: b, previousKeys: [a] });
    expect(ring.needsRewrap(sealed.dek)).toBe(true);
    const rewrapped: SealedValue = await rewrapSealed({ kms: ring }, state, sealed, binding);
    expect(rewrapped.f).toBe(2);
    expect(rewrapped.nonce).toBe(sealed.nonce);
    expect(rewrapped.ct).toBe(sealed.ct);
    expect(ring.needsRewrap(rewrapped.dek)).toBe(false);
    const onlyB = localKms({ masterKey: b });
    expect(utf8Decode(await openValue({ kms: onlyB }, state, rewrapped, binding))).toBe('payload');
    expect(await code(openValue({ kms: onlyB }, state, sealed, binding))).toBe('ERR_DECRYPT');
  });
});

describe('envelope associated data', () => {
  it('equals the canonical JSON of the binding for any ids', async () => {
    const { canonicalJson } = await import('../../src/internal/canonical-json.js');
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ minLength: 1 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.string(),
        fc.option(fc.string()),
        fc.string(),
        (s, r, v, n, t, e) => {
          const b = { recordId: r, version: v, kind: 'key' as const, name: n, tenantId: t, environment: e };
          const expected = canonicalJson({ f: 2, s, r, v, k: 'key', n, t, e });
          expect(utf8Decode(sealAssociatedData(s, b))).toBe(expected);
          expect(utf8Decode(sealAssociatedData(s, b, 1))).toBe(canonicalJson({ f: 1, s, r, v, k: 'key' }));
        },
      ),
    );
  });
});

describe('envelope with passphraseKms', () => {
  it('a tampered key id gives ERR_DECRYPT, a correct value opens', async () => {
    const { passphraseKms } = await import('../../src/kms/index.js');
    const { memoryStorage } = await import('../../src/adapters/memory.js');
    const pk = passphraseKms({ passphrase: 'correct horse battery', scrypt: { N: 2 ** 14 } });
    await pk.init(memoryStorage());
    const sealed = await sealValue({ kms: pk }, state, utf8Encode('pp'), binding);
    expect(utf8Decode(await openValue({ kms: pk }, state, sealed, binding))).toBe('pp');
    const bad = { ...sealed, dek: { ...sealed.dek, keyId: `${sealed.dek.keyId}x` } };
    expect(await code(openValue({ kms: pk }, state, bad, binding))).toBe('ERR_DECRYPT');
  });
});

describe('envelope binding from a corrupt record', () => {
  it('opening with a malformed binding is ERR_DECRYPT', async () => {
    const sealed = await sealValue(ctx, state, utf8Encode('v'), binding);
    for (const b of [
      { ...binding, version: 1.5 },
      { ...binding, recordId: '' },
      { ...binding, kind: 'x' },
      { ...binding, name: null },
      { ...binding, environment: 3 },
    ]) {
      expect(await code(openValue(ctx, state, sealed, b as never))).toBe('ERR_DECRYPT');
    }
  });
});

describe('envelope format 1 (keywarden 0.1)', () => {
  /** Seals as 0.1 did: the format-1 associated data (no labels), no `f` field. */
  async function sealFormat1(bytes: Uint8Array, storeId: string): Promise<SealedValue> {
    const dek = randomBytes(32);
    const nonce = randomBytes(12);
    const ct = gcm(dek, nonce, sealAssociatedData(storeId, binding, 1)).encrypt(bytes);
    const wrapped = await kms.wrapKey(dek, dekContext(storeId, binding));
    dek.fill(0);
    return { alg: 'A256GCM', nonce: toBase64Url(nonce), ct: toBase64Url(ct), dek: wrapped };
  }
  const legacyOk = { ...state, acceptsLegacySeals: async () => true };
  const legacyNo = { ...state, acceptsLegacySeals: async () => false };

  it('opens only where the state accepts it, and then does not bind the labels', async () => {
    const old = await sealFormat1(utf8Encode('old'), state.storeId);
    expect(utf8Decode(await openValue(ctx, legacyOk, old, binding))).toBe('old');
    // what 0.1 could not detect: another name opens it too (the record MAC covers that since 0.2)
    expect(utf8Decode(await openValue(ctx, legacyOk, old, { ...binding, name: 'X' }))).toBe('old');
    expect(await code(openValue(ctx, legacyNo, old, binding))).toBe('ERR_DECRYPT');
    expect(await code(openValue(ctx, state, old, binding))).toBe('ERR_DECRYPT'); // no answer: never
  });

  it('a format-2 value cannot be downgraded (or a format-1 value upgraded) by editing the tag', async () => {
    const sealed = await sealValue(ctx, state, utf8Encode('new'), binding);
    const { f: _f, ...untagged } = sealed;
    // even where format 1 is accepted, the format-2 ciphertext does not open under the 0.1 data
    expect(await code(openValue(ctx, legacyOk, untagged, binding))).toBe('ERR_DECRYPT');
    expect(await code(openValue(ctx, legacyOk, untagged, { ...binding, name: 'X' }))).toBe('ERR_DECRYPT');
    const old = await sealFormat1(utf8Encode('old'), state.storeId);
    expect(await code(openValue(ctx, legacyOk, { ...old, f: 2 }, binding))).toBe('ERR_DECRYPT');
    for (const f of [1, 3, '2', null, 0]) {
      expect(await code(openValue(ctx, legacyOk, { ...sealed, f }, binding))).toBe('ERR_DECRYPT');
    }
  });

  it('rewrap keeps a format-1 value in format 1 (opening it still needs the upgrade)', async () => {
    const old = await sealFormat1(utf8Encode('old'), state.storeId);
    const rewrapped = await rewrapSealed(ctx, state, old, binding);
    expect('f' in rewrapped).toBe(false);
    expect(utf8Decode(await openValue(ctx, legacyOk, rewrapped, binding))).toBe('old');
  });
});
