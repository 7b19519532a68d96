/**
 * Types of ./noble-primitives-node.js (the `node` target of `#noble-primitives`).
 * @internal
 * @module
 */
import type { NoblePrimitives } from '../src/internal/crypto-backend-types.js';

export type { NoblePrimitives };

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
export declare function loadNoblePrimitives(): NoblePrimitives | null;
