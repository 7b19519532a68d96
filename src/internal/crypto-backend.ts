/**
 * Which crypto backend runs: native (the runtime's crypto module) where the runtime has one,
 * noble elsewhere. `KEYWARDEN_CRYPTO=noble` in the environment forces noble (the test suite runs
 * both); `KEYWARDEN_CRYPTO=native` insists on native and falls back to noble only where there is
 * none. Chosen once, on first use. On Node, Bun and Deno noble itself is loaded only when it is
 * chosen (see ./crypto-noble.ts); a forced `noble` that cannot be loaded there falls back to native.
 * @internal
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { CryptoBackend } from './crypto-backend-types.js';
import { nativeBackend, nativeCrypto } from './crypto-native.js';
import { nobleBackend } from './crypto-noble.js';

export type { BackendHash, CryptoBackend, KeyedMac } from './crypto-backend-types.js';

let chosen: CryptoBackend | null = null;

/**
 * The requested backend name from `KEYWARDEN_CRYPTO` (`'noble'`, `'native'`), else `'auto'`.
 *
 * @example
 * ```ts
 * requestedBackend(); // 'auto'
 * ```
 * @throws never
 */
export function requestedBackend(): 'noble' | 'native' | 'auto' {
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    const value = env?.['KEYWARDEN_CRYPTO'];
    return value === 'noble' || value === 'native' ? value : 'auto';
  } catch {
    return 'auto';
  }
}

/**
 * True when signatures should also run natively: the native backend is the one chosen.
 *
 * @example
 * ```ts
 * const where = nativeSignatures() ? 'node:crypto' : 'WebCrypto or @noble/curves';
 * ```
 * @throws never
 */
export function nativeSignatures(): boolean {
  return cryptoBackend().name === 'native';
}

/**
 * Replaces the backend in use: `'noble'` (null when noble cannot be loaded here), `'native'` (null
 * when the runtime has none), or `'auto'`
 * to choose again from the environment. For tests that run the same operations on both backends;
 * key material already set up (keyed MACs of an open manager) stays on the backend it was made with.
 *
 * @example
 * ```ts
 * useCryptoBackend('noble');
 * ```
 * @throws never
 */
export function useCryptoBackend(name: 'noble' | 'native' | 'auto'): CryptoBackend | null {
  if (name === 'auto') {
    chosen = null;
    return cryptoBackend();
  }
  const native = nativeCrypto();
  const next = name === 'native' ? native && nativeBackend(native) : nobleBackend();
  if (next !== null) chosen = next;
  return next;
}

/**
 * The backend in use (chosen on first call).
 *
 * @example
 * ```ts
 * declare const key: Uint8Array;
 * const mac = cryptoBackend().hmac('SHA-256', key, data);
 * ```
 * @throws KeywardenError `ERR_UNSUPPORTED` (field `crypto`) only in a runtime with neither a
 *   native crypto module nor a loadable noble (a bundle built for Node, run without node_modules
 *   and without `process.getBuiltinModule`): no supported runtime.
 */
export function cryptoBackend(): CryptoBackend {
  if (chosen !== null) return chosen;
  const native = nativeCrypto();
  const nativeOne = () => (native === null ? null : nativeBackend(native));
  chosen = requestedBackend() === 'noble' ? (nobleBackend() ?? nativeOne()) : (nativeOne() ?? nobleBackend());
  if (chosen === null) {
    throw new KeywardenError(
      'ERR_UNSUPPORTED',
      'no crypto backend: this runtime has no native crypto module and @noble/hashes and @noble/ciphers cannot be loaded',
      { field: 'crypto' },
    );
  }
  return chosen;
}
