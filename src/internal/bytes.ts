/**
 * Byte helpers shared by every module: encodings at the edges, constant-time comparison,
 * zeroing, randomness. Portable: no Buffer, no node:*.
 * @internal
 * @module
 */

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_DECODE[B64URL.charCodeAt(i)] = i;
// standard alphabet too, so decoders accept base64 and base64url alike
B64_DECODE['+'.charCodeAt(0)] = 62;
B64_DECODE['/'.charCodeAt(0)] = 63;

const encoder = new TextEncoder();

/**
 * `length` bytes straight from WebCrypto `getRandomValues` (what noble's `randomBytes` does: no
 * noble import here, the generator and the cold start load none). At most 65,536 bytes per call,
 * the WebCrypto quota, as a RangeError like noble's.
 */
function platformRandomBytes(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0)
    throw new RangeError(`length must be a non-negative integer`);
  if (length > 65_536) throw new RangeError(`length must be at most 65536, got ${length}`);
  const cr = (globalThis as { crypto?: { getRandomValues?: (b: Uint8Array) => Uint8Array } }).crypto;
  if (typeof cr?.getRandomValues !== 'function') throw new Error('crypto.getRandomValues must be defined');
  return cr.getRandomValues(new Uint8Array(length));
}

/** Requests up to this size are served from a pooled CSPRNG buffer (one WebCrypto call per 4 KiB). */
const POOL_MAX_REQUEST = 256;
const POOL_SIZE = 4096;
let pool: Uint8Array | null = null;
let poolOffset = POOL_SIZE;

/**
 * Cryptographically secure random bytes from the platform CSPRNG (WebCrypto `getRandomValues`,
 * on every backend: the generator must not pull the crypto backend in). Small requests are cut
 * from a pooled 4 KiB buffer refilled from the CSPRNG (as Node's `randomUUID` does); handed-out
 * bytes are zeroed in the pool so they exist only in the caller's copy.
 * @example
 * ```ts
 * const dek = randomBytes(32);
 * ```
 * @throws Error from WebCrypto when `length` is negative or not an integer (callers pass constants).
 */
export function randomBytes(length: number): Uint8Array {
  if (length > POOL_MAX_REQUEST) return platformRandomBytes(length);
  if (pool === null || poolOffset + length > POOL_SIZE) {
    pool = platformRandomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const out = pool.slice(poolOffset, poolOffset + length);
  pool.fill(0, poolOffset, poolOffset + length);
  poolOffset += length;
  return out;
}

/**
 * UTF-8 encode.
 *
 * @example
 * ```ts
 * utf8Encode('héllo'); // Uint8Array(6)
 * ```
 * @throws never
 */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const HEX_CODES = encoder.encode('0123456789abcdef');
/**
 * UTF-8 decode; throws TypeError on invalid UTF-8.
 *
 * @example
 * ```ts
 * utf8Decode(new Uint8Array([0x68, 0x69])); // 'hi'
 * ```
 * @throws TypeError for invalid UTF-8.
 */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Lowercase hex.
 *
 * @example
 * ```ts
 * toHex(new Uint8Array([1, 255])); // '01ff'
 * ```
 * @throws never
 */
export function toHex(bytes: Uint8Array): string {
  // one flat string: a `+=` per byte (noble's bytesToHex) leaves a chain of 31 rope nodes behind a
  // 64-character digest (~1 KB kept per stored audit hash), and decoding is faster too
  const n = bytes.length;
  const out = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    const v = bytes[i] as number;
    out[2 * i] = HEX_CODES[v >> 4] as number;
    out[2 * i + 1] = HEX_CODES[v & 15] as number;
  }
  return decoder.decode(out);
}

/**
 * Parses hex (even length, 0-9a-fA-F); throws TypeError otherwise.
 *
 * @example
 * ```ts
 * fromHex('01ff'); // Uint8Array [1, 255]
 * ```
 * @throws TypeError for odd length or a non-hex character.
 */
export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0) throw new TypeError('hex of odd length');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(text.charCodeAt(2 * i));
    const lo = hexDigit(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new TypeError('not a hex character');
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** The value of one hex digit (0-9, a-f, A-F), -1 for anything else. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * base64url without padding.
 *
 * @example
 * ```ts
 * toBase64Url(new Uint8Array([251, 255])); // '-_8'
 * ```
 * @throws never
 */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      B64URL.charAt(v >> 18) +
      B64URL.charAt((v >> 12) & 63) +
      B64URL.charAt((v >> 6) & 63) +
      B64URL.charAt(v & 63);
  }
  if (n - i === 1) {
    const v = (bytes[i] as number) << 16;
    out += B64URL.charAt(v >> 18) + B64URL.charAt((v >> 12) & 63);
  } else if (n - i === 2) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += B64URL.charAt(v >> 18) + B64URL.charAt((v >> 12) & 63) + B64URL.charAt((v >> 6) & 63);
  }
  return out;
}

/**
 * Decodes base64url or standard base64, padded or not. Throws TypeError on any other character
 * or an impossible length; non-canonical trailing bits are rejected.
 * @example
 * ```ts
 * fromBase64Url('-_8'); // Uint8Array [251, 255]
 * ```
 * @throws TypeError for a character outside base64/base64url, an impossible length or non-canonical trailing bits.
 */
export function fromBase64Url(text: string): Uint8Array {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (text.length - end > 2 || end % 4 === 1) throw new TypeError('invalid base64 length');
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (B64_DECODE[c] as number) : -1;
    if (v < 0) throw new TypeError('invalid base64 character');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new TypeError('non-canonical base64');
  return out;
}

/**
 * Constant-time equality of two byte arrays (time depends only on the lengths).
 * Different lengths return false.
 * @example
 * ```ts
 * declare const expectedMac: Uint8Array;
 * declare const givenMac: Uint8Array;
 * if (!constantTimeEqual(expectedMac, givenMac)) throw new Error('bad MAC');
 * ```
 * @throws never
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/**
 * Constant-time equality of two strings of the same length (e.g. encoded hashes).
 *
 * @example
 * ```ts
 * declare const storedHash: string;
 * declare const hashOfToken: string;
 * constantTimeEqualString(storedHash, hashOfToken); // true or false, no early exit
 * ```
 * @throws never
 */
export function constantTimeEqualString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Overwrites every given buffer with zeros. JS cannot promise no copy survives (see docs/threat-model.md).
 *
 * @example
 * ```ts
 * declare const plaintext: Uint8Array | null | undefined;
 * try { console.log(dek.length); } finally { zeroize(dek, plaintext); }
 * ```
 * @throws never
 */
export function zeroize(...buffers: (Uint8Array | null | undefined)[]): void {
  for (const b of buffers) if (b) b.fill(0);
}

/**
 * Concatenates byte arrays.
 *
 * @example
 * ```ts
 * declare const header: Uint8Array;
 * declare const nonce: Uint8Array;
 * declare const ciphertext: Uint8Array;
 * concatBytes(header, nonce, ciphertext);
 * ```
 * @throws never
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
