/**
 * `km.rewrap()`: after a master-key rotation (`localKms({ masterKey: NEW, previousKeys: [OLD] })`),
 * rewraps every data key the KMS flags with `needsRewrap` under its current key, and the store's
 * pepper, without opening any sealed value: the nonce and ciphertext of every envelope stay
 * byte-identical, only `sealed.dek` changes. Records are updated with compare-and-swap, so it is
 * safe to run while the store is in use and to run again (it is idempotent).
 * @module
 */
import { isKeywardenError, KeywardenError, type KeywardenErrorCode, validationError } from '../errors.js';
import { isAbortSignal } from '../internal/abort.js';
import { zeroize } from '../internal/bytes.js';
import type { WrappedKey } from '../ports/kms.js';
import type { StoredRecord, StoredVersion } from '../ports/storage.js';
import type { StoreContext, StoreState } from '../records/context.js';
import { bindingOf, rewrapSealed, unwrapDek } from '../records/envelope.js';
import { META_PEPPER, pepperContext } from '../records/store-meta.js';
import { mutateRecord } from '../records/write.js';

/** What `km.rewrap()` did. */
export interface RewrapReport {
  /** Records updated. */
  records: number;
  /** Versions whose data key was rewrapped. */
  versions: number;
  /** True when the pepper was rewrapped. */
  pepper: boolean;
  /** Versions that could not be rewrapped (e.g. tampered: `ERR_DECRYPT`); they keep their old wrapping. */
  failed: {
    /** The record holding the version. */
    recordId: string;
    /** The version that kept its old wrapping. */
    version: number;
    /** Why, e.g. `ERR_DECRYPT` for a tampered value. */
    code: KeywardenErrorCode;
  }[];
  /** True when `options.signal` stopped the run between records; run `rewrap()` again to finish. */
  interrupted: boolean;
}

/** Options of `km.rewrap()`. */
export interface RewrapOptions {
  /**
   * Stops the run between records. Records already rewrapped stay rewrapped (and audited); the
   * pepper is left for the next run; the report says `interrupted`.
   */
  signal?: AbortSignal;
  /**
   * Called after each record is looked at: `done` of `total` records in the store (counted first,
   * one extra read of every page, only when `onProgress` is given).
   */
  onProgress?: (done: number, total: number) => void;
}

function parseRewrapOptions(options: unknown): RewrapOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw validationError('options', 'must be an object');
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'signal' && key !== 'onProgress') throw validationError(`options.${key}`, 'unknown option');
  }
  if (o['signal'] !== undefined && !isAbortSignal(o['signal'])) {
    throw validationError('options.signal', 'must be an AbortSignal');
  }
  if (o['onProgress'] !== undefined && typeof o['onProgress'] !== 'function') {
    throw validationError('options.onProgress', 'must be a function');
  }
  return o as RewrapOptions;
}

async function countAll(ctx: StoreContext): Promise<number> {
  let n = 0;
  let cursor: string | undefined;
  do {
    const page = await ctx.storage.list(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    n += page.items.length;
    cursor = page.cursor;
  } while (cursor !== undefined);
  return n;
}

const PAGE = 200;

function needsRewrap(ctx: StoreContext, v: StoredVersion): boolean {
  if (v.sealed === null || typeof v.sealed !== 'object' || v.sealed.dek === null) return false;
  try {
    return ctx.kms.needsRewrap?.(v.sealed.dek) === true;
  } catch {
    return false;
  }
}

async function rewrapRecord(
  ctx: StoreContext,
  state: StoreState,
  record: StoredRecord,
  report: RewrapReport,
): Promise<void> {
  const outcome = await mutateRecord(
    ctx,
    record.id,
    record.kind,
    async (cur) => {
      const done: number[] = [];
      const failed: RewrapReport['failed'] = [];
      const versions: StoredVersion[] = [];
      for (const v of cur.versions) {
        if (!needsRewrap(ctx, v) || v.sealed === null) {
          versions.push(v);
          continue;
        }
        try {
          const binding = bindingOf(cur, v.version);
          versions.push({ ...v, sealed: await rewrapSealed(ctx, state, v.sealed, binding) });
          done.push(v.version);
        } catch (error) {
          if (!isKeywardenError(error) || error.code === 'ERR_CLOSED') throw error;
          failed.push({ recordId: cur.id, version: v.version, code: error.code });
          versions.push(v);
        }
      }
      return { next: done.length === 0 ? null : { ...cur, versions }, result: { done, failed } };
    },
    {
      record,
      // fail closed: each rewrapped record is audited, or its rewrap is undone and ERR_AUDIT thrown
      audit: ({ after, result }) => ({
        type: 'kms.rewrapped',
        recordId: after.id,
        kind: after.kind,
        tenantId: after.tenantId,
        data: { versions: [...result.done], kms: ctx.kms.id },
      }),
    },
  ).catch((error: unknown) => {
    // deleted meanwhile: nothing to rewrap, nothing failed
    if (isKeywardenError(error, 'ERR_NOT_FOUND')) return null;
    throw error;
  });
  if (outcome === null) return;
  report.failed.push(...outcome.result.failed);
  if (outcome.changed) {
    report.records += 1;
    report.versions += outcome.result.done.length;
  }
}

async function rewrapPepper(ctx: StoreContext, state: StoreState): Promise<boolean> {
  const value = await ctx.storage.getMeta(META_PEPPER);
  if (value === null) return false;
  let wrapped: WrappedKey;
  try {
    wrapped = JSON.parse(value) as WrappedKey;
  } catch (cause) {
    throw new KeywardenError('ERR_STORAGE', 'store metadata store.pepper is corrupt', { cause });
  }
  if (ctx.kms.needsRewrap?.(wrapped) !== true) return false;
  const context = pepperContext(state.storeId);
  const pepper = await unwrapDek(ctx.kms, wrapped, context);
  try {
    const next = JSON.stringify(await ctx.kms.wrapKey(pepper, context));
    // compare-and-swap: if another process rewrapped it first, ERR_CONFLICT and theirs stands
    await ctx.storage.setMeta(META_PEPPER, next, { expected: value });
    try {
      await ctx.audit({
        type: 'kms.rewrapped',
        keyId: null,
        kind: null,
        data: { pepper: true, kms: ctx.kms.id },
      });
    } catch (error) {
      // fail closed: put the old wrapping back (still valid under the previous key) unless someone moved on
      await ctx.storage.setMeta(META_PEPPER, value, { expected: next }).catch(() => undefined);
      throw error;
    }
    return true;
  } catch (error) {
    if (isKeywardenError(error, 'ERR_CONFLICT')) return false;
    throw error;
  } finally {
    zeroize(pepper);
  }
}

/**
 * Rewraps every data key (and the pepper) that the KMS says needs it. Fails closed: each rewrapped
 * record (and the pepper) gets its own `kms.rewrapped` event (keyId = the record, data.versions)
 * written right after it, and a record whose event cannot be written is put back and the call
 * throws `ERR_AUDIT`; nothing rewrapped is ever unaudited. A last `kms.rewrapped` event (keyId
 * null) carries the counts, written before the report is returned. Versions that fail to unwrap
 * are reported in `failed` and left as they are.
 *
 * @example
 * ```ts
 * const [NEW, OLD] = [generateMasterKey(), process.env.KEYWARDEN_MASTER_KEY!];
 * const km = createKeyManager({ storage, kms: localKms({ masterKey: NEW, previousKeys: [OLD] }) });
 * const report = await km.rewrap(); // { records: 12, versions: 30, pepper: true, failed: [] }
 * // now OLD can be dropped from previousKeys
 * ```
 * @throws KeywardenError `ERR_KMS`, `ERR_STORAGE`, `ERR_CLOSED`, `ERR_AUDIT` (an event could not
 *   be written: the record it was for is put back; records already rewrapped and audited stay so,
 *   and running `rewrap()` again finishes the rest).
 */
export async function rewrapAll(ctx: StoreContext, options?: RewrapOptions): Promise<RewrapReport> {
  const { signal, onProgress } = parseRewrapOptions(options);
  const state = await ctx.ready();
  const report: RewrapReport = { records: 0, versions: 0, pepper: false, failed: [], interrupted: false };
  if (typeof ctx.kms.needsRewrap === 'function') {
    const total = onProgress === undefined ? 0 : await countAll(ctx);
    let done = 0;
    let cursor: string | undefined;
    walk: do {
      const page = await ctx.storage.list(cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor });
      for (const record of page.items) {
        if (signal?.aborted === true) {
          report.interrupted = true;
          break walk;
        }
        if (record.versions.some((v) => needsRewrap(ctx, v))) await rewrapRecord(ctx, state, record, report);
        done += 1;
        onProgress?.(done, Math.max(total, done));
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    if (!report.interrupted) report.pepper = await rewrapPepper(ctx, state);
  }
  await ctx.audit({
    type: 'kms.rewrapped',
    keyId: null,
    kind: null,
    data: {
      records: report.records,
      versions: report.versions,
      pepper: report.pepper,
      failed: report.failed.length,
      ...(report.interrupted && { interrupted: true }),
      kms: ctx.kms.id,
    },
  });
  return report;
}
