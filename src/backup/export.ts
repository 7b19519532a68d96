/**
 * `km.backup.export`: the whole store as a versioned bundle.
 * @module
 */
import * as z from 'zod/mini';
import { isKeywardenError, KeywardenError } from '../errors.js';
import { isAbortSignal } from '../internal/abort.js';
import { toBase64Url, zeroize } from '../internal/bytes.js';
import { lazy } from '../internal/lazy.js';
import { parseInput } from '../internal/validate.js';
import type { AuditEvent, StoredRecord, StoredVersion } from '../ports/storage.js';
import type { StoreContext } from '../records/context.js';
import { bindingOf, type OpenState, openValue } from '../records/envelope.js';
import { idLikeSchema } from '../records/schemas.js';
import { allRecords, countRecords, openPepper, PASSPHRASE_META_KEY, readWrappedPepper } from './identity.js';
import { BACKUP_FORMAT, BACKUP_VERSION, type BackupBundle, type BackupValue } from './schema.js';

/** Progress of a long backup operation: `done` of `total` records. */
export type BackupProgress = (done: number, total: number) => void;

/** Options of `km.backup.export`. */
export interface BackupExportOptions {
  /**
   * Open every secret and private key and put the values (and the pepper) in the bundle in the
   * clear, so it can be imported under another master key or KMS. Default false. Audited.
   */
  plaintext?: boolean;
  /** Include the audit log (default true). It is carried for the archive, never replayed. */
  audit?: boolean;
  /** Recorded in the `backup.exported` audit event. */
  actor?: string;
  /** Called after each record. */
  onProgress?: BackupProgress;
  /**
   * Stops the export between records: it rejects with `signal.reason` (nothing is returned; the
   * `backup.exported` event, written first, stays).
   */
  signal?: AbortSignal;
}

const optionsSchema = lazy(() =>
  z.strictObject({
    plaintext: z.optional(z.boolean()),
    audit: z.optional(z.boolean()),
    actor: z.optional(idLikeSchema),
    onProgress: z.optional(z.custom<BackupProgress>((v) => typeof v === 'function', 'must be a function')),
    signal: z.optional(z.custom<AbortSignal>(isAbortSignal, 'must be an AbortSignal')),
  }),
);

/**
 * Exports the store. Sealed values stay sealed unless `plaintext` is asked for. The export is
 * audited (`backup.exported`, with `plaintext` and the counts) before anything is read, so a
 * failed audit write refuses the export.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * const bundle = await km.backup.export();
 * await writeFile('backup.json', JSON.stringify(bundle), { mode: 0o600 });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (options), `ERR_AUDIT`, `ERR_STORAGE`, `ERR_DECRYPT` /
 *   `ERR_KMS` (plaintext export of a value that cannot be opened), `ERR_CLOSED`; `signal.reason` once aborted.
 */
export async function exportBackup(
  ctx: StoreContext,
  options: BackupExportOptions = {},
): Promise<BackupBundle> {
  const o = parseInput(optionsSchema(), options, 'options');
  const state = await ctx.ready();
  const plaintext = o.plaintext === true;
  o.signal?.throwIfAborted();
  const total = await countRecords(ctx);
  await ctx.audit({
    type: 'backup.exported',
    recordId: null,
    kind: null,
    actor: o.actor ?? null,
    data: { plaintext, records: total },
  });
  const pepper = await readWrappedPepper(ctx);
  const kmsParams = await ctx.storage.getMeta(PASSPHRASE_META_KEY);
  const records: StoredRecord[] = [];
  const values: BackupValue[] = [];
  let done = 0;
  for await (const record of allRecords(ctx)) {
    o.signal?.throwIfAborted();
    const copy = structuredClone(record) as StoredRecord;
    if (plaintext) {
      copy.versions = await Promise.all(copy.versions.map((v) => openVersion(ctx, state, copy, v, values)));
    }
    records.push(copy);
    done += 1;
    o.onProgress?.(done, Math.max(total, done));
  }
  const bundle: BackupBundle = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt: ctx.clock.now(),
    storeId: state.storeId,
    plaintext,
    meta: { kms: ctx.kms.id, kmsParams, pepper: { wrapped: pepper.wrapped } },
    records,
  };
  if (plaintext) {
    const bytes = await openPepper(
      ctx,
      pepper.wrapped,
      state.storeId,
      'the KMS cannot open this store pepper',
    );
    bundle.meta.pepper = { plaintext: toBase64Url(bytes) };
    zeroize(bytes);
    bundle.values = values;
  }
  if (o.audit !== false) bundle.audit = await readAudit(ctx);
  return bundle;
}

async function openVersion(
  ctx: StoreContext,
  state: OpenState,
  record: StoredRecord,
  v: StoredVersion,
  values: BackupValue[],
): Promise<StoredVersion> {
  if (v.sealed === null) return v;
  let bytes: Uint8Array;
  try {
    bytes = await openValue(ctx, state, v.sealed, bindingOf(record, v.version));
  } catch (error) {
    if (isKeywardenError(error) && error.code !== 'ERR_CLOSED') {
      throw new KeywardenError(
        error.code,
        `plaintext export: version ${v.version} of ${record.kind} ${record.id} cannot be opened`,
        { cause: error },
      );
    }
    throw error;
  }
  values.push({ recordId: record.id, version: v.version, value: toBase64Url(bytes) });
  zeroize(bytes);
  return { ...v, sealed: null };
}

async function readAudit(ctx: StoreContext): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.storage.listAudit(
      cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor },
    );
    for (const e of page.items) out.push(structuredClone(e) as AuditEvent);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}
