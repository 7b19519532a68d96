/**
 * The noble primitives on Node, Bun and Deno: what `#noble-primitives` (package.json "imports")
 * resolves to under the `node` condition. These runtimes have a native crypto module, so the
 * pure-JS backend runs only when `KEYWARDEN_CRYPTO=noble` forces it (or the module is missing):
 * noble is not imported with keywarden (its AES tables alone cost ~30 ms of CPU at import, issue
 * 16's cold start) but `require`d on the first call that needs it, with `createRequire` from the
 * runtime's `module` built-in reached through `process.getBuiltinModule` (Node ≥ 20.19, Bun and
 * Deno load ES modules with `require`). Self-contained on purpose, like ./noble-primitives.ts.
 * @internal
 * @module
 */
import type { NoblePrimitives } from './crypto-backend-types.js';

type RequireFn = (id: string) => Record<string, unknown>;

let loaded: NoblePrimitives | null | undefined;

/**
 * The noble functions the pure-JS backend is built from, loaded on the first call; null when this
 * runtime cannot load them (no `module` built-in, noble not installed next to keywarden).
 *
 * @example
 * ```ts
 * const noble = loadNoblePrimitives();
 * if (noble) noble.sha256(new Uint8Array(0));
 * ```
 * @throws never
 */
export function loadNoblePrimitives(): NoblePrimitives | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const mod = proc?.getBuiltinModule?.('module') as
      | { createRequire?: (from: string) => RequireFn }
      | undefined;
    if (typeof mod?.createRequire !== 'function') return null;
    const require = mod.createRequire(import.meta.url);
    const aes = require('@noble/ciphers/aes.js');
    const hmac = require('@noble/hashes/hmac.js');
    const sha2 = require('@noble/hashes/sha2.js');
    const utils = require('@noble/hashes/utils.js');
    const found = {
      gcm: aes['gcm'],
      hmac: hmac['hmac'],
      sha256: sha2['sha256'],
      sha384: sha2['sha384'],
      sha512: sha2['sha512'],
      randomBytes: utils['randomBytes'],
    };
    if (Object.values(found).every((f) => typeof f === 'function')) {
      loaded = Object.freeze(found as unknown as NoblePrimitives);
    }
  } catch {
    loaded = null;
  }
  return loaded;
}
