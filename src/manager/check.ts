/**
 * `km.check()`: reads every record of the store and reports the ones that do not parse, fail their
 * MAC, or whose sealed values do not open under this manager's KMS; the store format marker; and,
 * cross-checking the audit log, records that are `active` again although the log holds their
 * revocation (a whole record rolled back to an older copy, whose MAC is still valid: only the
 * audit log can tell). Nothing is written; plaintexts are zeroed.
 * @module
 */
import { isStoredRecord } from '../backup/schema.js';
import { isKeywardenError } from '../errors.js';
import { zeroize } from '../internal/bytes.js';
import type { StoredRecord } from '../ports/storage.js';
import type { StoreContext } from '../records/context.js';
import { bindingOf, type OpenState, openValue } from '../records/envelope.js';
import type { StoreFormat } from '../records/record-mac.js';
import { checkStoredRecord } from '../store/record-shape.js';
import type { StoreIntegrity } from './store-context.js';

/** One problem `km.check()` found. Never holds a value, only where and which error code. */
export interface StoreCheckProblem {
  /** Id of the record with the problem. */
  recordId: string;
  /** The version whose sealed value does not open; null for record-level problems. */
  version: number | null;
  /**
   * `unparsable`: the record is not a well-formed record of a known kind; `integrity`: its MAC
   * fails (or it has none on an upgraded store); `sealed`: a value does not open;
   * `legacy-envelope`: a value sealed in the 0.1 envelope format on a store that is not pending its
   * upgrade (it does not open until `km.upgrade()` seals it again); `rolled-back`: the record is
   * active but the audit log holds its revocation.
   */
  reason: 'unparsable' | 'integrity' | 'sealed' | 'legacy-envelope' | 'rolled-back';
  /** The error code (`ERR_INTEGRITY`, `ERR_DECRYPT`, `ERR_KMS`, `ERR_INVALID_STATE`...). */
  code: string;
}

/** What `km.check()` reports. */
export interface StoreCheckReport {
  /** True when every record parses, passes its MAC and every sealed value opens, and the marker holds. */
  ok: boolean;
  /** Records read. */
  records: number;
  /** Sealed values opened (or tried). */
  sealed: number;
  /**
   * The store format marker: `0.2`; `0.1-pending` (a 0.1 store: run `km.upgrade()`); `missing`
   * or `invalid` (deleted or altered: a problem).
   */
  format: StoreFormat | 'missing' | 'invalid';
  /** Every problem found, one per record or sealed value; empty when `ok`. */
  problems: StoreCheckProblem[];
}

const PAGE = 500;

/**
 * Checks every record of the store (see the module comment).
 *
 * @example
 * ```ts
 * const report = await checkStore(ctx, ctx.integrity);
 * if (!report.ok) console.error(report.problems);
 * ```
 * `raw` is the adapter as the user passed it: the context's storage refuses a malformed record
 * with `ERR_INTEGRITY` (and with it the whole page), while a check must name every one of them.
 * @throws KeywardenError as `ready()` (`ERR_MASTER_KEY_MISMATCH`, `ERR_STORAGE`, `ERR_CLOSED`) and
 *   `ERR_STORAGE` when the records or the audit log cannot be listed.
 */
export async function checkStore(ctx: StoreContext, integrity: StoreIntegrity): Promise<StoreCheckReport> {
  const state = await ctx.ready();
  const format = await integrity.marker();
  const report: StoreCheckReport = { ok: true, records: 0, sealed: 0, format, problems: [] };
  const revoked = await revokedInAudit(ctx);
  let cursor: string | undefined;
  do {
    const page = await integrity.raw.list(cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor });
    for (const item of page.items) {
      report.records += 1;
      const record = await checkOne(integrity, item, report);
      if (record === null) continue;
      if (record.status === 'active' && revoked.has(record.id)) {
        report.problems.push({
          recordId: record.id,
          version: null,
          reason: 'rolled-back',
          code: 'ERR_INTEGRITY',
        });
      }
      await checkSealed(ctx, state, record, report);
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  report.ok = report.problems.length === 0 && (format === '0.2' || format === '0.1-pending');
  return report;
}

async function checkOne(
  integrity: StoreIntegrity,
  item: unknown,
  report: StoreCheckReport,
): Promise<StoredRecord | null> {
  const rawId = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
  const id = typeof rawId === 'string' ? rawId : '?';
  let record: StoredRecord;
  try {
    record = checkStoredRecord(item);
  } catch {
    report.problems.push({ recordId: id, version: null, reason: 'unparsable', code: 'ERR_INTEGRITY' });
    return null;
  }
  if (!isStoredRecord(record)) {
    report.problems.push({ recordId: id, version: null, reason: 'unparsable', code: 'ERR_INTEGRITY' });
    return null;
  }
  try {
    return await integrity.check(record);
  } catch (error) {
    if (!isKeywardenError(error)) throw error;
    report.problems.push({ recordId: id, version: null, reason: 'integrity', code: error.code });
    return null;
  }
}

/** Ids of records the audit log says were revoked (`key.revoked`). */
async function revokedInAudit(ctx: StoreContext): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await ctx.storage.listAudit(
      cursor === undefined
        ? { type: 'key.revoked', limit: 1000 }
        : { type: 'key.revoked', limit: 1000, cursor },
    );
    for (const e of page.items) if (e.keyId !== null) ids.add(e.keyId);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return ids;
}

async function checkSealed(
  ctx: StoreContext,
  state: OpenState,
  r: StoredRecord,
  report: StoreCheckReport,
): Promise<void> {
  for (const v of r.versions) {
    if (v.sealed === null) continue;
    report.sealed += 1;
    const legacy = typeof v.sealed === 'object' && !('f' in v.sealed);
    if (legacy && (await state.acceptsLegacySeals?.()) !== true) {
      report.problems.push({
        recordId: r.id,
        version: v.version,
        reason: 'legacy-envelope',
        code: 'ERR_DECRYPT',
      });
      continue;
    }
    try {
      zeroize(await openValue(ctx, state, v.sealed, bindingOf(r, v.version)));
    } catch (error) {
      if (!isKeywardenError(error)) throw error;
      report.problems.push({ recordId: r.id, version: v.version, reason: 'sealed', code: error.code });
    }
  }
}
