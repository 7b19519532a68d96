/**
 * `km.check()`: reads every record of the store and reports the ones that do not parse or whose
 * sealed values do not open under this manager's KMS. Nothing is written; plaintexts are zeroed.
 * @module
 */
import { isStoredRecord } from '../backup/schema.js';
import { isKeywardenError } from '../errors.js';
import { zeroize } from '../internal/bytes.js';
import type { StorageAdapter, StoredRecord } from '../ports/storage.js';
import type { StoreContext } from '../records/context.js';
import { openValue } from '../records/envelope.js';
import { checkStoredRecord } from '../store/record-shape.js';

/** One problem `km.check()` found. Never holds a value, only where and which error code. */
export interface StoreCheckProblem {
  recordId: string;
  /** The version whose sealed value does not open; null when the record itself does not parse. */
  version: number | null;
  /** `unparsable`: the record is not a well-formed record of a known kind; `sealed`: a value does not open. */
  reason: 'unparsable' | 'sealed';
  /** The error code (`ERR_INTEGRITY` for a record that does not parse, `ERR_DECRYPT`, `ERR_KMS`...). */
  code: string;
}

/** What `km.check()` reports. */
export interface StoreCheckReport {
  /** True when every record parses and every sealed value opens. */
  ok: boolean;
  /** Records read. */
  records: number;
  /** Sealed values opened (or tried). */
  sealed: number;
  problems: StoreCheckProblem[];
}

/**
 * Checks every record of the store (see the module comment).
 *
 * @example
 * ```ts
 * const report = await checkStore(ctx, rawStorage);
 * if (!report.ok) console.error(report.problems);
 * ```
 * `raw` is the adapter as the user passed it: the context's storage refuses a malformed record
 * with `ERR_INTEGRITY` (and with it the whole page), while a check must name every one of them.
 * @throws KeywardenError as `ready()` (`ERR_MASTER_KEY_MISMATCH`, `ERR_STORAGE`, `ERR_CLOSED`) and
 *   `ERR_STORAGE` when the records cannot be listed.
 */
export async function checkStore(
  ctx: StoreContext,
  raw: StorageAdapter = ctx.storage,
): Promise<StoreCheckReport> {
  const state = await ctx.ready();
  const report: StoreCheckReport = { ok: true, records: 0, sealed: 0, problems: [] };
  let cursor: string | undefined;
  do {
    const page = await raw.list(cursor === undefined ? { limit: 500 } : { limit: 500, cursor });
    for (const item of page.items) {
      report.records += 1;
      const record: unknown = item;
      if (!isStoredRecord(record) || !hasStoredShape(record)) {
        const id = typeof item?.id === 'string' ? item.id : '?';
        report.problems.push({ recordId: id, version: null, reason: 'unparsable', code: 'ERR_INTEGRITY' });
        continue;
      }
      await checkSealed(ctx, state, record, report);
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  report.ok = report.problems.length === 0;
  return report;
}

function hasStoredShape(record: StoredRecord): boolean {
  try {
    checkStoredRecord(record);
    return true;
  } catch (error) {
    if (isKeywardenError(error, 'ERR_INTEGRITY')) return false;
    throw error;
  }
}

async function checkSealed(
  ctx: StoreContext,
  state: { storeId: string },
  r: StoredRecord,
  report: StoreCheckReport,
): Promise<void> {
  for (const v of r.versions) {
    if (v.sealed === null) continue;
    report.sealed += 1;
    try {
      zeroize(await openValue(ctx, state, v.sealed, { recordId: r.id, version: v.version, kind: r.kind }));
    } catch (error) {
      if (!isKeywardenError(error)) throw error;
      report.problems.push({ recordId: r.id, version: v.version, reason: 'sealed', code: error.code });
    }
  }
}
