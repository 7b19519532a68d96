/**
 * Backup test helpers: a manager plus its backup view over a given storage, and record dumps.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStorage } from '../../src/adapters/file.js';
import { type BackupView, createBackupView } from '../../src/backup/index.js';
import { localKms } from '../../src/kms/index.js';
import { createKeyManager, type KeyManager } from '../../src/manager/key-manager.js';
import { createStoreContext } from '../../src/manager/store-context.js';
import type { KmsAdapter } from '../../src/ports/kms.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { memoryRateLimiter } from '../../src/rate-limit/memory.js';

/** A manager and a backup view over one storage. */
export interface Opened {
  km: KeyManager;
  backup: BackupView;
}

/**
 * Opens a manager over `storage` with `masterKey`, and its backup view: `km.backup` when the manager
 * has one, else a view over its own context on the same storage and master key.
 */
export function open(storage: StorageAdapter, masterKey: string): Opened {
  return openWith(storage, () => localKms({ masterKey }));
}

/** Like {@link open}, with any KMS (one instance per manager or context). */
export function openWith(storage: StorageAdapter, makeKms: () => KmsAdapter): Opened {
  const km = createKeyManager({ storage, kms: makeKms(), defaults: { expiresIn: null } });
  const wired = (km as KeyManager & { backup?: BackupView }).backup;
  if (wired) return { km, backup: wired };
  const ctx = createStoreContext({
    storage,
    kms: makeKms(),
    clock: { now: () => Date.now() },
    options: { apiKeyPrefix: 'kw', expiresIn: null, verifications: 'failures' },
    rateLimiter: memoryRateLimiter(),
  });
  return { km, backup: createBackupView(ctx) };
}

/** Every record of a storage, by id. */
export async function dump(storage: StorageAdapter): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.list(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return structuredClone(out).sort((a, b) => a.id.localeCompare(b.id));
}

/** A file store in a fresh temp folder (fsync off: tests only), and its cleanup. */
export async function tempFileStorage(): Promise<{ storage: StorageAdapter; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kw-backup-'));
  const storage = fileStorage({ dir: join(dir, 'store'), create: true, fsync: false });
  return {
    storage,
    cleanup: async () => {
      await storage.close?.().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
