/**
 * zod schemas of `km.keys` inputs, and the type → algorithm rules.
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { SIGNING_ALGORITHMS } from '../../crypto/signing.js';
import { validationError } from '../../errors.js';
import { fromBase64Url, utf8Encode } from '../../internal/bytes.js';
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
 * Options of `create`.
 *
 * @example
 * ```ts
 * const value = parseInput(createOptionsSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const createOptionsSchema = z.strictObject({
  ...scopeShape,
  name: nameSchema,
  type: z.enum(['hmac', 'aes', 'ed25519', 'ecdsa', 'rsa']),
  algorithm: z.optional(z.enum(ALGORITHMS)),
  modulusLength: z.optional(z.union([z.literal(2048), z.literal(3072), z.literal(4096)])),
  tags: z.optional(tagsSchema),
  meta: z.optional(metaSchema),
  expiresIn: z.optional(z.nullable(durationSchema)),
  /** A rotation policy set at create time (`null` or absent: none). */
  rotation: z.optional(z.nullable(rotationPolicySchema)),
});

/**
 * Options of `list`.
 *
 * @example
 * ```ts
 * const value = parseInput(listKeysSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const listKeysSchema = z.strictObject({
  ...scopeShape,
  tag: z.optional(tagSchema),
  ...namedPageShape,
});

/**
 * Options of `export`.
 *
 * @example
 * ```ts
 * const value = parseInput(exportOptionsSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const exportOptionsSchema = z.strictObject({
  ...scopeShape,
  version: z.optional(z.number().check(z.int(), z.gte(1), z.lte(Number.MAX_SAFE_INTEGER))),
  format: z.optional(z.literal('jwk')),
  includePrivate: z.optional(z.boolean()),
});

/**
 * Options of `encrypt`/`decrypt`.
 *
 * @example
 * ```ts
 * const value = parseInput(cipherOptionsSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const cipherOptionsSchema = z.strictObject({
  ...scopeShape,
  aad: z.optional(z.union([z.string().check(z.maxLength(65_536)), z.instanceof(Uint8Array)])),
});

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
