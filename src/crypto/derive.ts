/**
 * Key derivation: HKDF (RFC 5869) over the crypto backend's HMAC (native or noble), PBKDF2 (RFC 8018), scrypt (RFC 7914) and
 * Argon2id (RFC 9106) through ./kdf.ts (WebCrypto PBKDF2, native scrypt, noble where the runtime
 * lacks one: never in a bundle unless registered with `registerNobleKdfs()`).
 * Strings are UTF-8 encoded; encoded copies are zeroed after use (caller buffers are not touched).
 * @module
 */
import * as z from 'zod/mini';
import { KeywardenError, validationError } from '../errors.js';
import { utf8Encode, zeroize } from '../internal/bytes.js';
import { hkdf } from '../internal/hkdf.js';
import { parseTagged } from '../internal/validate.js';
import { argon2id, pbkdf2, scrypt } from './kdf.js';

/** Bytes or a string (UTF-8 encoded). */
export type KeyMaterialInput = Uint8Array | string;
/** Hashes HKDF and PBKDF2 can use. */
export type DeriveHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

/** Parameters of {@link deriveKey}, one shape per method. `length` is in bytes (16–64). */
export type DeriveKeyParams =
  | {
      /** HKDF (RFC 5869): expands a secret that is already strong (a shared secret, a master key). */
      method: 'hkdf';
      /** The input key material: 16–4096 bytes (a string is UTF-8 encoded). */
      ikm: KeyMaterialInput;
      /** Optional salt, at most 1024 bytes; absent: none (HKDF then uses zeros). */
      salt?: KeyMaterialInput;
      /**
       * Context that separates keys derived from the same `ikm` (e.g. `'myapp/v1/aes'`): at most 1024 bytes.
       */
      info?: KeyMaterialInput;
      /** Bytes of key material to derive: 16–64. */
      length: number;
      /** The HMAC hash; default `'SHA-256'`. */
      hash?: DeriveHash;
    }
  | {
      /** PBKDF2 (RFC 8018) with HMAC: derives a key from a password. */
      method: 'pbkdf2';
      /** The password: 1–4096 bytes (a string is UTF-8 encoded). */
      password: KeyMaterialInput;
      /** A random salt, unique per password: 8–1024 bytes. */
      salt: KeyMaterialInput;
      /** Iteration count: 1,000–10,000,000 (more is slower for an attacker and for you). */
      iterations: number;
      /** Bytes of key material to derive: 16–64. */
      length: number;
      /** The HMAC hash; default `'SHA-256'`. */
      hash?: DeriveHash;
    }
  | {
      /** scrypt (RFC 7914): a memory-hard password hash. */
      method: 'scrypt';
      /** The password: 1–4096 bytes (a string is UTF-8 encoded). */
      password: KeyMaterialInput;
      /** A random salt, unique per password: 8–1024 bytes. */
      salt: KeyMaterialInput;
      /**
       * CPU/memory cost: a power of two from 2^10 to 2^22; memory 128 · r · (N + p) bytes must stay within 1
       * GiB.
       */
      N: number;
      /** Block size: 1–32. */
      r: number;
      /** Parallelization: 1–16. */
      p: number;
      /** Bytes of key material to derive: 16–64. */
      length: number;
    }
  | {
      /** Argon2id (RFC 9106): the memory-hard password hash to prefer for new designs. */
      method: 'argon2id';
      /** The password: 1–4096 bytes (a string is UTF-8 encoded). */
      password: KeyMaterialInput;
      /** A random salt, unique per password: 8–1024 bytes. */
      salt: KeyMaterialInput;
      /** Passes over memory (time cost): 1–100. */
      t: number;
      /** Memory in KiB: at least 8 · p, at most 1,048,576 (1 GiB). */
      m: number;
      /** Lanes (parallelism): 1–16. */
      p: number;
      /** Bytes of key material to derive: 16–64. */
      length: number;
      /** Optional secret value K (RFC 9106 §3.1), e.g. a server-side pepper. */
      secret?: KeyMaterialInput;
      /** Optional associated data X (RFC 9106 §3.1). */
      associatedData?: KeyMaterialInput;
    };

/**
 * Bounds enforced by {@link deriveKey}.
 *
 * @example
 * ```ts
 * DERIVE_LIMITS.pbkdf2Iterations; // [1_000, 10_000_000]
 * ```
 */
export const DERIVE_LIMITS = Object.freeze({
  /** `[min, max]` bytes of derived key material. */
  length: [16, 64],
  /** `[min, max]` bytes of a PBKDF2, scrypt or Argon2id salt (an HKDF salt may be empty or absent). */
  saltBytes: [8, 1024],
  /** `[min, max]` bytes of HKDF input key material. */
  ikmBytes: [16, 4096],
  /** `[min, max]` bytes of a password. */
  passwordBytes: [1, 4096],
  /** `[min, max]` bytes of HKDF `info` and Argon2id `associatedData`. */
  infoBytes: [0, 1024],
  /** `[min, max]` PBKDF2 iterations. */
  pbkdf2Iterations: [1_000, 10_000_000],
  /** `[min, max]` of log2 of scrypt's `N` (`N` from 1024 to 4,194,304, a power of two). */
  scryptLog2N: [10, 22],
  /** `[min, max]` scrypt block size `r`. */
  scryptR: [1, 32],
  /** `[min, max]` scrypt parallelization `p`. */
  scryptP: [1, 16],
  /** scrypt memory, 128 · r · (N + p) bytes. */
  scryptMaxMemory: 1024 ** 3,
  /** `[min, max]` Argon2id passes `t`. */
  argon2T: [1, 100],
  /** Argon2 memory in KiB: at least 8 · p, at most 1 GiB. */
  argon2M: [8, 1024 * 1024],
  /** `[min, max]` Argon2id lanes `p`. */
  argon2P: [1, 16],
  /** `[min, max]` bytes of the Argon2id `secret`. */
  argon2SecretBytes: [1, 1024],
} as const);

const L = DERIVE_LIMITS;
const int = (min: number, max: number) => z.number().check(z.int(), z.gte(min), z.lte(max));

/**
 * The schema of each `method` (parsed with `parseTagged`, a discriminated union by `method`), built on
 * the first `deriveKey` call: a manager's cold start never derives (issue 16). A local memo rather than
 * internal/lazy.ts: that import would put lazy() in a chunk of its own, one more file at import.
 */
let builtSchemas: ReturnType<typeof buildSchemas> | undefined;
const schemas = () => (builtSchemas ??= buildSchemas());
function buildSchemas() {
  const material = z.union([z.string(), z.instanceof(Uint8Array)]);
  const length = int(L.length[0], L.length[1]);
  const hash = z.optional(z.enum(['SHA-256', 'SHA-384', 'SHA-512']));
  return [
    z.strictObject({
      method: z.literal('hkdf'),
      ikm: material,
      salt: z.optional(material),
      info: z.optional(material),
      length,
      hash,
    }),
    z.strictObject({
      method: z.literal('pbkdf2'),
      password: material,
      salt: material,
      iterations: int(L.pbkdf2Iterations[0], L.pbkdf2Iterations[1]),
      length,
      hash,
    }),
    z.strictObject({
      method: z.literal('scrypt'),
      password: material,
      salt: material,
      N: int(2 ** L.scryptLog2N[0], 2 ** L.scryptLog2N[1]).check(
        z.refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
      ),
      r: int(L.scryptR[0], L.scryptR[1]),
      p: int(L.scryptP[0], L.scryptP[1]),
      length,
    }),
    z.strictObject({
      method: z.literal('argon2id'),
      password: material,
      salt: material,
      t: int(L.argon2T[0], L.argon2T[1]),
      m: int(L.argon2M[0], L.argon2M[1]),
      p: int(L.argon2P[0], L.argon2P[1]),
      length,
      secret: z.optional(material),
      associatedData: z.optional(material),
    }),
  ];
}

/** Bytes of `input`, plus whether we own (and must zero) them. */
function bytesOf(input: KeyMaterialInput, field: string, [min, max]: readonly [number, number]) {
  const owned = typeof input === 'string';
  const bytes = owned ? utf8Encode(input) : input;
  if (bytes.length < min || bytes.length > max) {
    if (owned) zeroize(bytes);
    throw validationError(`params.${field}`, `must be ${min}-${max} bytes`);
  }
  return { bytes, owned };
}

/**
 * Derives `length` bytes of key material.
 *
 * @example
 * ```ts
 * declare const salt: KeyMaterialInput;
 * declare const sharedSecret: Uint8Array; // e.g. from an ECDH exchange
 * const key = await deriveKey({ method: 'hkdf', ikm: sharedSecret, info: 'keywarden/v1/aes', length: 32 });
 * const pw = await deriveKey({ method: 'argon2id', password: 'hunter2', salt, t: 3, m: 65536, p: 1, length: 32 });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the bad parameter (`params.iterations`,
 *   `params.salt`, `params.N`, `params.m`, …); `ERR_UNSUPPORTED` (field `params.method`) for scrypt
 *   or Argon2id in a browser or Worker without `registerNobleKdfs()` (keywarden/crypto/noble).
 */
export async function deriveKey(params: DeriveKeyParams): Promise<Uint8Array> {
  const p = parseTagged('method', schemas(), params, 'params');
  const owned: Uint8Array[] = [];
  const take = (input: KeyMaterialInput | undefined, field: string, range: readonly [number, number]) => {
    if (input === undefined) return undefined;
    const r = bytesOf(input, field, range);
    if (r.owned) owned.push(r.bytes);
    return r.bytes;
  };
  try {
    switch (p.method) {
      case 'hkdf': {
        const ikm = take(p.ikm, 'ikm', L.ikmBytes) as Uint8Array;
        const salt = take(p.salt, 'salt', [0, L.saltBytes[1]]);
        const info = take(p.info, 'info', L.infoBytes);
        return hkdf(p.hash ?? 'SHA-256', ikm, salt, info, p.length);
      }
      case 'pbkdf2': {
        const password = take(p.password, 'password', L.passwordBytes) as Uint8Array;
        const salt = take(p.salt, 'salt', L.saltBytes) as Uint8Array;
        return await pbkdf2(p.hash ?? 'SHA-256', password, salt, p.iterations, p.length);
      }
      case 'scrypt': {
        if (128 * p.r * (p.N + p.p) > L.scryptMaxMemory) {
          throw validationError('params.N', 'with r needs more than 1 GiB (128 * r * (N + p))');
        }
        const password = take(p.password, 'password', L.passwordBytes) as Uint8Array;
        const salt = take(p.salt, 'salt', L.saltBytes) as Uint8Array;
        const options = { N: p.N, r: p.r, p: p.p, dkLen: p.length, maxmem: L.scryptMaxMemory + 1 };
        return await scrypt(password, salt, options, 'params.method');
      }
      case 'argon2id': {
        if (p.m < 8 * p.p) throw validationError('params.m', 'must be at least 8 * p KiB');
        const password = take(p.password, 'password', L.passwordBytes) as Uint8Array;
        const salt = take(p.salt, 'salt', L.saltBytes) as Uint8Array;
        const key = take(p.secret, 'secret', L.argon2SecretBytes);
        const personalization = take(p.associatedData, 'associatedData', L.infoBytes);
        return await argon2id(password, salt, {
          t: p.t,
          m: p.m,
          p: p.p,
          dkLen: p.length,
          ...(key ? { key } : {}),
          ...(personalization ? { personalization } : {}),
        });
      }
    }
  } catch (error) {
    if (error instanceof KeywardenError) throw error;
    throw new KeywardenError('ERR_VALIDATION', `params rejected by ${p.method}`, {
      field: 'params',
      cause: error,
    });
  } finally {
    zeroize(...owned);
  }
}
