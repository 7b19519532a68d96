/**
 * The API-key record: the shape of `record.data`, reading it defensively, and mapping a record
 * to the public {@link ApiKeyInfo} (which never holds the token or its hash).
 * @internal
 * @module
 */
import type { JsonObject, JsonValue } from '../../ports/json.js';
import type { StoredRecord } from '../../ports/storage.js';
import type { ApiKeyInfo, ApiKeyRateLimit, ApiKeyRefill } from '../api-key-types.js';
import { applyRefill } from './credits.js';

/**
 * `record.data` of an API key (documented in docs/api-keys.md).
 * Stored as plain JSON; read with {@link readApiKeyData}.
 */
export interface ApiKeyData {
  prefix: string;
  /** `${prefix}_${id}`. */
  start: string;
  /** May be the record's own (possibly frozen) array: replace it, never mutate it. */
  scopes: string[];
  remaining: number | null;
  refill: ApiKeyRefill | null;
  rateLimit: ApiKeyRateLimit | null;
  revokedAt: number | null;
  revokeReason: string | null;
  /**
   * Latest successful verification of any version (epoch ms), written in batches by the usage
   * tracker (`src/usage`); null until first used. Kept by every rewrite of `data`.
   */
  lastUsedAt: number | null;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/**
 * Reads `record.data`, failing closed on anything malformed: bad scopes become none, a bad credit
 * count becomes 0, a bad rate limit becomes 1 request per minute.
 *
 * @example
 * ```ts
 * const { scopes, remaining } = readApiKeyData(record);
 * ```
 * @throws never
 */
export function readApiKeyData(record: StoredRecord): ApiKeyData {
  const d = record.data;
  const prefix = typeof d['prefix'] === 'string' ? d['prefix'] : '';
  const scopes = Array.isArray(d['scopes']) ? stringsOf(d['scopes']) : [];
  const rawRemaining = d['remaining'];
  const remaining =
    rawRemaining === null || rawRemaining === undefined
      ? null
      : isInt(rawRemaining)
        ? Math.max(0, rawRemaining)
        : 0;
  let refill: ApiKeyRefill | null = null;
  const r = d['refill'];
  if (r && typeof r === 'object' && !Array.isArray(r)) {
    const { amount, every, lastRefillAt } = r as JsonObject;
    if (isInt(amount) && isInt(every) && every > 0 && isInt(lastRefillAt))
      refill = { amount, every, lastRefillAt };
  }
  let rateLimit: ApiKeyRateLimit | null = null;
  const rl = d['rateLimit'];
  if (rl && typeof rl === 'object' && !Array.isArray(rl)) {
    const { limit, window } = rl as JsonObject;
    rateLimit =
      isInt(limit) && limit > 0 && isInt(window) && window > 0
        ? { limit, window }
        : { limit: 1, window: 60_000 };
  }
  return {
    prefix,
    start: `${prefix}_${record.id}`,
    scopes,
    remaining,
    refill,
    rateLimit,
    revokedAt: isInt(d['revokedAt']) ? d['revokedAt'] : null,
    revokeReason: typeof d['revokeReason'] === 'string' ? d['revokeReason'] : null,
    lastUsedAt: isInt(d['lastUsedAt']) ? d['lastUsedAt'] : null,
  };
}

/**
 * A mutable copy of a (possibly frozen) list. An indexed copy: `slice()` and spreading take a slow
 * path on the frozen arrays the memory adapter hands out.
 */
function copyList(list: readonly string[]): string[] {
  const out: string[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) out[i] = list[i] as string;
  return out;
}

/** The strings of `list`: `list` itself when it holds nothing else (read-only: never mutated). */
function stringsOf(list: JsonValue[]): string[] {
  for (let i = 0; i < list.length; i++) {
    if (typeof list[i] !== 'string') return list.filter((s): s is string => typeof s === 'string');
  }
  return list as string[];
}

/**
 * Serializes {@link ApiKeyData} into `record.data`.
 *
 * @example
 * ```ts
 * const next = { ...record, data: writeApiKeyData({ ...readApiKeyData(record), remaining: 9 }) };
 * ```
 * @throws never
 */
export function writeApiKeyData(data: ApiKeyData): JsonObject {
  return {
    prefix: data.prefix,
    start: data.start,
    scopes: copyList(data.scopes),
    remaining: data.remaining,
    refill: data.refill ? { ...data.refill } : null,
    rateLimit: data.rateLimit ? { ...data.rateLimit } : null,
    revokedAt: data.revokedAt,
    revokeReason: data.revokeReason,
    lastUsedAt: data.lastUsedAt,
  };
}

/**
 * The effective status at `now`: an active key past `expiresAt` reports `expired`.
 *
 * @example
 * ```ts
 * effectiveStatus(record, clock.now()); // 'expired' once expiresAt has passed
 * ```
 * @throws never
 */
export function effectiveStatus(record: StoredRecord, now: number): StoredRecord['status'] {
  if (record.status === 'active' && record.expiresAt !== null && record.expiresAt <= now) return 'expired';
  return record.status;
}

/**
 * The number of the current version (the highest one when none is current).
 *
 * @example
 * ```ts
 * currentVersionNumber(record); // 2
 * ```
 * @throws never
 */
export function currentVersionNumber(record: StoredRecord): number {
  let max = 0;
  const versions = record.versions;
  for (let i = 0; i < versions.length; i++) {
    const v = versions[i] as StoredRecord['versions'][number];
    if (v.state === 'current') return v.version;
    if (v.version > max) max = v.version;
  }
  return max;
}

/**
 * Maps a stored record to {@link ApiKeyInfo} as of `now` (refill applied, expiry reflected).
 * Copies arrays and objects, so callers may mutate the result freely.
 *
 * @example
 * ```ts
 * const info = toApiKeyInfo(record, ctx.clock.now());
 * ```
 * @throws never
 */
export function toApiKeyInfo(
  record: StoredRecord,
  now: number,
  data: ApiKeyData = readApiKeyData(record),
): ApiKeyInfo {
  const credits = applyRefill({ remaining: data.remaining, refill: data.refill }, now);
  return {
    id: record.id,
    name: record.name,
    prefix: data.prefix,
    start: data.start,
    ownerId: record.ownerId,
    tenantId: record.tenantId,
    environment: record.environment,
    status: effectiveStatus(record, now),
    scopes: copyList(data.scopes),
    tags: copyList(record.tags),
    meta: cloneJson(record.meta),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    expiresAt: record.expiresAt,
    revokedAt: data.revokedAt,
    revokeReason: data.revokeReason,
    lastUsedAt: data.lastUsedAt,
    remaining: credits.remaining,
    refill: credits.refill ? { ...credits.refill } : null,
    rateLimit: data.rateLimit ? { ...data.rateLimit } : null,
    version: currentVersionNumber(record),
    revision: record.revision,
  };
}

/**
 * Deep copy of a JSON object (records from the store may be frozen and shared).
 *
 * @example
 * ```ts
 * const meta = cloneJson(record.meta); // safe to mutate
 * ```
 * @throws never
 */
export function cloneJson(value: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(value)) out[k] = cloneValue(value[k] ?? null);
  return out;
}

function cloneValue(v: JsonValue): JsonValue {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(cloneValue);
  return cloneJson(v);
}
