/**
 * `createStoreContext`: the shared services of one manager (lazy init, the pepper, audit writes,
 * notifications). Views receive it; nothing here is public API.
 * @internal
 * @module
 */

import { generateId } from '../crypto/ids.js';
import { type Duration, parseDuration } from '../duration.js';
import { isKeywardenError, KeywardenError, toStorageError } from '../errors.js';
import { type AuditSigner, createAuditSigner } from '../internal/audit-chain.js';
import { randomBytes, zeroize } from '../internal/bytes.js';
import { describeError, type Log, SILENT_LOG } from '../internal/log.js';
import { createOpenedKeyCache } from '../internal/opened-cache.js';
import { AUDIT_DIGEST_LABEL, deriveStoreSubkey } from '../internal/store-keys.js';
import { syncReadOf } from '../internal/sync-reads.js';
import { isStorageFailure, NOOP_TELEMETRY, type Telemetry } from '../internal/telemetry.js';
import type { Clock } from '../ports/clock.js';
import type { JsonObject } from '../ports/json.js';
import type { KmsAdapter, WrappedKey } from '../ports/kms.js';
import type { KeyEvent, Notifier } from '../ports/notifier.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { AuditEventInput, Page, StorageAdapter, StoredRecord } from '../ports/storage.js';
import type { UsageRollup } from '../ports/usage.js';
import type { AuditDraft, ResolvedOptions, StoreContext, StoreState } from '../records/context.js';
import {
  AUDIT_CHECKPOINT_LABEL,
  createRecordMac,
  META_STORE_FORMAT,
  printableId,
  RECORD_MAC_LABEL,
  type RecordMac,
  type StoreFormat,
} from '../records/record-mac.js';
import {
  createSecurityMonitor,
  type ResolvedMonitorOptions,
  type SecurityMonitor,
} from '../records/security-monitor.js';
import { META_PEPPER, META_STORE_ID, pepperContext } from '../records/store-meta.js';
import { createTokenHasher, type TokenHasher } from '../store/api-keys/token-hash.js';
import {
  META_AUDIT_KEYED,
  openMarker,
  scanChain,
  sealMarker,
  verifyAuditChain,
} from '../store/audit-verify.js';
import { checkStoredRecord } from '../store/record-shape.js';
import { createUsageRollup } from '../usage/usage-rollup.js';
import { createUsageTracker, type UsageTracker } from '../usage/usage-tracker.js';

export { META_PEPPER, META_STORE_ID, pepperContext } from '../records/store-meta.js';

/** What {@link createStoreContext} needs. */
export interface StoreContextInit {
  storage: StorageAdapter;
  kms: KmsAdapter;
  clock: Clock;
  options: ResolvedOptions;
  rateLimiter: RateLimiter;
  notifier?: Notifier | undefined;
  /**
   * Usage tracking of API-key verifications (`lastUsedAt`, per-version use counts), written in
   * batches every `flushInterval` (default `'10s'`). `false` turns it off. Default: on.
   */
  usage?: { flushInterval?: Duration | undefined } | false | undefined;
  /**
   * Opened key material kept for reuse by `keys.sign`/`keys.verify`, and data keys unwrapped by
   * `secrets.get` (a cache each): at most `max` entries (default 64), each at most `ttl` from when
   * it was opened (default `'1m'`). `false` keeps none.
   */
  keyCache?: { ttl?: Duration | undefined; max?: number | undefined } | false | undefined;
  /** Metrics instruments (default: none). */
  telemetry?: Telemetry | undefined;
  /** Where warnings go (default: nowhere). */
  log?: Log | undefined;
  /** The security monitor's rules (default: no monitor). */
  monitor?: ResolvedMonitorOptions | undefined;
}

/** A {@link StoreContext} the manager can close. */
export interface ManagedStoreContext extends StoreContext {
  /** True after `close()` started. */
  readonly closed: boolean;
  /**
   * Flushes and closes the usage tracker first (nothing buffered is lost), zeroes the pepper, then
   * closes rate limiter, KMS and storage. Idempotent.
   */
  close(): Promise<void>;
  /**
   * Drops the cached store state (store id, pepper: zeroed) and runs init again, so the context
   * follows a store whose identity changed under it (a backup import into an empty store adopts
   * the bundle's store id and pepper). Operations started after it wait for the new state.
   *
   * @example
   * ```ts
   * await ctx.storage.setMeta(META_STORE_ID, bundle.storeId, { expected: state.storeId });
   * await ctx.reload(); // ctx.ready() now reports bundle.storeId
   * ```
   * @throws KeywardenError `ERR_CLOSED` after `close()`; as `ready()` (`ERR_MASTER_KEY_MISMATCH`,
   *   `ERR_STORAGE`, `ERR_KMS`) when the new state cannot be loaded.
   */
  reload(): Promise<StoreState>;
  /** Record integrity for `km.check()` and `km.upgrade()`: the unguarded adapter and the checks. @internal */
  readonly integrity: StoreIntegrity;
}

/** What `km.check()` and `km.upgrade()` need beyond the guarded storage. @internal */
export interface StoreIntegrity {
  /** The adapter without the guard: reads that do not throw on a bad record. */
  readonly raw: StorageAdapter;
  /** Resolves when `record` passes its MAC (or is a 0.1 record while the upgrade is pending), else ERR_INTEGRITY. */
  check(record: StoredRecord): Promise<StoredRecord>;
  /** The format marker now: `missing` when absent, `invalid` when it does not open. */
  marker(): Promise<StoreFormat | 'missing' | 'invalid'>;
  /** Seals the format marker `0.2` over `expected` (the current raw value); ERR_CONFLICT when it changed. */
  finishUpgrade(): Promise<void>;
}

/**
 * Most records whose verified JSON text a manager keeps (about 1–3 KB each: a few MB at most).
 *
 * @example
 * ```ts
 * VERIFIED_TEXTS; // 1000
 * ```
 */
export const VERIFIED_TEXTS = 1000;

/** `JSON.stringify(value)`, or undefined when it throws (a cycle, a BigInt: the checks refuse it). */
function jsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** Whether `record` passes the shape check (a record this manager is about to write). */
function isWellFormed(record: StoredRecord): boolean {
  try {
    checkStoredRecord(record);
    return true;
  } catch {
    return false;
  }
}

function closedError(): KeywardenError {
  return new KeywardenError('ERR_CLOSED', 'the key manager is closed');
}

/**
 * Builds the shared context. `ready()` is lazy and memoized (a failed init is retried on the next
 * call): it runs `storage.init`, `kms.init`, creates or loads the store id and the pepper, and on
 * a new store writes `store.initialized`. The pepper unwrap doubles as the KMS canary: a store opened
 * with another master key fails with `ERR_MASTER_KEY_MISMATCH`. `reload()` drops that cached state
 * (zeroing the pepper) and runs init again, for a store whose identity changed (backup import).
 * `usage` is a lazily created usage tracker fed by `verify`, closed (flushed) first by `close()`.
 *
 * @example
 * ```ts
 * declare const options: ResolvedOptions;
 * declare const rateLimiter: RateLimiter;
 * const ctx = createStoreContext({ storage, kms, clock, options, rateLimiter });
 * const { hashToken } = await ctx.ready();
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `usage.flushInterval`) for a bad usage option;
 *   `ready()` and `reload()` reject with `ERR_MASTER_KEY_MISMATCH`, `ERR_STORAGE`, `ERR_KMS`,
 *   `ERR_AUDIT` or `ERR_CLOSED`.
 */
export function createStoreContext(init: StoreContextInit): ManagedStoreContext {
  let recordMac: RecordMac | null = null;
  let checkpointMac: RecordMac | null = null;
  let format: StoreFormat = '0.2';
  let formatStoreId = '';
  /** The loaded record MAC (awaiting `ready()` when a record is read or written before it). */
  const macNow = async (): Promise<RecordMac> => {
    if (recordMac === null) await ctx.ready();
    if (recordMac === null) throw closedError();
    return recordMac;
  };
  /**
   * A record without a MAC, or a value sealed in envelope format 1, is accepted only while the
   * authenticated format marker says the store is a 0.1 store pending its upgrade; the marker is
   * read again each time, so an upgrade by another instance takes effect at once.
   */
  const legacyAccepted = async (): Promise<boolean> => {
    if (format !== '0.1-pending' || recordMac === null) return false;
    const raw = await storage.getMeta(META_STORE_FORMAT);
    const now = raw === null ? null : recordMac.openFormat(formatStoreId, raw);
    if (now !== '0.1-pending') format = '0.2';
    return now === '0.1-pending';
  };
  /**
   * Frozen record objects whose MAC held under the current key. An adapter that returns deeply
   * frozen shared objects (the memory adapter) returns the same object until the record is written
   * again, and a frozen object cannot change: it needs no second HMAC. Reset with the key.
   */
  let verified = new WeakSet<StoredRecord>();
  /**
   * For adapters that answer a fresh copy on every read (PostgreSQL, Supabase): the exact JSON
   * text of the last version of each record that passed the shape and MAC checks under the current
   * key (or that this manager sealed itself), by record id, at most {@link VERIFIED_TEXTS} (least
   * recently used dropped). A read whose `JSON.stringify` is that same text is the same content
   * (equal JSON text parses to equal values), so it needs neither check again; any change, even to
   * a field the MAC leaves out, is a miss and runs both. Reset with the key.
   */
  let verifiedText = new Map<string, string>();
  let copiesSeen = false;
  const rememberText = (cache: Map<string, string>, id: string, text: string): void => {
    if (cache !== verifiedText) return; // the key changed meanwhile: that cache is gone
    cache.delete(id);
    cache.set(id, text);
    if (cache.size > VERIFIED_TEXTS) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
  };
  const integrity: RecordIntegrity = {
    known: (record) => recordMac !== null && verified.has(record),
    async read(value, expectedId) {
      let text: string | undefined;
      const cache = verifiedText;
      if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
        copiesSeen = true;
        const id = (value as { id?: unknown }).id;
        text = jsonText(value);
        if (typeof id === 'string' && text !== undefined && recordMac !== null) {
          const known = cache.get(id);
          if (known === text && (expectedId === undefined || id === expectedId)) {
            cache.delete(id); // most recently used last
            cache.set(id, text);
            return value as StoredRecord;
          }
        }
      }
      const record = await integrity.check(checkStoredRecord(value, expectedId));
      if (text !== undefined && typeof record.mac === 'string') rememberText(cache, record.id, text);
      return record;
    },
    async check(record) {
      const mac = await macNow();
      if (verified.has(record)) return record;
      if (typeof record.mac === 'string') {
        if (mac.valid(record)) {
          if (Object.isFrozen(record) && Object.isFrozen(record.data) && Object.isFrozen(record.versions)) {
            verified.add(record);
          }
          return record;
        }
      } else if (await legacyAccepted()) {
        return record;
      }
      throw new KeywardenError(
        'ERR_INTEGRITY',
        `stored record ${printableId(record.id)} failed its integrity check (${typeof record.mac === 'string' ? 'MAC mismatch' : 'no MAC'}); it was not used`,
        { field: 'record' },
      );
    },
    async seal(record) {
      const cache = verifiedText;
      const sealed = (await macNow()).seal(record);
      if (copiesSeen) {
        // the next read of what this manager writes (a copy from the database) is then a hit
        const text = jsonText(sealed);
        if (text !== undefined && isWellFormed(sealed)) rememberText(cache, sealed.id, text);
      }
      return sealed;
    },
  };
  const telemetry = init.telemetry ?? NOOP_TELEMETRY;
  const log = init.log ?? SILENT_LOG;
  // an audit read (list, verify, export, checkpoint) first writes the rows still queued, so it sees them
  const storage = guardStorage(init.storage, integrity, telemetry, () => flushAudit().catch(() => undefined));
  const storeIntegrity: StoreIntegrity = {
    raw: init.storage,
    check: (record) => integrity.check(record),
    async marker() {
      const mac = await macNow();
      const raw = await storage.getMeta(META_STORE_FORMAT);
      if (raw === null) return 'missing';
      return mac.openFormat(formatStoreId, raw) ?? 'invalid';
    },
    async finishUpgrade() {
      const mac = await macNow();
      const raw = await storage.getMeta(META_STORE_FORMAT);
      if (raw === null || mac.openFormat(formatStoreId, raw) === null) {
        throw new KeywardenError(
          'ERR_INTEGRITY',
          'the store format marker is missing or altered; upgrade refused',
          {
            field: 'store.format',
          },
        );
      }
      await storage.setMeta(META_STORE_FORMAT, mac.sealFormat(formatStoreId, '0.2'), { expected: raw });
      format = '0.2';
    },
  };
  const { clock, options, rateLimiter, notifier } = init;
  const kms = telemetry.enabled ? instrumentKms(init.kms, telemetry) : init.kms;
  const usageOptions = init.usage === false ? null : { flushInterval: init.usage?.flushInterval ?? '10s' };
  // validated now, created on first use (its flush timer only runs once something was verified)
  if (usageOptions !== null) parseDuration(usageOptions.flushInterval, 'usage.flushInterval');
  let usage: UsageTracker | undefined;
  let rollup: UsageRollup | undefined;
  let closed = false;
  let closing: Promise<void> | null = null;
  let readyPromise: Promise<StoreState> | null = null;
  /** The state `readyPromise` resolved with, once it did (null again when the pepper is dropped). */
  let loaded: StoreState | null = null;
  let hasher: TokenHasher | null = null;
  let signer: AuditSigner | null = null;
  const markerOf = (): StoreFormat => format;

  const hashToken = (token: string): string => {
    if (closed || hasher === null) throw closedError();
    return hasher.hash(token);
  };

  /** The keyed signer, loading the store first when nothing opened it yet; ERR_AUDIT without one. */
  const auditSigner = async (): Promise<AuditSigner> => {
    if (closed) throw closedError();
    // a capability may write before anything else opened the store: open it first (lazily, like
    // every other call); init itself only writes once the signer is set, so this never waits on itself
    if (signer === null) await (readyPromise ?? startInit()).catch(() => undefined);
    const keyed = signer;
    if (keyed === null) {
      throw new KeywardenError('ERR_AUDIT', 'the audit key could not be loaded; operation refused');
    }
    return keyed;
  };

  /** A queued row: every field but its id and digest, both filled in by {@link sealQueued}. */
  const toShell = (d: AuditDraft, at: number): AuditEventInput => ({
    id: '',
    at,
    type: d.type,
    keyId: d.recordId !== undefined ? d.recordId : (d.keyId ?? null),
    kind: d.kind,
    version: d.version ?? null,
    tenantId: d.tenantId ?? null,
    actor: d.actor ?? null,
    context: d.context ?? {},
    data: d.data ?? {},
    digest: '',
  });

  /** Gives a row its id and then its keyed digest (of every other field); returns it. */
  const seal = (keyed: AuditSigner, e: AuditEventInput): AuditEventInput => {
    e.id = generateId(16);
    e.digest = keyed.digest(e);
    return e;
  };

  /** Gives the queued rows of `batch` not sealed yet their id and digest (ERR_AUDIT without the key). */
  const sealQueued = (batch: AuditEventInput[]): void => {
    const keyed = signer;
    for (const e of batch) {
      if (e.digest !== '') continue; // sealed by an earlier attempt to write it
      if (keyed === null) throw new KeywardenError('ERR_AUDIT', 'the audit key is not loaded');
      seal(keyed, e);
    }
  };

  const toEvents = (keyed: AuditSigner, drafts: AuditDraft | AuditDraft[]): AuditEventInput[] => {
    const at = clock.now();
    if (!Array.isArray(drafts)) return [seal(keyed, toShell(drafts, at))];
    return drafts.map((d) => seal(keyed, toShell(d, at)));
  };

  const appendEvents = async (events: AuditEventInput[]): Promise<void> => {
    try {
      await storage.appendAudit(events);
      telemetry.auditWrite('ok', events.length);
    } catch (cause) {
      telemetry.auditWrite('failed', events.length);
      log.error('audit write failed; the operation is refused', {
        events: events.map((e) => e.type),
        error: describeError(cause),
      });
      throw new KeywardenError('ERR_AUDIT', 'the audit event could not be written; operation refused', {
        cause,
      });
    }
  };

  /*
   * Deferred audit rows (`auditLater`): built when queued (their `at` is when they were queued),
   * given their id and keyed digest when their batch is written (one tight loop per batch instead
   * of one digest inside every call), appended in queue order, before any row written directly
   * afterwards by this manager, in one append per batch. A batch that cannot be written stays
   * queued (first, its digests kept) and is retried; until one is written, `auditLater` refuses
   * (fail closed).
   */
  let queued: AuditEventInput[] = [];
  /** The append that holds queued rows, while it runs: later writes wait for it (order). */
  let queueWrite: Promise<void> | null = null;
  let queueFailed = false;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let flushDue = Number.POSITIVE_INFINITY;
  let retryMs = 1_000;

  const scheduleFlush = (windowMs: number): void => {
    const due = Date.now() + windowMs;
    if (flushTimer !== undefined && flushDue <= due) return;
    clearTimeout(flushTimer);
    flushDue = due;
    retryMs = windowMs;
    // not unref'd: a process that ends on its own writes its last batch first
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      flushDue = Number.POSITIVE_INFINITY;
      appendAfterQueue([]).catch(() => undefined); // logged; kept queued and retried
    }, windowMs);
  };

  /** Appends `events` after every queued row, in one write; the queued rows go back first on failure. */
  const appendAfterQueue = async (events: AuditEventInput[]): Promise<void> => {
    while (queueWrite !== null) await queueWrite.catch(() => undefined);
    if (queued.length === 0) {
      if (events.length > 0) await appendEvents(events);
      return;
    }
    const batch = queued;
    queued = [];
    clearTimeout(flushTimer);
    flushTimer = undefined;
    flushDue = Number.POSITIVE_INFINITY;
    const write = new Promise<void>((resolve) => {
      sealQueued(batch);
      resolve(appendEvents(events.length === 0 ? batch : batch.concat(events)));
    }).then(
      () => {
        queueFailed = false;
      },
      (error: unknown) => {
        queued = batch.concat(queued);
        queueFailed = true;
        if (!closed) scheduleFlush(retryMs);
        throw error;
      },
    );
    queueWrite = write;
    try {
      await write;
    } finally {
      if (queueWrite === write) queueWrite = null;
    }
  };

  const writeAudit = async (drafts: AuditDraft | AuditDraft[]): Promise<void> => {
    // the common case (signer loaded, nothing queued or being written): straight to the adapter
    if (!closed && signer !== null && queued.length === 0 && queueWrite === null) {
      const events = toEvents(signer, drafts);
      return events.length === 0 ? undefined : appendEvents(events);
    }
    const keyed = await auditSigner();
    const events = toEvents(keyed, drafts);
    if (events.length === 0 && queued.length === 0) return;
    await appendAfterQueue(events);
  };

  const auditLater = async (
    drafts: AuditDraft | AuditDraft[],
    options: { windowMs: number; maxRows: number; afterSpend?: boolean },
  ): Promise<void> => {
    // the audit key must be loadable now (fail closed; no await once loaded); the rows are
    // digested with their batch
    if (closed || signer === null) await auditSigner();
    const afterSpend = options.afterSpend === true;
    // fail closed: a batch that could not be written is retried now, and refuses if it still fails
    // (not for the rows of something already spent: the caller ran this check before spending, and
    // refusing now would leave a spent call without its row)
    if (!afterSpend && (queueFailed || queued.length >= options.maxRows)) await appendAfterQueue([]);
    if (closed) throw closedError();
    const at = clock.now();
    if (Array.isArray(drafts)) {
      if (drafts.length === 0) return;
      for (const d of drafts) queued.push(toShell(d, at));
    } else {
      queued.push(toShell(drafts, at));
    }
    if (afterSpend && queued.length >= options.maxRows && queueWrite === null) {
      appendAfterQueue([]).catch(() => undefined); // kept queued and retried; the next check refuses
    }
    scheduleFlush(options.windowMs);
  };

  /** `auditLater` of one row when nothing needs a wait: true when queued, false (nothing done) else. */
  const queueAudit = (draft: AuditDraft, options: { windowMs: number; maxRows: number }): boolean => {
    if (closed || signer === null || queueFailed || queued.length >= options.maxRows) return false;
    queued.push(toShell(draft, clock.now()));
    scheduleFlush(options.windowMs);
    return true;
  };

  /** Writes the queued rows now; ERR_AUDIT (and they stay queued) when they cannot be. */
  const flushAudit = (): Promise<void> => appendAfterQueue([]);

  const loadOrCreateMeta = async (
    key: string,
    make: () => Promise<string>,
  ): Promise<{ value: string; created: boolean }> => {
    const existing = await storage.getMeta(key);
    if (existing !== null) return { value: existing, created: false };
    const value = await make();
    try {
      await storage.setMeta(key, value, { expected: null });
      return { value, created: true };
    } catch (error) {
      if (!isKeywardenError(error, 'ERR_CONFLICT')) throw error;
      const winner = await storage.getMeta(key);
      if (winner === null) throw error;
      return { value: winner, created: false };
    }
  };

  const unwrapPepper = async (storeId: string, raw: string): Promise<Uint8Array> => {
    let wrapped: WrappedKey;
    try {
      wrapped = JSON.parse(raw) as WrappedKey;
    } catch (cause) {
      throw new KeywardenError('ERR_STORAGE', 'store metadata store.pepper is corrupt', { cause });
    }
    try {
      const bytes = await kms.unwrapKey(wrapped, pepperContext(storeId));
      if (bytes.length !== 32) {
        zeroize(bytes);
        throw new KeywardenError('ERR_KMS', 'the KMS returned a pepper of the wrong length');
      }
      return bytes;
    } catch (error) {
      const mismatch =
        isKeywardenError(error, 'ERR_DECRYPT') ||
        (typeof wrapped === 'object' && wrapped !== null && wrapped.kms !== kms.id) ||
        (isKeywardenError(error, 'ERR_KMS') && safeNeedsRewrap(kms, wrapped));
      if (mismatch) {
        throw new KeywardenError(
          'ERR_MASTER_KEY_MISMATCH',
          "the KMS cannot open this store's pepper: the store was created with another master key " +
            '(or KMS), or its metadata was altered. Pass the original master key (or list it in ' +
            'previousKeys) to open this store.',
          { cause: error },
        );
      }
      throw error;
    }
  };

  const initialize = async (): Promise<StoreState> => {
    await telemetry.loaded; // metrics: true loads the global meter provider first (never rejects)
    await storage.init?.();
    await kms.init?.(storage);
    const id = await loadOrCreateMeta(META_STORE_ID, async () => generateId(16));
    const storeId = id.value;
    let fresh: Uint8Array | null = null;
    let pep: { value: string; created: boolean };
    try {
      pep = await loadOrCreateMeta(META_PEPPER, async () => {
        fresh = randomBytes(32);
        return JSON.stringify(await kms.wrapKey(fresh, pepperContext(storeId)));
      });
    } catch (error) {
      zeroize(fresh);
      throw error;
    }
    let bytes: Uint8Array;
    if (pep.created && fresh !== null) {
      bytes = fresh;
    } else {
      zeroize(fresh);
      bytes = await unwrapPepper(storeId, pep.value);
    }
    if (closed) {
      zeroize(bytes);
      throw closedError();
    }
    let auditKey: Uint8Array | null = null;
    let macKey: Uint8Array | null = null;
    try {
      hasher = createTokenHasher(bytes, closedError);
      auditKey = deriveStoreSubkey(bytes, AUDIT_DIGEST_LABEL);
      signer = createAuditSigner(auditKey);
      macKey = deriveStoreSubkey(bytes, RECORD_MAC_LABEL);
      recordMac = createRecordMac(macKey, closedError);
      zeroize(macKey);
      macKey = deriveStoreSubkey(bytes, AUDIT_CHECKPOINT_LABEL);
      checkpointMac = createRecordMac(macKey, closedError);
    } finally {
      zeroize(bytes);
      zeroize(auditKey);
      zeroize(macKey);
    }
    const openedBefore = await ensureAuditMarker(storeId, signer, !id.created);
    format = await ensureFormatMarker(storeId, recordMac, id.created, openedBefore);
    formatStoreId = storeId;
    if (id.created) {
      const data: JsonObject = { storage: init.storage.name, kms: kms.id };
      await writeAudit({ type: 'store.initialized', keyId: null, kind: null, data });
    }
    const mac = recordMac;
    const checkpointTag = (text: string): string => {
      if (closed || checkpointMac === null) throw closedError();
      return checkpointMac.tag(text);
    };
    return Object.freeze({
      storeId,
      hashToken,
      auditSigner: signer,
      recordMac: mac,
      checkpointTag,
      storeFormat: markerOf,
      acceptsLegacySeals: legacyAccepted,
    });
  };

  /**
   * Reads the store format marker, writing it when the store has none: `0.2` on a new store,
   * `0.1-pending` on a store of keywarden 0.1 (no audit marker before this start and no keyed
   * audit row). A store that was already opened by this version (audit marker or keyed rows) but
   * has no valid format marker lost it: it is not re-created, the store is treated as `0.2` (a
   * record without MAC is refused) and `km.check()` reports the missing marker.
   */
  const ensureFormatMarker = async (
    storeId: string,
    mac: RecordMac,
    created: boolean,
    openedBefore: boolean,
  ): Promise<StoreFormat> => {
    let raw: string | null;
    try {
      raw = await storage.getMeta(META_STORE_FORMAT);
    } catch {
      // a role that may not read it (a tenant-scoped PostgreSQL role): the strict format, fail closed
      return '0.2';
    }
    if (raw !== null) return mac.openFormat(storeId, raw) ?? '0.2';
    if (!created && openedBefore) return '0.2'; // the marker was removed: never a downgrade
    const wanted: StoreFormat = created ? '0.2' : '0.1-pending';
    try {
      await storage.setMeta(META_STORE_FORMAT, mac.sealFormat(storeId, wanted), { expected: null });
      return wanted;
    } catch (error) {
      if (!isKeywardenError(error, 'ERR_CONFLICT')) throw error;
      const winner = await storage.getMeta(META_STORE_FORMAT);
      return winner === null ? '0.2' : (mac.openFormat(storeId, winner) ?? '0.2');
    }
  };

  /**
   * Writes the keyed marker when the store has none: on a new store (keyed from seq 1), or on a
   * store of keywarden 0.1 whose rows are all unkeyed (keyed from the next seq, pinned to the
   * current head, followed at once by a keyed `audit.keyed` event). A store that already holds a
   * keyed row but no marker lost it (deleted or replaced): it is not re-created over rows an
   * attacker may have added, and `audit.verify()` reports the first unkeyed row. Returns whether
   * the store had been opened by this version before (a marker or a keyed row).
   */
  const ensureAuditMarker = async (storeId: string, keyed: AuditSigner, pin: boolean): Promise<boolean> => {
    if ((await storage.getMeta(META_AUDIT_KEYED)) !== null) return true;
    const { last, keyedSeen } = await scanChain(storage, keyed);
    if (keyedSeen) return true;
    const value = sealMarker(keyed, storeId, { fromSeq: last.seq + 1, prevHash: last.hash, foreign: false });
    try {
      await storage.setMeta(META_AUDIT_KEYED, value, { expected: null });
    } catch (error) {
      if (isKeywardenError(error, 'ERR_CONFLICT')) return false; // another instance wrote it
      throw new KeywardenError(
        'ERR_STORAGE',
        'the audit key marker is missing and could not be written: open the store once with a trusted role (not a tenant-scoped one)',
        { cause: error },
      );
    }
    if (pin)
      await writeAudit({ type: 'audit.keyed', keyId: null, kind: null, data: { fromSeq: last.seq + 1 } });
    return false;
  };

  /**
   * After the store identity changed under the context (a backup import that adopted another
   * store's pepper): the chain written under the old audit key is verified with that key, and a
   * marker under the new key pins it (`foreign`), so verification goes on from the next seq.
   */
  const rekeyAudit = async (
    old: { signer: AuditSigner; storeId: string } | null,
    state: StoreState,
  ): Promise<void> => {
    if (old === null) return;
    const raw = await storage.getMeta(META_AUDIT_KEYED);
    if (raw === null || openMarker(state.auditSigner, state.storeId, raw) !== null) return;
    const before = await verifyAuditChain(storage, old.signer, old.storeId);
    if (!before.ok) return; // left as it is: verify() reports it
    const marker = { fromSeq: before.count + 1, prevHash: before.headHash, foreign: true };
    await storage.setMeta(META_AUDIT_KEYED, sealMarker(state.auditSigner, state.storeId, marker), {
      expected: raw,
    });
  };

  /**
   * After the store identity changed under the context: the format marker written under the old
   * record MAC key is sealed again under the new one (only when it opened under the old key).
   */
  const rekeyFormat = async (
    old: { mac: RecordMac; storeId: string } | null,
    state: StoreState,
  ): Promise<void> => {
    if (old === null) return;
    const raw = await storage.getMeta(META_STORE_FORMAT);
    if (raw === null || state.recordMac.openFormat(state.storeId, raw) !== null) return;
    const was = old.mac.openFormat(old.storeId, raw);
    if (was === null) return;
    await storage.setMeta(META_STORE_FORMAT, state.recordMac.sealFormat(state.storeId, was), {
      expected: raw,
    });
    format = was;
  };

  const startInit = (): Promise<StoreState> => {
    const run: Promise<StoreState> = initialize().then(
      (state) => {
        if (readyPromise === run && !closed) loaded = state;
        return state;
      },
      (error: unknown) => {
        if (readyPromise === run) {
          readyPromise = null;
          dropPepper();
        }
        throw error;
      },
    );
    readyPromise = run;
    return run;
  };

  const cacheLimits =
    init.keyCache === false
      ? undefined
      : { ttlMs: parseDuration(init.keyCache?.ttl ?? '1m', 'keyCache.ttl'), max: init.keyCache?.max ?? 64 };
  const openedKeys = cacheLimits && createOpenedKeyCache(cacheLimits);
  const openedDataKeys = cacheLimits && createOpenedKeyCache(cacheLimits); // secrets.get's data keys
  const ctx: ManagedStoreContext = {
    openedKeys,
    openedDataKeys,
    storage,
    kms,
    clock,
    options,
    rateLimiter,
    get usage() {
      if (usage === undefined && usageOptions !== null && !closed) {
        usage = createUsageTracker(
          { storage, clock },
          {
            ...usageOptions,
            onError: (error) =>
              log.warn('usage flush failed; the counts are kept for the next flush', {
                error: describeError(error),
              }),
          },
        );
      }
      return usage;
    },
    get rollup() {
      if (
        rollup === undefined &&
        usageOptions !== null &&
        !closed &&
        typeof storage.addUsage === 'function'
      ) {
        rollup = createUsageRollup(storage, {
          flushInterval: usageOptions.flushInterval,
          onError: (error) =>
            log.warn('usage analytics flush failed; the counts are kept for the next flush', {
              error: describeError(error),
            }),
        });
      }
      return rollup;
    },
    get closed() {
      return closed;
    },
    integrity: storeIntegrity,
    ready() {
      if (closed) return Promise.reject(closedError());
      return readyPromise ?? startInit();
    },
    stateNow() {
      return closed ? null : loaded;
    },
    readChecked(id) {
      if (closed || recordMac === null) return undefined;
      const peek = syncReadOf<[string]>(init.storage.get);
      if (peek === undefined) return undefined;
      let record: StoredRecord | null;
      try {
        record = peek(id);
      } catch {
        return undefined; // the async read reports it
      }
      return record === null || verified.has(record) ? record : undefined;
    },
    readMacsNow(ids) {
      if (closed || recordMac === null) return undefined;
      const peek = syncReadOf<[readonly string[]], (string | null)[]>(init.storage.readMacs);
      if (peek === undefined) return undefined;
      try {
        const out = peek(ids);
        return Array.isArray(out) && out.length === ids.length && out.every(isMacOrNull) ? out : undefined;
      } catch {
        return undefined; // the async read reports it
      }
    },
    async reload() {
      if (closed) throw closedError();
      await flushAudit().catch(() => undefined); // queued rows belong to the chain as it was
      // let an init in progress settle first, so it cannot install its state after ours
      await readyPromise?.catch(() => undefined);
      if (closed) throw closedError();
      const previous = readyPromise === null ? null : await readyPromise.catch(() => null);
      const old =
        previous !== null && signer !== null && recordMac !== null
          ? { signer, mac: recordMac, storeId: previous.storeId }
          : null;
      signer = null; // kept for rekeyAudit and rekeyFormat, destroyed below
      recordMac = null;
      dropPepper();
      try {
        const state = await startInit();
        await rekeyAudit(old, state);
        await rekeyFormat(old, state);
        return state;
      } finally {
        old?.signer.destroy();
        old?.mac.destroy();
      }
    },
    telemetry,
    log,
    audit: writeAudit,
    auditLater,
    queueAudit,
    flushAudit,
    notify(event: KeyEvent) {
      if (closed) return;
      if (telemetry.enabled) countEvent(telemetry, event);
      if (!notifier) return;
      const failed = (error: unknown): void =>
        log.warn('notifier failed; the event was not delivered', {
          event: event.type,
          keyId: event.keyId,
          error: describeError(error),
        });
      try {
        notifier.notify(event).catch(failed);
      } catch (error) {
        failed(error); // a notifier never fails the operation
      }
    },
    newId() {
      if (closed) throw closedError();
      return generateId(12);
    },
    duration(value: Duration, field: string) {
      if (closed) throw closedError();
      return parseDuration(value, field);
    },
    close() {
      if (closing) return closing;
      closed = true;
      closing = (async () => {
        const errors: unknown[] = [];
        const steps = [
          () => flushAudit(), // first: the queued audit rows, while storage is still open
          () => usage?.close(), // flushes buffered usage while storage is still open
          () => rollup?.close(),
          () => telemetry.close(),
          () => dropPepper(), // after the flush: its writes are MAC'd
          () => rateLimiter.close?.(),
          () => kms.close?.(),
          () => storage.close?.(),
        ];
        for (const step of steps) {
          try {
            await step();
          } catch (error) {
            errors.push(error);
          }
        }
        if (errors.length > 0) {
          throw new KeywardenError('ERR_STORAGE', 'closing the key manager failed', { cause: errors[0] });
        }
      })();
      return closing;
    },
  };

  const monitor: SecurityMonitor | undefined =
    init.monitor === undefined ? undefined : createSecurityMonitor(ctx, init.monitor);
  (ctx as { monitor?: SecurityMonitor | undefined }).monitor = monitor;

  function dropPepper(): void {
    loaded = null;
    openedKeys?.clear();
    openedDataKeys?.clear();
    hasher?.destroy();
    hasher = null;
    recordMac?.destroy();
    recordMac = null;
    verified = new WeakSet<StoredRecord>();
    verifiedText = new Map<string, string>();
    checkpointMac?.destroy();
    checkpointMac = null;
    signer?.destroy();
    signer = null;
  }

  return ctx;
}

/**
 * Wraps an adapter so any non-keywarden failure (a driver error, a TypeError) surfaces as
 * `ERR_STORAGE` with the original as `cause`. KeywardenErrors (`ERR_CONFLICT`...) pass through.
 */
interface RecordIntegrity {
  /**
   * A record read from the adapter, after its shape check and its MAC check (skipped for content
   * that passed both before); `expectedId`: the id asked for. ERR_INTEGRITY otherwise.
   */
  read(value: unknown, expectedId?: string): Promise<StoredRecord>;
  /** True when this very (frozen) object passed both checks under the current key: no work to redo. */
  known(record: StoredRecord): boolean;
  /** The record when its MAC holds (or it is a 0.1 record while the upgrade is pending), else ERR_INTEGRITY. */
  check(record: StoredRecord): Promise<StoredRecord>;
  /** The record with a fresh MAC. */
  seal(record: StoredRecord): Promise<StoredRecord>;
}

/** True when `record` is what a `findByName(name, where)` asked for (name, kind, environment, tenant). */
function answersLookup(
  record: StoredRecord,
  name: string,
  where: { kind: string; environment: string; tenantId: string | null },
): boolean {
  return (
    record.name === name &&
    record.kind === where.kind &&
    record.environment === where.environment &&
    record.tenantId === where.tenantId
  );
}

/**
 * `record` when it answers the lookup, else ERR_INTEGRITY: a store writer who points a name (its
 * index, or the name column of a database row) at another record — with that record's own valid
 * MAC — must not get that record's value returned under the name asked for.
 */
function matchingLookup(
  record: StoredRecord,
  name: string,
  where: { kind: string; environment: string; tenantId: string | null },
): StoredRecord {
  if (answersLookup(record, name, where)) return record;
  throw new KeywardenError(
    'ERR_INTEGRITY',
    `stored record ${printableId(record.id)} does not answer the name it was found by; it was not used`,
    { field: 'record' },
  );
}

function guardStorage(
  s: StorageAdapter,
  integrity: RecordIntegrity,
  telemetry: Telemetry,
  beforeAuditRead: () => Promise<void>,
): StorageAdapter {
  // a record object already checked (a memory adapter's frozen object) costs no extra promise hop
  const checkOrNull = (r: StoredRecord | null, id?: string): StoredRecord | null | Promise<StoredRecord> =>
    r === null || integrity.known(r) ? r : integrity.read(r, id);
  const checkAll = async (records: StoredRecord[]): Promise<StoredRecord[]> => {
    for (const r of records) await integrity.read(r);
    return records;
  };
  const checkPage = async (page: Page<StoredRecord>): Promise<Page<StoredRecord>> => {
    await checkAll(page.items);
    return page;
  };
  const fail = (error: unknown, op: string): KeywardenError => {
    const e = toStorageError(error, op);
    if (isStorageFailure(e) && !isKeywardenError(e, 'ERR_INTEGRITY')) telemetry.storageError(op);
    return e;
  };
  const call = <T>(op: string, run: () => Promise<T>): Promise<T> => {
    try {
      return run().then(undefined, (error: unknown) => {
        throw fail(error, op);
      });
    } catch (error) {
      return Promise.reject(fail(error, op));
    }
  };
  /**
   * The answer of an in-process adapter's synchronous twin of `get`/`findByName`
   * (src/internal/sync-reads.ts) when it is null or a record object already checked, else
   * undefined (the async path runs, and reports any error through the mapping below).
   */
  const checked = (r: StoredRecord | null): StoredRecord | null | undefined =>
    r === null || integrity.known(r) ? r : undefined;
  const knownGet = (id: string): StoredRecord | null | undefined => {
    const peek = syncReadOf<[string]>(s.get);
    if (peek === undefined) return undefined;
    try {
      const r = peek(id);
      // another record under this id: the async path refuses it (ERR_INTEGRITY naming it)
      return r !== null && r.id !== id ? undefined : checked(r);
    } catch {
      return undefined;
    }
  };
  const knownByName = (
    name: string,
    where: Parameters<StorageAdapter['findByName']>[1],
  ): StoredRecord | null | undefined => {
    const peek = syncReadOf<Parameters<StorageAdapter['findByName']>>(s.findByName);
    if (peek === undefined) return undefined;
    try {
      const r = peek(name, where);
      return r !== null && !answersLookup(r, name, where) ? undefined : checked(r);
    } catch {
      return undefined;
    }
  };
  const guarded: StorageAdapter = {
    name: s.name,
    // every record read passes its shape check and its MAC check here, once (ERR_INTEGRITY
    // naming the record); every record written gets a fresh MAC here, whoever writes it
    get: (id) => {
      const r = knownGet(id);
      return r !== undefined
        ? Promise.resolve(r)
        : call('get', () => s.get(id).then((x) => checkOrNull(x, id)));
    },
    findByName: (name, where) => {
      const r = knownByName(name, where);
      return r !== undefined
        ? Promise.resolve(r)
        : call('findByName', () =>
            s
              .findByName(name, where)
              .then((x) => checkOrNull(x === null ? x : matchingLookup(x, name, where))),
          );
    },
    list: (query) => call('list', async () => checkPage(await s.list(query))),
    create: (record) => call('create', async () => s.create(await integrity.seal(record))),
    update: (record, o) => call('update', async () => s.update(await integrity.seal(record), o)),
    delete: (id, o) => call('delete', () => s.delete(id, o)),
    dueForRotation: (before, limit) =>
      call('dueForRotation', async () => checkAll(await s.dueForRotation(before, limit))),
    appendAudit: (events) => call('appendAudit', () => s.appendAudit(events)),
    listAudit: (query) => call('listAudit', () => beforeAuditRead().then(() => s.listAudit(query))),
    getMeta: (key) => call('getMeta', () => s.getMeta(key)),
    setMeta: (key, value, o) => call('setMeta', () => s.setMeta(key, value, o)),
  };
  if (s.addUsage) guarded.addUsage = (rows) => call('addUsage', () => s.addUsage!(rows));
  if (s.listUsage) guarded.listUsage = (query) => call('listUsage', () => s.listUsage!(query));
  if (s.readMacs) {
    // an answer of the wrong shape is a storage failure (callers fail closed), never a MAC
    guarded.readMacs = (ids) =>
      call('readMacs', async () => {
        const out = await s.readMacs!(ids);
        if (!Array.isArray(out) || out.length !== ids.length || !out.every(isMacOrNull)) {
          throw new KeywardenError('ERR_STORAGE', 'storage readMacs returned an unexpected result');
        }
        return out;
      });
  }
  if (s.init) guarded.init = () => call('init', () => s.init!());
  if (s.close) guarded.close = () => call('close', () => s.close!());
  return guarded;
}

function isMacOrNull(v: unknown): v is string | null {
  return v === null || typeof v === 'string';
}

function safeNeedsRewrap(kms: KmsAdapter, wrapped: WrappedKey): boolean {
  try {
    return kms.needsRewrap?.(wrapped) === true;
  } catch {
    return false;
  }
}

/**
 * Counts what notifier events tell: rotations by kind and outcome, access requests by decision,
 * sessions opened and ended. Done here so every part that notifies is counted the same way.
 */
function countEvent(t: Telemetry, event: KeyEvent): void {
  switch (event.type) {
    case 'key.rotated':
      t.rotation(event.kind, 'success');
      return;
    case 'rotation.failed':
      t.rotation(event.kind, 'failure');
      return;
    case 'access.requested':
      t.accessRequest('requested');
      return;
    case 'access.approved':
      t.accessRequest('approved');
      return;
    case 'access.denied':
      t.accessRequest('denied');
      return;
    case 'access.cancelled':
      t.accessRequest('cancelled');
      return;
    case 'access.expired':
      t.accessRequest('expired');
      return;
    case 'access.session_opened':
      t.sessions(1);
      return;
    case 'access.session_ended':
      t.sessions(-1);
      return;
    default:
      return;
  }
}

/** The KMS with its failures counted (`keywarden.kms.errors{operation}`); everything else passes through. */
function instrumentKms(kms: KmsAdapter, t: Telemetry): KmsAdapter {
  const counted =
    <A extends unknown[], R>(op: 'wrap' | 'unwrap' | 'init', f: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await f(...args);
      } catch (error) {
        if (!isKeywardenError(error, 'ERR_CLOSED')) t.kmsError(op);
        throw error;
      }
    };
  const out: KmsAdapter = {
    id: kms.id,
    wrapKey: counted('wrap', (dek, context) => kms.wrapKey(dek, context)),
    unwrapKey: counted('unwrap', (wrapped, context) => kms.unwrapKey(wrapped, context)),
  };
  if (kms.init) out.init = counted('init', (meta) => kms.init!(meta));
  if (kms.needsRewrap) out.needsRewrap = (wrapped) => kms.needsRewrap!(wrapped);
  if (kms.close) out.close = () => kms.close!();
  return out;
}
