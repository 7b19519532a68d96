/**
 * Where the pure-JS fallbacks come from: the parts of noble that only some runtimes need —
 * @noble/curves (ES256K; EdDSA/ES256/ES384 where WebCrypto lacks them) and the slow password KDFs
 * of @noble/hashes (scrypt and Argon2id where the runtime has no native one, PBKDF2 without
 * WebCrypto) — are never imported statically by the core, so a browser or worker bundle does not
 * carry them. They come from one of:
 * - an explicit registration, `registerNobleCurves()` / `registerNobleKdfs()` from
 *   `keywarden/crypto/noble` (static imports: the bundler includes noble then);
 * - on a server runtime (one with a native crypto module: Node, Bun, Deno), a `require` of the
 *   installed noble package made with `createRequire` from the runtime's `module` built-in (reached
 *   through `process.getBuiltinModule`, as the native crypto backend is), on first use. No
 *   `import()` expression: a bundler would inline a literal one, and Worker tooling (miniflare)
 *   refuses a computed one.
 * Neither: the operation throws `ERR_UNSUPPORTED` naming the algorithm and what to register.
 * @internal
 * @module
 */
import type { argon2idAsync } from '@noble/hashes/argon2.js';
import type { pbkdf2Async } from '@noble/hashes/pbkdf2.js';
import type { scryptAsync } from '@noble/hashes/scrypt.js';
import type { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
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
  /** `sha256` from `@noble/hashes/sha2.js` (PBKDF2's hash without WebCrypto). */
  sha256: typeof sha256;
  /** `sha384` from `@noble/hashes/sha2.js`. */
  sha384: typeof sha384;
  /** `sha512` from `@noble/hashes/sha2.js`. */
  sha512: typeof sha512;
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
 * import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
 * setNobleKdfs({ pbkdf2Async, scryptAsync, argon2idAsync, sha256, sha384, sha512 });
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

type RequireFn = (id: string) => Record<string, unknown>;

/**
 * A `require` resolving from this module (Node ≥ 20.19, Bun and Deno load ES modules with it),
 * when this runtime has a native crypto module and the `module` built-in; else null.
 */
function runtimeRequire(): RequireFn | null {
  if (autoImport === false || (autoImport === 'auto' && nativeCrypto() === null)) return null;
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const mod = proc?.getBuiltinModule?.('module') as
      | { createRequire?: (from: string) => RequireFn }
      | undefined;
    return typeof mod?.createRequire === 'function' ? mod.createRequire(import.meta.url) : null;
  } catch {
    return null;
  }
}

/** The named noble modules, merged, or null when they cannot be loaded here. */
function load(names: readonly string[]): Record<string, unknown> | null {
  const require = runtimeRequire();
  if (require === null) return null;
  try {
    return Object.assign({}, ...names.map((name) => require(name))) as Record<string, unknown>;
  } catch {
    return null; // not installed next to keywarden, or a runtime that cannot require ES modules
  }
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
    const modules = load(['@noble/curves/ed25519.js', '@noble/curves/nist.js', '@noble/curves/secp256k1.js']);
    curves = Promise.resolve(modules && nobleSigning(modules as unknown as NobleCurveModules));
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
    const modules = load([
      '@noble/hashes/pbkdf2.js',
      '@noble/hashes/scrypt.js',
      '@noble/hashes/argon2.js',
      '@noble/hashes/sha2.js',
    ]);
    kdfs = Promise.resolve(modules as unknown as NobleKdfModules | null);
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
