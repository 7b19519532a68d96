/**
 * The ciphertext format of `km.keys.encrypt` (aes keys), self-describing so old versions still decrypt:
 *
 * ```
 * 'K' 'W' 0x01 | kidLength (1 byte) | kid (ASCII) | nonce (12 bytes) | AES-256-GCM ciphertext || tag (16)
 * ```
 *
 * The GCM associated data is the header (everything before the nonce) followed by the caller's
 * `aad`, so the kid is authenticated; the kid is a lookup hint, as in Tink.
 * @internal
 * @module
 */
import { KeywardenError } from '../../errors.js';
import { concatBytes, fromBase64Url, randomBytes, zeroize } from '../../internal/bytes.js';
import { cryptoBackend } from '../../internal/crypto-backend.js';

const MAGIC = [0x4b, 0x57, 0x01] as const;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

function header(kid: string): Uint8Array {
  const out = new Uint8Array(MAGIC.length + 1 + kid.length);
  out.set(MAGIC, 0);
  out[MAGIC.length] = kid.length;
  for (let i = 0; i < kid.length; i++) out[MAGIC.length + 1 + i] = kid.charCodeAt(i) & 0x7f;
  return out;
}

/**
 * Encrypts `plaintext` with an A256GCM `oct` key (`k` base64url) labelled `kid`.
 * @example
 * ```ts
 * declare const aad: Uint8Array;
 * declare const jwk: OctJwk & { kid: string };
 * const ct = aesEncrypt(jwk.k, jwk.kid, bytes, aad);
 * ```
 * @throws KeywardenError `ERR_INVALID_STATE` for a key that is not 32 bytes or a kid over 255 chars.
 */
export function aesEncrypt(k: string, kid: string, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  if (kid.length === 0 || kid.length > 255 || !/^[\x21-\x7e]+$/.test(kid)) {
    throw new KeywardenError('ERR_INVALID_STATE', 'aes key version has an unusable kid');
  }
  const key = fromBase64Url(k);
  try {
    if (key.length !== 32) throw new KeywardenError('ERR_INVALID_STATE', 'aes key is not 256 bits');
    const head = header(kid);
    const nonce = randomBytes(NONCE_BYTES);
    const ct = cryptoBackend().aesGcmEncrypt(key, nonce, plaintext, concatBytes(head, aad));
    return concatBytes(head, nonce, ct);
  } finally {
    zeroize(key);
  }
}

/**
 * Reads the kid of a ciphertext made by {@link aesEncrypt}.
 * @example
 * ```ts
 * declare const ct: Uint8Array;
 * const kid = aesCiphertextKid(ct);
 * ```
 * @throws KeywardenError `ERR_DECRYPT` when it is not in that format.
 */
export function aesCiphertextKid(ciphertext: Uint8Array): string {
  if (ciphertext.length < MAGIC.length + 1) throw bad();
  for (let i = 0; i < MAGIC.length; i++) if (ciphertext[i] !== MAGIC[i]) throw bad();
  const n = ciphertext[MAGIC.length] as number;
  if (n === 0 || ciphertext.length < MAGIC.length + 1 + n + NONCE_BYTES + TAG_BYTES) throw bad();
  let kid = '';
  for (let i = 0; i < n; i++) {
    const c = ciphertext[MAGIC.length + 1 + i] as number;
    if (c < 0x21 || c > 0x7e) throw bad();
    kid += String.fromCharCode(c);
  }
  return kid;
}

/**
 * Decrypts a ciphertext made by {@link aesEncrypt} with the key of its kid.
 * @example
 * ```ts
 * declare const ct: Uint8Array;
 * declare const aad: Uint8Array;
 * declare const jwk: OctJwk;
 * const plaintext = aesDecrypt(jwk.k, ct, aad);
 * ```
 * @throws KeywardenError `ERR_DECRYPT` for a malformed or tampered ciphertext, wrong key or wrong aad.
 */
export function aesDecrypt(k: string, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array {
  const kid = aesCiphertextKid(ciphertext);
  const headLength = MAGIC.length + 1 + kid.length;
  const key = fromBase64Url(k);
  try {
    const nonce = ciphertext.subarray(headLength, headLength + NONCE_BYTES);
    return cryptoBackend().aesGcmDecrypt(
      key,
      nonce,
      ciphertext.subarray(headLength + NONCE_BYTES),
      concatBytes(ciphertext.subarray(0, headLength), aad),
    );
  } catch {
    throw bad();
  } finally {
    zeroize(key);
  }
}

function bad(): KeywardenError {
  return new KeywardenError('ERR_DECRYPT', 'ciphertext is malformed, tampered, or not for this key');
}
