/**
 * Opt-in pure-JS fallbacks for runtimes whose own crypto lacks an algorithm. A manager, and
 * `keywarden/crypto`, sign with the runtime's crypto (native, or WebCrypto: Ed25519, P-256, P-384,
 * RSA) and derive with native scrypt / WebCrypto PBKDF2, so a browser or worker bundle carries no
 * curve library and no slow KDF. Call these once at startup to add them there:
 * - {@link registerNobleCurves}: ES256K (secp256k1) signing, verification and key generation, and
 *   EdDSA/ES256/ES384 where WebCrypto has no Ed25519 or ECDSA (about 42 KB minified);
 * - {@link registerNobleKdfs}: `deriveKey` with `scrypt` and `argon2id`, `passphraseKms`, and
 *   PBKDF2 without WebCrypto (about 16 KB minified).
 *
 * On Node, Bun and Deno nothing needs registering: what the runtime lacks (Argon2id, ES256K on
 * the noble backend) is imported from the installed noble packages on first use.
 *
 * @example
 * ```ts
 * import { registerNobleCurves, registerNobleKdfs } from 'keywarden/crypto/noble';
 * registerNobleCurves(); // ES256K keys in a browser
 * registerNobleKdfs(); // Argon2id in a Worker
 * ```
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { argon2idAsync } from '@noble/hashes/argon2.js';
import { pbkdf2Async } from '@noble/hashes/pbkdf2.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { setNobleCurves, setNobleKdfs } from './noble-fallback.js';

/**
 * Makes @noble/curves available to every signing path: ES256K (secp256k1) keys everywhere, and
 * EdDSA/ES256/ES384 in runtimes whose WebCrypto lacks Ed25519 or ECDSA. Without it such a runtime
 * throws `ERR_UNSUPPORTED` (field `alg`, or `spec` for key generation) for those algorithms.
 * Idempotent; the runtime's own crypto is still preferred where it has the algorithm.
 *
 * @example
 * ```ts
 * import { registerNobleCurves } from 'keywarden/crypto/noble';
 * import { generateKeyPair } from 'keywarden/crypto';
 * registerNobleCurves();
 * const { publicJwk } = await generateKeyPair({ type: 'ecdsa', curve: 'secp256k1' });
 * ```
 * @throws never
 */
export function registerNobleCurves(): void {
  setNobleCurves({ ed25519, p256, p384, secp256k1 });
}

/**
 * Makes the slow password KDFs of @noble/hashes available: `deriveKey` with `method: 'scrypt'` or
 * `'argon2id'` (and PBKDF2 where there is no WebCrypto), and `passphraseKms`, in runtimes without a
 * native scrypt (browsers, Workers). Without it those throw `ERR_UNSUPPORTED` (field
 * `params.method`, or `passphrase` for the KMS). Idempotent.
 *
 * @example
 * ```ts
 * import { registerNobleKdfs } from 'keywarden/crypto/noble';
 * import { deriveKey } from 'keywarden/crypto';
 * registerNobleKdfs();
 * const salt = crypto.getRandomValues(new Uint8Array(16));
 * const key = await deriveKey({ method: 'argon2id', password: 'hunter2', salt, t: 3, m: 65536, p: 1, length: 32 });
 * ```
 * @throws never
 */
export function registerNobleKdfs(): void {
  setNobleKdfs({ pbkdf2Async, scryptAsync, argon2idAsync, sha256, sha384, sha512 });
}
