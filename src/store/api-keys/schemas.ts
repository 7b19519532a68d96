/**
 * zod schemas of the API-key inputs (create, update, list). Built from the shared schemas so
 * limits match every other view.
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { API_TOKEN_PREFIX_PATTERN } from '../../crypto/tokens.js';
import { rotationPolicySchema } from '../../records/policy-schema.js';
import {
  countSchema,
  durationSchema,
  environmentSchema,
  expectedRevisionSchema,
  idLikeSchema,
  metaSchema,
  nameSchema,
  scopesSchema,
  tagSchema,
  tagsSchema,
  timestampSchema,
  wellFormedString,
} from '../../records/schemas.js';

/**
 * A token prefix: 1–32 of `[a-z0-9_]`, no leading or trailing `_`.
 *
 * @example
 * ```ts
 * const value = parseInput(prefixSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const prefixSchema = z
  .string()
  .check(z.minLength(1), z.maxLength(32), z.regex(API_TOKEN_PREFIX_PATTERN));

/** Positive duration of at least 1 ms. */
const positiveDuration = durationSchema.check(z.refine((ms) => ms >= 1, 'must be at least 1 ms'));

/**
 * A refill: `amount` credits every `every` (at least one second).
 *
 * @example
 * ```ts
 * const value = parseInput(refillSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const refillSchema = z.strictObject({
  amount: countSchema.check(z.gte(1)),
  every: durationSchema.check(z.refine((ms) => ms >= 1000, 'must be at least 1 second')),
});

/**
 * A rate limit: `limit` units per `window`.
 *
 * @example
 * ```ts
 * const value = parseInput(rateLimitSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const rateLimitSchema = z.strictObject({
  limit: z.number().check(z.int(), z.gte(1), z.lte(1_000_000_000)),
  window: positiveDuration,
});

/** Input of `create` (unknown options are rejected, naming the option). */
const createShape = z.strictObject({
  name: nameSchema,
  prefix: z.optional(prefixSchema),
  ownerId: z.optional(z.nullable(idLikeSchema)),
  tenantId: z.optional(z.nullable(idLikeSchema)),
  environment: z.optional(environmentSchema),
  scopes: z.optional(scopesSchema),
  tags: z.optional(tagsSchema),
  meta: z.optional(metaSchema),
  expiresIn: z.optional(z.nullable(positiveDuration)),
  expiresAt: z.optional(z.nullable(timestampSchema)),
  remaining: z.optional(z.nullable(countSchema)),
  refill: z.optional(z.nullable(refillSchema)),
  rateLimit: z.optional(z.nullable(rateLimitSchema)),
  /** A rotation policy set at create time (`null` or absent: none); see docs/rotation.md. */
  rotation: z.optional(z.nullable(rotationPolicySchema)),
  actor: z.optional(idLikeSchema),
});
/**
 * Keys `create` accepts.
 *
 * @example
 * ```ts
 * CREATE_KEYS.has('scopes'); // true
 * ```
 */
export const CREATE_KEYS: ReadonlySet<string> = new Set(Object.keys(createShape.shape));
/**
 * Input of `create`.
 *
 * @example
 * ```ts
 * const value = parseInput(createInputSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const createInputSchema = createShape.check(
  z.superRefine((v, ctx) => {
    if (v.expiresIn !== undefined && v.expiresAt !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'give expiresIn or expiresAt, not both' });
    }
  }),
);

/** Parsed `create` input. */
export type CreateInput = z.output<typeof createInputSchema>;

const updateShape = z.strictObject({
  name: z.optional(nameSchema),
  scopes: z.optional(scopesSchema),
  tags: z.optional(tagsSchema),
  meta: z.optional(metaSchema),
  ownerId: z.optional(z.nullable(idLikeSchema)),
  expiresAt: z.optional(z.nullable(timestampSchema)),
  remaining: z.optional(z.nullable(countSchema)),
  refill: z.optional(z.nullable(refillSchema)),
  rateLimit: z.optional(z.nullable(rateLimitSchema)),
  status: z.optional(z.enum(['active', 'disabled'])),
});
/**
 * Keys `update` accepts.
 *
 * @example
 * ```ts
 * UPDATE_KEYS.has('prefix'); // false: the prefix cannot change
 * ```
 */
export const UPDATE_KEYS: ReadonlySet<string> = new Set(Object.keys(updateShape.shape));
/**
 * Patch of `update`.
 *
 * @example
 * ```ts
 * const value = parseInput(updatePatchSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const updatePatchSchema = updateShape.check(
  z.refine((v) => Object.keys(v).length > 0, 'must change at least one field'),
);

/** Parsed `update` patch. */
export type UpdatePatch = z.output<typeof updatePatchSchema>;

/**
 * A record id: 12 base62 characters.
 *
 * @example
 * ```ts
 * const value = parseInput(recordIdSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const recordIdSchema = z.string().check(z.regex(/^[0-9A-Za-z]{12}$/));

/**
 * Actor options of mutations.
 *
 * @example
 * ```ts
 * const value = parseInput(actorOptionsSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const actorOptionsSchema = z.strictObject({ actor: z.optional(idLikeSchema) });

/**
 * Options of update-like methods: the actor and `expectedRevision` (the revision the caller read).
 *
 * @example
 * ```ts
 * const o = parseInput(updateOptionsSchema, { expectedRevision: 3 }, 'options');
 * ```
 */
export const updateOptionsSchema = z.strictObject({
  actor: z.optional(idLikeSchema),
  expectedRevision: z.optional(z.number().check(z.int(), z.gte(1))),
});

/**
 * Options of `revoke`.
 *
 * @example
 * ```ts
 * const value = parseInput(revokeOptionsSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const revokeOptionsSchema = z.strictObject({
  reason: z.optional(wellFormedString().check(z.minLength(1), z.maxLength(512), z.regex(/^[^\p{Cc}]*$/u))),
  actor: z.optional(idLikeSchema),
  expectedRevision: z.optional(expectedRevisionSchema),
});

/**
 * Query of `list`.
 *
 * @example
 * ```ts
 * const value = parseInput(listQuerySchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const listQuerySchema = z.strictObject({
  ownerId: z.optional(idLikeSchema),
  tenantId: z.optional(z.nullable(idLikeSchema)),
  environment: z.optional(environmentSchema),
  status: z.optional(z.enum(['active', 'disabled', 'revoked', 'expired'])),
  tag: z.optional(tagSchema),
  limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});
