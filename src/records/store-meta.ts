/**
 * The store-level metadata keys every part of the library agrees on: the store id, the wrapped
 * pepper (and the KMS context it is wrapped under), the passphrase KMS parameters. Read by the
 * composition root at startup and by the engines that move a store's identity (backup, rewrap).
 * @module
 */

/**
 * Meta key of the store id.
 *
 * @example
 * ```ts
 * META_STORE_ID; // 'store.id'
 * ```
 */
export const META_STORE_ID = 'store.id';
/**
 * Meta key of the wrapped pepper (JSON of a WrappedKey).
 *
 * @example
 * ```ts
 * META_PEPPER; // 'store.pepper'
 * ```
 */
export const META_PEPPER = 'store.pepper';
/**
 * KMS context the pepper is wrapped with.
 *
 * @example
 * ```ts
 * const pepper = await kms.unwrapKey(wrapped, pepperContext(storeId));
 * ```
 */
export const pepperContext = (storeId: string) => ({ store: storeId, purpose: 'pepper' }) as const;

/**
 * Store meta key holding the scrypt parameters and salt.
 *
 * @example
 * ```ts
 * PASSPHRASE_META_KEY; // 'kms.passphrase'
 * ```
 */
export const PASSPHRASE_META_KEY = 'kms.passphrase';
