import type { MetaStore } from './storage.js';

/**
 * A data key wrapped by a {@link KmsAdapter}. Plain JSON, stored next to the sealed value.
 * `keyId` names the master key (or KMS key) that wrapped it, so a keyring can pick the right one.
 */
export interface WrappedKey {
  /** The `id` of the KmsAdapter that wrapped it (e.g. `'local'`, `'passphrase'`). */
  kms: string;
  /** Which master key wrapped it (a fingerprint, never the key). */
  keyId: string;
  /** Wrapping algorithm, e.g. `'A256GCM'`. */
  alg: string;
  /** base64url of the wrapped bytes (nonce and tag included as the adapter defines). */
  data: string;
}

/**
 * Binds a wrapped key to where it is used; adapters must authenticate it (e.g. as AES-GCM
 * associated data), so a wrapped key copied to another record fails to unwrap.
 */
export type KmsContext = Readonly<Record<string, string>>;

/**
 * Wraps and unwraps 256-bit data keys. Implementations: `localKms`, `passphraseKms`, or your cloud KMS.
 *
 * @example
 * ```ts
 * const kms = localKms({ masterKey: process.env.KEYWARDEN_MASTER_KEY! });
 * const wrapped = await kms.wrapKey(dek, { store: storeId, record: id });
 * ```
 */
export interface KmsAdapter {
  /** Stable identifier written into every {@link WrappedKey}. */
  readonly id: string;
  /** Called once by the manager before first use; may read or create KMS parameters in store meta. */
  init?(meta: MetaStore): Promise<void>;
  /** Wraps `dek` (not modified, caller zeroes it). Throws `ERR_KMS` on failure. */
  wrapKey(dek: Uint8Array, context: KmsContext): Promise<WrappedKey>;
  /** Unwraps; throws `ERR_DECRYPT` if authentication fails, `ERR_KMS` if the key is unavailable. */
  unwrapKey(wrapped: WrappedKey, context: KmsContext): Promise<Uint8Array>;
  /** True when `wrapped` was made by an older master key and should be rewrapped. */
  needsRewrap?(wrapped: WrappedKey): boolean;
  /** Releases resources; must zero master key copies it holds. */
  close?(): Promise<void>;
}
