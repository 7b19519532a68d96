/**
 * WebCrypto access for the portable core (Node ≥ 20, Deno, Bun, browsers, workers).
 * @internal
 * @module
 */
import { KeywardenError } from '../errors.js';

/**
 * `globalThis.crypto.subtle`, or `ERR_UNSUPPORTED` when the runtime has none.
 * @example
 * ```ts
 * const key = await subtleCrypto().importKey('jwk', jwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
 * ```
 * @throws KeywardenError `ERR_UNSUPPORTED` when there is no `crypto.subtle`.
 */
export function subtleCrypto(): SubtleCrypto {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) throw new KeywardenError('ERR_UNSUPPORTED', 'WebCrypto (crypto.subtle) is not available');
  return subtle;
}

/**
 * A view WebCrypto accepts: the same bytes when backed by an ArrayBuffer, a copy when backed by
 * a SharedArrayBuffer (WebCrypto rejects those).
 * @example
 * ```ts
 * declare const params: EcdsaParams;
 * declare const key: CryptoKey;
 * await subtleCrypto().sign(params, key, bufferSource(data));
 * ```
 * @throws never
 */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
