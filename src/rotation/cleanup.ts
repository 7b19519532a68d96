/**
 * `cleanup({ retiredOlderThan })`: destroys the material of versions retired long ago (sealed
 * values and API-key hashes set to null, `destroyedAt` set) and keeps their metadata for the
 * audit trail. Audited as `version.destroyed`, one event per version.
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { lazy } from '../internal/lazy.js';
import { parseInput } from '../internal/validate.js';
import type { ListQuery, StoredRecord, StoredVersion } from '../ports/storage.js';
import type { StoreContext } from '../records/context.js';
import type { CleanupReport } from '../records/rotation-types.js';
import { durationSchema } from '../records/schemas.js';
import { mutateRecord } from '../records/write.js';

const cleanupSchema = lazy(() =>
  z.strictObject({
    retiredOlderThan: durationSchema,
    limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(100_000))),
  }),
);

const destroyable = (v: StoredVersion, before: number): boolean =>
  v.state === 'retired' &&
  v.retiredAt !== null &&
  v.retiredAt <= before &&
  (v.sealed !== null || v.hash !== null);

/**
 * Runs a cleanup over up to `limit` records (default 10,000), oldest first.
 *
 * @example
 * ```ts
 * const { destroyed } = await cleanupRetired(ctx, { retiredOlderThan: '30d' });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (`options.retiredOlderThan`, `options.limit`), `ERR_AUDIT`
 *   (the write of that record is reverted), `ERR_STORAGE`.
 */
export async function cleanupRetired(ctx: StoreContext, options: unknown): Promise<CleanupReport> {
  const o = parseInput(cleanupSchema(), options, 'options');
  await ctx.ready();
  const now = ctx.clock.now();
  const before = now - o.retiredOlderThan;
  const report: CleanupReport = { destroyed: [] };
  let seen = 0;
  const max = o.limit ?? 10_000;
  let cursor: string | undefined;
  do {
    const query: ListQuery = { limit: Math.min(1000, max - seen) };
    if (cursor !== undefined) query.cursor = cursor;
    const page = await ctx.storage.list(query);
    for (const record of page.items) {
      seen++;
      if (!record.versions.some((v) => destroyable(v, before))) continue;
      await cleanRecord(ctx, record, before, now, report);
    }
    cursor = page.cursor;
  } while (cursor !== undefined && seen < max);
  return report;
}

async function cleanRecord(
  ctx: StoreContext,
  record: StoredRecord,
  before: number,
  now: number,
  report: CleanupReport,
): Promise<void> {
  const {
    record: written,
    changed,
    result: destroyed,
  } = await mutateRecord(
    ctx,
    record.id,
    record.kind,
    (cur) => {
      const gone: number[] = [];
      const versions = cur.versions.map((v) => {
        if (!destroyable(v, before)) return v;
        gone.push(v.version);
        return { ...v, sealed: null, hash: null, destroyedAt: now };
      });
      return { next: gone.length === 0 ? null : { ...cur, versions }, result: gone };
    },
    {
      record,
      audit: ({ after, result }) =>
        result.map((version) => ({
          type: 'version.destroyed' as const,
          recordId: after.id,
          kind: after.kind,
          version,
          tenantId: after.tenantId,
        })),
    },
  );
  if (!changed) return;
  for (const version of destroyed) report.destroyed.push({ id: written.id, version });
}
