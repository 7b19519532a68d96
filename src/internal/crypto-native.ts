/**
 * The native crypto backend: the runtime's `crypto` module (Node ≥ 20.16, Bun, Deno), reached with
 * `process.getBuiltinModule('crypto')` at run time so the portable core never imports `node:*`.
 * Where that function or the module is missing (Workers, browsers) {@link nativeCrypto} is null
 * and the noble backend is used. Buffers the module returns are handed out as plain Uint8Array views.
 * @internal
 * @module
 */
import type { BackendHash, CryptoBackend, KeyedMac } from './crypto-backend-types.js';

/** `crypto.hash(algorithm, data, outputEncoding)`: a one-shot digest (Node ≥ 20.12, 21.7). */
type NativeOneShotHash = {
  (algorithm: 'sha256', data: Uint8Array, outputEncoding: 'buffer'): Uint8Array;
  (algorithm: 'sha256', data: Uint8Array | string, outputEncoding: 'base64url' | 'hex' | 'latin1'): string;
};

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
  /** Absent on runtimes without the one-shot digest (then keyed MACs use `createHmac`). */
  hash?: NativeOneShotHash;
  /** scrypt (RFC 7914) off the main thread; absent on runtimes without it (then noble's is used). */
  scrypt?(
    password: Uint8Array,
    salt: Uint8Array,
    keylen: number,
    options: { N: number; r: number; p: number; maxmem: number },
    callback: (error: Error | null, key: Uint8Array) => void,
  ): void;
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

/** Per crypto module: whether its one-shot `hash` gives createHmac's bytes (checked once). */
const oneShotChecked = new WeakMap<NativeCrypto, boolean>();

/**
 * True when `c.hash` exists and the padded-block HMAC built on it answers exactly what
 * `createHmac` does, for a short key, a block-long key and a long (hashed) key over a text and a
 * binary message: checked once per module, so a runtime whose `hash` answers another type or other
 * bytes falls back to `createHmac` instead of computing a wrong MAC or throwing a raw error.
 */
function oneShotHashWorks(c: NativeCrypto): boolean {
  const known = oneShotChecked.get(c);
  if (known !== undefined) return known;
  let ok = false;
  try {
    const hash = c.hash;
    if (typeof hash === 'function') {
      const fail = () => new Error('closed');
      const data = new Uint8Array(300).map((_, i) => (i * 7) & 0xff);
      ok = [1, 64, 65, 200].every((n) => {
        const key = new Uint8Array(n).map((_, i) => (i * 13 + n) & 0xff);
        const mac = keyedSha256Pads(hash, key, fail);
        try {
          const expected = view(c.createHmac('sha256', key).update(data).digest());
          const got = mac.mac(data);
          const text = mac.macText?.('keywarden ✓ self-check', 'hex');
          return (
            got instanceof Uint8Array &&
            got.length === 32 &&
            got.every((b, i) => b === expected[i]) &&
            text === c.createHmac('sha256', key).update('keywarden ✓ self-check').digest('hex')
          );
        } finally {
          mac.destroy();
        }
      });
    }
  } catch {
    ok = false;
  }
  oneShotChecked.set(c, ok);
  return ok;
}

function keyedSha256(c: NativeCrypto, key: Uint8Array, closed: () => Error): KeyedMac {
  const hash = c.hash;
  if (typeof hash === 'function' && oneShotHashWorks(c)) return keyedSha256Pads(hash, key, closed);
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
    macHex(data) {
      if (secret === null) throw closed();
      return c.createHmac('sha256', secret).update(data).digest('hex');
    },
    destroy() {
      secret = null;
    },
  };
}

/** Message bytes kept in the reusable buffer of a keyed MAC; longer ones get a buffer per call. */
const SCRATCH_BYTES = 2048;
const BLOCK = 64;

/**
 * HMAC-SHA256 as RFC 2104 defines it, `SHA256((K ^ opad) || SHA256((K ^ ipad) || m))`, with two
 * one-shot `crypto.hash` calls over the padded key blocks computed once. Same bytes as
 * `createHmac`, without creating an Hmac object and setting its key up on every call (~25% less
 * CPU per token hash). The padded keys live in JavaScript buffers, so `destroy()` zeroes them; the
 * message bytes copied into the scratch buffer are zeroed after every call. The inner digest comes
 * back as a one-byte string (a 'buffer' answer allocates an ArrayBuffer per call, a third of the
 * MAC's CPU): a string cannot be zeroed, but it is a hash under the key like the MAC itself (which
 * every caller gets back), of no use without the key.
 */
function keyedSha256Pads(hash: NativeOneShotHash, key: Uint8Array, closed: () => Error): KeyedMac {
  const long = key.length > BLOCK ? hash('sha256', key, 'buffer') : null; // RFC 2104: K = H(K)
  const k = long ?? key;
  // inner: (K ^ ipad) then the message; outer: (K ^ opad) then the inner digest
  let inner: Uint8Array | null = new Uint8Array(BLOCK + SCRATCH_BYTES);
  let outer: Uint8Array | null = new Uint8Array(BLOCK + 32);
  for (let i = 0; i < BLOCK; i++) {
    const b = i < k.length ? (k[i] as number) : 0;
    inner[i] = b ^ 0x36;
    outer[i] = b ^ 0x5c;
  }
  long?.fill(0);
  const encoder = new TextEncoder();
  const message = inner.subarray(BLOCK); // where the scratch buffer holds the message
  /**
   * The MAC of the `n` message bytes after the inner pad of `input`. Zeroes those bytes and the
   * inner digest; a one-off `input` (not the scratch buffer) is zeroed whole, its pad included.
   */
  function finish(input: Uint8Array, n: number, encoding: 'buffer'): Uint8Array;
  function finish(input: Uint8Array, n: number, encoding: 'base64url' | 'hex'): string;
  function finish(
    input: Uint8Array,
    n: number,
    encoding: 'buffer' | 'base64url' | 'hex',
  ): Uint8Array | string {
    const out = outer as Uint8Array;
    let digest: string;
    try {
      digest = hash('sha256', input.subarray(0, BLOCK + n), 'latin1');
    } finally {
      input.fill(0, input === inner ? BLOCK : 0, BLOCK + n);
    }
    for (let i = 0; i < 32; i++) out[BLOCK + i] = digest.charCodeAt(i);
    try {
      return encoding === 'buffer' ? view(hash('sha256', out, 'buffer')) : hash('sha256', out, encoding);
    } finally {
      out.fill(0, BLOCK);
    }
  }
  /** A one-off buffer holding the inner pad and room for `n` message bytes. */
  const oneOff = (n: number): Uint8Array => {
    const big = new Uint8Array(BLOCK + n);
    big.set((inner as Uint8Array).subarray(0, BLOCK));
    return big;
  };
  return {
    mac(data) {
      if (inner === null) throw closed();
      const input = data.length <= SCRATCH_BYTES ? inner : oneOff(data.length);
      input.set(data, BLOCK);
      return finish(input, data.length, 'buffer');
    },
    macHex(data) {
      if (inner === null) throw closed();
      const input = data.length <= SCRATCH_BYTES ? inner : oneOff(data.length);
      input.set(data, BLOCK);
      return finish(input, data.length, 'hex');
    },
    macText(text, encoding) {
      if (inner === null) throw closed();
      let input = inner;
      let { read, written } = encoder.encodeInto(text, message);
      if (read < text.length) {
        // longer than the scratch buffer: UTF-8 is at most 3 bytes per UTF-16 unit
        input.fill(0, BLOCK, BLOCK + written);
        input = oneOff(text.length * 3);
        written = encoder.encodeInto(text, input.subarray(BLOCK)).written;
      }
      return finish(input, written, encoding);
    },
    destroy() {
      inner?.fill(0);
      outer?.fill(0);
      inner = null;
      outer = null;
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
/** The text of the one-shot self-check: multi-byte characters, so the UTF-8 encoding is checked too. */
const HEX_CHECK = 'keywarden ✓ chain\n1\n' + 'ab'.repeat(32);

/**
 * `sha256Hex` of the native backend: one `crypto.hash(…, 'hex')` call on a string (~0.6 µs where
 * `createHash` + digest + hex costs ~5), used only when the runtime's one-shot `hash` answers what
 * `createHash` does for a multi-byte text (checked once per module); `createHash` otherwise.
 */
function sha256HexOf(c: NativeCrypto): (text: string) => string {
  const slow = (text: string) => c.createHash('sha256').update(text).digest('hex');
  const hash = c.hash;
  if (typeof hash !== 'function') return slow;
  try {
    if (hash('sha256', HEX_CHECK, 'hex') !== slow(HEX_CHECK)) return slow;
  } catch {
    return slow;
  }
  return (text: string) => hash('sha256', text, 'hex');
}

export function nativeBackend(c: NativeCrypto): CryptoBackend {
  return Object.freeze({
    name: 'native' as const,
    randomBytes: (length: number) => c.randomFillSync(new Uint8Array(length)),
    sha256: (data: Uint8Array) => view(c.createHash('sha256').update(data).digest()),
    sha256Hex: sha256HexOf(c),
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
