/**
 * Child process for the file adapter's `readMacs` tests: another process writing to the store.
 *
 *   set-mac DIR ID MAC [COMPACT]   rewrites record ID with `mac` MAC (revision + 1); with COMPACT,
 *                                  the store compacts after that write (the log is replaced)
 *   delete DIR ID                  deletes record ID
 *   revoke DIR SESSION             revokes an agent-access session through a key manager whose
 *                                  master key is in KW_TEST_MASTER_KEY
 *
 * Prints `DONE` once the write is acknowledged.
 */
import { agentAccess } from '../../src/access/index.js';
import { fileStorage } from '../../src/adapters/file.js';
import { localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { StoredRecord } from '../../src/ports/storage.js';

const [mode, dir, id, mac, compact] = process.argv.slice(2) as [string, string, string, string?, string?];
const storage = fileStorage({ dir, fsync: false, ...(compact === 'COMPACT' && { compactAfter: 1 }) });

if (mode === 'set-mac') {
  const r = (await storage.get(id)) as StoredRecord;
  await storage.update(
    { ...r, mac: mac as string, revision: r.revision + 1 },
    { expectedRevision: r.revision },
  );
} else if (mode === 'delete') {
  await storage.delete(id);
} else if (mode === 'revoke') {
  const km = createKeyManager({
    storage,
    kms: localKms({ masterKey: process.env['KW_TEST_MASTER_KEY'] as string }),
  });
  await agentAccess(km).sessions.revoke(id, { reason: 'revoked by another process' });
  await km.close();
} else {
  throw new Error(`unknown mode ${mode}`);
}
await storage.close();
process.stdout.write('DONE\n');
