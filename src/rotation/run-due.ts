/**
 * `runDue` and `due`: find the records whose `dueAt` passed (an indexed storage query), apply the
 * due work to each with one CAS write, audit it (undone if the audit fails) and send its notifications, and drive the
 * provider rotations this runner claimed.
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { isKeywardenError } from '../errors.js';
import { eitherSignal, isAbortSignal } from '../internal/abort.js';
import { lazy } from '../internal/lazy.js';
import { parseInput } from '../internal/validate.js';
import type { StoreContext } from '../records/context.js';
import type { DueItem, RotatedItem, RotationProvider, RunDueReport } from '../records/rotation-types.js';
import { durationSchema, timestampSchema } from '../records/schemas.js';
import { applyDueWork } from './due-work.js';
import { notifyChange } from './events.js';
import { dueItem } from './plan.js';
import { runProvider } from './providers.js';
import { withToken } from './rotate.js';

const runDueSchema = lazy(() =>
  z.strictObject({
    dryRun: z.optional(z.boolean()),
    limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(10_000))),
    now: z.optional(timestampSchema),
    signal: z.optional(z.custom<AbortSignal>(isAbortSignal, 'must be an AbortSignal')),
    onProgress: z.optional(
      z.custom<(done: number, total: number) => void>((v) => typeof v === 'function', 'must be a function'),
    ),
  }),
);

const dueSchema = lazy(() =>
  z.strictObject({
    within: z.optional(durationSchema),
    limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
  }),
);

/**
 * An empty report.
 * @example
 * ```ts
 * const report = emptyReport();
 * ```
 * @throws never
 */
export function emptyReport(): RunDueReport {
  return {
    rotated: [],
    promoted: [],
    retired: [],
    expired: [],
    notified: [],
    failed: [],
    skipped: [],
    planned: [],
    interrupted: false,
  };
}

function failure(error: unknown): { code: string; message: string } {
  if (isKeywardenError(error)) return { code: error.code, message: error.message };
  return { code: 'ERR_ROTATION', message: 'rotation work failed' };
}

/**
 * Runs the due work once (see the module comment).
 *
 * @example
 * ```ts
 * declare const providers: ReadonlyMap<string, RotationProvider>;
 * const report = await runDueOnce(ctx, providers, { limit: 500 }, signal);
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (`options.limit`...), `ERR_STORAGE` (the due query),
 *   `ERR_CLOSED`. Failures on single records go to `report.failed`.
 */
export async function runDueOnce(
  ctx: StoreContext,
  providers: ReadonlyMap<string, RotationProvider>,
  options: unknown,
  own: AbortSignal,
): Promise<RunDueReport> {
  const o = parseInput(runDueSchema(), options ?? {}, 'options');
  const signal = eitherSignal(own, o.signal);
  const state = await ctx.ready();
  const now = o.now ?? ctx.clock.now();
  const records = await ctx.storage.dueForRotation(now, o.limit ?? 100);
  const report = emptyReport();
  if (o.dryRun) {
    report.planned = records.map((r) => dueItem(r, now));
    return report;
  }
  const stepNow = o.now === undefined ? () => ctx.clock.now() : () => now;
  let done = 0;
  for (const record of records) {
    if (signal.aborted) {
      report.interrupted = true;
      break;
    }
    try {
      const res = await applyDueWork(ctx, state, record, now);
      const c = res.change;
      if (!c) {
        report.skipped.push({ id: record.id, reason: 'nothing due (done by another runner?)' });
        continue;
      }
      notifyChange(ctx, c, now);
      for (const version of c.promoted) report.promoted.push({ id: record.id, version });
      for (const version of c.retired) report.retired.push({ id: record.id, version });
      if (c.expired) report.expired.push({ id: record.id });
      if (c.notice)
        report.notified.push({ id: record.id, version: c.notice.version, reason: c.notice.reason });
      if (c.rotated) {
        const item: RotatedItem = {
          id: record.id,
          kind: record.kind,
          version: c.rotated.version,
          previousVersion: c.rotated.previousVersion,
          strategy: c.rotated.strategy,
        };
        report.rotated.push(withToken(item, res.token));
      }
      if (res.claim) {
        const r = await runProvider(ctx, state, providers, record.id, res.claim.owner, {
          now: stepNow,
          signal,
          actor: null,
        });
        if (r.status === 'rotated') {
          const strategy = c.after.rotation?.['strategy'];
          report.rotated.push({
            id: record.id,
            kind: record.kind,
            version: r.version,
            previousVersion: r.previousVersion,
            strategy: typeof strategy === 'string' ? (strategy as RotatedItem['strategy']) : 'overlap',
          });
        } else if (r.status === 'failed') {
          report.failed.push({ id: record.id, code: r.code, message: r.message });
        } else {
          report.skipped.push({
            id: record.id,
            reason: r.status === 'lost' ? 'lease lost to another runner' : 'interrupted',
          });
        }
      }
    } catch (error) {
      report.failed.push({ id: record.id, ...failure(error) });
    } finally {
      done += 1;
      o.onProgress?.(done, records.length);
    }
  }
  return report;
}

/**
 * `due({ within, limit })`: records with work due by `now + within`, with the actions (no writes).
 *
 * @example
 * ```ts
 * const items = await listDue(ctx, { within: '7d' });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (`options.within`, `options.limit`), `ERR_STORAGE`.
 */
export async function listDue(ctx: StoreContext, options: unknown): Promise<DueItem[]> {
  const o = parseInput(dueSchema(), options ?? {}, 'options');
  await ctx.ready();
  const at = ctx.clock.now() + (o.within ?? 0);
  const records = await ctx.storage.dueForRotation(at, o.limit ?? 100);
  return records.map((r) => dueItem(r, at));
}
