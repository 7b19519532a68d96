/**
 * Public types of the API-key view (`km.apiKeys`) and the audit view (`km.audit`).
 * @module
 */

import type { Duration } from '../duration.js';
import type { IterateQuery } from '../internal/iterate.js';
import type { JsonObject } from '../ports/json.js';
import type { AuditEvent, AuditEventType, Page, RecordStatus } from '../ports/storage.js';
import type { RotationPolicyInput } from '../records/rotation-types.js';
import type { UsageOptions, UsageReport } from '../records/usage-report.js';
import type { AuditExportOptions } from './audit-export.js';

/** Credits refill: every `every` ms, `remaining` is topped up to `amount`. */
export interface ApiKeyRefill {
  /** Credits the key is topped up to at each period. */
  amount: number;
  /** Period in milliseconds. */
  every: number;
  /** Start of the current period (epoch ms). */
  lastRefillAt: number;
}

/** A per-key rate limit: `limit` cost units per `window` ms. */
export interface ApiKeyRateLimit {
  /** Cost units allowed per window: a burst of `limit`, then units come back evenly over the window. */
  limit: number;
  /** Window in milliseconds. */
  window: number;
}

/**
 * A credit refill as `create` and `update` take it: `remaining` is topped up to `amount` every
 * `every`, the period counted from the call that sets it.
 */
export interface ApiKeyRefillInput {
  /** Credits `remaining` is topped up to at each period (never lowered): an integer ≥ 1. */
  amount: number;
  /** The period (ms or a duration like `'1d'`, at least 1 second). */
  every: Duration;
}

/** A per-key rate limit as `create` and `update` take it. */
export interface ApiKeyRateLimitInput {
  /** Cost units allowed per `window` (an integer 1–1,000,000,000). */
  limit: number;
  /** The window (ms or a duration like `'1m'`, at least 1 ms). */
  window: Duration;
}

/** Rate-limit state reported by `verify`. */
export interface RateLimitState {
  /** The key's limit: cost units per window. */
  limit: number;
  /** Cost units left in the current window after this request (0 when it was limited). */
  remaining: number;
  /** Epoch ms: when allowed, the time the full limit is back; when limited, when to retry. */
  reset: number;
}

/**
 * What keywarden tells you about an API key. Never holds the token or its hash; safe to log,
 * serialize and show in a dashboard.
 */
export interface ApiKeyInfo {
  /** Record id, also the 12-character id inside the token. */
  id: string;
  /** Display name given at create or update (1–128 characters; not unique). */
  name: string;
  /** Token prefix, e.g. `'kw'` or `'sk_live'`. */
  prefix: string;
  /** `${prefix}_${id}`: identifies the key in a UI without revealing any secret. */
  start: string;
  /** The user or service the key belongs to, or null when none was given. */
  ownerId: string | null;
  /**
   * The tenant the key belongs to, or null; `verify({ tenantId })` treats a key of another tenant as
   * `NOT_FOUND`.
   */
  tenantId: string | null;
  /**
   * The environment the key was created for (`'default'` unless given); `verify({ environment })` checks it.
   */
  environment: string;
  /** `expired` is also reported once `expiresAt` has passed, before the rotator writes it. */
  status: RecordStatus;
  /**
   * Granted scopes (`*`, `name`, `ns:name`, `ns:*`); `verify({ scopes })` requires each asked scope to be
   * granted.
   */
  scopes: string[];
  /** Tags for filtering `list` (empty when none). */
  tags: string[];
  /** Your own JSON object given at create or update (`{}` when none). */
  meta: JsonObject;
  /** When the key was created (epoch ms). */
  createdAt: number;
  /** When the record last changed (epoch ms). */
  updatedAt: number;
  /** When the key expires (epoch ms), or null when it never does. */
  expiresAt: number | null;
  /** When the key was revoked (epoch ms), or null when it is not revoked. */
  revokedAt: number | null;
  /** The `reason` given to `revoke`, or null (not revoked, or revoked without a reason). */
  revokeReason: string | null;
  /**
   * Latest successful verification (epoch ms), or null when never used (or usage tracking is off).
   * Written in batches by the manager's usage tracker, so it lags by up to its `flushInterval`.
   */
  lastUsedAt: number | null;
  /** Credits left (refill applied as of the read), or null when unlimited. */
  remaining: number | null;
  /** The credit refill, or null when credits are not refilled. */
  refill: ApiKeyRefill | null;
  /** The per-key rate limit, or null when the key has none. */
  rateLimit: ApiKeyRateLimit | null;
  /** The current version number (1 until the key is rotated). */
  version: number;
  /** Compare-and-swap revision of the record. */
  revision: number;
}

/** Input of `km.apiKeys.create`. */
export interface CreateApiKeyInput {
  /** Display name, 1–128 characters (not unique). */
  name: string;
  /** Token prefix (default from the manager, `'kw'`): 1–32 of `[a-z0-9_]`, no leading/trailing `_`. */
  prefix?: string | undefined;
  /** The user or service the key belongs to (1–128 characters); `null` or absent: none. */
  ownerId?: string | null | undefined;
  /** The tenant the key belongs to (1–128 characters); `null` or absent: none. */
  tenantId?: string | null | undefined;
  /** Default `'default'`. */
  environment?: string | undefined;
  /** Scopes to grant (up to 256): `*`, `name`, `ns:name` or `ns:*`; absent: none. */
  scopes?: string[] | undefined;
  /** Up to 32 distinct tags of 1–64 `[A-Za-z0-9_.:/-]` characters, for filtering `list`. */
  tags?: string[] | undefined;
  /** Your own JSON object kept with the key (depth ≤ 8, ≤ 16 KiB as canonical JSON, finite numbers). */
  meta?: JsonObject | undefined;
  /** Lifetime (default from the manager, `'90d'`); `null` = never expires. Not with `expiresAt`. */
  expiresIn?: Duration | null | undefined;
  /** Absolute expiry (epoch ms or Date, in the future); `null` = never. Not with `expiresIn`. */
  expiresAt?: number | Date | null | undefined;
  /** Credits; `null` or absent = unlimited (or `refill.amount` when `refill` is given). */
  remaining?: number | null | undefined;
  /** Tops `remaining` up to `amount` every `every`, counted from the create; `null` or absent: no refill. */
  refill?: ApiKeyRefillInput | null | undefined;
  /** A per-key rate limit (`RATE_LIMITED` past it); `null` or absent: none. */
  rateLimit?: ApiKeyRateLimitInput | null | undefined;
  /**
   * A rotation policy, as `km.rotator.setPolicy` takes it, set at create time (schedule anchored
   * now). `null` or absent: none. Scheduled rotations deliver new tokens in the `runDue` report.
   */
  rotation?: RotationPolicyInput | null | undefined;
  /** Who is creating it, recorded in the audit event. */
  actor?: string | undefined;
}

/** Result of `create`: `token` is shown once and is hidden from JSON and `util.inspect`. */
export interface CreatedApiKey {
  /** The full token. Non-enumerable: destructure it, never log the result object expecting it. */
  readonly token: string;
  /** What keywarden stores about the new key (safe to log and return to a client). */
  readonly key: ApiKeyInfo;
}

/** Options of `verify`. */
export interface VerifyApiKeyOptions {
  /** Every scope here must be granted by the key (`*` and `ns:*` grants apply). */
  scopes?: string[];
  /** Credits (and rate-limit units) this request costs; default 1, 0 checks without consuming. */
  cost?: number;
  /** The tenant the request is for; a key of another tenant is `NOT_FOUND`. */
  tenantId?: string;
  /**
   * The environment the request is for (e.g. `'production'`); a valid key created for another
   * environment fails with `WRONG_ENVIRONMENT`. Not checked when absent.
   */
  environment?: string;
  /** Recorded in audit events. */
  context?: {
    /** The client's IP address (at most 64 characters). */
    ip?: string;
    /** The client's `User-Agent` (at most 512 characters). */
    userAgent?: string;
    /** Your request id (at most 128 characters), to correlate audit events with your logs. */
    requestId?: string;
  };
}

/** Why a verification failed. */
export type ApiKeyVerifyCode =
  | 'MALFORMED'
  | 'NOT_FOUND'
  | 'REVOKED'
  | 'DISABLED'
  | 'EXPIRED'
  | 'INSUFFICIENT_SCOPE'
  | 'RATE_LIMITED'
  | 'USAGE_EXCEEDED'
  | 'WRONG_ENVIRONMENT';

/** A successful verification. */
export interface ApiKeyVerifySuccess {
  /** Always `true`: the token is genuine and every check passed. */
  valid: true;
  /** The key's info after this request (credits already spent). */
  key: ApiKeyInfo;
  /** The version the token belongs to. */
  version: number;
  /** Credits left after this request (when the key has credits). */
  remaining?: number;
  /** Rate-limit state (when the key has a rate limit). */
  rateLimit?: RateLimitState;
}

/** A failed verification. `key` is present once the token was proven genuine (not for MALFORMED/NOT_FOUND). */
export interface ApiKeyVerifyFailure {
  /** Always `false`: the request must be refused. */
  valid: false;
  /** Why it failed. */
  code: ApiKeyVerifyCode;
  /** The key's info, once the token was proven genuine (absent for `MALFORMED` and `NOT_FOUND`). */
  key?: ApiKeyInfo;
  /** `USAGE_EXCEEDED`: the credits left, fewer than the request's cost. */
  remaining?: number;
  /**
   * `RATE_LIMITED` (its `reset` is when to retry), and `USAGE_EXCEEDED` on a rate-limited key: the
   * rate-limit state.
   */
  rateLimit?: RateLimitState;
}

/** Result of `verify`. */
export type ApiKeyVerifyResult = ApiKeyVerifySuccess | ApiKeyVerifyFailure;

/** Filters of `list`. */
export interface ListApiKeysQuery {
  /** Only keys of this owner. */
  ownerId?: string | undefined;
  /** A tenant id, or `null` for keys without a tenant. */
  tenantId?: string | null | undefined;
  /** Only keys of this environment; absent: every environment. */
  environment?: string | undefined;
  /** Only keys with this stored status (`expired` once the rotator marked them). */
  status?: RecordStatus | undefined;
  /** Only keys carrying this tag. */
  tag?: string | undefined;
  /** 1–1000, default 100. */
  limit?: number | undefined;
  /** The `cursor` of the previous page, to get the next one; absent: the first page. */
  cursor?: string | undefined;
}

/** Fields `update` can change. `null` clears a nullable field. */
export interface UpdateApiKeyPatch {
  /** A new display name (1–128 characters). */
  name?: string | undefined;
  /** Replaces the granted scopes. */
  scopes?: string[] | undefined;
  /** Replaces the tags. */
  tags?: string[] | undefined;
  /** Replaces the metadata object. */
  meta?: JsonObject | undefined;
  /** A new owner; `null` clears it. */
  ownerId?: string | null | undefined;
  /** A new absolute expiry (epoch ms or Date); `null`: never expires. */
  expiresAt?: number | Date | null | undefined;
  /** Sets the credits left; `null`: unlimited (refused while the key has a refill). */
  remaining?: number | null | undefined;
  /**
   * A new refill, its period restarting now (and `remaining` set to `amount` if it was unlimited);
   * `null` removes it.
   */
  refill?: ApiKeyRefillInput | null | undefined;
  /** A new rate limit; `null` removes it. */
  rateLimit?: ApiKeyRateLimitInput | null | undefined;
  /**
   * `'disabled'` makes verification answer `DISABLED` until set back to `'active'`; an expired key
   * needs a future `expiresAt` to become active.
   */
  status?: 'active' | 'disabled' | undefined;
}

/** Who performs a mutation, recorded in its audit event. */
export interface ActorOptions {
  /** Who performs it (1–128 characters, e.g. a user id or email), recorded as the audit event's actor. */
  actor?: string | undefined;
}

/**
 * Options of update-like methods. `expectedRevision`: the `revision` you read; when the record
 * changed since (another process wrote it), the update fails with `ERR_CONFLICT` and is not retried:
 * read again, re-apply, write again.
 */
export interface UpdateOptions extends ActorOptions {
  /**
   * The `revision` you read; on any other revision the change fails with `ERR_CONFLICT` and nothing is
   * written.
   */
  expectedRevision?: number | undefined;
}

/** `km.apiKeys`: issue, verify and manage API keys. */
export interface ApiKeysView {
  /**
   * Issues a key. The token is in the result only: it is stored as a peppered HMAC and cannot be
   * shown again.
   *
   * @example
   * ```ts
   * const { token, key } = await km.apiKeys.create({ name: 'ci', scopes: ['deploy:*'], expiresIn: '30d' });
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming the field (nothing written), `ERR_AUDIT`,
   *   `ERR_STORAGE`, `ERR_CLOSED`.
   */
  create(input: CreateApiKeyInput): Promise<CreatedApiKey>;
  /**
   * Issues several keys; every input is validated before the first write.
   *
   * @example
   * ```ts
   * const created = await km.apiKeys.createMany([{ name: 'a' }, { name: 'b' }]);
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming `inputs.N.<field>`, `ERR_AUDIT`, `ERR_STORAGE`.
   */
  createMany(inputs: CreateApiKeyInput[]): Promise<CreatedApiKey[]>;
  /**
   * Checks a token: checksum (no storage read for a typo), keyed hash in constant time, status,
   * expiry, scopes, tenant, credits and rate limit. Never throws for a bad token.
   *
   * @example
   * ```ts
   * const r = await km.apiKeys.verify(token, { scopes: ['invoices:read'] });
   * if (!r.valid) console.log(r.code); // 'NOT_FOUND', 'EXPIRED', 'INSUFFICIENT_SCOPE'...
   * ```
   * @throws KeywardenError `ERR_VALIDATION` (options), `ERR_STORAGE` (infrastructure), `ERR_CLOSED`.
   */
  verify(token: unknown, options?: VerifyApiKeyOptions): Promise<ApiKeyVerifyResult>;
  /**
   * The key's info (never the token or its hash).
   *
   * @example
   * ```ts
   * const key = await km.apiKeys.get(id);
   * ```
   * @throws KeywardenError `ERR_NOT_FOUND` (unknown id or another kind), `ERR_STORAGE`.
   */
  get(id: string): Promise<ApiKeyInfo>;
  /**
   * One page of keys, ordered by creation time then id; follow `cursor` (or use `iterate`).
   *
   * @example
   * ```ts
   * const { items, cursor } = await km.apiKeys.list({ ownerId: 'user_1', limit: 50 });
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming the query field, `ERR_STORAGE`.
   */
  list(query?: ListApiKeysQuery): Promise<Page<ApiKeyInfo>>;
  /**
   * Every API key matching the query, one page at a time (the filters of `list`; a `cursor` resumes; `signal` stops the
   * walk, rejecting with `signal.reason`).
   *
   * @example
   * ```ts
   * for await (const key of km.apiKeys.iterate({ status: 'active' })) console.log(key.id, key.name);
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming the query field (on the first `next()`),
   *   `ERR_STORAGE`, `ERR_CLOSED`; `signal.reason` once aborted.
   */
  iterate(query?: IterateQuery<ListApiKeysQuery>): AsyncIterableIterator<ApiKeyInfo>;
  /**
   * Updates the given fields. With `{ expectedRevision }` the update lands only on that revision
   * (else `ERR_CONFLICT`, never retried): a read-modify-write across processes loses nothing.
   */
  update(id: string, patch: UpdateApiKeyPatch, options?: UpdateOptions): Promise<ApiKeyInfo>;
  /**
   * Revokes the key for good: `verify` answers `REVOKED` from then on. Audited. With
   * `{ expectedRevision }` it happens only on that revision (else `ERR_CONFLICT`, nothing written).
   *
   * @example
   * ```ts
   * await km.apiKeys.revoke(id, { reason: 'leaked in a CI log' });
   * ```
   * @throws KeywardenError `ERR_NOT_FOUND`, `ERR_CONFLICT`, `ERR_AUDIT`, `ERR_STORAGE`.
   */
  revoke(id: string, options?: { reason?: string | undefined } & UpdateOptions): Promise<ApiKeyInfo>;
  /**
   * Deletes the record (its audit events stay). Audited. With `{ expectedRevision }` it happens
   * only on that revision (else `ERR_CONFLICT`, the record stays).
   *
   * @example
   * ```ts
   * await km.apiKeys.delete(id, { actor: 'admin@example.com' });
   * ```
   * @throws KeywardenError `ERR_NOT_FOUND`, `ERR_CONFLICT`, `ERR_AUDIT`, `ERR_STORAGE`.
   */
  delete(id: string, options?: UpdateOptions): Promise<void>;
  /**
   * Usage analytics: valid and failed verifications of the key per hour or UTC day, zero-filled
   * (counted in memory, written to the storage rollup in batches; docs/observability.md).
   *
   * @example
   * ```ts
   * const report = await km.apiKeys.usage(id, { from: Date.now() - 86_400_000, granularity: 'hour' });
   * ```
   * @throws KeywardenError `ERR_NOT_FOUND`, `ERR_VALIDATION` naming the option, `ERR_UNSUPPORTED`
   *   (the storage adapter keeps no usage analytics), `ERR_STORAGE`.
   */
  usage(id: string, options?: UsageOptions): Promise<UsageReport>;
}

/** Filters of `km.audit.list`. */
export interface AuditListQuery {
  /** Events about this record. */
  recordId?: string;
  /** @deprecated Use `recordId`; removed in the next minor version. */
  keyId?: string;
  /** Only events of this type (e.g. `'key.created'`, `'secret.read'`). */
  type?: AuditEventType;
  /** Inclusive lower bound (epoch ms or Date). */
  since?: number | Date;
  /** Exclusive upper bound (epoch ms or Date). */
  until?: number | Date;
  /** 1–1000, default 100. */
  limit?: number;
  /** The `cursor` of the previous page, to get the next one; absent: the first page. */
  cursor?: string;
}

/** Result of `km.audit.verify()`. */
export type AuditVerifyResult =
  | {
      /** `true`: every event is intact and chained. */
      ok: true;
      /** How many events were checked (the whole log). */
      count: number;
      /** The chain hash (hex) of the last event: what a checkpoint pins. */
      headHash: string;
    }
  | {
      /** `false`: the chain is broken at `brokenAt`. */
      ok: false;
      /** How many events verified before the break. */
      count: number;
      /** The `seq` of the first event that does not verify. */
      brokenAt: number;
      /** What is wrong there. */
      reason: AuditBreakReason;
    };

/**
 * Why the chain is broken at `brokenAt`. `digest_mismatch` also covers a row whose digest is not
 * keyed with this store's audit key (a forged row, or a 0.1 row on a store whose keyed marker is
 * missing or forged); `malformed_event` a row that is not an audit event at all.
 */
export type AuditBreakReason =
  | 'seq_gap'
  | 'prev_hash_mismatch'
  | 'digest_mismatch'
  | 'hash_mismatch'
  | 'malformed_event'
  /** The log no longer reaches the seq of the checkpoint given to `verify({ checkpoint })`. */
  | 'truncated'
  /** The row at the checkpoint's seq no longer has the checkpoint's hash. */
  | 'checkpoint_mismatch';

/**
 * A signed head of the audit chain (`km.audit.checkpoint()`), to keep outside the store: then
 * `km.audit.verify({ checkpoint })` reports a log cut or rewritten below it.
 */
export interface AuditCheckpoint {
  /** The seq of the last event (0 for an empty log). */
  seq: number;
  /** Its chain hash (hex). */
  hash: string;
  /** When the checkpoint was taken (ms). */
  at: number;
  /** base64url HMAC-SHA256 under a key derived from the pepper over { storeId, seq, hash, at }. */
  signature: string;
}

export type { AuditExportOptions };

/** `km.audit`: read, verify and export the hash-chained audit log. */
export interface AuditView {
  /** Events in ascending `seq`; each also answers `recordId` (an alias of its stored `keyId`). */
  list(query?: AuditListQuery): Promise<
    Page<
      AuditEvent & {
        /** The id of the record the event is about (its stored `keyId`), or null for store-wide events. */
        readonly recordId: string | null;
      }
    >
  >;
  /**
   * Every audit event matching the query, in ascending `seq`, one page at a time (the filters of `list`; a `cursor` resumes; `signal` stops the
   * walk, rejecting with `signal.reason`).
   *
   * @example
   * ```ts
   * for await (const e of km.audit.iterate({ type: 'secret.read', signal: AbortSignal.timeout(10_000) })) console.log(e.seq);
   * ```
   * @throws KeywardenError `ERR_VALIDATION` naming the query field (on the first `next()`),
   *   `ERR_STORAGE`, `ERR_CLOSED`; `signal.reason` once aborted.
   */
  iterate(query?: IterateQuery<AuditListQuery>): AsyncIterableIterator<
    AuditEvent & {
      /** The id of the record the event is about (its stored `keyId`), or null for store-wide events. */
      readonly recordId: string | null;
    }
  >;
  /**
   * Verifies the whole chain; with `{ checkpoint }` also that it still reaches the checkpoint's seq
   * with its hash (`reason: 'truncated' | 'checkpoint_mismatch'`).
   * @throws KeywardenError `ERR_INTEGRITY` when the checkpoint's signature fails, `ERR_VALIDATION`.
   */
  verify(options?: { checkpoint?: AuditCheckpoint }): Promise<AuditVerifyResult>;
  /**
   * Verifies the chain and returns its signed head, to keep outside the store.
   * @throws KeywardenError `ERR_AUDIT_CHAIN` when the chain does not verify.
   */
  checkpoint(): Promise<AuditCheckpoint>;
  /** Streams the log as CSV or JSON Lines chunks, page by page (constant memory); see docs/observability.md. */
  export(options: AuditExportOptions): AsyncIterable<string>;
}
