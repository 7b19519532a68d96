/**
 * `km.upgrade()`: brings a store written by keywarden 0.1 to the 0.2 format. Every record without a
 * MAC is written again (compare-and-swap, revision + 1) so the storage guard seals it; then one
 * `store.upgraded` audit event with the counts, then the authenticated format marker flips from
 * `0.1-pending` to `0.2`, after which a record without a MAC is `ERR_INTEGRITY`. Values sealed in
 * envelope format 1 (0.1: the associated data binds no name, tenant or environment) are opened and
 * sealed again in format 2 in the same write, on any store (a 0.1 backup imported into a 0.2 store
 * brings them too); only this and backup import open format 1 outside a pending store. Resumable: a
 * run that stopped (abort signal, crash) leaves sealed records sealed, and the next run goes on. A
 * record that fails its MAC, does not parse, or holds a value that does not open is reported and
 * keeps the marker at `0.1-pending`.
 * @module
 */
import { isKeywardenError, KeywardenError } from '../errors.js';
import { zeroize } from '../internal/bytes.js';
import type { StoredRecord, StoredVersion } from '../ports/storage.js';
import type { StoreContext } from '../records/context.js';
import { bindingOf, type OpenState, openValue, sealValue } from '../records/envelope.js';
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
  /** True when the run only counted what it would do (option `dryRun`) and wrote nothing. */
  dryRun: boolean;
  /** Records looked at. */
  records: number;
  /** Records sealed by this run (`dryRun`: that would be). */
  upgraded: number;
  /** Values sealed again from envelope format 1 to 2 by this run (`dryRun`: that would be). */
  resealed: number;
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
    resealed: 0,
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
  const state = await ctx.ready();
  // the upgrade is the one place a format-1 value opens on a store that is not pending: the record
  // it belongs to passed its MAC (or is a 0.1 record of a pending store), which covers its labels
  const legacy: OpenState = { storeId: state.storeId, acceptsLegacySeals: async () => true };
  let cursor: string | undefined;
  do {
    const page = await integrity.raw.list(cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor });
    for (const item of page.items) {
      if (options.signal?.aborted) {
        report.interrupted = true;
        return report;
      }
      report.records += 1;
      await upgradeOne(ctx, integrity, legacy, item, report, dryRun);
      options.onProgress?.(report.records);
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  if (dryRun || report.failed.length > 0 || (from === '0.2' && report.upgraded === 0)) return report;
  await ctx.audit({
    type: 'store.upgraded',
    recordId: null,
    kind: null,
    actor: options.actor ?? null,
    data: { from, to: '0.2', records: report.records, upgraded: report.upgraded, resealed: report.resealed },
  });
  if (from === '0.2') return report;
  await integrity.finishUpgrade();
  report.to = '0.2';
  return report;
}

/** A value sealed in envelope format 1 (keywarden 0.1: no `f`). */
const isLegacySeal = (v: StoredVersion): boolean =>
  v.sealed !== null && typeof v.sealed === 'object' && v.sealed.f === undefined;

/** Whether `record` still needs the upgrade: no MAC, or a value in envelope format 1. */
const needsUpgrade = (record: StoredRecord): boolean =>
  typeof record.mac !== 'string' || record.versions.some(isLegacySeal);

/** `record` with every format-1 value opened and sealed again in format 2 (same data, new data key). */
async function resealLegacy(
  ctx: StoreContext,
  legacy: OpenState,
  record: StoredRecord,
): Promise<{ record: StoredRecord; resealed: number }> {
  let resealed = 0;
  const versions: StoredVersion[] = [];
  for (const v of record.versions) {
    if (!isLegacySeal(v)) {
      versions.push(v);
      continue;
    }
    const binding = bindingOf(record, v.version);
    const bytes = await openValue(ctx, legacy, v.sealed, binding);
    try {
      versions.push({ ...v, sealed: await sealValue(ctx, legacy, bytes, binding) });
      resealed += 1;
    } finally {
      zeroize(bytes);
    }
  }
  return { record: { ...record, versions }, resealed };
}

function failedId(report: UpgradeReport, item: unknown): void {
  const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
  report.failed.push(typeof id === 'string' ? id : '?');
}

async function upgradeOne(
  ctx: StoreContext,
  integrity: StoreIntegrity,
  legacy: OpenState,
  item: unknown,
  report: UpgradeReport,
  dryRun: boolean,
): Promise<void> {
  let record: StoredRecord;
  try {
    record = await integrity.check(checkStoredRecord(item));
  } catch (error) {
    if (!isKeywardenError(error)) throw error;
    failedId(report, item);
    return;
  }
  if (!needsUpgrade(record)) {
    report.alreadySealed += 1;
    return;
  }
  if (dryRun) {
    report.upgraded += 1;
    report.resealed += record.versions.filter(isLegacySeal).length;
    return;
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    let next: { record: StoredRecord; resealed: number };
    try {
      next = await resealLegacy(ctx, legacy, record);
    } catch (error) {
      // a value that does not open (tampered, moved, another master key) is never sealed over
      if (!isKeywardenError(error) || error.code === 'ERR_CLOSED') throw error;
      failedId(report, record);
      return;
    }
    try {
      // the guard seals what it writes: the write itself is the upgrade
      await ctx.storage.update(
        { ...next.record, revision: record.revision + 1 },
        { expectedRevision: record.revision },
      );
      report.upgraded += 1;
      report.resealed += next.resealed;
      return;
    } catch (error) {
      if (!isKeywardenError(error, 'ERR_CONFLICT')) throw error;
      const fresh = await integrity.raw.get(record.id); // written meanwhile: sealed by that write?
      if (fresh === null) return;
      try {
        record = await integrity.check(checkStoredRecord(fresh));
      } catch (cause) {
        if (!isKeywardenError(cause)) throw cause;
        failedId(report, fresh);
        return;
      }
      if (!needsUpgrade(record)) {
        report.alreadySealed += 1;
        return;
      }
    }
  }
  throw new KeywardenError(
    'ERR_CONFLICT',
    `record ${record.id} kept changing during the upgrade; run it again`,
  );
}
