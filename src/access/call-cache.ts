/**
 * The checked records of a session's last granted call, kept by one access object so the next
 * call of the same session costs one read of three MACs (`storage.readMacs`) instead of the
 * token's keyed hash and three record reads through the storage guard.
 *
 * - An entry holds what `authorize` read and checked for a granted call: the session record (its
 *   keyed hash matched the token, its MAC held), the tool record and the tool secret's record, the
 *   token itself (compared in constant time on the next call, instead of hashing it again), and
 *   the store state it was checked under.
 * - It is reused only while `storage.readMacs` answers exactly the MACs of those three records
 *   (every write of their content, by any process sharing the store, seals a fresh MAC: the next
 *   call reads the records again) and the store state is the same object (a reload or close misses). A store
 *   writer without the master key can only make the MACs differ (the records are then read and
 *   checked again) or put back the exact MAC checked then, which is a rollback of the record as
 *   far as this process is concerned (see docs/agent-access.md). Time
 *   rules (expiry, grants, calls left, the secret's state and versions) are checked again on every
 *   call: nothing here decides that a call may go ahead.
 * - At most `maxEntries` sessions (the least recently used is dropped). Lives in a closure: no
 *   property of any object holds a token, so `JSON.stringify` and `util.inspect` of the access
 *   object never show one. `clear()` drops everything; after it nothing is cached again.
 * @internal
 * @module
 */
import type { AuditDraft } from '../extension/index.js';
import type { StoredRecord, StoredVersion } from '../ports/storage.js';
import type { StoreState } from '../records/context.js';
import type { SessionData, ToolData } from './records.js';

/** Most sessions one access object keeps checked records of. */
export const CALL_CACHE_ENTRIES = 1024;

/** What a granted call read and checked. */
export interface CheckedCall {
  /** The proxy token that matched the session's keyed hash. */
  readonly token: string;
  /** The store state the records were checked under (the same object, or the entry is stale). */
  readonly state: StoreState;
  readonly session: StoredRecord;
  readonly data: SessionData;
  readonly tool: StoredRecord;
  readonly toolData: ToolData;
  /** The record of the tool's secret. */
  readonly secret: StoredRecord;
  /**
   * The method and path of the last call this entry served that `data.methods` and `data.paths`
   * allowed, so the same call is not matched against the rules again (they are `data`'s, fixed
   * for the entry's life). Unset until one is.
   */
  allowedMethod?: string;
  /** See {@link CheckedCall.allowedMethod}. */
  allowedPath?: string;
  /** The last audit row served from this entry (frozen `context` and `data`), and for what call. */
  row?: {
    method: string;
    path: string;
    version: StoredVersion;
    context: Readonly<{ ip?: string; userAgent?: string }>;
    draft: AuditDraft;
  };
}

/** The cache of one access object. */
export interface CallCache {
  /** The entry of a session, if any (the caller confirms the token and the MACs). */
  get(sessionId: string): CheckedCall | undefined;
  /** Keeps `entry` for its session (replacing the older one). */
  set(entry: CheckedCall): void;
  /** Drops the entry of a session. */
  delete(sessionId: string): void;
  /** How many sessions are held (for tests). */
  size(): number;
  /** Drops every entry; nothing is cached afterwards. */
  clear(): void;
}

/**
 * Builds an empty cache.
 *
 * @example
 * ```ts
 * declare const entry: CheckedCall;
 * const calls = createCallCache();
 * calls.set(entry);
 * calls.get(entry.session.id); // entry
 * calls.clear();
 * ```
 * @throws never
 */
export function createCallCache(maxEntries = CALL_CACHE_ENTRIES): CallCache {
  let entries = new Map<string, CheckedCall>();
  let enabled = maxEntries > 0;
  return Object.freeze({
    get: (sessionId: string) => entries.get(sessionId),
    set(entry: CheckedCall): void {
      if (!enabled) return;
      const id = entry.session.id;
      if (entries.get(id) !== undefined) entries.delete(id); // re-insert last: the Map's order is the eviction order
      entries.set(id, entry);
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    delete(sessionId: string): void {
      entries.delete(sessionId);
    },
    size: () => entries.size,
    clear(): void {
      enabled = false;
      entries.clear();
      entries = new Map();
    },
  });
}
