/**
 * The rotation policy input schema (zod): what `setPolicy` and the create paths' `rotation`
 * option accept. Failures name the field (`policy.every`, `rotation.cron`...).
 * @module
 */
import * as z from 'zod/mini';
import { type Duration, parseDuration } from '../duration.js';
import { validationError } from '../errors.js';
import { parseInput } from '../internal/validate.js';
import { cronOf, NAMED_SCHEDULES } from './schedule.js';

/** Shortest `every`: one minute. */
export const MIN_EVERY_MS = 60_000;

function durationField(min: number, minLabel: string) {
  return z.pipe(
    z.union([z.number(), z.string()]).check(
      z.superRefine((v, ctx) => {
        let ms: number;
        try {
          ms = parseDuration(v as Duration);
        } catch {
          ctx.addIssue({ code: 'custom', message: "must be milliseconds or a duration like '30d', '12h'" });
          return;
        }
        if (ms < min) ctx.addIssue({ code: 'custom', message: `must be at least ${minLabel}` });
      }),
    ),
    z.transform((v) => parseDuration(v as Duration)),
  );
}

const everySchema = z.union([z.number(), z.string()]).check(
  z.superRefine((v, ctx) => {
    if (typeof v === 'string' && (NAMED_SCHEDULES as readonly string[]).includes(v)) return;
    let ms: number;
    try {
      ms = parseDuration(v as Duration);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: "must be a duration like '30d' or one of daily, weekly, monthly, quarterly, yearly",
      });
      return;
    }
    if (ms < MIN_EVERY_MS) ctx.addIssue({ code: 'custom', message: 'must be at least 1 minute' });
  }),
);

const cronSchema = z.string().check(
  z.minLength(1),
  z.maxLength(256),
  z.superRefine((v, ctx) => {
    // zod runs every check: without this a 10 MB string is parsed (and cached) after maxLength failed
    if (v.length > 256) return;
    try {
      if (cronOf(v).next(0) === null) ctx.addIssue({ code: 'custom', message: 'never fires' });
    } catch (e) {
      // the parser's reason, without its own field prefix (the issue path names the field)
      ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^cron: /, '') });
    }
  }),
);

/**
 * The values of a rotation policy's `strategy`, each mapped to itself (the entries object of its
 * `z.enum`). The timelines are in docs/rotation.md.
 *
 * @example
 * ```ts
 * const strategy: keyof RotationStrategyEnum = 'gradual';
 * ```
 */
export type RotationStrategyEnum = {
  /** The old version is retired at the rotation: an old token or value stops working at once. */
  readonly immediate: 'immediate';
  /** The old version stays accepted as `previous` for `overlap`, then is retired (the default). */
  readonly overlap: 'overlap';
  /**
   * The new version is first `pending` for `promoteAfter` (an API key token verifies, a secret is
   * readable by version, a signing key is in the JWKS but does not sign), then becomes current and
   * the old one overlaps.
   */
  readonly gradual: 'gradual';
  /**
   * Two live versions in two slots: a rotation regenerates the idle slot and swaps, the former
   * current stays live as `previous` with no end; `rollback` swaps back.
   */
  readonly 'blue-green': 'blue-green';
};

const strategySchema: z.ZodMiniEnum<RotationStrategyEnum> = z.enum([
  'immediate',
  'overlap',
  'gradual',
  'blue-green',
]);

/** zod schema of `RotationPolicyInput` (see types.ts); other views may embed it as `rotation`. */
export const rotationPolicySchema = z
  .strictObject({
    /**
     * A fixed interval (ms or a duration like `'30d'`, at least 1 minute) or a named schedule
     * (`daily`, `weekly`, `monthly`, `quarterly`, `yearly`); the output keeps the input as given.
     * Not with `cron`; neither means manual rotation only.
     */
    every: z.optional(everySchema),
    /**
     * A cron expression (5–7 fields, at most 256 characters, evaluated in UTC); one that never fires
     * is rejected. Not with `every`.
     */
    cron: z.optional(cronSchema),
    /** How a rotation moves versions; the manager's default is `'overlap'` when absent. */
    strategy: z.optional(strategySchema),
    /**
     * How long the old version stays accepted after it stops being current (ms or a duration, ≥ 0;
     * output ms). Default 24 h.
     */
    overlap: z.optional(durationField(0, '0')),
    /**
     * `gradual`: how long the new version stays pending before promotion (ms or a duration, ≥ 0;
     * output ms). Default 1 h.
     */
    promoteAfter: z.optional(durationField(0, '0')),
    /**
     * Send `key.expiring` this long before the next rotation or the expiry (at least 1 second;
     * output ms). Absent: no notice.
     */
    notifyBefore: z.optional(durationField(1000, '1 second')),
    /**
     * `gradual` API keys: retire the previous version early once unused this long (at least
     * 1 minute; output ms). Refused with any other strategy.
     */
    idleRetireAfter: z.optional(durationField(MIN_EVERY_MS, '1 minute')),
  })
  .check(
    z.superRefine((v, ctx) => {
      if (v.every !== undefined && v.cron !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give every or cron, not both' });
      }
      if (v.idleRetireAfter !== undefined && v.strategy !== 'gradual') {
        ctx.addIssue({
          code: 'custom',
          path: ['idleRetireAfter'],
          message: "applies to strategy 'gradual' only",
        });
      }
    }),
  );

/** Validated policy input. */
export type ParsedPolicy = z.output<typeof rotationPolicySchema>;

/**
 * Validates a policy input.
 *
 * @example
 * ```ts
 * const p = parsePolicyInput({ every: '30d' }, 'rotation');
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the field (`rotation.every`, `policy.cron`...).
 */
export function parsePolicyInput(input: unknown, root: string): ParsedPolicy {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw validationError(root, 'must be a rotation policy object');
  }
  return parseInput(rotationPolicySchema, input, root);
}
