/**
 * `km.upgrade()`: brings a store written by keywarden 0.1 to the 0.2 format. Every record without a
 * MAC is written again (compare-and-swap, revision + 1) so the storage guard seals it; then one
 * `store.upgraded` audit event with the counts, then the authenticated format marker flips from
 * `0.1-pending` to `0.2`, after which a record without a MAC is `ERR_INTEGRITY`. Resumable: a run
 * that stopped (abort signal, crash) leaves sealed records sealed, and the next run goes on. A
 * record that fails its MAC, or does not parse, is reported and keeps the marker at `0.1-pending`.
 * @module
 */
import { isKeywardenError, KeywardenError } from '../errors.js';
import type { StoredRecord } from '../ports/storage.js';
import type { StoreContext } from '../records/context.js';
import { checkStoredRecord } from '../store/record-shape.js';
import type { StoreIntegrity } from './store-context.js';

/** Options of `km.upgrade()`. */
export interface UpgradeOptions {
  /** Count what would be done; write nothing. */
  dryRun?: boolean;
  /** Called after each record: records looked at so far. */
  onProgress?: (done: number) => void;
  /** Stops between records; the report says `interrupted` and a later run resumes. */
  signal?: AbortSignal;
  /** Recorded in the audit event. */
  actor?: string;
}

/** What `km.upgrade()` reports. */
export interface UpgradeReport {
  /** The format before the run. */
  from: '0.1-pending' | '0.2' | 'missing' | 'invalid';
  /** The format after the run (`dryRun`: unchanged). */
  to: '0.1-pending' | '0.2' | 'missing' | 'invalid';
  dryRun: boolean;
  /** Records looked at. */
  records: number;
  /** Records sealed by this run (`dryRun`: that would be). */
  upgraded: number;
  /** Records that already carried a valid MAC. */
  alreadySealed: number;
  /** Ids of records that fail their MAC or do not parse (never sealed over). */
  failed: string[];
  /** True when the signal stopped the run before the end. */
  interrupted: boolean;
}

const PAGE = 200;

/**
 * Runs the upgrade (see the module comment).
 *
 * @example
 * ```ts
 * const report = await upgradeStore(ctx, ctx.integrity, { onProgress: (n) => console.log(n) });
 * ```
 * @throws KeywardenError `ERR_INTEGRITY` when the format marker is missing or altered on a store
 *   opened by 0.2 before (an upgrade never re-creates it); `ERR_AUDIT`, `ERR_STORAGE`, `ERR_CLOSED`.
 */
export async function upgradeStore(
  ctx: StoreContext,
  integrity: StoreIntegrity,
  options: UpgradeOptions = {},
): Promise<UpgradeReport> {
  await ctx.ready();
  const from = await integrity.marker();
  const dryRun = options.dryRun === true;
  const report: UpgradeReport = {
    from,
    to: from,
    dryRun,
    records: 0,
    upgraded: 0,
    alreadySealed: 0,
    failed: [],
    interrupted: false,
  };
  if (from === 'missing' || from === 'invalid') {
    throw new KeywardenError(
      'ERR_INTEGRITY',
      'the store format marker is missing or altered on a store opened by keywarden 0.2 before: upgrade refused (restore the marker from a backup, see docs/threat-model.md)',
      { field: 'store.format' },
    );
  }
  let cursor: string | undefined;
  do {
    const page = await integrity.raw.list(cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor });
    for (const item of page.items) {
      if (options.signal?.aborted) {
        report.interrupted = true;
        return report;
      }
      report.records += 1;
      await upgradeOne(ctx, integrity, item, report, dryRun);
      options.onProgress?.(report.records);
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  if (dryRun || report.failed.length > 0 || from === '0.2') return report;
  await ctx.audit({
    type: 'store.upgraded',
    recordId: null,
    kind: null,
    actor: options.actor ?? null,
    data: { from, to: '0.2', records: report.records, upgraded: report.upgraded },
  });
  await integrity.finishUpgrade();
  report.to = '0.2';
  return report;
}

async function upgradeOne(
  ctx: StoreContext,
  integrity: StoreIntegrity,
  item: unknown,
  report: UpgradeReport,
  dryRun: boolean,
): Promise<void> {
  let record: StoredRecord;
  try {
    record = await integrity.check(checkStoredRecord(item));
  } catch (error) {
    if (!isKeywardenError(error)) throw error;
    const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
    report.failed.push(typeof id === 'string' ? id : '?');
    return;
  }
  if (typeof record.mac === 'string') {
    report.alreadySealed += 1;
    return;
  }
  if (dryRun) {
    report.upgraded += 1;
    return;
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // the guard seals what it writes: the write itself is the upgrade
      await ctx.storage.update(
        { ...record, revision: record.revision + 1 },
        { expectedRevision: record.revision },
      );
      report.upgraded += 1;
      return;
    } catch (error) {
      if (!isKeywardenError(error, 'ERR_CONFLICT')) throw error;
      const fresh = await ctx.storage.get(record.id); // written meanwhile: sealed by that write
      if (fresh === null) return;
      if (typeof fresh.mac === 'string') {
        report.alreadySealed += 1;
        return;
      }
      record = fresh;
    }
  }
  throw new KeywardenError(
    'ERR_CONFLICT',
    `record ${record.id} kept changing during the upgrade; run it again`,
  );
}
