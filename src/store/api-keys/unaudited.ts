/**
 * Finds active API keys whose `key.created` audit event never committed. `create` writes the record,
 * then the event, and deletes the record again when the event fails; only a process killed between
 * the two writes leaves an active key without its event. `keywarden doctor` reports them and
 * `keywarden doctor --repair` revokes them.
 *
 * A backup import restores records as they were, without their `key.created` events (those stay
 * in the source store's log): keys created at or before the last `backup.imported` event are not
 * reported. A key interrupted before a later restore is therefore not found; the limit is
 * documented in docs/backup.md.
 * @internal
 * @module
 */
import type { StorageAdapter } from '../../ports/storage.js';

const PAGE = 1000;

/**
 * The ids of active API keys with no `key.created` event, in listing order.
 *
 * @example
 * ```ts
 * const ids = await findUnauditedApiKeys(storage);
 * ```
 * @throws KeywardenError from the storage (`ERR_STORAGE`).
 */
export async function findUnauditedApiKeys(storage: StorageAdapter): Promise<string[]> {
  const created = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await storage.listAudit({
      limit: PAGE,
      type: 'key.created',
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const e of page.items) if (typeof e.keyId === 'string') created.add(e.keyId);
    cursor = page.items.length === 0 ? undefined : page.cursor;
  } while (cursor !== undefined);
  let restoredUpTo = Number.NEGATIVE_INFINITY;
  cursor = undefined;
  do {
    const page = await storage.listAudit({
      limit: PAGE,
      type: 'backup.imported',
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const e of page.items) restoredUpTo = Math.max(restoredUpTo, e.at);
    cursor = page.items.length === 0 ? undefined : page.cursor;
  } while (cursor !== undefined);
  const missing: string[] = [];
  cursor = undefined;
  do {
    const page = await storage.list({
      limit: PAGE,
      kind: 'api_key',
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const r of page.items) {
      if (r.status === 'active' && !created.has(r.id) && r.createdAt > restoredUpTo) missing.push(r.id);
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return missing;
}
