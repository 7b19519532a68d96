/**
 * `usageReport`: the usage analytics of one record (API key, access session or tool) from the
 * storage rollup: valid and failed uses per hour or per UTC day, zero-filled. The manager's own
 * buffered counts are flushed first, so a report includes every use this process counted.
 * Portable: no node:*.
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { KeywardenError } from '../errors.js';
import { lazy } from '../internal/lazy.js';
import { parseInput } from '../internal/validate.js';
import type { UsageRow } from '../ports/usage.js';
import type { StoreContext } from './context.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Most buckets one report holds (a year of hours). */
export const MAX_USAGE_BUCKETS = 366 * 24;

/** Options of `usage(id, options)`. */
export interface UsageOptions {
  /** Start (epoch ms or Date, inclusive; rounded down to its bucket). Default: `to` minus 24 buckets. */
  from?: number | Date;
  /** End (epoch ms or Date, exclusive; rounded up to its bucket). Default: now. */
  to?: number | Date;
  /** Bucket size (default `'hour'`); days are UTC days. */
  granularity?: 'hour' | 'day';
}

/** One bucket of a {@link UsageReport}. */
export interface UsageBucket {
  /** Start of the bucket (epoch ms, UTC). */
  start: number;
  /** Successful uses (valid verifications, authorized calls). */
  valid: number;
  /** Refused uses of this record (wrong version, revoked, expired, out of scope, rate limited...). */
  failed: number;
}

/** What `usage(id, options)` returns. */
export interface UsageReport {
  /** The id of the record the report is about. */
  id: string;
  /** The bucket size: an hour, or a UTC day. */
  granularity: 'hour' | 'day';
  /** Start of the first bucket. */
  from: number;
  /** End of the last bucket (exclusive). */
  to: number;
  /** Every bucket in `[from, to)`, oldest first, zero-filled. */
  buckets: UsageBucket[];
  /** The sums over every bucket. */
  total: {
    /** Successful uses in `[from, to)`. */
    valid: number;
    /** Refused uses in `[from, to)`. */
    failed: number;
  };
}

const instant = lazy(() =>
  z.union([
    z.number(),
    z.pipe(
      z.date(),
      z.transform((d: Date) => d.getTime()),
    ),
  ]),
);
const optionsSchema = lazy(() =>
  z.strictObject({
    from: z.optional(instant()),
    to: z.optional(instant()),
    granularity: z.optional(z.enum(['hour', 'day'])),
  }),
);

/**
 * The usage report of `recordId` (whose existence and kind the caller checked).
 *
 * @example
 * ```ts
 * const r = await usageReport(ctx, id, { granularity: 'day', from: Date.now() - 7 * 86_400_000 });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `options.from`/`to`/`granularity` (bad value,
 *   `from` not before `to`, more than {@link MAX_USAGE_BUCKETS} buckets), `ERR_UNSUPPORTED` (the
 *   storage adapter keeps no usage analytics), `ERR_STORAGE`.
 */
export async function usageReport(
  ctx: StoreContext,
  recordId: string,
  options?: unknown,
): Promise<UsageReport> {
  const o = parseInput(optionsSchema(), options ?? {}, 'options');
  const granularity = o.granularity ?? 'hour';
  const size = granularity === 'hour' ? HOUR : DAY;
  const to = Math.ceil((o.to ?? ctx.clock.now()) / size) * size;
  const from = Math.floor((o.from ?? to - 24 * size) / size) * size;
  if (!(from < to)) {
    throw new KeywardenError('ERR_VALIDATION', 'options.from must be before options.to', {
      field: 'options.from',
    });
  }
  const n = (to - from) / size;
  if (n > MAX_USAGE_BUCKETS) {
    throw new KeywardenError('ERR_VALIDATION', `options: at most ${MAX_USAGE_BUCKETS} buckets per report`, {
      field: 'options.from',
    });
  }
  const list = ctx.storage.listUsage;
  if (typeof list !== 'function') {
    throw new KeywardenError('ERR_UNSUPPORTED', `storage ${ctx.storage.name} does not keep usage analytics`);
  }
  await ctx.rollup?.flush();
  const rows: UsageRow[] = await list.call(ctx.storage, { recordId, from, to });
  const buckets: UsageBucket[] = Array.from({ length: n }, (_, i) => ({
    start: from + i * size,
    valid: 0,
    failed: 0,
  }));
  const total = { valid: 0, failed: 0 };
  for (const r of rows) {
    const b = buckets[Math.floor((r.bucket - from) / size)];
    if (b === undefined) continue;
    b.valid += r.valid;
    b.failed += r.failed;
    total.valid += r.valid;
    total.failed += r.failed;
  }
  return { id: recordId, granularity, from, to, buckets, total };
}
