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
    try {
      if (cronOf(v).next(0) === null) ctx.addIssue({ code: 'custom', message: 'never fires' });
    } catch (e) {
      // the parser's reason, without its own field prefix (the issue path names the field)
      ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^cron: /, '') });
    }
  }),
);

/** zod schema of `RotationPolicyInput` (see types.ts); other views may embed it as `rotation`. */
export const rotationPolicySchema = z
  .strictObject({
    every: z.optional(everySchema),
    cron: z.optional(cronSchema),
    strategy: z.optional(z.enum(['immediate', 'overlap', 'gradual', 'blue-green'])),
    overlap: z.optional(durationField(0, '0')),
    promoteAfter: z.optional(durationField(0, '0')),
    notifyBefore: z.optional(durationField(1000, '1 second')),
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
