/**
 * `localKms`: data keys wrapped with AES-256-GCM under a KEK derived from a master key you hold,
 * with a keyring of previous master keys for rotation.
 * @module
 */
import { validationError } from '../errors.js';
import { zeroize } from '../internal/bytes.js';
import { isQuotableKey } from '../internal/validate.js';
import type { KmsAdapter, KmsContext, WrappedKey } from '../ports/kms.js';
import { type MasterKeyInput, parseMasterKey } from './master-key.js';
import { createKeyring, deriveWrapKey, masterKeyId, type WrapKey } from './wrap.js';

/**
 * Most previous master keys a keyring may hold.
 *
 * @example
 * ```ts
 * MAX_PREVIOUS_KEYS; // 32
 * ```
 */
export const MAX_PREVIOUS_KEYS = 32;

/** Options of {@link localKms}. */
export interface LocalKmsOptions {
  /**
   * The current master key: 32 bytes as base64url, base64 (padded or not), hex, or a Uint8Array
   * (copied; you may zero yours afterwards). `undefined` is accepted by the type so that
   * `process.env.KEYWARDEN_MASTER_KEY` can be passed directly; it throws `ERR_VALIDATION` at run time.
   */
  masterKey: MasterKeyInput | undefined;
  /** Older master keys, kept only to unwrap data keys they wrapped (see `needsRewrap`). */
  previousKeys?: readonly MasterKeyInput[];
}

/** The adapter returned by {@link localKms}. */
export interface LocalKms extends KmsAdapter {
  readonly id: 'local';
  /** Fingerprint of the current master key (hex, 16 chars), as written in `WrappedKey.keyId`. */
  readonly keyId: string;
  /** Fingerprints of the previous keys, in the order given. */
  readonly previousKeyIds: readonly string[];
  wrapKey(dek: Uint8Array, context: KmsContext): Promise<WrappedKey>;
  unwrapKey(wrapped: WrappedKey, context: KmsContext): Promise<Uint8Array>;
  /** True when `wrapped` was not made by the current master key (rewrap it with `km.rewrap()`). */
  needsRewrap(wrapped: WrappedKey): boolean;
  /** Zeroes every key held. Later calls reject with `ERR_CLOSED`. Idempotent. */
  close(): Promise<void>;
}

const KNOWN_OPTIONS = new Set(['masterKey', 'previousKeys']);

/**
 * A KMS whose master key you hold (an env var, a mounted secret). The master key is copied, turned
 * into a KEK with HKDF-SHA256 and a fingerprint with HMAC-SHA256, then zeroed; only the KEKs are kept,
 * in a closure (never as a property, so `JSON.stringify` and `util.inspect` show no key material).
 *
 * Rotation: generate a new key, pass it as `masterKey` and the old one in `previousKeys`; data keys
 * wrapped by the old key still unwrap, new ones use the new key, `needsRewrap` flags the old ones.
 *
 * @example
 * ```ts
 * import { localKms } from 'keywarden/kms';
 * const kms = localKms({
 *   masterKey: process.env.KEYWARDEN_MASTER_KEY,
 *   previousKeys: process.env.KEYWARDEN_PREVIOUS_MASTER_KEY ? [process.env.KEYWARDEN_PREVIOUS_MASTER_KEY] : [],
 * });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `masterKey`, `previousKeys` or `previousKeys.N` when a
 *   key is missing, not 32 bytes, badly encoded, all zeros, or a duplicate; `options.<name>` for an
 *   unknown option.
 */
export function localKms(options: LocalKmsOptions): LocalKms {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw validationError('options', 'must be an object with masterKey');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw isQuotableKey(key)
        ? validationError(`options.${key}`, 'is not a localKms option')
        : validationError('options', 'has an unknown localKms option');
    }
  }
  const previousInput: unknown = options.previousKeys;
  if (previousInput !== undefined) {
    if (!Array.isArray(previousInput))
      throw validationError('previousKeys', 'must be an array of master keys');
    if (previousInput.length > MAX_PREVIOUS_KEYS) {
      throw validationError('previousKeys', `must hold at most ${MAX_PREVIOUS_KEYS} keys`);
    }
  }
  const raw: Uint8Array[] = [];
  const wrapKeys: WrapKey[] = [];
  try {
    raw.push(parseMasterKey(options.masterKey, 'masterKey'));
    const list = (previousInput ?? []) as readonly unknown[];
    for (let i = 0; i < list.length; i++) raw.push(parseMasterKey(list[i], `previousKeys.${i}`));
    const seen = new Set<string>();
    for (let i = 0; i < raw.length; i++) {
      const master = raw[i] as Uint8Array;
      const keyId = masterKeyId(master);
      if (seen.has(keyId)) {
        throw validationError(`previousKeys.${i - 1}`, 'duplicates the master key or another previous key');
      }
      seen.add(keyId);
      wrapKeys.push(deriveWrapKey(master, keyId));
    }
  } catch (error) {
    for (const k of wrapKeys) zeroize(k.kek);
    throw error;
  } finally {
    zeroize(...raw);
  }

  const [current, ...previous] = wrapKeys as [WrapKey, ...WrapKey[]];
  const ring = createKeyring({ kmsId: 'local', label: 'localKms', current, previous });
  const kms: LocalKms = {
    id: 'local',
    keyId: current.keyId,
    previousKeyIds: Object.freeze(previous.map((k) => k.keyId)),
    async wrapKey(dek, context) {
      return ring.wrap(dek, context);
    },
    async unwrapKey(wrapped, context) {
      return ring.unwrap(wrapped, context);
    },
    needsRewrap(wrapped) {
      return ring.needsRewrap(wrapped);
    },
    async close() {
      ring.close();
    },
  };
  return Object.freeze(kms);
}
