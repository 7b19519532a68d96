/**
 * The AES-256-GCM key wrapping shared by `localKms` and `passphraseKms`: a keyring of KEKs
 * (one current, any number of previous), each named by a non-secret `keyId`.
 *
 * Format of a {@link WrappedKey} made here:
 * - `alg`: `'A256GCM'`
 * - `data`: base64url(nonce[12] || ciphertext[32] || tag[16]) — always 80 characters
 * - associated data: UTF-8 canonical JSON of `{ alg, context, keyId, kms }`, so the header and the
 *   caller's context are authenticated: changing any of them fails to unwrap.
 *
 * Errors on unwrap: a WrappedKey that is not an object with four string fields → `ERR_VALIDATION`
 * (field `wrapped` / `wrapped.<name>`); wrong `kms` or `alg`, undecodable or wrong-length `data`,
 * failed authentication → `ERR_DECRYPT`; a `keyId` not in the keyring → `ERR_KMS`.
 * @internal
 * @module
 */
import { KeywardenError, validationError } from '../errors.js';
import {
  concatBytes,
  fromBase64Url,
  randomBytes,
  toBase64Url,
  toHex,
  utf8Encode,
  zeroize,
} from '../internal/bytes.js';
import { canonicalJson } from '../internal/canonical-json.js';
import { cryptoBackend } from '../internal/crypto-backend.js';
import { hkdf } from '../internal/hkdf.js';
import type { WrappedKey } from '../ports/kms.js';

/**
 * The only wrapping algorithm of format 1.
 *
 * @example
 * ```ts
 * WRAP_ALG; // 'A256GCM'
 * ```
 */
export const WRAP_ALG = 'A256GCM';
/**
 * Data keys are 256-bit.
 *
 * @example
 * ```ts
 * DEK_BYTES; // 32
 * ```
 */
export const DEK_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/**
 * Length of the decoded `data` of a wrapped key.
 *
 * @example
 * ```ts
 * WRAPPED_BYTES; // 60: 12-byte nonce, 32-byte data key, 16-byte tag
 * ```
 */
export const WRAPPED_BYTES = NONCE_BYTES + DEK_BYTES + TAG_BYTES;

const KEY_ID_LABEL = utf8Encode('keywarden/kms/key-id');
const WRAP_INFO = utf8Encode('keywarden/kms/wrap/v1');

/** One KEK of a keyring, derived from a 32-byte master secret. */
export interface WrapKey {
  /** Non-secret name written into every WrappedKey it makes. */
  readonly keyId: string;
  /** HKDF-SHA256(master, info 'keywarden/kms/wrap/v1'), 32 bytes. Zeroed by the keyring's `close`. */
  readonly kek: Uint8Array;
}

/**
 * Fingerprint of a master key: hex of the first 8 bytes of HMAC-SHA256(key, 'keywarden/kms/key-id').
 * Domain-separated from the KEK, and one-way, so it reveals nothing useful about the key.
 *
 * @example
 * ```ts
 * declare const master: Uint8Array;
 * masterKeyId(master); // '3f9a0c1b2d4e5f60'
 * ```
 * @throws never for a Uint8Array input.
 */
export function masterKeyId(master: Uint8Array): string {
  const mac = cryptoBackend().hmac('SHA-256', master, KEY_ID_LABEL);
  const id = toHex(mac.subarray(0, 8));
  zeroize(mac);
  return id;
}

/**
 * Derives the KEK of `master` (which is not modified and not retained).
 *
 * @example
 * ```ts
 * declare const master: Uint8Array;
 * const key = deriveWrapKey(master, masterKeyId(master));
 * ```
 * @throws never for a Uint8Array input.
 */
export function deriveWrapKey(master: Uint8Array, keyId: string): WrapKey {
  return { keyId, kek: hkdf('SHA-256', master, undefined, WRAP_INFO, 32) };
}

/** What {@link createKeyring} needs. */
export interface KeyringOptions {
  /** The adapter's `id`, written as `kms` and authenticated. */
  kmsId: string;
  /** Used in error messages, e.g. `'localKms'`. */
  label: string;
  current: WrapKey;
  previous?: readonly WrapKey[];
}

/** Synchronous wrap/unwrap over a set of KEKs; the adapters make it async and add their own state. */
export interface Keyring {
  readonly currentKeyId: string;
  wrap(dek: unknown, context: unknown): WrappedKey;
  unwrap(wrapped: unknown, context: unknown): Uint8Array;
  needsRewrap(wrapped: unknown): boolean;
  /** Zeroes every KEK; later calls throw `ERR_CLOSED`. Idempotent. */
  close(): void;
}

/**
 * Checks `dek` is a 32-byte Uint8Array that is not all zeros (a zeroized buffer).
 *
 * @example
 * ```ts
 * checkDek(randomBytes(32));
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `dek`).
 */
export function checkDek(dek: unknown): Uint8Array {
  if (!(dek instanceof Uint8Array)) throw validationError('dek', 'must be a Uint8Array');
  if (dek.length !== DEK_BYTES) throw validationError('dek', `must be ${DEK_BYTES} bytes`);
  let acc = 0;
  for (let i = 0; i < dek.length; i++) acc |= dek[i] as number;
  if (acc === 0) throw validationError('dek', 'is all zeros (was it zeroized before use?)');
  return dek;
}

/**
 * Checks `context` is a plain object of strings and returns a plain copy.
 *
 * @example
 * ```ts
 * checkContext({ store: 's1', record: 'r1' });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `context`).
 */
export function checkContext(context: unknown): Record<string, string> {
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw validationError('context', 'must be an object of strings');
  }
  const proto = Object.getPrototypeOf(context);
  if (proto !== Object.prototype && proto !== null) {
    throw validationError('context', 'must be a plain object of strings');
  }
  const out: Record<string, string> = {};
  for (const key of Object.keys(context)) {
    const value = (context as Record<string, unknown>)[key];
    if (typeof value !== 'string') throw validationError('context', 'values must be strings');
    Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
  }
  return out;
}

/**
 * Checks the shape of a WrappedKey (four string fields) without judging their content.
 *
 * @example
 * ```ts
 * const w = checkWrappedShape(JSON.parse(raw));
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `wrapped` or `wrapped.<name>`).
 */
export function checkWrappedShape(wrapped: unknown): WrappedKey {
  if (typeof wrapped !== 'object' || wrapped === null || Array.isArray(wrapped)) {
    throw validationError('wrapped', 'must be a WrappedKey object');
  }
  const w = wrapped as Record<string, unknown>;
  for (const field of ['kms', 'keyId', 'alg', 'data'] as const) {
    if (typeof w[field] !== 'string') throw validationError(`wrapped.${field}`, 'must be a string');
  }
  return {
    kms: w['kms'] as string,
    keyId: w['keyId'] as string,
    alg: w['alg'] as string,
    data: w['data'] as string,
  };
}

function associatedData(
  kms: string,
  keyId: string,
  alg: string,
  context: Record<string, string>,
): Uint8Array {
  return utf8Encode(canonicalJson({ alg, context, keyId, kms }));
}

/**
 * Builds a keyring. Takes ownership of the given KEKs (zeroes them on `close`). Callers reject
 * duplicate keyIds first (they can name the field); a duplicate here is dropped (and zeroed).
 *
 * @example
 * ```ts
 * declare const m: Uint8Array;
 * const ring = createKeyring({ kmsId: 'local', label: 'localKms', current: deriveWrapKey(m, masterKeyId(m)) });
 * const wrapped = ring.wrap(dek, { record: 'r1' });
 * ```
 * @throws never itself; its methods throw as described in the module doc.
 */
export function createKeyring(options: KeyringOptions): Keyring {
  const { kmsId, label } = options;
  const keys = new Map<string, Uint8Array>();
  const all = [options.current, ...(options.previous ?? [])];
  for (const k of all) {
    if (keys.has(k.keyId)) zeroize(k.kek);
    else keys.set(k.keyId, k.kek);
  }
  const currentKeyId = options.current.keyId;
  let closed = false;

  const open = (): void => {
    if (closed) throw new KeywardenError('ERR_CLOSED', `${label}: used after close()`);
  };

  return {
    currentKeyId,
    wrap(dek, context) {
      open();
      const key = checkDek(dek);
      const ctx = checkContext(context);
      const kek = keys.get(currentKeyId) as Uint8Array;
      try {
        const nonce = randomBytes(NONCE_BYTES);
        const aad = associatedData(kmsId, currentKeyId, WRAP_ALG, ctx);
        const sealed = cryptoBackend().aesGcmEncrypt(kek, nonce, key, aad);
        return {
          kms: kmsId,
          keyId: currentKeyId,
          alg: WRAP_ALG,
          data: toBase64Url(concatBytes(nonce, sealed)),
        };
      } catch (cause) {
        throw new KeywardenError('ERR_KMS', `${label}: wrapKey failed`, { cause });
      }
    },
    unwrap(wrapped, context) {
      open();
      const w = checkWrappedShape(wrapped);
      const ctx = checkContext(context);
      if (w.kms !== kmsId) {
        throw new KeywardenError('ERR_DECRYPT', `${label}: wrapped key was made by another KMS`);
      }
      if (w.alg !== WRAP_ALG) throw new KeywardenError('ERR_DECRYPT', `${label}: unsupported wrapping alg`);
      const kek = keys.get(w.keyId);
      if (kek === undefined) {
        throw new KeywardenError('ERR_KMS', `${label}: no master key with that id in the keyring`);
      }
      let raw: Uint8Array;
      try {
        raw = fromBase64Url(w.data);
      } catch {
        throw new KeywardenError('ERR_DECRYPT', `${label}: wrapped key data is not base64url`);
      }
      if (raw.length !== WRAPPED_BYTES) {
        throw new KeywardenError('ERR_DECRYPT', `${label}: wrapped key data has the wrong length`);
      }
      const aad = associatedData(w.kms, w.keyId, w.alg, ctx);
      try {
        return cryptoBackend().aesGcmDecrypt(
          kek,
          raw.subarray(0, NONCE_BYTES),
          raw.subarray(NONCE_BYTES),
          aad,
        );
      } catch {
        throw new KeywardenError(
          'ERR_DECRYPT',
          `${label}: wrapped key failed authentication (tampered, wrong context or wrong key)`,
        );
      }
    },
    needsRewrap(wrapped) {
      open();
      const w = checkWrappedShape(wrapped);
      return w.kms !== kmsId || w.alg !== WRAP_ALG || w.keyId !== currentKeyId;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const kek of keys.values()) zeroize(kek);
      keys.clear();
    },
  };
}
