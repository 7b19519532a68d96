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
  /** Credits `remaining` is topped up to at each period (never lowered): an integer ≥ 1. */
  amount: countSchema.check(z.gte(1)),
  /**
   * The period: ms or a duration like `'1d'`, at least 1 second; output ms. Counted from the create or
   * update.
   */
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
  /**
   * Cost units allowed per `window` (an integer 1–1,000,000,000): a burst of `limit` is allowed, then
   * units come back evenly over the window (GCRA); a request's `cost` spends that many.
   */
  limit: z.number().check(z.int(), z.gte(1), z.lte(1_000_000_000)),
  /** The window: ms or a duration like `'1m'`, at least 1 ms; output ms. */
  window: positiveDuration,
});

/**
 * The statuses of an API key, each mapped to itself (the entries of the `status` enums of `update`
 * and `list`).
 *
 * @example
 * ```ts
 * const status: keyof ApiKeyStatusEnum = 'disabled';
 * ```
 */
export type ApiKeyStatusEnum = {
  /** Verifies (subject to expiry, scopes, credits and rate limit). */
  readonly active: 'active';
  /** Set by `update({ status: 'disabled' })`: verification answers `DISABLED` until set back to `active`. */
  readonly disabled: 'disabled';
  /** Revoked for good by `revoke`: verification answers `REVOKED`. */
  readonly revoked: 'revoked';
  /** Past its `expiresAt`, marked by the rotator's `runDue`: verification answers `EXPIRED`. */
  readonly expired: 'expired';
};

const apiKeyStatusSchema: z.ZodMiniEnum<ApiKeyStatusEnum> = z.enum([
  'active',
  'disabled',
  'revoked',
  'expired',
]);
const apiKeyUpdateStatusSchema: z.ZodMiniEnum<Pick<ApiKeyStatusEnum, 'active' | 'disabled'>> = z.enum([
  'active',
  'disabled',
]);

/** Input of `create` (unknown options are rejected, naming the option). */
const createShape = z.strictObject({
  /** Display name, 1–128 characters without control characters; not unique. */
  name: nameSchema,
  /**
   * Token prefix: 1–32 of `[a-z0-9_]`, no leading or trailing `_`; absent: the manager's (`'kw'` by default).
   */
  prefix: z.optional(prefixSchema),
  /** The user or service the key belongs to (1–128 characters); `null` or absent: none. */
  ownerId: z.optional(z.nullable(idLikeSchema)),
  /**
   * The tenant the key belongs to (1–128 characters); `null` or absent: none. `verify({ tenantId })` checks
   * it.
   */
  tenantId: z.optional(z.nullable(idLikeSchema)),
  /**
   * 1–64 of `[A-Za-z0-9_.-]`, starting with a letter or digit; absent: `'default'`. `verify({ environment })`
   * checks it.
   */
  environment: z.optional(environmentSchema),
  /** Granted scopes (up to 256): `*`, `name`, `ns:name` or `ns:*`; absent: none. */
  scopes: z.optional(scopesSchema),
  /** Up to 32 distinct tags of 1–64 `[A-Za-z0-9_.:/-]` characters, for filtering `list`. */
  tags: z.optional(tagsSchema),
  /** Your own JSON object kept with the key (depth ≤ 8, ≤ 16 KiB as canonical JSON, finite numbers). */
  meta: z.optional(metaSchema),
  /**
   * Lifetime (ms or a duration like `'30d'`, at least 1 ms; output ms); `null`: never expires;
   * absent: the manager's default (`'90d'`). Not with `expiresAt`.
   */
  expiresIn: z.optional(z.nullable(positiveDuration)),
  /**
   * Absolute expiry (epoch ms or a Date, in the future; output epoch ms); `null`: never. Not with
   * `expiresIn`.
   */
  expiresAt: z.optional(z.nullable(timestampSchema)),
  /**
   * Credits (an integer ≥ 0), spent by each verification's `cost`; `USAGE_EXCEEDED` when short.
   * `null` or absent: unlimited, or `refill.amount` when `refill` is given (`null` with `refill` is refused).
   */
  remaining: z.optional(z.nullable(countSchema)),
  /** Tops `remaining` up to `amount` every `every`; `null` or absent: no refill. */
  refill: z.optional(z.nullable(refillSchema)),
  /** A per-key rate limit (`RATE_LIMITED` past it); `null` or absent: none. */
  rateLimit: z.optional(z.nullable(rateLimitSchema)),
  /** A rotation policy set at create time (`null` or absent: none); see docs/rotation.md. */
  rotation: z.optional(z.nullable(rotationPolicySchema)),
  /** Who creates the key (1–128 characters), recorded as the actor of the `key.created` audit event. */
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
  /** A new display name (1–128 characters, no control characters). */
  name: z.optional(nameSchema),
  /** Replaces the granted scopes (up to 256). */
  scopes: z.optional(scopesSchema),
  /** Replaces the tags (up to 32 distinct). */
  tags: z.optional(tagsSchema),
  /** Replaces the metadata object (depth ≤ 8, ≤ 16 KiB as canonical JSON). */
  meta: z.optional(metaSchema),
  /** A new owner; `null` clears it. */
  ownerId: z.optional(z.nullable(idLikeSchema)),
  /** A new absolute expiry (epoch ms or a Date; output epoch ms); `null`: never expires. */
  expiresAt: z.optional(z.nullable(timestampSchema)),
  /** Sets the credits left (an integer ≥ 0); `null`: unlimited (refused while the key has a refill). */
  remaining: z.optional(z.nullable(countSchema)),
  /**
   * A new refill, its period restarting now (and `remaining` set to `amount` if it was unlimited);
   * `null` removes it.
   */
  refill: z.optional(z.nullable(refillSchema)),
  /** A new rate limit; `null` removes it. */
  rateLimit: z.optional(z.nullable(rateLimitSchema)),
  /**
   * `'disabled'` stops verification (`DISABLED`) until set back to `'active'`; an expired key needs a future
   * `expiresAt` to become active.
   */
  status: z.optional(apiKeyUpdateStatusSchema),
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
  // a field given as `undefined` is absent (the patch type allows it): it changes nothing
  z.refine((v) => Object.values(v).some((x) => x !== undefined), 'must change at least one field'),
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
  /**
   * Why (1–512 characters, no control characters): kept as the key's `revokeReason` and in the audit event.
   */
  reason: z.optional(wellFormedString().check(z.minLength(1), z.maxLength(512), z.regex(/^[^\p{Cc}]*$/u))),
  /** Who revokes it (1–128 characters), recorded as the actor of the audit event. */
  actor: z.optional(idLikeSchema),
  /** The `revision` you read: revoke only on that revision, else `ERR_CONFLICT` and nothing written. */
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
  /** Only keys of this owner. */
  ownerId: z.optional(idLikeSchema),
  /** Only keys of this tenant; `null`: only keys without a tenant; absent: every tenant. */
  tenantId: z.optional(z.nullable(idLikeSchema)),
  /** Only keys of this environment; absent: every environment. */
  environment: z.optional(environmentSchema),
  /** Only keys with this stored status. */
  status: z.optional(apiKeyStatusSchema),
  /** Only keys carrying this tag. */
  tag: z.optional(tagSchema),
  /** Most keys in the page: an integer 1–1000; absent: 100. */
  limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
  /** The `cursor` of the previous page, to get the next one; absent: the first page. */
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});
