/**
 * The native keyed HMAC-SHA256 (src/internal/crypto-native.ts) is built from two one-shot
 * `crypto.hash` calls over padded key blocks instead of `createHmac`. Token hashes, record MACs and
 * audit digests all go through it: a single wrong byte would make every stored hash unmatchable
 * (or, worse, make the MAC ignore part of its input). Checked against `node:crypto`'s `createHmac`
 * (an independent implementation) for the key lengths around the 64-byte block (0, 1, 63, 64, 65,
 * 200) and message lengths around the SHA-256 padding boundaries and the 2 KB scratch buffer, in
 * both shapes (with `crypto.hash`, and the `createHmac` fallback of runtimes without it). Also:
 * inputs that differ in one byte give different MACs (nothing of the message is dropped), the
 * caller's key buffer can be zeroed right after, and a destroyed MAC refuses.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nativeBackend, nativeCrypto } from '../../src/internal/crypto-native.js';

const c = nativeCrypto();
if (c === null) throw new Error('this test needs the native crypto module');
const { hash: _oneShot, ...withoutOneShot } = c;
const shapes = [
  ['crypto.hash pads', nativeBackend(c)],
  ['createHmac fallback', nativeBackend(withoutOneShot)],
] as const;

const KEY_LENGTHS = [0, 1, 63, 64, 65, 200];
const MESSAGE_LENGTHS = [0, 1, 55, 56, 63, 64, 65, 119, 120, 2047, 2048, 2049, 4097, 70_000];

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 131 + seed * 17 + 7) & 0xff;
  return out;
}
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('native keyed HMAC-SHA256 equals createHmac', () => {
  it('native crypto here has crypto.hash (so the pads path is the one tested)', () => {
    expect(typeof c.hash).toBe('function');
  });

  for (const [name, backend] of shapes) {
    it(`${name}: every key length x every message length, bytes and text`, () => {
      for (const keyLength of KEY_LENGTHS) {
        if (keyLength === 0 && name === 'createHmac fallback') continue; // createSecretKey needs bytes
        const key = bytes(keyLength, keyLength);
        const keyed = backend.keyedSha256(key, () => new Error('closed'));
        const oracleKey = Buffer.from(key);
        key.fill(0); // the caller zeroes its copy at once
        for (const n of MESSAGE_LENGTHS) {
          const m = bytes(n, n);
          const want = createHmac('sha256', oracleKey).update(m).digest();
          expect(hex(keyed.mac(m)), `key ${keyLength}, message ${n}`).toBe(want.toString('hex'));
          // the same call again (the scratch buffer was reused and zeroed in between)
          expect(hex(keyed.mac(m))).toBe(want.toString('hex'));
          const text = `kw_${'é'.repeat(n % 700)}${'x'.repeat(n)}`;
          const wantText = createHmac('sha256', oracleKey).update(text, 'utf8');
          expect(keyed.macText?.(text, 'base64url') ?? '').toBe(wantText.digest('base64url'));
        }
        keyed.destroy();
        expect(() => keyed.mac(new Uint8Array(1))).toThrow('closed');
        expect(() => keyed.macText?.('x', 'hex')).toThrow('closed');
      }
    });

    it(`${name}: one changed byte anywhere in the message changes the MAC`, () => {
      const keyed = backend.keyedSha256(bytes(32, 1), () => new Error('closed'));
      for (const n of [1, 64, 2048, 2049, 5000]) {
        const m = bytes(n, 3);
        const base = hex(keyed.mac(m));
        for (const at of [0, Math.floor(n / 2), n - 1]) {
          const changed = m.slice();
          changed[at] = (changed[at] as number) ^ 1;
          expect(hex(keyed.mac(changed)), `length ${n}, byte ${at}`).not.toBe(base);
        }
        // a longer message with the same prefix too (the length is part of what is hashed)
        const longer = new Uint8Array(n + 1);
        longer.set(m);
        expect(hex(keyed.mac(longer))).not.toBe(base);
      }
      keyed.destroy();
    });
  }

  it('a long text after a short one, and a short after a long one, give the right MACs (no stale scratch bytes)', () => {
    const key = bytes(32, 2);
    const keyed = nativeBackend(c).keyedSha256(key, () => new Error('closed'));
    const sequence = ['a'.repeat(2040), 'b', 'é'.repeat(1100), 'c', '', 'd'.repeat(2049), 'e'];
    for (const text of sequence) {
      expect(keyed.macText?.(text, 'hex')).toBe(
        createHmac('sha256', Buffer.from(key)).update(text).digest('hex'),
      );
    }
    keyed.destroy();
  });
});

describe('a runtime whose one-shot hash misbehaves', () => {
  // checked once per crypto module against createHmac: a `hash` that answers a string, other bytes
  // or throws is not used (the createHmac path is), instead of a wrong MAC or a raw RangeError
  const native = c as NonNullable<typeof c>;
  const broken = {
    'answers a hex string': ((_a: string, data: Uint8Array) => Buffer.from(data).toString('hex')) as never,
    'answers other bytes': ((a: string, data: Uint8Array, enc: string) => {
      const out = native.hash?.(a as 'sha256', data, enc as 'buffer') as Uint8Array;
      if (enc === 'buffer') out[0] = (out[0] as number) ^ 1;
      return out;
    }) as never,
    throws: (() => {
      throw new RangeError('unsupported');
    }) as never,
  };
  for (const [name, hash] of Object.entries(broken)) {
    it(`${name}: keyed MACs still equal createHmac`, () => {
      const backend = nativeBackend({ ...native, hash });
      const key = bytes(40, 3);
      const keyed = backend.keyedSha256(key, () => new Error('closed'));
      const m = bytes(100, 9);
      expect(hex(keyed.mac(m))).toBe(createHmac('sha256', Buffer.from(key)).update(m).digest('hex'));
      keyed.destroy();
    });
  }
});
