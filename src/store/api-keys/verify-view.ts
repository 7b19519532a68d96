/**
 * What `verify` reads of an API-key record, gathered once per frozen record object (the memory
 * adapter's records are deeply frozen, so nothing in them can change while the object lives).
 *
 * Why: with many keys, a verification is bound as much by memory as by the HMAC. Reading the
 * record's versions, data, scopes, tags and meta (and the boxed numbers of its timestamps) touches
 * a dozen objects scattered over the heap and cold in the CPU cache, where the node:crypto floor
 * touches three: in a benchmark over 1,000 keys that was ~1.5 µs per call more than over 4 keys.
 * The view is one object allocated at once, so what verify reads sits together, and lists of
 * scopes that several keys share are one frozen array.
 * @internal
 * @module
 */
import type { JsonObject } from '../../ports/json.js';
import type { RecordStatus, StoredRecord, StoredVersion } from '../../ports/storage.js';
import type { ApiKeyInfo, ApiKeyRateLimit, ApiKeyRefill } from '../api-key-types.js';
import { applyRefill } from './credits.js';
import { type ApiKeyData, cloneJson, currentVersionNumber, readApiKeyData } from './record.js';

/** What verify needs of one record. Read-only: never mutate any part of it. */
export interface VerifyView {
  /** The hash of every version that has one, in the record's order. */
  readonly hashes: readonly string[];
  /** The version number of each hash (same index). */
  readonly versions: readonly number[];
  /**
   * Until when the version of each hash is accepted (same index): accepted while `now` is below
   * it (`Infinity`: current, pending, or previous without a retirement time; `-Infinity`: never).
   */
  readonly acceptedUntil: readonly number[];
  /** The record's API-key data (read-only; frozen when the view is kept). */
  readonly data: Readonly<ApiKeyData>;
  // the key info as stored (every field of ApiKeyInfo; status and credits before `now` applies)
  readonly id: string;
  readonly name: string;
  readonly ownerId: string | null;
  readonly tenantId: string | null;
  readonly environment: string;
  readonly status: RecordStatus;
  /** The granted scopes (read-only; shared by views whose keys grant the same list). */
  readonly scopes: readonly string[];
  readonly tags: readonly string[];
  /** The record's meta, or null when it has no key. */
  readonly meta: JsonObject | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number | null;
  readonly version: number;
  readonly revision: number;
}

/** Views of frozen records, kept per record object (a frozen record cannot change). */
const views = new WeakMap<StoredRecord, VerifyView>();

/**
 * Frozen scope lists by content, so keys granting the same scopes share one list (and its
 * strings) in the CPU cache. Bounded: emptied when full (lists already shared stay shared).
 */
const scopeLists = new Map<string, readonly string[]>();
const SCOPE_LISTS_MAX = 1024;
const NO_STRINGS: readonly string[] = Object.freeze([]);

function sharedScopes(scopes: readonly string[]): readonly string[] {
  if (scopes.length === 0) return NO_STRINGS;
  const key = scopes.join('\n'); // a scope never holds a newline (SCOPE_PATTERN)
  const known = scopeLists.get(key);
  if (known !== undefined) return known;
  if (scopeLists.size >= SCOPE_LISTS_MAX) scopeLists.clear();
  const list = Object.freeze(copyStrings(scopes));
  scopeLists.set(key, list);
  return list;
}

/** An indexed copy (slice and spread take a slow path on frozen arrays). */
function copyStrings(list: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) out.push(list[i] as string);
  return out;
}

/** Until when `v` is accepted (the rule of `versionAccepted` in src/records/record.ts). */
function acceptedUntil(v: StoredVersion): number {
  if (v.state === 'current' || v.state === 'pending') return Number.POSITIVE_INFINITY;
  if (v.state === 'previous') return v.retireAt === null ? Number.POSITIVE_INFINITY : v.retireAt;
  return Number.NEGATIVE_INFINITY;
}

/** Whether every part of `record` the view reads is frozen (the memory adapter freezes records deeply). */
function deeplyFrozen(record: StoredRecord, data: ApiKeyData): boolean {
  if (
    !Object.isFrozen(record) ||
    !Object.isFrozen(record.data) ||
    !Object.isFrozen(record.versions) ||
    !Object.isFrozen(record.tags) ||
    !Object.isFrozen(record.meta) ||
    !Object.isFrozen(data.scopes)
  ) {
    return false;
  }
  const versions = record.versions;
  for (let i = 0; i < versions.length; i++) if (!Object.isFrozen(versions[i])) return false;
  return true;
}

/**
 * The verify view of `record`: kept per record object when the record is deeply frozen (so
 * computed once while the object lives), computed afresh for any other record.
 *
 * @example
 * ```ts
 * const view = verifyViewOf(record);
 * const key = keyInfoOf(view, clock.now()); // what toApiKeyInfo(record, now) gives
 * ```
 * @throws never
 */
export function verifyViewOf(record: StoredRecord): VerifyView {
  const known = views.get(record);
  if (known !== undefined) return known;
  const data = readApiKeyData(record);
  const keep = deeplyFrozen(record, data);
  const hashes: string[] = [];
  const numbers: number[] = [];
  const until: number[] = [];
  const versions = record.versions;
  for (let i = 0; i < versions.length; i++) {
    const v = versions[i] as StoredVersion;
    if (v.hash === null) continue;
    hashes.push(v.hash);
    numbers.push(v.version);
    until.push(acceptedUntil(v));
  }
  if (keep) {
    if (data.refill !== null) Object.freeze(data.refill);
    if (data.rateLimit !== null) Object.freeze(data.rateLimit);
    Object.freeze(data);
  }
  const view: VerifyView = {
    hashes: keep ? Object.freeze(hashes) : hashes,
    versions: keep ? Object.freeze(numbers) : numbers,
    acceptedUntil: keep ? Object.freeze(until) : until,
    data,
    id: record.id,
    name: record.name,
    ownerId: record.ownerId,
    tenantId: record.tenantId,
    environment: record.environment,
    status: record.status,
    scopes: keep ? sharedScopes(data.scopes) : data.scopes,
    tags: keep && record.tags.length === 0 ? NO_STRINGS : record.tags,
    meta: Object.keys(record.meta).length === 0 ? null : record.meta,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    expiresAt: record.expiresAt,
    version: currentVersionNumber(record),
    revision: record.revision,
  };
  if (keep) views.set(record, Object.freeze(view));
  return view;
}

/**
 * The key info of a verification result as of `now`: what `toApiKeyInfo(record, now)` gives (same
 * fields, same order; test/store/api-keys-fast-path.test.ts compares them), every array and object
 * a fresh copy the caller may mutate. Built by its own code, not by toApiKeyInfo: V8 decides per
 * allocation site (each object or array literal) whether to allocate in the old generation, once
 * most objects made there outlive a young-generation collection, and does not go back. `create`,
 * `get` and `list` make key infos their callers keep, so toApiKeyInfo's sites end up
 * old-generation; a verification's short-lived result allocated there made every call pay for a
 * full collection (a third of its CPU in the benchmark).
 *
 * @example
 * ```ts
 * const key = keyInfoOf(verifyViewOf(record), clock.now());
 * ```
 * @throws never
 */
export function keyInfoOf(view: VerifyView, now: number): ApiKeyInfo {
  const data = view.data;
  let remaining = data.remaining;
  let refill: ApiKeyRefill | null = data.refill;
  if (remaining !== null && refill !== null)
    ({ remaining, refill } = applyRefill({ remaining, refill }, now));
  const rateLimit: ApiKeyRateLimit | null = data.rateLimit;
  const status =
    view.status === 'active' && view.expiresAt !== null && view.expiresAt <= now ? 'expired' : view.status;
  const tags = view.tags;
  return {
    id: view.id,
    name: view.name,
    prefix: data.prefix,
    start: data.start,
    ownerId: view.ownerId,
    tenantId: view.tenantId,
    environment: view.environment,
    status,
    scopes: copyStrings(view.scopes),
    tags: tags.length === 0 ? [] : copyStrings(tags),
    meta: view.meta === null ? {} : cloneJson(view.meta),
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    expiresAt: view.expiresAt,
    revokedAt: data.revokedAt,
    revokeReason: data.revokeReason,
    lastUsedAt: data.lastUsedAt,
    remaining,
    refill: refill ? { amount: refill.amount, every: refill.every, lastRefillAt: refill.lastRefillAt } : null,
    rateLimit: rateLimit ? { limit: rateLimit.limit, window: rateLimit.window } : null,
    version: view.version,
    revision: view.revision,
  };
}
