/**
 * zod schemas of `km.keys` inputs, and the type → algorithm rules.
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { SIGNING_ALGORITHMS } from '../../crypto/signing.js';
import { validationError } from '../../errors.js';
import { fromBase64Url, utf8Encode } from '../../internal/bytes.js';
import { lazy } from '../../internal/lazy.js';
import { rotationPolicySchema } from '../../records/policy-schema.js';
import {
  durationSchema,
  metaSchema,
  namedPageShape,
  namedScopeSchema,
  namedScopeShape,
  nameSchema,
  tagSchema,
  tagsSchema,
} from '../../records/schemas.js';
import type { KeyAlgorithm, KeyCurve, KeyType, RsaModulusLength } from '../key-types.js';

/**
 * Largest message `sign`, `verify`, `encrypt` accept: 16 MiB.
 *
 * @example
 * ```ts
 * MAX_KEY_DATA_BYTES; // 16 * 1024 * 1024
 * ```
 */
export const MAX_KEY_DATA_BYTES = 16 * 1024 * 1024;

const scopeShape = namedScopeShape;

/**
 * `{ environment?, tenantId? }` of a key.
 *
 * @example
 * ```ts
 * const scope = parseInput(keyScopeSchema, options ?? {}, 'options');
 * ```
 */
export const keyScopeSchema = namedScopeSchema;

/**
 * The key's name.
 *
 * @example
 * ```ts
 * const value = parseInput(keyNameSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const keyNameSchema = nameSchema;

/** Every `algorithm` create accepts: the signing algorithms, AES-GCM, and ECDSA curve names. */
const ALGORITHMS = [...SIGNING_ALGORITHMS, 'A256GCM', 'P-256', 'P-384', 'secp256k1'] as const;

/**
 * The values of `type` in `km.keys.create`, each mapped to itself (the entries of its `z.enum`).
 *
 * @example
 * ```ts
 * const type: keyof KeyTypeEnum = 'ecdsa';
 * ```
 */
export type KeyTypeEnum = {
  /** An HMAC key (symmetric) that signs and verifies: `HS256` (default), `HS384` or `HS512`. */
  readonly hmac: 'hmac';
  /** A 256-bit AES-GCM key (`A256GCM`) for `encrypt`/`decrypt`; it does not sign and has no JWKS entry. */
  readonly aes: 'aes';
  /** An Ed25519 key pair that signs with `EdDSA`. */
  readonly ed25519: 'ed25519';
  /** An ECDSA key pair: `ES256` on P-256 (default), `ES384` on P-384 or `ES256K` on secp256k1. */
  readonly ecdsa: 'ecdsa';
  /** An RSA key pair (2048-bit unless `modulusLength` says 3072 or 4096): `RS256` (default) to `PS512`. */
  readonly rsa: 'rsa';
};

/**
 * The values of `algorithm` in `km.keys.create`, each mapped to itself (the entries of its
 * `z.enum`). Each is allowed for one `type` only (else `ERR_VALIDATION` naming `options.algorithm`).
 *
 * @example
 * ```ts
 * const algorithm: keyof KeyAlgorithmEnum = 'ES256';
 * ```
 */
export type KeyAlgorithmEnum = {
  /** hmac: HMAC with SHA-256 (the hmac default). */
  readonly HS256: 'HS256';
  /** hmac: HMAC with SHA-384. */
  readonly HS384: 'HS384';
  /** hmac: HMAC with SHA-512. */
  readonly HS512: 'HS512';
  /** ed25519: Ed25519 signatures (the only ed25519 algorithm). */
  readonly EdDSA: 'EdDSA';
  /** ecdsa: P-256 with SHA-256 (the ecdsa default). */
  readonly ES256: 'ES256';
  /** ecdsa: P-384 with SHA-384. */
  readonly ES384: 'ES384';
  /** ecdsa: secp256k1 with SHA-256. */
  readonly ES256K: 'ES256K';
  /** rsa: RSASSA-PKCS1-v1_5 with SHA-256 (the rsa default). */
  readonly RS256: 'RS256';
  /** rsa: RSASSA-PKCS1-v1_5 with SHA-384. */
  readonly RS384: 'RS384';
  /** rsa: RSASSA-PKCS1-v1_5 with SHA-512. */
  readonly RS512: 'RS512';
  /** rsa: RSASSA-PSS with SHA-256. */
  readonly PS256: 'PS256';
  /** rsa: RSASSA-PSS with SHA-384. */
  readonly PS384: 'PS384';
  /** rsa: RSASSA-PSS with SHA-512. */
  readonly PS512: 'PS512';
  /** aes: AES-256-GCM (the only aes algorithm). */
  readonly A256GCM: 'A256GCM';
  /** ecdsa: the curve name for `ES256`; the key is stored and reported as `ES256`. */
  readonly 'P-256': 'P-256';
  /** ecdsa: the curve name for `ES384`; the key is stored and reported as `ES384`. */
  readonly 'P-384': 'P-384';
  /** ecdsa: the curve name for `ES256K`; the key is stored and reported as `ES256K`. */
  readonly secp256k1: 'secp256k1';
};

const keyTypeSchema: z.ZodMiniEnum<KeyTypeEnum> = z.enum(['hmac', 'aes', 'ed25519', 'ecdsa', 'rsa']);
const keyAlgorithmSchema: z.ZodMiniEnum<KeyAlgorithmEnum> = z.enum(ALGORITHMS);

/**
 * Options of `create`.
 *
 * @example
 * ```ts
 * const value = parseInput(createOptionsSchema(), input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const createOptionsSchema = lazy(() =>
  z.strictObject({
    ...scopeShape,
    /** The key's name, unique within its environment and tenant: 1–128 characters, no control characters. */
    name: nameSchema,
    /** The kind of key; decides which algorithms are allowed and what the key can do. */
    type: keyTypeSchema,
    /**
     * The algorithm, or an ECDSA curve name; absent: the type's default (`HS256`, `A256GCM`, `EdDSA`, `ES256`,
     * `RS256`).
     */
    algorithm: z.optional(keyAlgorithmSchema),
    /** RSA only (`ERR_VALIDATION` for another type): 2048 (default), 3072 or 4096 bits. */
    modulusLength: z.optional(z.union([z.literal(2048), z.literal(3072), z.literal(4096)])),
    /** Up to 32 distinct tags of 1–64 `[A-Za-z0-9_.:/-]` characters, for filtering `list`. */
    tags: z.optional(tagsSchema),
    /** Your own JSON object kept with the key (depth ≤ 8, ≤ 16 KiB as canonical JSON, finite numbers). */
    meta: z.optional(metaSchema),
    /**
     * Lifetime (ms or a duration like `'365d'`; output ms) after which the key is expired; `null` or absent:
     * never.
     */
    expiresIn: z.optional(z.nullable(durationSchema)),
    /** A rotation policy set at create time (`null` or absent: none). */
    rotation: z.optional(z.nullable(rotationPolicySchema)),
  }),
);

/**
 * Options of `list`.
 *
 * @example
 * ```ts
 * const value = parseInput(listKeysSchema(), input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const listKeysSchema = lazy(() =>
  z.strictObject({
    ...scopeShape,
    /** Only keys carrying this tag. */
    tag: z.optional(tagSchema),
    ...namedPageShape,
  }),
);

/**
 * Options of `export`.
 *
 * @example
 * ```ts
 * const value = parseInput(exportOptionsSchema(), input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const exportOptionsSchema = lazy(() =>
  z.strictObject({
    ...scopeShape,
    version: z.optional(z.number().check(z.int(), z.gte(1), z.lte(Number.MAX_SAFE_INTEGER))),
    format: z.optional(z.literal('jwk')),
    includePrivate: z.optional(z.boolean()),
  }),
);

/**
 * Options of `encrypt`/`decrypt`.
 *
 * @example
 * ```ts
 * const value = parseInput(cipherOptionsSchema(), input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const cipherOptionsSchema = lazy(() =>
  z.strictObject({
    ...scopeShape,
    aad: z.optional(z.union([z.string().check(z.maxLength(65_536)), z.instanceof(Uint8Array)])),
  }),
);

/** What a key record's `data` holds. */
export interface KeySpec {
  type: KeyType;
  alg: KeyAlgorithm;
  curve: KeyCurve | null;
  modulusLength: RsaModulusLength | null;
}

const CURVE_ALG: Record<KeyCurve, KeyAlgorithm> = { 'P-256': 'ES256', 'P-384': 'ES384', secp256k1: 'ES256K' };
const ALG_CURVE: Partial<Record<KeyAlgorithm, KeyCurve>> = {
  ES256: 'P-256',
  ES384: 'P-384',
  ES256K: 'secp256k1',
};
const ALLOWED: Record<KeyType, readonly string[]> = {
  hmac: ['HS256', 'HS384', 'HS512'],
  aes: ['A256GCM'],
  ed25519: ['EdDSA'],
  ecdsa: ['ES256', 'ES384', 'ES256K', 'P-256', 'P-384', 'secp256k1'],
  rsa: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
};
const DEFAULT_ALG: Record<KeyType, KeyAlgorithm> = {
  hmac: 'HS256',
  aes: 'A256GCM',
  ed25519: 'EdDSA',
  ecdsa: 'ES256',
  rsa: 'RS256',
};

/**
 * Resolves type + algorithm (+ modulusLength) into a {@link KeySpec}.
 * @example
 * ```ts
 * resolveKeySpec('ecdsa', 'P-384', undefined); // { type: 'ecdsa', alg: 'ES384', curve: 'P-384', modulusLength: null }
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `options.algorithm` or `options.modulusLength`.
 */
export function resolveKeySpec(
  type: KeyType,
  algorithm: KeyAlgorithm | KeyCurve | undefined,
  modulusLength: RsaModulusLength | undefined,
): KeySpec {
  if (algorithm !== undefined && !ALLOWED[type].includes(algorithm)) {
    throw validationError(
      'options.algorithm',
      `must be one of ${ALLOWED[type].join(', ')} for a ${type} key`,
    );
  }
  if (modulusLength !== undefined && type !== 'rsa') {
    throw validationError('options.modulusLength', 'is only for rsa keys');
  }
  const given = algorithm ?? DEFAULT_ALG[type];
  const alg = (given in CURVE_ALG ? CURVE_ALG[given as KeyCurve] : given) as KeyAlgorithm;
  return {
    type,
    alg,
    curve: type === 'ecdsa' ? (ALG_CURVE[alg] as KeyCurve) : null,
    modulusLength: type === 'rsa' ? (modulusLength ?? 2048) : null,
  };
}

/**
 * Reads a key record's `data` back into a {@link KeySpec}.
 * @example
 * ```ts
 * const spec = specOf(record.data);
 * ```
 * @throws never (records are written by keywarden)
 */
export function specOf(data: Record<string, unknown>): KeySpec {
  return {
    type: data['type'] as KeyType,
    alg: data['alg'] as KeyAlgorithm,
    curve: (data['curve'] ?? null) as KeyCurve | null,
    modulusLength: (data['modulusLength'] ?? null) as RsaModulusLength | null,
  };
}

/**
 * Message input: a string (UTF-8) or bytes, at most 16 MiB. Returns bytes (a fresh copy for strings).
 * @example
 * ```ts
 * const bytes = toDataBytes('hello', 'data');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `field`.
 */
export function toDataBytes(value: unknown, field: string): Uint8Array {
  if (typeof value === 'string') {
    if (value.length > MAX_KEY_DATA_BYTES) throw validationError(field, 'is too big (maximum 16 MiB)');
    return utf8Encode(value);
  }
  if (value instanceof Uint8Array) {
    if (value.length > MAX_KEY_DATA_BYTES) throw validationError(field, 'is too big (maximum 16 MiB)');
    return value;
  }
  throw validationError(field, 'must be a string or a Uint8Array');
}

/**
 * A signature input: bytes, or base64url text. Undecodable text gives null (a bad signature, not an error).
 * @example
 * ```ts
 * const sig = toSignatureBytes(input); // null → verify returns false
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `signature`) for any other type.
 */
export function toSignatureBytes(value: unknown): Uint8Array | null {
  if (value instanceof Uint8Array) return value.length > 65_536 ? null : value;
  if (typeof value === 'string') {
    if (value.length > 100_000) return null;
    try {
      return fromBase64Url(value);
    } catch {
      return null;
    }
  }
  throw validationError('signature', 'must be a Uint8Array or a base64url string');
}
