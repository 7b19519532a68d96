/**
 * `keywarden/kms`: KMS adapters that wrap the data keys of keywarden's envelope encryption.
 *
 * - {@link localKms} — a 256-bit master key you hold (env var, mounted secret), with a keyring of
 *   previous keys for rotation.
 * - {@link passphraseKms} — a passphrase stretched with scrypt; salt and costs kept in store meta.
 * - {@link generateMasterKey} — a new random master key.
 *
 * Both wrap with AES-256-GCM, authenticating the wrapping header and the caller's context.
 * Write your own adapter for a cloud KMS against `KmsAdapter` and check it with `testKmsAdapter`
 * from `keywarden/testing` (see docs/kms.md).
 *
 * @example
 * ```ts
 * import { generateMasterKey, localKms } from 'keywarden/kms';
 * const kms = localKms({ masterKey: process.env.KEYWARDEN_MASTER_KEY ?? generateMasterKey() });
 * ```
 * @module
 */
export type { KmsAdapter, KmsContext, WrappedKey } from '../ports/kms.js';
export { type LocalKms, type LocalKmsOptions, localKms, MAX_PREVIOUS_KEYS } from './local.js';
export {
  type GenerateMasterKeyOptions,
  generateMasterKey,
  MASTER_KEY_BYTES,
  type MasterKeyEncoding,
  type MasterKeyInput,
} from './master-key.js';
export {
  type PassphraseKms,
  type PassphraseKmsOptions,
  passphraseKms,
  type ScryptParams,
} from './passphrase.js';
export { PASSPHRASE_META_KEY } from './passphrase-params.js';
