/**
 * zod schemas shared by every store view. Limits are part of the public contract (docs/limits.md).
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { type Duration, parseDuration } from '../duration.js';
import { canonicalJson } from '../internal/canonical-json.js';
import { isWellFormedString, NOT_WELL_FORMED } from '../internal/validate.js';
import type { JsonObject } from '../ports/json.js';

/** No C0/C1 control characters (names show up in logs and terminals). */
const NO_CONTROL = /^[^\p{Cc}]*$/u;

/**
 * A string of Unicode scalar values: no lone surrogate (which storage would turn into U+FFFD, so
 * two different names would meet). Every free-text name, tenant, owner and actor uses it.
 *
 * @example
 * ```ts
 * const labelSchema = wellFormedString().check(z.minLength(1), z.maxLength(64));
 * ```
 */
export const wellFormedString = () => z.string().check(z.refine(isWellFormedString, NOT_WELL_FORMED));

/**
 * A display or unique name: 1–128 chars, no control characters.
 *
 * @example
 * ```ts
 * const value = parseInput(nameSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const nameSchema = wellFormedString().check(z.minLength(1), z.maxLength(128), z.regex(NO_CONTROL));

/**
 * An environment: `default`, `production`, `staging`...
 *
 * @example
 * ```ts
 * const value = parseInput(environmentSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const environmentSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/));

/**
 * Tenant, owner and actor ids: 1–128 chars, no control characters.
 *
 * @example
 * ```ts
 * const value = parseInput(idLikeSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const idLikeSchema = wellFormedString().check(z.minLength(1), z.maxLength(128), z.regex(NO_CONTROL));

/**
 * A tag: 1–64 of `[A-Za-z0-9_.:/-]`.
 *
 * @example
 * ```ts
 * const value = parseInput(tagSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const tagSchema = z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_.:/-]+$/));

/**
 * Up to 32 distinct tags.
 *
 * @example
 * ```ts
 * const value = parseInput(tagsSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const tagsSchema = z.array(tagSchema).check(
  z.maxLength(32),
  z.refine((t) => new Set(t).size === t.length, 'must not repeat a tag'),
);

/**
 * Where a uniquely named record (secret or key) lives: `environment` and `tenantId`, both optional.
 *
 * @example
 * ```ts
 * const getOptions = z.strictObject({ ...namedScopeShape, version: z.optional(z.number()) });
 * ```
 */
export const namedScopeShape = {
  /**
   * The record's environment: 1–64 of `[A-Za-z0-9_.-]`, starting with a letter or digit. Absent:
   * `'default'`; in `list` options absent means every environment.
   */
  environment: z.optional(environmentSchema),
  /**
   * The record's tenant: 1–128 characters, no control characters. Absent or `null`: no tenant; in
   * `list` options `null` means records without a tenant and absent means every tenant.
   */
  tenantId: z.optional(z.nullable(idLikeSchema)),
};

/**
 * `{ environment?, tenantId? }` of a secret or key, and nothing else.
 *
 * @example
 * ```ts
 * const scope = parseInput(namedScopeSchema, options ?? {}, 'options');
 * ```
 */
export const namedScopeSchema = z.strictObject(namedScopeShape);

/**
 * `expectedRevision`: the `revision` the caller read (read-modify-write across processes); a write
 * on any other revision is `ERR_CONFLICT` (field `expectedRevision`), never retried.
 *
 * @example
 * ```ts
 * const schema = z.strictObject({ ...namedScopeShape, expectedRevision: z.optional(expectedRevisionSchema) });
 * ```
 */
export const expectedRevisionSchema = z.number().check(z.int(), z.gte(1), z.lte(Number.MAX_SAFE_INTEGER));

/**
 * Options of `delete` of a secret or key: the scope and `expectedRevision`.
 *
 * @example
 * ```ts
 * const o = parseInput(namedDeleteSchema, options ?? {}, 'options');
 * ```
 */
export const namedDeleteSchema = z.strictObject({
  ...namedScopeShape,
  expectedRevision: z.optional(expectedRevisionSchema),
});

/**
 * `limit` (1–1000) and `cursor` of a page of secrets or keys.
 *
 * @example
 * ```ts
 * const listKeys = z.strictObject({ ...namedScopeShape, tag: z.optional(tagSchema), ...namedPageShape });
 * ```
 */
export const namedPageShape = {
  /** Most items in the page: an integer 1–1000; absent: 100. */
  limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
  /** The `cursor` of the previous page, to get the next one; absent: the first page. */
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
};

/**
 * A scope: `*`, `name`, `ns:name`, or a wildcard `ns:*` (1–128 chars).
 *
 * @example
 * ```ts
 * const value = parseInput(scopeSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const scopeSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^(\*|[A-Za-z0-9_.:/-]+(:\*)?)$/));

/**
 * Up to 256 scopes.
 *
 * @example
 * ```ts
 * const value = parseInput(scopesSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const scopesSchema = z.array(scopeSchema).check(z.maxLength(256));

/**
 * Largest accepted user metadata object, as canonical JSON.
 *
 * @example
 * ```ts
 * MAX_META_BYTES; // 16_384
 * ```
 */
export const MAX_META_BYTES = 16_384;

function jsonDepthOk(v: unknown, depth: number): boolean {
  if (depth > 8) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => jsonDepthOk(x, depth + 1));
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return false;
    return Object.values(v as object).every((x) => jsonDepthOk(x, depth + 1));
  }
  return false;
}

/**
 * A plain JSON object (depth ≤ 8, ≤ 16 KiB canonical JSON, finite numbers only).
 *
 * @example
 * ```ts
 * const value = parseInput(metaSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const metaSchema = z.custom<JsonObject>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    jsonDepthOk(v, 0) &&
    canonicalJson(v as JsonObject).length <= MAX_META_BYTES,
  'must be a plain JSON object (depth ≤ 8, ≤ 16 KiB, finite numbers)',
);

/**
 * A Duration (ms or `'90d'`), output in ms.
 *
 * @example
 * ```ts
 * const value = parseInput(durationSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const durationSchema = z.pipe(
  z.union([z.number(), z.string()]).check(
    z.superRefine((v, ctx) => {
      try {
        parseDuration(v as Duration);
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: "must be milliseconds or a duration like '90d', '12h', '30s'",
        });
      }
    }),
  ),
  z.transform((v) => parseDuration(v)),
);

/**
 * An absolute time: epoch ms (safe integer ≥ 0) or a valid Date; output epoch ms.
 *
 * @example
 * ```ts
 * const value = parseInput(timestampSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const timestampSchema = z
  .pipe(
    z.union([z.number().check(z.int(), z.gte(0), z.lte(8.64e15)), z.date()]),
    z.transform((v) => (typeof v === 'number' ? v : v.getTime())),
  )
  .check(z.refine((v) => Number.isFinite(v), 'must be a valid date'));

/**
 * Positive safe integer (credits, costs, limits).
 *
 * @example
 * ```ts
 * const value = parseInput(countSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const countSchema = z.number().check(z.int(), z.gte(0), z.lte(Number.MAX_SAFE_INTEGER));

/**
 * Request context recorded with audit events.
 *
 * @example
 * ```ts
 * const value = parseInput(requestContextSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const requestContextSchema = z.strictObject({
  /** The client's IP address as you see it (at most 64 characters), recorded in audit events. */
  ip: z.optional(wellFormedString().check(z.maxLength(64), z.regex(NO_CONTROL))),
  /** The client's `User-Agent` (at most 512 characters), recorded in audit events. */
  userAgent: z.optional(wellFormedString().check(z.maxLength(512), z.regex(NO_CONTROL))),
  /** Your request id (at most 128 characters), recorded in audit events to correlate with your logs. */
  requestId: z.optional(wellFormedString().check(z.maxLength(128), z.regex(NO_CONTROL))),
});
