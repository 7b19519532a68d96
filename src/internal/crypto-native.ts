/**
 * The native crypto backend: the runtime's `crypto` module (Node ≥ 20.16, Bun, Deno), reached with
 * `process.getBuiltinModule('crypto')` at run time so the portable core never imports `node:*`.
 * Where that function or the module is missing (Workers, browsers) {@link nativeCrypto} is null
 * and the noble backend is used. Buffers the module returns are handed out as plain Uint8Array views.
 * @internal
 * @module
 */
import type { BackendHash, CryptoBackend, KeyedMac } from './crypto-backend-types.js';

interface NativeHash {
  update(data: Uint8Array | string): NativeHash;
  digest(): Uint8Array;
  digest(encoding: 'base64url' | 'hex'): string;
}
interface NativeCipher {
  setAAD(aad: Uint8Array): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
  getAuthTag(): Uint8Array;
  setAuthTag(tag: Uint8Array): unknown;
}

/** The slice of the runtime's crypto module keywarden uses (typed here: the core has no @types/node). */
export interface NativeCrypto {
  createHash(algorithm: string): NativeHash;
  createHmac(algorithm: string, key: Uint8Array | NativeKeyObject): NativeHash;
  createSecretKey(key: Uint8Array): NativeKeyObject;
  createCipheriv(algorithm: string, key: Uint8Array, iv: Uint8Array, options: object): NativeCipher;
  createDecipheriv(algorithm: string, key: Uint8Array, iv: Uint8Array, options: object): NativeCipher;
  randomFillSync(buffer: Uint8Array): Uint8Array;
  createPrivateKey(options: { key: object; format: 'jwk' }): NativeKeyObject;
  createPublicKey(options: { key: object; format: 'jwk' }): NativeKeyObject;
  sign(algorithm: string | null, data: Uint8Array, key: object): Uint8Array;
  verify(algorithm: string | null, data: Uint8Array, key: object, signature: Uint8Array): boolean;
  constants: { RSA_PKCS1_PADDING: number; RSA_PKCS1_PSS_PADDING: number };
}

/** An opaque key object of the runtime (held in its own memory; it cannot be zeroed from JS). */
export interface NativeKeyObject {
  readonly type: string;
}

const NATIVE_NAMES = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' } as const;

const view = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

let probed = false;
let cached: NativeCrypto | null = null;

/**
 * The runtime's crypto module, or null when this runtime has none reachable without a static
 * import (or it lacks a function keywarden needs). Looked up once.
 *
 * @example
 * ```ts
 * const c = nativeCrypto();
 * if (c) c.createHash('sha256');
 * ```
 * @throws never
 */
export function nativeCrypto(): NativeCrypto | null {
  if (probed) return cached;
  probed = true;
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const mod = proc?.getBuiltinModule?.('crypto') as Partial<NativeCrypto> | undefined;
    const needed = [
      'createHash',
      'createHmac',
      'createSecretKey',
      'createCipheriv',
      'createDecipheriv',
      'randomFillSync',
      'createPrivateKey',
      'createPublicKey',
      'sign',
      'verify',
    ] as const;
    if (mod && needed.every((f) => typeof mod[f] === 'function') && typeof mod.constants === 'object') {
      cached = mod as NativeCrypto;
    }
  } catch {
    cached = null;
  }
  return cached;
}

function keyedSha256(c: NativeCrypto, key: Uint8Array, closed: () => Error): KeyedMac {
  // a secret key object: the runtime holds the bytes (freed when dropped; not zeroable from JS),
  // and createHmac takes it without copying the key on every call
  let secret: NativeKeyObject | null = c.createSecretKey(key); // copied by the runtime
  return {
    mac(data) {
      if (secret === null) throw closed();
      return view(c.createHmac('sha256', secret).update(data).digest());
    },
    macText(text, encoding) {
      if (secret === null) throw closed();
      return c.createHmac('sha256', secret).update(text).digest(encoding);
    },
    destroy() {
      secret = null;
    },
  };
}

const GCM = { authTagLength: 16 } as const;

/**
 * The backend over a native crypto module.
 *
 * @example
 * ```ts
 * const c = nativeCrypto();
 * const backend = c ? nativeBackend(c) : nobleBackend;
 * ```
 * @throws never itself; its AES-GCM decrypt throws a plain Error on failed authentication.
 */
export function nativeBackend(c: NativeCrypto): CryptoBackend {
  return Object.freeze({
    name: 'native' as const,
    randomBytes: (length: number) => c.randomFillSync(new Uint8Array(length)),
    sha256: (data: Uint8Array) => view(c.createHash('sha256').update(data).digest()),
    hmac: (hash: BackendHash, key: Uint8Array, data: Uint8Array) =>
      view(c.createHmac(NATIVE_NAMES[hash], key).update(data).digest()),
    keyedSha256: (key: Uint8Array, closed: () => Error) => keyedSha256(c, key, closed),
    aesGcmEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array) {
      if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
      if (nonce.length !== 12) throw new Error('AES-256-GCM needs a 12-byte nonce');
      const cipher = c.createCipheriv('aes-256-gcm', key, nonce, GCM);
      cipher.setAAD(aad);
      const body = cipher.update(plaintext);
      cipher.final();
      const out = new Uint8Array(body.length + 16);
      out.set(body, 0);
      out.set(cipher.getAuthTag(), body.length);
      return out;
    },
    aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array) {
      if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
      if (nonce.length !== 12) throw new Error('AES-256-GCM needs a 12-byte nonce');
      if (sealed.length < 16) throw new Error('AES-256-GCM ciphertext is shorter than its tag');
      const cut = sealed.length - 16;
      const decipher = c.createDecipheriv('aes-256-gcm', key, nonce, GCM);
      decipher.setAuthTag(sealed.subarray(cut));
      decipher.setAAD(aad);
      const plain = view(decipher.update(sealed.subarray(0, cut)));
      try {
        decipher.final(); // throws when the tag does not authenticate
      } catch {
        plain.fill(0);
        throw new Error('AES-256-GCM authentication failed');
      }
      return plain;
    },
  });
}
