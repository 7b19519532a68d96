/**
 * zod schemas of `km.secrets` inputs.
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { validationError } from '../../errors.js';
import { utf8Decode, utf8Encode } from '../../internal/bytes.js';
import { lazy } from '../../internal/lazy.js';
import { rotationPolicySchema } from '../../records/policy-schema.js';
import {
  expectedRevisionSchema,
  idLikeSchema,
  metaSchema,
  namedPageShape,
  namedScopeSchema,
  namedScopeShape,
  nameSchema,
  tagSchema,
  tagsSchema,
  timestampSchema,
  wellFormedString,
} from '../../records/schemas.js';

/**
 * Largest secret value: 64 KiB of UTF-8.
 *
 * @example
 * ```ts
 * MAX_SECRET_BYTES; // 65_536
 * ```
 */
export const MAX_SECRET_BYTES = 65_536;

/**
 * An environment variable name.
 *
 * @example
 * ```ts
 * const value = parseInput(envVarSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const envVarSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/));

/**
 * A rotation provider name: 1–64 of `[A-Za-z0-9_.:-]`.
 *
 * @example
 * ```ts
 * const value = parseInput(providerSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const providerSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_.:-]+$/));

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function noControlButNewlines(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

const scopeShape = namedScopeShape;

/**
 * `{ environment?, tenantId? }` of a secret.
 *
 * @example
 * ```ts
 * const scope = parseInput(secretScopeSchema, options ?? {}, 'options');
 * ```
 */
export const secretScopeSchema = namedScopeSchema;

/**
 * Options of `set`.
 *
 * @example
 * ```ts
 * const value = parseInput(setOptionsSchema(), input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const setOptionsSchema = lazy(() =>
  z.strictObject({
    ...scopeShape,
    /**
     * The rotation provider that makes its new values (1–64 of `[A-Za-z0-9_.:-]`, a name given to
     * `km.rotator.registerProvider`); `null` clears it, absent keeps the stored one.
     */
    provider: z.optional(z.nullable(providerSchema)),
    /**
     * The environment variable `toEnv` puts it in (`[A-Za-z_][A-Za-z0-9_]*`, at most 128). `null`: the
     * default, the name upper-cased with every other character turned into `_`; absent keeps the
     * stored one (the default for a new secret).
     */
    envVar: z.optional(z.nullable(envVarSchema)),
    /** Up to 32 distinct tags of 1–64 `[A-Za-z0-9_.:/-]` characters (filters of `list` and `toEnv`). */
    tags: z.optional(tagsSchema),
    /** Your own JSON object kept with the secret (depth ≤ 8, ≤ 16 KiB as canonical JSON, finite numbers). */
    meta: z.optional(metaSchema),
    /** When the secret stops being readable (epoch ms or a Date; output epoch ms); `null` clears it. */
    expiresAt: z.optional(z.nullable(timestampSchema)),
    /**
     * Free text for people: at most 1024 characters, no control characters but tab and newline;
     * `null` clears it.
     */
    description: z.optional(
      z.nullable(
        wellFormedString().check(
          z.maxLength(1024),
          z.refine(noControlButNewlines, 'must not hold control characters other than tab and newline'),
        ),
      ),
    ),
    /** Rotation policy: an object sets (replaces) it, `null` clears it, absent leaves it. */
    rotation: z.optional(z.nullable(rotationPolicySchema)),
    /**
     * The `revision` you read: the new version is written only on that revision; a secret changed
     * meanwhile, or missing, is `ERR_CONFLICT` and nothing is written.
     */
    expectedRevision: z.optional(expectedRevisionSchema),
  }),
);

/**
 * Options of `get`.
 *
 * @example
 * ```ts
 * const value = parseInput(getOptionsSchema(), input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const getOptionsSchema = lazy(() =>
  z.strictObject({
    ...scopeShape,
    /** A version number (current, pending, or previous before its `retireAt`); absent: the current one. */
    version: z.optional(z.number().check(z.int(), z.gte(1), z.lte(Number.MAX_SAFE_INTEGER))),
    /** Who reads the value (1–128 characters), recorded as the actor of the `secret.read` audit event. */
    actor: z.optional(idLikeSchema),
  }),
);

/**
 * Options of `rollback`.
 *
 * @example
 * ```ts
 * const value = parseInput(rollbackOptionsSchema(), input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const rollbackOptionsSchema = lazy(() =>
  z.strictObject({
    ...scopeShape,
    to: z.optional(z.number().check(z.int(), z.gte(1), z.lte(Number.MAX_SAFE_INTEGER))),
    expectedRevision: z.optional(expectedRevisionSchema),
  }),
);

/**
 * Options of `list`.
 *
 * @example
 * ```ts
 * const value = parseInput(listOptionsSchema(), input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const listOptionsSchema = lazy(() =>
  z.strictObject({
    ...scopeShape,
    /** Only secrets carrying this tag. */
    tag: z.optional(tagSchema),
    /** Only secrets managed by this rotation provider. */
    provider: z.optional(providerSchema),
    ...namedPageShape,
  }),
);

/**
 * Options of `toEnv`.
 *
 * @example
 * ```ts
 * const value = parseInput(toEnvOptionsSchema(), input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const toEnvOptionsSchema = lazy(() => z.strictObject({ ...scopeShape, tag: z.optional(tagSchema) }));

/**
 * The secret's name.
 *
 * @example
 * ```ts
 * const value = parseInput(secretNameSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const secretNameSchema = nameSchema;

/**
 * Encodes a secret value to fresh UTF-8 bytes (the caller zeroes them). A Uint8Array must be valid
 * UTF-8 (it is copied). The value is never echoed in an error.
 * @example
 * ```ts
 * const bytes = encodeSecretValue('sk-...');
 * try { await sealValue(ctx, state, bytes, bindingOf(record, 1)); } finally { zeroize(bytes); }
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `value`) when not a string/Uint8Array, empty,
 *   over 64 KiB, invalid UTF-8 or holding a lone surrogate.
 */
export function encodeSecretValue(value: unknown): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') {
    if (value.length === 0) throw validationError('value', 'must not be empty');
    if (value.length > MAX_SECRET_BYTES)
      throw validationError('value', `must be at most ${MAX_SECRET_BYTES} bytes`);
    if (LONE_SURROGATE.test(value))
      throw validationError('value', 'must be well-formed Unicode (no lone surrogates)');
    bytes = utf8Encode(value);
  } else if (value instanceof Uint8Array) {
    bytes = Uint8Array.from(value);
    try {
      utf8Decode(bytes);
    } catch {
      bytes.fill(0);
      throw validationError('value', 'must be valid UTF-8');
    }
  } else {
    throw validationError('value', 'must be a string or a Uint8Array');
  }
  if (bytes.length === 0 || bytes.length > MAX_SECRET_BYTES) {
    bytes.fill(0);
    throw validationError('value', `must be 1 to ${MAX_SECRET_BYTES} bytes of UTF-8`);
  }
  return bytes;
}

/**
 * The default env var of a secret name: upper-cased, every character outside `[A-Z0-9_]` → `_`,
 * prefixed with `_` when it would start with a digit.
 * @example
 * ```ts
 * defaultEnvVar('openai.api-key'); // 'OPENAI_API_KEY'
 * ```
 * @throws never
 */
export function defaultEnvVar(name: string): string {
  const v = name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return /^[0-9]/.test(v) ? `_${v}` : v;
}
