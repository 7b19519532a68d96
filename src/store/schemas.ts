/**
 * zod schemas shared by every store view. Limits are part of the public contract (docs/limits.md).
 * @internal
 * @module
 */
import { z } from 'zod';
import { type Duration, parseDuration } from '../duration.js';
import { canonicalJson } from '../internal/canonical-json.js';
import type { JsonObject } from '../ports/json.js';

/** No C0/C1 control characters (names show up in logs and terminals). */
const NO_CONTROL = /^[^\p{Cc}]*$/u;

/** A display or unique name: 1–128 chars, no control characters. */
export const nameSchema = z.string().min(1).max(128).regex(NO_CONTROL);

/** An environment: `default`, `production`, `staging`... */
export const environmentSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/);

/** Tenant, owner and actor ids: 1–128 chars, no control characters. */
export const idLikeSchema = z.string().min(1).max(128).regex(NO_CONTROL);

/** A tag: 1–64 of `[A-Za-z0-9_.:/-]`. */
export const tagSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:/-]+$/);

/** Up to 32 distinct tags. */
export const tagsSchema = z
  .array(tagSchema)
  .max(32)
  .refine((t) => new Set(t).size === t.length, 'must not repeat a tag');

/** A scope: `*`, `name`, `ns:name`, or a wildcard `ns:*` (1–128 chars). */
export const scopeSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^(\*|[A-Za-z0-9_.:/-]+(:\*)?)$/);

/** Up to 256 scopes. */
export const scopesSchema = z.array(scopeSchema).max(256);

/** Largest accepted user metadata object, as canonical JSON. */
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

/** A plain JSON object (depth ≤ 8, ≤ 16 KiB canonical JSON, finite numbers only). */
export const metaSchema = z.custom<JsonObject>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    jsonDepthOk(v, 0) &&
    canonicalJson(v as JsonObject).length <= MAX_META_BYTES,
  'must be a plain JSON object (depth ≤ 8, ≤ 16 KiB, finite numbers)',
);

/** A Duration (ms or `'90d'`), output in ms. */
export const durationSchema = z
  .union([z.number(), z.string()])
  .superRefine((v, ctx) => {
    try {
      parseDuration(v as Duration);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: "must be milliseconds or a duration like '90d', '12h', '30s'",
      });
    }
  })
  .transform((v) => parseDuration(v));

/** An absolute time: epoch ms (safe integer ≥ 0) or a valid Date; output epoch ms. */
export const timestampSchema = z
  .union([z.number().int().min(0).max(8.64e15), z.date()])
  .transform((v) => (typeof v === 'number' ? v : v.getTime()))
  .refine((v) => Number.isFinite(v), 'must be a valid date');

/** Positive safe integer (credits, costs, limits). */
export const countSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Request context recorded with audit events. */
export const requestContextSchema = z
  .object({
    ip: z.string().max(64).regex(NO_CONTROL).optional(),
    userAgent: z.string().max(512).regex(NO_CONTROL).optional(),
    requestId: z.string().max(128).regex(NO_CONTROL).optional(),
  })
  .strict();
