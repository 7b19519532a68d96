/**
 * The noble primitives on Node, Bun and Deno: what `#noble-primitives` (package.json "imports")
 * resolves to under the `node` condition. These runtimes have a native crypto module, so the
 * pure-JS backend runs only when `KEYWARDEN_CRYPTO=noble` forces it (or the module is missing):
 * noble is not imported with keywarden (its AES tables alone cost ~30 ms of CPU at import, issue
 * 16's cold start) but `require`d on the first call that needs it, with `createRequire` from the
 * runtime's `module` built-in reached through `process.getBuiltinModule` (Node ≥ 20.19, Bun and
 * Deno load ES modules with `require`).
 *
 * Plain JavaScript, committed, not built: the same file serves the built package and the sources
 * run through tsx (benches, the CLI tests), which resolve `#noble-primitives` with the `node`
 * condition too and must not depend on dist/. Types: ./noble-primitives-node.d.ts. Self-contained
 * on purpose (noble only), like src/internal/noble-primitives.ts, the `default` target.
 * @internal
 * @module
 */

/** @type {import('./noble-primitives-node.js').NoblePrimitives | null | undefined} */
let loaded;

/** @type {typeof import('./noble-primitives-node.js').loadNoblePrimitives} */
export function loadNoblePrimitives() {
  if (loaded !== undefined) return loaded;
  loaded = null;
  try {
    const mod = globalThis.process?.getBuiltinModule?.('module');
    if (typeof mod?.createRequire !== 'function') return null;
    const require = mod.createRequire(import.meta.url);
    const aes = require('@noble/ciphers/aes.js');
    const hmac = require('@noble/hashes/hmac.js');
    const sha2 = require('@noble/hashes/sha2.js');
    const utils = require('@noble/hashes/utils.js');
    const found = {
      gcm: aes.gcm,
      hmac: hmac.hmac,
      sha256: sha2.sha256,
      sha384: sha2.sha384,
      sha512: sha2.sha512,
      randomBytes: utils.randomBytes,
    };
    if (Object.values(found).every((f) => typeof f === 'function')) loaded = Object.freeze(found);
  } catch {
    loaded = null;
  }
  return loaded;
}
