/**
 * Where the pure-JS fallbacks come from: the parts of noble that only some runtimes need —
 * @noble/curves (ES256K; EdDSA/ES256/ES384 where WebCrypto lacks them) and the slow password KDFs
 * of @noble/hashes (scrypt and Argon2id where the runtime has no native one, PBKDF2 without
 * WebCrypto) — are never imported statically by the core, so a browser or worker bundle does not
 * carry them. They come from one of:
 * - an explicit registration, `registerNobleCurves()` / `registerNobleKdfs()` from
 *   `keywarden/crypto/noble` (static imports: the bundler includes noble then);
 * - on a server runtime (one with a native crypto module: Node, Bun, Deno), an `import()` of the
 *   noble package by a name the bundler cannot see, on first use, from the installed dependency.
 * Neither: the operation throws `ERR_UNSUPPORTED` naming the algorithm and what to register.
 * @internal
 * @module
 */
import type { argon2idAsync } from '@noble/hashes/argon2.js';
import type { pbkdf2Async } from '@noble/hashes/pbkdf2.js';
import type { scryptAsync } from '@noble/hashes/scrypt.js';
import { KeywardenError } from '../errors.js';
import { nativeCrypto } from '../internal/crypto-native.js';
import { type NobleCurveModules, type NobleSigning, nobleSigning } from './signing-noble.js';

/** The slow KDFs of @noble/hashes keywarden uses. */
export interface NobleKdfModules {
  /** `pbkdf2Async` from `@noble/hashes/pbkdf2.js`. */
  pbkdf2Async: typeof pbkdf2Async;
  /** `scryptAsync` from `@noble/hashes/scrypt.js`. */
  scryptAsync: typeof scryptAsync;
  /** `argon2idAsync` from `@noble/hashes/argon2.js`. */
  argon2idAsync: typeof argon2idAsync;
}

let curves: Promise<NobleSigning | null> | null = null;
let kdfs: Promise<NobleKdfModules | null> | null = null;
let autoImport: boolean | 'auto' = 'auto';

/**
 * Registers noble's curves (what `registerNobleCurves()` of keywarden/crypto/noble calls).
 * @example
 * ```ts
 * import { ed25519 } from '@noble/curves/ed25519.js';
 * import { p256, p384 } from '@noble/curves/nist.js';
 * import { secp256k1 } from '@noble/curves/secp256k1.js';
 * setNobleCurves({ ed25519, p256, p384, secp256k1 });
 * ```
 * @throws never
 */
export function setNobleCurves(modules: NobleCurveModules): void {
  curves = Promise.resolve(nobleSigning(modules));
}

/**
 * Registers noble's slow KDFs (what `registerNobleKdfs()` of keywarden/crypto/noble calls).
 * @example
 * ```ts
 * import { argon2idAsync } from '@noble/hashes/argon2.js';
 * import { pbkdf2Async } from '@noble/hashes/pbkdf2.js';
 * import { scryptAsync } from '@noble/hashes/scrypt.js';
 * setNobleKdfs({ pbkdf2Async, scryptAsync, argon2idAsync });
 * ```
 * @throws never
 */
export function setNobleKdfs(modules: NobleKdfModules): void {
  kdfs = Promise.resolve(modules);
}

/**
 * Forgets what was registered or loaded and sets whether server runtimes may import noble on their
 * own (`'auto'`: when the runtime has a native crypto module). For tests.
 * @example
 * ```ts
 * resetNobleFallbacks(false); // as in a browser bundle without registration
 * ```
 * @throws never
 */
export function resetNobleFallbacks(mode: boolean | 'auto' = 'auto'): void {
  curves = null;
  kdfs = null;
  autoImport = mode;
}

/** `import()` of a name bundlers leave alone (not a literal): resolved at run time, or rejected. */
const importByName = (name: string): Promise<Record<string, unknown>> =>
  import(/* webpackIgnore: true */ /* @vite-ignore */ name);

function mayImport(): boolean {
  return autoImport === 'auto' ? nativeCrypto() !== null : autoImport;
}

/**
 * Noble's signing, once registered or loaded; null when neither is possible here.
 * @example
 * ```ts
 * declare const jwk: OkpJwk;
 * declare const signature: Uint8Array;
 * const noble = await nobleCurves();
 * if (noble) noble.ed25519Verify(jwk.x, data, signature);
 * ```
 * @throws never
 */
export function nobleCurves(): Promise<NobleSigning | null> {
  if (curves === null) {
    if (!mayImport()) return Promise.resolve(null);
    curves = Promise.all([
      importByName('@noble/curves/ed25519.js'),
      importByName('@noble/curves/nist.js'),
      importByName('@noble/curves/secp256k1.js'),
    ]).then(
      ([ed, nist, k1]) => nobleSigning({ ...ed, ...nist, ...k1 } as unknown as NobleCurveModules),
      () => null,
    );
  }
  return curves;
}

/**
 * Noble's slow KDFs, once registered or loaded; null when neither is possible here.
 * @example
 * ```ts
 * declare const password: Uint8Array;
 * declare const salt: Uint8Array;
 * const noble = await nobleKdfs();
 * if (noble) await noble.argon2idAsync(password, salt, { t: 3, m: 65536, p: 1 });
 * ```
 * @throws never
 */
export function nobleKdfs(): Promise<NobleKdfModules | null> {
  if (kdfs === null) {
    if (!mayImport()) return Promise.resolve(null);
    kdfs = Promise.all([
      importByName('@noble/hashes/pbkdf2.js'),
      importByName('@noble/hashes/scrypt.js'),
      importByName('@noble/hashes/argon2.js'),
    ]).then(
      ([pbkdf2, scrypt, argon2]) => ({ ...pbkdf2, ...scrypt, ...argon2 }) as unknown as NobleKdfModules,
      () => null,
    );
  }
  return kdfs;
}

/**
 * The error for an algorithm this runtime can only run on noble, which is not registered.
 * @example
 * ```ts
 * throw nobleMissing('ES256K', 'alg', 'registerNobleCurves');
 * ```
 * @throws never
 */
export function nobleMissing(
  algorithm: string,
  field: string,
  register: 'registerNobleCurves' | 'registerNobleKdfs',
): KeywardenError {
  return new KeywardenError(
    'ERR_UNSUPPORTED',
    `${algorithm} is not available in this runtime without noble: call ${register}() from 'keywarden/crypto/noble' once at startup`,
    { field },
  );
}
