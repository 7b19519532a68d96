/**
 * The two targets of `#noble-primitives` (package.json "imports"): the static one bundled for
 * browsers and Workers, and the one Node, Bun and Deno resolve (noble `require`d on first use).
 * Both hand out working noble functions, and a backend built from either gives the same bytes as
 * the native backend (the `node` target is also what every other test here runs on: vitest.config.ts).
 */
import { describe, expect, it } from 'vitest';
import { loadNoblePrimitives as nodePrimitives } from '../../lib/noble-primitives-node.js';
import type { NoblePrimitives } from '../../src/internal/crypto-backend-types.js';
import { nativeBackend, nativeCrypto } from '../../src/internal/crypto-native.js';
import { nobleBackendOf } from '../../src/internal/crypto-noble.js';
import { loadNoblePrimitives as staticPrimitives } from '../../src/internal/noble-primitives.js';

const c = nativeCrypto();
if (c === null) throw new Error('this test needs a runtime with process.getBuiltinModule("crypto")');
const native = nativeBackend(c);
const bytes = (n: number, seed = 1): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe.each([
  ['static (browsers, Workers)', staticPrimitives],
  ['node (Node, Bun, Deno: loaded on first use)', nodePrimitives],
] as const)('#noble-primitives, %s target', (_, load) => {
  it('hands out every function, the same object on every call', () => {
    const p = load() as NoblePrimitives;
    expect(p).not.toBeNull();
    for (const name of ['gcm', 'hmac', 'sha256', 'sha384', 'sha512', 'randomBytes'] as const) {
      expect(typeof p[name], name).toBe('function');
    }
    expect(load()).toBe(p);
  });

  it('makes a backend with the native bytes (hash, HMAC, AES-256-GCM both ways)', () => {
    const noble = nobleBackendOf(load() as NoblePrimitives);
    expect(noble.name).toBe('noble');
    for (const n of [0, 1, 64, 1000]) {
      expect(noble.sha256(bytes(n))).toEqual(native.sha256(bytes(n)));
      expect(noble.hmac('SHA-512', bytes(32, 7), bytes(n))).toEqual(
        native.hmac('SHA-512', bytes(32, 7), bytes(n)),
      );
      const key = bytes(32, 3);
      const nonce = bytes(12, 5);
      const sealed = noble.aesGcmEncrypt(key, nonce, bytes(n), bytes(9));
      expect(sealed).toEqual(native.aesGcmEncrypt(key, nonce, bytes(n), bytes(9)));
      expect(native.aesGcmDecrypt(key, nonce, sealed, bytes(9))).toEqual(bytes(n));
    }
    expect(noble.randomBytes(16)).toHaveLength(16);
  });
});
