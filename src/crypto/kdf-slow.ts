/**
 * The slow password KDFs (PBKDF2, scrypt, Argon2id with its BLAKE2b), loaded on first use with a
 * literal `import('./kdf-slow.js')` by `deriveKey` and the passphrase KMS: nothing a manager does
 * on start or on the request path needs them, and on Node they are six modules fewer to load
 * (docs/performance.md, "Cold start"). Bundlers without code splitting inline them as before.
 * @internal
 * @module
 */
export { argon2idAsync } from '@noble/hashes/argon2.js';
export { pbkdf2Async } from '@noble/hashes/pbkdf2.js';
export { scryptAsync } from '@noble/hashes/scrypt.js';
