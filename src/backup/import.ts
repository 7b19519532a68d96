/**
 * `km.backup.import`: validates a whole bundle, plans every write, then writes.
 *
 * Identity rules (docs/backup.md):
 * - sealed bundle, same store id as the target: records are written as they are;
 * - sealed bundle, target holds no records: the target ADOPTS the bundle's store id and pepper (the
 *   target KMS must open the bundle's pepper, i.e. the same master key), and records are written as
 *   they are: the result is identical record for record;
 * - sealed bundle, target holds records: values are re-sealed under the target's store id (same
 *   master key needed); API keys need the same pepper, else `ERR_BACKUP`;
 * - plaintext bundle: values are sealed fresh by the target KMS; API keys need the target's pepper to
 *   equal the bundle's, which it adopts when the target holds no API keys, else `ERR_BACKUP`.
 * @module
 */
import * as z from 'zod/mini';
import { KeywardenError } from '../errors.js';
import { isAbortSignal } from '../internal/abort.js';
import { lazy } from '../internal/lazy.js';
import { parseInput } from '../internal/validate.js';
import type { StoredRecord } from '../ports/storage.js';
import type { StoreContext } from '../records/context.js';
import { idLikeSchema } from '../records/schemas.js';
import type { BackupProgress } from './export.js';
import { planPlaintext, planSealed } from './plan.js';
import { parseBackupBundle } from './schema.js';

/** Options of `km.backup.import`. */
export interface BackupImportOptions {
  /**
   * What to do with a record whose id (or unique name) exists in the target: `'fail'` (default:
   * nothing is written), `'skip'` (keep the target's), `'overwrite'` (replace it).
   */
  onConflict?: 'skip' | 'overwrite' | 'fail';
  /** Recorded in the `backup.imported` audit event. */
  actor?: string;
  /** Called after each record written. */
  onProgress?: BackupProgress;
  /**
   * Before the first write, an abort rejects with `signal.reason` and nothing is written. Once
   * writing has begun it stops between records: the report says `interrupted`, the
   * `backup.imported` event records what was written, and importing again with
   * `onConflict: 'skip'` finishes.
   */
  signal?: AbortSignal;
}

/** What an import did. */
export interface BackupImportReport {
  /** Records of the bundle that were not in the store and were written. */
  created: number;
  /** Records that clashed (same id, or same unique name) and were replaced (`onConflict: 'overwrite'`). */
  overwritten: number;
  /** Records that clashed and were left as they were (`onConflict: 'skip'`). */
  skipped: number;
  /** True when the target took the bundle's store id and pepper (it held no records). */
  adoptedIdentity: boolean;
  /** True when the target took the bundle's pepper (plaintext bundle into a store without API keys). */
  adoptedPepper: boolean;
  /**
   * True when the store's identity changed but this manager could not reload its cached store
   * state: close it and open a new manager before using the store again.
   */
  reopenRequired: boolean;
  /** True when `options.signal` stopped the import between records (see `BackupImportOptions.signal`). */
  interrupted: boolean;
}

/** Lets the manager drop cached store state after an identity change (see docs/backup.md). */
export interface ReloadableContext extends StoreContext {
  reload?(): Promise<unknown> | undefined;
}

const optionsSchema = lazy(() =>
  z.strictObject({
    onConflict: z.optional(z.enum(['skip', 'overwrite', 'fail'])),
    actor: z.optional(idLikeSchema),
    onProgress: z.optional(z.custom<BackupProgress>((v) => typeof v === 'function', 'must be a function')),
    signal: z.optional(z.custom<AbortSignal>(isAbortSignal, 'must be an AbortSignal')),
  }),
);

/**
 * Imports a bundle. The whole bundle is validated and every value re-sealed (when needed) in memory
 * before the first write; conflicts are found before the first write too.
 *
 * @example
 * ```ts
 * const report = await km.backup.import(bundle, { onConflict: 'skip' });
 * ```
 * @throws KeywardenError `ERR_BACKUP` (invalid bundle naming the path, wrong master key, pepper
 *   mismatch, conflicts with `onConflict: 'fail'`), `ERR_VALIDATION` (options), `ERR_STORAGE`,
 *   `ERR_AUDIT`, `ERR_CLOSED`; `signal.reason` when aborted before the first write.
 */
export async function importBackup(
  ctx: ReloadableContext,
  input: unknown,
  options: BackupImportOptions = {},
): Promise<BackupImportReport> {
  const o = parseInput(optionsSchema(), options, 'options');
  const bundle = parseBackupBundle(input);
  const state = await ctx.ready();
  const plan = bundle.plaintext
    ? await planPlaintext(ctx, state, bundle)
    : await planSealed(ctx, state, bundle);
  const onConflict = o.onConflict ?? 'fail';
  const actions = await findConflicts(ctx, plan.records);
  const conflicts = actions.filter((a) => a.existing !== null || a.nameClash !== null);
  if (onConflict === 'fail' && conflicts.length > 0) {
    const first = conflicts[0] as (typeof actions)[number];
    throw new KeywardenError(
      'ERR_BACKUP',
      `${conflicts.length} record(s) of the bundle already exist in this store (first: ${first.record.kind} ${first.record.id}); use onConflict 'skip' or 'overwrite'`,
      { field: 'onConflict' },
    );
  }
  o.signal?.throwIfAborted();
  for (const m of plan.meta) await ctx.storage.setMeta(m.key, m.value, { expected: m.expected });
  // the records are written (and MAC'd) under the adopted identity's keys: reload first
  const reloaded = (plan.adoptedIdentity || plan.adoptedPepper) && typeof ctx.reload === 'function';
  if (reloaded) await ctx.reload?.();
  const report: BackupImportReport = {
    created: 0,
    overwritten: 0,
    skipped: 0,
    adoptedIdentity: plan.adoptedIdentity,
    adoptedPepper: plan.adoptedPepper,
    reopenRequired: false,
    interrupted: false,
  };
  let done = 0;
  for (const a of actions) {
    if (o.signal?.aborted === true) {
      report.interrupted = true;
      break;
    }
    if (a.existing === null && a.nameClash === null) {
      await ctx.storage.create(a.record);
      report.created += 1;
    } else if (onConflict === 'skip') {
      report.skipped += 1;
    } else {
      if (a.nameClash !== null) await ctx.storage.delete(a.nameClash.id);
      if (a.existing !== null) {
        const next = { ...a.record, revision: a.existing.revision + 1 };
        await ctx.storage.update(next, { expectedRevision: a.existing.revision });
      } else {
        await ctx.storage.create(a.record);
      }
      report.overwritten += 1;
    }
    done += 1;
    o.onProgress?.(done, actions.length);
  }
  await ctx.audit({
    type: 'backup.imported',
    recordId: null,
    kind: null,
    actor: o.actor ?? null,
    data: {
      plaintext: bundle.plaintext,
      sourceStoreId: bundle.storeId,
      created: report.created,
      overwritten: report.overwritten,
      skipped: report.skipped,
      adoptedIdentity: report.adoptedIdentity,
      adoptedPepper: report.adoptedPepper,
      ...(report.interrupted && { interrupted: true }),
    },
  });
  if ((plan.adoptedIdentity || plan.adoptedPepper) && !reloaded) report.reopenRequired = true;
  return report;
}

interface Action {
  record: StoredRecord;
  existing: StoredRecord | null;
  nameClash: StoredRecord | null;
}

async function findConflicts(ctx: StoreContext, records: StoredRecord[]): Promise<Action[]> {
  const out: Action[] = [];
  for (const record of records) {
    const existing = await ctx.storage.get(record.id);
    let nameClash: StoredRecord | null = null;
    if (record.uniqueName) {
      const other = await ctx.storage.findByName(record.name, {
        kind: record.kind,
        environment: record.environment,
        tenantId: record.tenantId,
      });
      if (other !== null && other.id !== record.id) nameClash = other;
    }
    out.push({ record, existing, nameClash });
  }
  return out;
}
