/**
 * The scrypt parameters of `passphraseKms`: option validation, and the record kept in store meta
 * under `kms.passphrase` (`{ v: 1, alg: 'scrypt', N, r, p, salt }`, salt base64url of 16 bytes).
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { isKeywardenError, KeywardenError, toStorageError } from '../errors.js';
import { fromBase64Url, randomBytes, toBase64Url, toHex, utf8Encode } from '../internal/bytes.js';
import { canonicalJson } from '../internal/canonical-json.js';
import { cryptoBackend } from '../internal/crypto-backend.js';
import { lazy } from '../internal/lazy.js';
import { parseInput } from '../internal/validate.js';
import type { MetaStore } from '../ports/storage.js';

import { PASSPHRASE_META_KEY } from '../records/store-meta.js';

export { PASSPHRASE_META_KEY };
/**
 * Salt length in bytes.
 *
 * @example
 * ```ts
 * SALT_BYTES; // 16
 * ```
 */
export const SALT_BYTES = 16;
/**
 * Smallest accepted scrypt N (the largest is {@link MAX_N}).
 *
 * @example
 * ```ts
 * MIN_N; // 2 ** 14
 * ```
 */
export const MIN_N = 2 ** 14;
/**
 * Largest accepted scrypt N.
 *
 * @example
 * ```ts
 * MAX_N; // 2 ** 20
 * ```
 */
export const MAX_N = 2 ** 20;
/**
 * Largest scrypt table (128·r·N bytes) accepted: 1 GiB.
 *
 * @example
 * ```ts
 * MAX_SCRYPT_MEMORY; // 2 ** 30
 * ```
 */
export const MAX_SCRYPT_MEMORY = 2 ** 30;
/**
 * Defaults: N = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s in JS).
 *
 * @example
 * ```ts
 * DEFAULT_SCRYPT; // Object.freeze({ N: 2 ** 15, r: 8, p: 1 })
 * ```
 */
export const DEFAULT_SCRYPT = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

/** scrypt cost parameters. */
export interface ScryptParams {
  /** CPU/memory cost: a power of two from 2^14 to 2^20 (default 2^15). */
  N: number;
  /** Block size, 1 to 32 (default 8). */
  r: number;
  /** Parallelization, 1 to 16 (default 1). */
  p: number;
}

/** The record stored in meta. */
export interface StoredPassphraseParams extends ScryptParams {
  v: 1;
  alg: 'scrypt';
  /** base64url of {@link SALT_BYTES} random bytes. */
  salt: string;
}

const isPow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

const fitsMemory = (s: ScryptParams): boolean => 128 * s.r * s.N <= MAX_SCRYPT_MEMORY;
const MEMORY_MESSAGE = 'needs more than 1 GiB (128 * r * N); lower N or r';

/**
 * The schemas of the `scrypt` option and of the stored parameters, built on first use: a manager
 * on `localKms` never reads them (issue 16's cold start).
 */
const schemas = lazy(() => {
  const costShape = {
    N: z.number().check(
      z.int(),
      z.refine((n) => isPow2(n) && n >= MIN_N && n <= MAX_N, 'must be a power of two from 2^14 to 2^20'),
    ),
    r: z.number().check(z.int(), z.gte(1), z.lte(32)),
    p: z.number().check(z.int(), z.gte(1), z.lte(16)),
  };
  const options = z.optional(
    z.strictObject({ N: z.optional(costShape.N), r: z.optional(costShape.r), p: z.optional(costShape.p) }),
  );
  const stored = z.strictObject({
    v: z.literal(1),
    alg: z.literal('scrypt'),
    ...costShape,
    salt: z.string(),
  });
  return { options, stored };
});

/**
 * Validates the `scrypt` option and applies defaults.
 *
 * @example
 * ```ts
 * resolveScryptOptions({ N: 2 ** 16 }); // { N: 65536, r: 8, p: 1 }
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `scrypt.N`, `scrypt.r`, `scrypt.p` or `scrypt`.
 */
export function resolveScryptOptions(input: unknown): ScryptParams {
  const given = parseInput(schemas().options, input, 'scrypt') ?? {};
  const params: ScryptParams = {
    N: given.N ?? DEFAULT_SCRYPT.N,
    r: given.r ?? DEFAULT_SCRYPT.r,
    p: given.p ?? DEFAULT_SCRYPT.p,
  };
  if (!fitsMemory(params)) {
    throw new KeywardenError('ERR_VALIDATION', `scrypt ${MEMORY_MESSAGE}`, { field: 'scrypt' });
  }
  return params;
}

/**
 * Parses the meta record; anything unexpected is `ERR_KMS` (the store's KMS parameters are corrupt).
 *
 * @example
 * ```ts
 * const raw = await storage.getMeta(PASSPHRASE_META_KEY);
 * if (raw !== null) console.log(parseStoredParams(raw).N);
 * ```
 * @throws KeywardenError `ERR_KMS` for a record that is not JSON, malformed, or out of bounds.
 */
export function parseStoredParams(raw: string): StoredPassphraseParams {
  const bad = (why: string): KeywardenError =>
    new KeywardenError('ERR_KMS', `passphraseKms: store meta ${PASSPHRASE_META_KEY} ${why}`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw bad('is not JSON');
  }
  const result = schemas().stored.safeParse(json);
  if (!result.success) throw bad('is malformed or holds unsupported parameters');
  const params = result.data as StoredPassphraseParams;
  if (!fitsMemory(params)) throw bad(`asks for scrypt that ${MEMORY_MESSAGE}`);
  let salt: Uint8Array;
  try {
    salt = fromBase64Url(params.salt);
  } catch {
    throw bad('has a salt that is not base64url');
  }
  if (salt.length !== SALT_BYTES) throw bad(`has a salt that is not ${SALT_BYTES} bytes`);
  return params;
}

/**
 * Serializes the meta record (canonical JSON).
 *
 * @example
 * ```ts
 * declare const params: StoredPassphraseParams;
 * await storage.setMeta(PASSPHRASE_META_KEY, serializeParams(params), { expected: null });
 * ```
 * @throws never for valid params.
 */
export function serializeParams(params: StoredPassphraseParams): string {
  return canonicalJson({ ...params });
}

/**
 * The non-secret keyId of a parameter set: hex of the first 8 bytes of
 * SHA-256('keywarden/kms/passphrase-id\n' + canonical JSON of the params). It names the salt, not the
 * passphrase, so a wrong passphrase fails authentication (`ERR_DECRYPT`) rather than the key lookup.
 *
 * @example
 * ```ts
 * declare const params: StoredPassphraseParams;
 * paramsKeyId(params); // '9c1e...' (16 hex chars)
 * ```
 * @throws never for valid params.
 */
export function paramsKeyId(params: StoredPassphraseParams): string {
  const digest = cryptoBackend().sha256(
    utf8Encode(`keywarden/kms/passphrase-id\n${serializeParams(params)}`),
  );
  return toHex(digest.subarray(0, 8));
}

const MAX_ATTEMPTS = 5;

/**
 * Reads the parameters from `meta`, creating them (random salt, `wanted` costs) if absent. Safe with
 * concurrent callers: creation is a compare-and-swap with `expected: null`; the loser re-reads.
 * Stored parameters always win over `wanted`.
 *
 * @example
 * ```ts
 * const params = await loadOrCreateParams(storage, { N: 2 ** 15, r: 8, p: 1 });
 * ```
 * @throws KeywardenError `ERR_KMS` for a corrupt record, `ERR_STORAGE` when meta fails.
 */
export async function loadOrCreateParams(
  meta: MetaStore,
  wanted: ScryptParams,
): Promise<StoredPassphraseParams> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    let raw: string | null;
    try {
      raw = await meta.getMeta(PASSPHRASE_META_KEY);
    } catch (error) {
      throw toStorageError(error, 'getMeta');
    }
    if (raw !== null) {
      if (typeof raw !== 'string')
        throw toStorageError(new TypeError('getMeta returned a non-string'), 'getMeta');
      return parseStoredParams(raw);
    }
    const fresh: StoredPassphraseParams = {
      v: 1,
      alg: 'scrypt',
      N: wanted.N,
      r: wanted.r,
      p: wanted.p,
      salt: toBase64Url(randomBytes(SALT_BYTES)),
    };
    try {
      await meta.setMeta(PASSPHRASE_META_KEY, serializeParams(fresh), { expected: null });
      return fresh;
    } catch (error) {
      if (isKeywardenError(error, 'ERR_CONFLICT')) continue;
      throw toStorageError(error, 'setMeta');
    }
  }
  throw new KeywardenError(
    'ERR_KMS',
    `passphraseKms: could not read or create store meta ${PASSPHRASE_META_KEY}`,
  );
}
