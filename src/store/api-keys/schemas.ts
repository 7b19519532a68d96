/**
 * zod schemas of the API-key inputs (create, update, list). Built from the shared schemas so
 * limits match every other view.
 * @internal
 * @module
 */
import { z } from 'zod';
import { API_TOKEN_PREFIX_PATTERN } from '../../crypto/tokens.js';
import { rotationPolicySchema } from '../../records/policy-schema.js';
import {
  countSchema,
  durationSchema,
  environmentSchema,
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
export const prefixSchema = z.string().min(1).max(32).regex(API_TOKEN_PREFIX_PATTERN);

/** Positive duration of at least 1 ms. */
const positiveDuration = durationSchema.refine((ms) => ms >= 1, 'must be at least 1 ms');

/**
 * A refill: `amount` credits every `every` (at least one second).
 *
 * @example
 * ```ts
 * const value = parseInput(refillSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const refillSchema = z.strictObject({
  amount: countSchema.min(1),
  every: durationSchema.refine((ms) => ms >= 1000, 'must be at least 1 second'),
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
  limit: z.number().int().min(1).max(1_000_000_000),
  window: positiveDuration,
});

/** Input of `create` (unknown options are rejected, naming the option). */
const createShape = z.strictObject({
  name: nameSchema,
  prefix: prefixSchema.optional(),
  ownerId: idLikeSchema.nullable().optional(),
  tenantId: idLikeSchema.nullable().optional(),
  environment: environmentSchema.optional(),
  scopes: scopesSchema.optional(),
  tags: tagsSchema.optional(),
  meta: metaSchema.optional(),
  expiresIn: positiveDuration.nullable().optional(),
  expiresAt: timestampSchema.nullable().optional(),
  remaining: countSchema.nullable().optional(),
  refill: refillSchema.nullable().optional(),
  rateLimit: rateLimitSchema.nullable().optional(),
  /** A rotation policy set at create time (`null` or absent: none); see docs/rotation.md. */
  rotation: rotationPolicySchema.nullable().optional(),
  actor: idLikeSchema.optional(),
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
export const createInputSchema = createShape.superRefine((v, ctx) => {
  if (v.expiresIn !== undefined && v.expiresAt !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'give expiresIn or expiresAt, not both' });
  }
});

/** Parsed `create` input. */
export type CreateInput = z.output<typeof createInputSchema>;

const updateShape = z.strictObject({
  name: nameSchema.optional(),
  scopes: scopesSchema.optional(),
  tags: tagsSchema.optional(),
  meta: metaSchema.optional(),
  ownerId: idLikeSchema.nullable().optional(),
  expiresAt: timestampSchema.nullable().optional(),
  remaining: countSchema.nullable().optional(),
  refill: refillSchema.nullable().optional(),
  rateLimit: rateLimitSchema.nullable().optional(),
  status: z.enum(['active', 'disabled']).optional(),
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
export const updatePatchSchema = updateShape.refine(
  (v) => Object.keys(v).length > 0,
  'must change at least one field',
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
export const recordIdSchema = z.string().regex(/^[0-9A-Za-z]{12}$/);

/**
 * Actor options of mutations.
 *
 * @example
 * ```ts
 * const value = parseInput(actorOptionsSchema, input, 'options'); // ERR_VALIDATION when it does not match
 * ```
 */
export const actorOptionsSchema = z.strictObject({ actor: idLikeSchema.optional() });

/**
 * Options of update-like methods: the actor and `expectedRevision` (the revision the caller read).
 *
 * @example
 * ```ts
 * const o = parseInput(updateOptionsSchema, { expectedRevision: 3 }, 'options');
 * ```
 */
export const updateOptionsSchema = z.strictObject({
  actor: idLikeSchema.optional(),
  expectedRevision: z.number().int().min(1).optional(),
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
  reason: wellFormedString()
    .min(1)
    .max(512)
    .regex(/^[^\p{Cc}]*$/u)
    .optional(),
  actor: idLikeSchema.optional(),
  expectedRevision: z.number().int().min(1).optional(),
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
  ownerId: idLikeSchema.optional(),
  tenantId: idLikeSchema.nullable().optional(),
  environment: environmentSchema.optional(),
  status: z.enum(['active', 'disabled', 'revoked', 'expired']).optional(),
  tag: tagSchema.optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).max(2048).optional(),
});
