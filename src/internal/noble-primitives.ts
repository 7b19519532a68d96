/**
 * The noble primitives, imported statically: what `#noble-primitives` (package.json "imports")
 * resolves to everywhere but Node, Bun and Deno — browsers, Workers, any bundle built without the
 * `node` condition — so the pure-JS backend is in the bundle of a runtime that has no native crypto
 * module. Node, Bun and Deno resolve lib/noble-primitives-node.js instead and load noble only when a
 * call needs it. Self-contained on purpose (it imports noble and nothing of keywarden): the built
 * file is its own entry, loaded through the bare `#noble-primitives` specifier.
 * @internal
 * @module
 */
import { gcm } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import type { NoblePrimitives } from './crypto-backend-types.js';

const primitives: NoblePrimitives = Object.freeze({ gcm, hmac, sha256, sha384, sha512, randomBytes });

/**
 * The noble functions the pure-JS backend is built from (always available here: bundled).
 *
 * @example
 * ```ts
 * const noble = loadNoblePrimitives();
 * if (noble) noble.sha256(new Uint8Array(0));
 * ```
 * @throws never
 */
export function loadNoblePrimitives(): NoblePrimitives | null {
  return primitives;
}
