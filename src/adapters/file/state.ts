/**
 * The in-memory index of a file store, rebuilt on open from the snapshot and the log: records by
 * id, the unique-name index, `(createdAt, id)` order, metadata and the audit chain.
 * @internal
 * @module
 */
import type { AuditEvent, RecordKind, RecordStatus, StoredRecord } from '../../ports/storage.js';
import { compareKey, nameKey, upperBound } from '../in-memory/query.js';
import { corruptError, type LogEntry } from './format.js';

/** Freezes a parsed JSON value in place, deeply. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * A record in memory: the fields the adapter indexes, filters and checks, always present, and the
 * full record, parsed from its snapshot bytes on first use (so opening a large store parses only
 * the small index of each record).
 */
export interface Slot {
  id: string;
  createdAt: number;
  kind: RecordKind;
  tenantId: string | null;
  environment: string;
  name: string;
  uniqueName: boolean;
  dueAt: number | null;
  status: RecordStatus;
  ownerId: string | null;
  provider: string | null;
  tags: string[];
  revision: number;
  /** The parsed record, or null until first use. */
  rec: StoredRecord | null;
  /** The record's JSON bytes while not parsed. */
  raw: Buffer | null;
}

/** A record's index entry as stored in a snapshot line (see docs/file-storage.md). */
export function slotIndex(s: Slot): unknown[] {
  return [
    s.id,
    s.createdAt,
    s.kind,
    s.tenantId,
    s.environment,
    s.name,
    s.uniqueName,
    s.dueAt,
    s.status,
    s.ownerId,
    s.provider,
    s.tags,
    s.revision,
  ];
}

/** A slot from a snapshot index entry and the record's raw JSON bytes; null if the entry is malformed. */
export function slotFromIndex(index: unknown, raw: Buffer): Slot | null {
  if (!Array.isArray(index) || index.length !== 13 || typeof index[0] !== 'string') return null;
  const [
    id,
    createdAt,
    kind,
    tenantId,
    environment,
    name,
    uniqueName,
    dueAt,
    status,
    ownerId,
    provider,
    tags,
    revision,
  ] = index as [
    string,
    number,
    RecordKind,
    string | null,
    string,
    string,
    boolean,
    number | null,
    RecordStatus,
    string | null,
    string | null,
    string[],
    number,
  ];
  return {
    id,
    createdAt,
    kind,
    tenantId,
    environment,
    name,
    uniqueName,
    dueAt,
    status,
    ownerId,
    provider,
    tags,
    revision,
    rec: null,
    raw,
  };
}

/** A slot holding a parsed record. */
export function slotOf(r: StoredRecord): Slot {
  return {
    id: r.id,
    createdAt: r.createdAt,
    kind: r.kind,
    tenantId: r.tenantId,
    environment: r.environment,
    name: r.name,
    uniqueName: r.uniqueName,
    dueAt: r.dueAt,
    status: r.status,
    ownerId: r.ownerId,
    provider: r.provider,
    tags: r.tags,
    revision: r.revision,
    rec: r,
    raw: null,
  };
}

/** The whole store, in memory. Mutated only by {@link StoreState.apply} and the bulk loaders. */
export class StoreState {
  readonly records = new Map<string, Slot>();
  readonly names = new Map<string, string>();
  /** Every record, sorted by `(createdAt, id)`. */
  sorted: Slot[] = [];
  readonly meta = new Map<string, string>();
  readonly audit: AuditEvent[] = [];
  /** True while bulk loading: `sorted` is rebuilt once by {@link StoreState.finishLoad}. */
  private loading = false;
  /** Bulk loading into an empty state (a snapshot): every id is new. */
  private loadedFresh = false;

  /** Starts a bulk load (records are appended unsorted, then sorted once). */
  beginLoad(): void {
    this.loading = true;
  }

  /** Ends a bulk load: sorts the order index. */
  finishLoad(): void {
    if (!this.loading) return;
    this.loading = false;
    this.loadedFresh = false;
    const all = [...this.records.values()];
    // Snapshots are written in order: check it in one pass and sort only if needed.
    let ordered = true;
    for (let i = 1; i < all.length && ordered; i++) {
      const a = all[i - 1] as Slot;
      const b = all[i] as Slot;
      ordered = compareKey(a.createdAt, a.id, b.createdAt, b.id) < 0;
    }
    this.sorted = ordered ? all : all.sort((a, b) => compareKey(a.createdAt, a.id, b.createdAt, b.id));
  }

  /** The last audit event's seq and hash, or null for an empty chain. */
  auditTail(): { seq: number; hash: string } | null {
    return this.audit[this.audit.length - 1] ?? null;
  }

  /** The full record of a slot (parsed on first use), deeply frozen. */
  record(slot: Slot): StoredRecord {
    if (slot.rec === null) {
      slot.rec = JSON.parse((slot.raw as Buffer).toString('utf8')) as StoredRecord;
      slot.raw = null;
    }
    return deepFreeze(slot.rec);
  }

  /** The record with this id, or null. */
  get(id: string): StoredRecord | null {
    const slot = this.records.get(id);
    return slot ? this.record(slot) : null;
  }

  /** The id holding `r`'s unique name, if any (other than `selfId`). */
  nameOwner(r: StoredRecord, selfId: string | null): string | undefined {
    if (!r.uniqueName) return undefined;
    const owner = this.names.get(nameKey(r));
    return owner === selfId ? undefined : owner;
  }

  /** Inserts or replaces a record. */
  put(record: StoredRecord): void {
    this.putSlot(slotOf(record));
  }

  /** Inserts or replaces a slot. */
  putSlot(r: Slot): void {
    if (this.loading && this.records.size === 0) this.loadedFresh = true;
    if (this.loadedFresh && this.loading) {
      // Bulk load of a snapshot: ids are unique there, so skip the replace path.
      this.records.set(r.id, r);
      if (r.uniqueName) this.names.set(nameKey(r), r.id);
      return;
    }
    const prev = this.records.get(r.id);
    if (prev && !this.loading && prev.createdAt === r.createdAt) {
      // The usual update: same position in the order, so replace in place (O(log n), no splice).
      const i = upperBound(this.sorted, prev.createdAt, prev.id) - 1;
      if (this.sorted[i] === prev) {
        if (prev.uniqueName && this.names.get(nameKey(prev)) === prev.id) this.names.delete(nameKey(prev));
        this.sorted[i] = r;
        this.records.set(r.id, r);
        if (r.uniqueName) this.names.set(nameKey(r), r.id);
        return;
      }
    }
    if (prev) this.remove(prev);
    this.records.set(r.id, r);
    if (r.uniqueName) this.names.set(nameKey(r), r.id);
    if (!this.loading) this.sorted.splice(upperBound(this.sorted, r.createdAt, r.id), 0, r);
  }

  /** Removes a record if present. */
  delete(id: string): void {
    const prev = this.records.get(id);
    if (prev) this.remove(prev);
  }

  private remove(r: Slot): void {
    this.records.delete(r.id);
    if (r.uniqueName && this.names.get(nameKey(r)) === r.id) this.names.delete(nameKey(r));
    if (this.loading) return;
    const i = upperBound(this.sorted, r.createdAt, r.id) - 1;
    if (this.sorted[i] === r) this.sorted.splice(i, 1);
  }

  /** Appends chained audit events, checking that they continue the chain. */
  appendAudit(events: AuditEvent[], file: string): void {
    let tail = this.auditTail();
    for (const e of events) {
      const seq = tail ? tail.seq + 1 : 1;
      if (e.seq !== seq || (tail !== null && e.prevHash !== tail.hash)) {
        throw corruptError(file, `audit event ${String(e.seq)} does not continue the chain`);
      }
      this.audit.push(e);
      tail = e;
    }
  }

  /** Applies one log entry. */
  apply(entry: LogEntry, file: string): void {
    switch (entry.op) {
      case 'put':
        this.put(entry.r);
        return;
      case 'del':
        this.delete(entry.id);
        return;
      case 'audit':
        this.appendAudit(entry.e, file);
        return;
      case 'meta':
        this.meta.set(entry.k, entry.v);
        return;
      case 'metas':
        for (const [k, v] of entry.m) this.meta.set(k, v);
        return;
    }
  }
}
