/**
 * Backup and migration: `km.backup.export()` and `km.backup.import()` over a versioned bundle.
 * See docs/backup.md.
 * @module
 */
import type { StoreContext } from '../records/context.js';
import { type BackupExportOptions, exportBackup } from './export.js';
import {
  type BackupImportOptions,
  type BackupImportReport,
  importBackup,
  type ReloadableContext,
} from './import.js';
import type { BackupBundle } from './schema.js';

export type { BackupExportOptions, BackupProgress } from './export.js';
export type { BackupImportOptions, BackupImportReport, ReloadableContext } from './import.js';
export {
  BACKUP_FORMAT,
  BACKUP_VERSION,
  type BackupBundle,
  type BackupMeta,
  type BackupValue,
  parseBackupBundle,
} from './schema.js';

/** `km.backup`: export the store to a bundle, import a bundle into it. */
export interface BackupView {
  /**
   * Exports the store as a versioned bundle; sealed values stay sealed unless `plaintext` is asked
   * for. Audited (`backup.exported`) before anything is read. See docs/backup.md.
   *
   * @example
   * ```ts
   * const bundle = await km.backup.export({ onProgress: (done, total) => console.log(done, total) });
   * ```
   * @throws KeywardenError `ERR_VALIDATION`, `ERR_AUDIT`, `ERR_STORAGE`, `ERR_DECRYPT`, `ERR_KMS`,
   *   `ERR_CLOSED`; `signal.reason` once aborted.
   */
  export(options?: BackupExportOptions): Promise<BackupBundle>;
  /**
   * Imports a bundle: validated and prepared in memory, conflicts found, before the first write.
   * See docs/backup.md.
   *
   * @example
   * ```ts
   * const report = await km.backup.import(bundle, { onConflict: 'skip' });
   * ```
   * @throws KeywardenError `ERR_BACKUP`, `ERR_VALIDATION`, `ERR_STORAGE`, `ERR_AUDIT`, `ERR_CLOSED`;
   *   `signal.reason` when aborted before the first write.
   */
  import(bundle: unknown, options?: BackupImportOptions): Promise<BackupImportReport>;
}

/**
 * Builds `km.backup` over a store context. The manager wires it as `backup: createBackupView(ctx)`;
 * when the context has `reload()`, it is called after an import changed the store's identity.
 *
 * @example
 * ```ts
 * const bundle = await km.backup.export();                 // sealed values stay sealed
 * declare const other: KeyManager;
 * await other.backup.import(bundle, { onConflict: 'fail' }); // same master key
 * ```
 * @throws never itself; see `export` and `import`.
 */
export function createBackupView(ctx: StoreContext | ReloadableContext): BackupView {
  return Object.freeze({
    export: (options?: BackupExportOptions) => exportBackup(ctx, options),
    import: (bundle: unknown, options?: BackupImportOptions) => importBackup(ctx, bundle, options),
  });
}
