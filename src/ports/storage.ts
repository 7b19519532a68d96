import type { JsonObject } from './json.js';
import type { WrappedKey } from './kms.js';
import type { AUDIT_EVENT_TYPES, RECORD_KINDS } from './names.js';
import type { UsageIncrement, UsageRow, UsageRowQuery } from './usage.js';

/** What a record holds: an API key we issued, a secret we hold, or a cryptographic key. */
export type RecordKind = (typeof RECORD_KINDS)[number];

/** Record-level status. `expired` is set by the rotator once `expiresAt` passes. */
export type RecordStatus = 'active' | 'disabled' | 'revoked' | 'expired';

/**
 * Version states, AWS-style: `pending` (published, accepted, not yet primary) → `current`
 * (primary) → `previous` (still accepted until `retireAt`) → `retired` (never accepted again).
 */
export type VersionState = 'pending' | 'current' | 'previous' | 'retired';

/** An AES-256-GCM envelope: the value sealed under a fresh data key, the data key wrapped by the KMS. */
export interface SealedValue {
  /** Always `'A256GCM'`. */
  alg: 'A256GCM';
  /**
   * Envelope format: `2` (the associated data binds store, record, version, kind, name, tenant and
   * environment). Absent on values sealed by keywarden 0.1 (format 1: no labels bound), which open
   * only while the store's upgrade is pending; `km.upgrade()` seals them again as format 2.
   */
  f?: 2;
  /** base64url of the 96-bit nonce. */
  nonce: string;
  /** base64url of ciphertext with the 128-bit tag appended. */
  ct: string;
  /** The data key, wrapped by the KMS. */
  dek: WrappedKey;
}

/** One version of a record's material. */
export interface StoredVersion {
  /** 1-based, strictly increasing within a record, never reused. */
  version: number;
  /** Where the version is in its life (see {@link VersionState}). */
  state: VersionState;
  /** When the version was made (epoch ms). */
  createdAt: number;
  /** When it became `current` (null while pending or never). */
  activatedAt: number | null;
  /** Gradual rotation: when a `pending` version is due to become `current`. */
  promoteAt: number | null;
  /** When a `previous` version stops being accepted (end of overlap). */
  retireAt: number | null;
  /** When it became `retired`. */
  retiredAt: number | null;
  /** Keys: RFC 7638 JWK thumbprint (asymmetric) or a random id (symmetric). Null for others. */
  kid: string | null;
  /** API keys: base64url HMAC-SHA256(pepper, token). Null for other kinds. */
  hash: string | null;
  /** Secrets and keys: the sealed value / private key. Null for API keys and destroyed versions. */
  sealed: SealedValue | null;
  /** Asymmetric keys: the public JWK (no private members). */
  publicJwk: JsonObject | null;
  /** When `cleanup` destroyed the material (metadata is kept for the audit trail). */
  destroyedAt: number | null;
  /** Version-level bookkeeping (e.g. blue-green slot, provider step progress). Never secrets. */
  data: JsonObject;
}

/**
 * A stored record: plain JSON, written and read whole. Kind-specific fields live in `data`
 * (see docs/architecture.md for each kind's shape).
 */
export interface StoredRecord {
  /** 12 base62 chars, random; for API keys it is also the id inside the token. */
  id: string;
  /** What the record is (`api_key`, `secret`, `key`, `access_tool`, `access_request`, `access_session`). */
  kind: RecordKind;
  /** Display name (API keys) or the unique handle (secrets and keys, see `uniqueName`). */
  name: string;
  /**
   * When true, `(kind, tenantId, environment, name)` is unique among records that also have
   * `uniqueName: true`. Secrets and keys set it; API keys do not (many keys may share a name).
   */
  uniqueName: boolean;
  /** The tenant the record belongs to; null for a record without tenant. */
  tenantId: string | null;
  /** The environment it belongs to (`'default'` when none was given). */
  environment: string;
  /** Who the record belongs to (an API key's owner, the agent of an access request or session); null when none. */
  ownerId: string | null;
  /** Record-level status (see {@link RecordStatus}). */
  status: RecordStatus;
  /** Compare-and-swap counter. 1 on create; every update writes `expectedRevision + 1`. */
  revision: number;
  /** When it was created (epoch ms). */
  createdAt: number;
  /** When it was last written (epoch ms). */
  updatedAt: number;
  /** When the record expires (epoch ms); null when it never does. */
  expiresAt: number | null;
  /**
   * The earliest time the rotator has work on this record (rotation, promotion, retirement,
   * expiry, an expiring notice); null when none. Indexed: `dueForRotation` queries it.
   */
  dueAt: number | null;
  /** Free labels, filterable with `ListQuery.tag`. */
  tags: string[];
  /** Secrets: the registered rotation provider name. */
  provider: string | null;
  /** Kind-specific fields (API key prefix, scopes, credits...; key type and algorithm...). */
  data: JsonObject;
  /** The caller's metadata. */
  meta: JsonObject;
  /** The rotation policy, normalized (durations in ms), or null. */
  rotation: JsonObject | null;
  /** Oldest first. */
  versions: StoredVersion[];
  /**
   * HMAC-SHA256 (base64url) of every other field under a key derived from the store pepper, set
   * by keywarden on every write; a record whose MAC fails is refused with `ERR_INTEGRITY`.
   * Adapters store and return it like any other field. Absent on records written by 0.1.
   */
  mac?: string;
}

/** Filters for {@link StorageAdapter.list}. Every given filter must match (AND). */
export interface ListQuery {
  /** Only records of this kind. */
  kind?: RecordKind;
  /** `undefined`: any tenant. `null`: only records without a tenant. */
  tenantId?: string | null;
  /** Only records of this environment. */
  environment?: string;
  /** Only records with this record-level status. */
  status?: RecordStatus;
  /** Only records with this `ownerId`. */
  ownerId?: string;
  /** Records whose `tags` contain this tag. */
  tag?: string;
  /** Only records with this rotation `provider`. */
  provider?: string;
  /** Only records with exactly this `name`. */
  name?: string;
  /** 1..1000. */
  limit: number;
  /** Opaque, from a previous page. */
  cursor?: string;
}

/** A page of results; `cursor` is absent on the last page. */
export interface Page<T> {
  /** The items of this page, in the listing's order (possibly fewer than `limit`, even none). */
  items: T[];
  /** Pass it back as `cursor` for the next page; absent on the last page. */
  cursor?: string;
}

/** Audit event types (listed in `AUDIT_EVENT_TYPES`). Stable names. */
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/**
 * An audit event as the manager hands it to {@link StorageAdapter.appendAudit}.
 * `digest` = hex HMAC-SHA256, under a key derived from the store pepper, of the canonical JSON of
 * every other field (see `createAuditSigner`); adapters treat it as an opaque string.
 * Never contains a secret, token, hash or key material.
 */
export interface AuditEventInput {
  /** Random id (base62). */
  id: string;
  /** When it happened (epoch ms). */
  at: number;
  /** What happened, e.g. `'key.created'`, `'key.verify_failed'` (see `AUDIT_EVENT_TYPES`). */
  type: AuditEventType;
  /** The record the event is about; null for store-level events. */
  keyId: string | null;
  /** That record's kind; null when there is no record. */
  kind: RecordKind | null;
  /** The version concerned; null when none is. */
  version: number | null;
  /** The tenant of the record concerned; null without tenant. */
  tenantId: string | null;
  /** Who did it: caller-supplied actor string, or null. */
  actor: string | null;
  /** Request context: ip, userAgent... */
  context: JsonObject;
  /** Event details (reason, scopes asked, failure code...). */
  data: JsonObject;
  /** Hex HMAC-SHA256 of the other fields (see above); opaque to adapters. */
  digest: string;
}

/**
 * A stored audit event. The adapter assigns `seq` (1, 2, 3... with no gaps) and the chain
 * atomically: `prevHash` is the previous event's `hash` (64 zeros for seq 1) and
 * `hash = chainHash(prevHash, seq, digest)`. Concurrent appends must still form one chain.
 */
export interface AuditEvent extends AuditEventInput {
  /** Position in the chain: 1, 2, 3... with no gaps. */
  seq: number;
  /** `hash` of the event before (64 zeros for `seq` 1). */
  prevHash: string;
  /** `chainHash(prevHash, seq, digest)`: links this event to the chain. */
  hash: string;
}

/** Filters for {@link StorageAdapter.listAudit}; results are in ascending `seq`. */
export interface AuditQuery {
  /** Only events about this record. */
  keyId?: string;
  /** Only events of this type. */
  type?: AuditEventType;
  /** Inclusive lower bound on `at`. */
  since?: number;
  /** Exclusive upper bound on `at`. */
  until?: number;
  /** Only events with seq greater than this. */
  afterSeq?: number;
  /** 1..1000. */
  limit: number;
  /** Opaque, from a previous page. */
  cursor?: string;
}

/** Key-value metadata with compare-and-swap: store id, wrapped pepper, KMS canary, KMS params. */
export interface MetaStore {
  /** The value under `key`, or null when none was set. */
  getMeta(key: string): Promise<string | null>;
  /**
   * Sets `key`. With `expected` given, writes only if the current value equals it
   * (`null`: only if absent), else throws `ERR_CONFLICT`.
   */
  setMeta(key: string, value: string, options?: { expected?: string | null }): Promise<void>;
}

/**
 * Where records, audit events and metadata live. Every method is atomic. Returned records are
 * read-only to callers (keywarden never mutates one; it builds a new object to update): an adapter
 * may return deeply frozen shared objects (the memory adapter does, so reads cost no copy), but a
 * record passed to `create`/`update` must be copied, so later changes by the caller never reach the store.
 * Errors: `ERR_ALREADY_EXISTS`, `ERR_CONFLICT` as documented; anything else is `ERR_STORAGE`.
 * Run `testStorageAdapter` from `keywarden/testing` against an implementation.
 *
 * @example
 * ```ts
 * const km = createKeyManager({ storage: memoryStorage(), kms });
 * ```
 */
export interface StorageAdapter extends MetaStore {
  /** Stable adapter name for diagnostics, e.g. `'memory'`, `'file'`, `'postgres'`. */
  readonly name: string;
  /** Creates tables, folders or schema; called once by the manager before first use. Idempotent. */
  init?(): Promise<void>;
  /** Releases connections and handles; called by `km.close()`. */
  close?(): Promise<void>;
  /** The record with this id, or null. Never a record of another store. */
  get(id: string): Promise<StoredRecord | null>;
  /** The record with `uniqueName: true` and this kind, name, tenant and environment. */
  findByName(
    name: string,
    where: { kind: RecordKind; environment: string; tenantId: string | null },
  ): Promise<StoredRecord | null>;
  /** Ordered by `(createdAt, id)` ascending; a cursor stays valid across inserts and deletes. */
  list(query: ListQuery): Promise<Page<StoredRecord>>;
  /** `ERR_ALREADY_EXISTS` on an id clash or a unique-name clash. */
  create(record: StoredRecord): Promise<void>;
  /**
   * Replaces the record if its stored revision equals `expectedRevision`, else `ERR_CONFLICT`
   * (`ERR_NOT_FOUND` if absent). `record.revision` must be `expectedRevision + 1`.
   * A rename that clashes gives `ERR_ALREADY_EXISTS`.
   */
  update(record: StoredRecord, options: { expectedRevision: number }): Promise<void>;
  /** True if it existed. With `expectedRevision`, `ERR_CONFLICT` when it differs. */
  delete(id: string, options?: { expectedRevision?: number }): Promise<boolean>;
  /** Records with `dueAt !== null && dueAt <= before`, by `dueAt` then `id`, at most `limit`. */
  dueForRotation(before: number, limit: number): Promise<StoredRecord[]>;
  /** Appends in order, assigning `seq`, `prevHash`, `hash` atomically (one chain across writers). */
  appendAudit(events: AuditEventInput[]): Promise<void>;
  /** Audit events in ascending `seq`, filtered by `query`, one page at a time. */
  listAudit(query: AuditQuery): Promise<Page<AuditEvent>>;
  /**
   * Optional (usage analytics): adds each row's counts to the stored counts of its
   * (recordId, bucket), creating it at 0 first. Atomic per call and additive, so concurrent
   * writers never lose a count. Rows about records of another tenant are refused where tenants
   * are enforced (the SQL adapters under a tenant role: `ERR_NOT_FOUND`).
   */
  addUsage?(rows: UsageIncrement[]): Promise<void>;
  /** Optional (usage analytics): the stored rows of one record with `from <= bucket < to`, by bucket. */
  listUsage?(query: UsageRowQuery): Promise<UsageRow[]>;
  /**
   * Optional (cheap freshness check): the stored `mac` of each record of `ids`, in the same order,
   * `null` for a record that does not exist or has no MAC; one read, without loading the records.
   * It must answer what `get` would show at that moment, whoever wrote the record (another process
   * sharing the store included). Every write by keywarden seals the record with a fresh MAC over
   * its content (all fields but `revision`, `dueAt` and usage bookkeeping), so the MAC changes
   * whenever what the record says changes. Keywarden uses
   * this only to ask "is each of these records still exactly the one I read and checked?": any
   * other answer makes it read the records again, through the MAC check. (Agent access reuses
   * the checked session, tool and secret records of a proxied call this way.) At most 100 ids.
   *
   * @example
   * ```ts
   * declare const storage: StorageAdapter;
   * await storage.readMacs?.(['AbCdEfGh1234', 'missing00000']); // ['Xk3…', null]
   * ```
   * @throws KeywardenError `ERR_VALIDATION` (not an array of at most 100 ids), `ERR_STORAGE`.
   */
  readMacs?(ids: readonly string[]): Promise<(string | null)[]>;
}
