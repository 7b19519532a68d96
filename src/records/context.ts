/**
 * What every store view (apiKeys, secrets, keys, audit, backup, rotator) is given by the manager.
 * Types only; `createStoreContext` in `./manager-context.ts` builds it.
 * @internal
 * @module
 */
import type { Duration } from '../duration.js';
import type { AuditSigner } from '../internal/audit-chain.js';
import type { Log } from '../internal/log.js';
import type { OpenedKeyCache } from '../internal/opened-cache.js';
import type { Telemetry } from '../internal/telemetry.js';
import type { Clock } from '../ports/clock.js';
import type { JsonObject } from '../ports/json.js';
import type { KmsAdapter } from '../ports/kms.js';
import type { KeyEvent } from '../ports/notifier.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { AuditEventType, RecordKind, StorageAdapter, StoredRecord } from '../ports/storage.js';
import type { UsageRollup, UsageTracker } from '../ports/usage.js';
import type { RecordMac, StoreFormat } from './record-mac.js';
import type { SecurityMonitor } from './security-monitor.js';

/** Options after defaults are applied. */
export interface ResolvedOptions {
  /** Token prefix of new API keys: `defaults.apiKeyPrefix`, or `'kw'`. */
  apiKeyPrefix: string;
  /** Default API key lifetime in ms; null = never expires. */
  expiresIn: number | null;
  /**
   * Which API-key verifications write an audit event (`audit.verifications`, default `'failures'`):
   * only failed ones, every one, or none.
   */
  verifications: 'failures' | 'all' | 'none';
}

/** State created or loaded once per store by `ready()`. */
export interface StoreState {
  /** Random id of this store, kept in meta `store.id`; bound into every envelope's associated data. */
  storeId: string;
  /** HMAC-SHA256 of `token` under the store's pepper, base64url. Fast (precomputed key state). */
  hashToken(token: string): string;
  /**
   * Keyed audit digests (key derived from the pepper with HKDF, label
   * `keywarden/audit-digest/v1`); `km.audit.verify()` checks the chain with it. @internal
   */
  readonly auditSigner: AuditSigner;
  /**
   * The record MAC (key derived from the pepper with HKDF, label `keywarden/record-mac/v1`). The
   * storage guard seals every written record and checks every read one with it. @internal
   */
  readonly recordMac: RecordMac;
  /** HMAC (base64url) of `text` under the audit checkpoint key (`keywarden/audit-checkpoint/v1`). @internal */
  checkpointTag(text: string): string;
  /** The store format now: `0.1-pending` until `km.upgrade()` ran on a 0.1 store. @internal */
  storeFormat(): StoreFormat;
  /**
   * Whether values sealed in envelope format 1 (keywarden 0.1: the labels not bound) may still be
   * opened: true only while the authenticated format marker says `0.1-pending` (read again each
   * time, so an upgrade by another instance takes effect at once). @internal
   */
  acceptsLegacySeals(): Promise<boolean>;
}

/**
 * An audit event as a view describes it; the context fills id, at, digest. The record it is about
 * is `recordId` (stored as the event's `keyId` field); `keyId` is the former name.
 */
export interface AuditDraft {
  /** The event type (e.g. `'key.created'`, `'secret.read'`). */
  type: AuditEventType;
  /** The record the event is about, or null (store-level events). */
  recordId?: string | null;
  /** @deprecated Use `recordId`; removed in the next minor version. */
  keyId?: string | null;
  /** The kind of that record, or null for store-level events. */
  kind: RecordKind | null;
  /** The record version the event is about; absent or null: none. */
  version?: number | null;
  /** The tenant of the record, for filtering the log per tenant; absent or null: none. */
  tenantId?: string | null;
  /** Who did it (the caller's `actor` option); absent or null: unknown. */
  actor?: string | null;
  /** The request context (`ip`, `userAgent`, `requestId`); absent: `{}`. Never a secret. */
  context?: JsonObject;
  /** Event details (reason, scopes asked, failure code...); absent: `{}`. Never a secret. */
  data?: JsonObject;
}

/** Shared services of one manager. */
export interface StoreContext {
  /**
   * The manager's storage adapter, wrapped by keywarden's guard (records are sealed with their MAC
   * on write and checked on read).
   */
  readonly storage: StorageAdapter;
  /** The manager's KMS: wraps and unwraps data keys and the store pepper. */
  readonly kms: KmsAdapter;
  /** The manager's time source (epoch ms): `options.clock`, or the system clock. */
  readonly clock: Clock;
  /** The manager's options after defaults. */
  readonly options: ResolvedOptions;
  /** The limiter of per-key rate limits (`options.rateLimiter`, default in-memory per process). */
  readonly rateLimiter: RateLimiter;
  /**
   * Buffers successful verifications (`lastUsedAt`, use counts) and writes them in batches; created
   * on first access, undefined with `usage: false` or after `close()`. `close()` closes it first.
   */
  readonly usage?: UsageTracker | undefined;
  /**
   * Hourly counts of valid and failed uses per record (usage analytics), written in batches
   * through `storage.addUsage`; undefined when the adapter keeps none, with `usage: false`, or
   * after `close()`. Never throws from `count`.
   */
  readonly rollup?: UsageRollup | undefined;
  /**
   * Metrics (OpenTelemetry instruments, ../internal/telemetry.ts); absent or `enabled: false`
   * when the manager has none. Never throws.
   */
  readonly telemetry?: Telemetry | undefined;
  /** The security monitor (`createKeyManager({ monitor })`); absent when off. Never throws. */
  readonly monitor?: SecurityMonitor | undefined;
  /** Warnings to the manager's `logger` (absent: none). Never throws; never given a secret. */
  readonly log?: Log | undefined;
  /** Runs init once (lazily); rejects with ERR_MASTER_KEY_MISMATCH on a wrong master key, ERR_CLOSED after close. */
  ready(): Promise<StoreState>;
  /**
   * The state `ready()` resolved with, without waiting: null before init finished, after a
   * `reload()` started and after `close()` (then call `ready()`). For hot paths that skip a
   * promise hop when the store is open.
   */
  stateNow?(): StoreState | null;
  /**
   * The record `id` without a promise when the adapter answers in-process (the memory adapter) and
   * the storage guard already checked this very record object (shape and MAC): the record, or null
   * when there is none. Undefined whenever that does not hold (any other adapter, a record not
   * checked yet, before `ready()`, after `close()`): then read it with `storage.get`.
   */
  readChecked?(id: string): StoredRecord | null | undefined;
  /**
   * `storage.readMacs(ids)` without a promise when the adapter answers in-process (its own
   * `readMacs` has a synchronous twin: the memory adapter): the MACs, or undefined whenever that
   * does not hold, the answer has the wrong shape or the read throws (then call `storage.readMacs`,
   * which reports it). Undefined before `ready()` and after `close()`.
   */
  readMacsNow?(ids: readonly string[]): (string | null)[] | undefined;
  /**
   * Writes audit events (one batch, in order, after any row queued by `auditLater`). Throws
   * `ERR_AUDIT` if the write fails: callers fail closed.
   */
  audit(drafts: AuditDraft | AuditDraft[]): Promise<void>;
  /**
   * Queues audit events (their `at` is now) to be written in order with the next batch: within
   * `windowMs` (timer), once `maxRows` are queued, before any later `audit` write or audit read of
   * this manager, and on `close()`. Trades durability for cost: a crash loses at most the rows of
   * one window. Rejects with `ERR_AUDIT` (nothing queued) while a batch could not be written and
   * still cannot (fail closed), `ERR_CLOSED` after close. An empty list only runs that check.
   * With `afterSpend` (the rows of something already done, whose caller ran that check before
   * doing it) the rows are always queued: a full queue is flushed in the background, and a failed
   * flush keeps them queued and refuses the next check.
   */
  auditLater(
    drafts: AuditDraft | AuditDraft[],
    options: { windowMs: number; maxRows: number; afterSpend?: boolean },
  ): Promise<void>;
  /**
   * `auditLater` without a promise, for hot paths: queues `draft` (its `at` is now) and answers
   * true when that needs no wait (the audit key loaded, the manager open, no batch failed, fewer
   * than `maxRows` rows queued); otherwise queues nothing and answers false (then call
   * `auditLater`, which waits, retries or refuses).
   */
  queueAudit?(draft: AuditDraft, options: { windowMs: number; maxRows: number }): boolean;
  /** Writes the rows queued by `auditLater` now; `ERR_AUDIT` (they stay queued) when they cannot be. */
  flushAudit(): Promise<void>;
  /** Fire-and-forget; a notifier failure is swallowed (never fails or awaits the caller). */
  notify(event: KeyEvent): void;
  /** A new random record id (12 base62). */
  newId(): string;
  /** Converts a Duration, naming `field` on error. */
  duration(value: Duration, field: string): number;
  /**
   * Opened signing and HMAC keys kept for reuse (see src/internal/opened-cache.ts); absent when
   * the manager was built with `keyCache: false`. Emptied (and zeroed) by `close()`.
   */
  readonly openedKeys?: OpenedKeyCache | undefined;
  /**
   * Data keys of secret values unwrapped by `secrets.get`, kept for reuse under the same
   * `keyCache` limits (see src/records/envelope.ts `openValue`); absent with `keyCache: false`.
   * Emptied (and zeroed) by `close()`.
   */
  readonly openedDataKeys?: OpenedKeyCache | undefined;
}
