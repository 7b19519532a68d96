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
  /** See {@link exportBackup}. */
  export(options?: BackupExportOptions): Promise<BackupBundle>;
  /** See {@link importBackup}. */
  import(bundle: unknown, options?: BackupImportOptions): Promise<BackupImportReport>;
}

/**
 * Builds `km.backup` over a store context. The manager wires it as `backup: createBackupView(ctx)`;
 * when the context has `reload()`, it is called after an import changed the store's identity.
 *
 * @example
 * ```ts
 * const bundle = await km.backup.export();                 // sealed values stay sealed
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
