/**
 * Secret versions: appending a sealed version (used by `set` and by the rotator), retention of
 * sealed values, and opening a version.
 *
 * Version rules (AWS labels, Vault retention):
 * - A new `current` version demotes the old current to `previous` and the old previous to `retired`.
 *   A new `pending` version (rotation) changes nothing else.
 * - The sealed values of the {@link SECRET_VERSIONS_KEPT} newest versions are kept; older ones are
 *   destroyed (`sealed: null`, `destroyedAt` set), except a current, pending or previous version,
 *   which is never destroyed. Version metadata stays (at most {@link MAX_VERSION_ENTRIES} entries;
 *   the oldest destroyed entries are dropped beyond that).
 * @internal
 * @module
 */
import { KeywardenError } from '../../errors.js';
import { utf8Decode, zeroize } from '../../internal/bytes.js';
import type { StoredRecord, StoredVersion } from '../../ports/storage.js';
import type { StoreContext, StoreState } from '../../records/context.js';
import {
  bindingOf,
  type DataKeyCache,
  type OpenState,
  openCachedValue,
  openValue,
  sealValue,
} from '../../records/envelope.js';
import { acceptedVersions, makeVersion, nextVersionNumber } from '../../records/record.js';

/**
 * How many versions keep their sealed value (like Vault KV v2's default of 10).
 *
 * @example
 * ```ts
 * SECRET_VERSIONS_KEPT; // 10
 * ```
 */
export const SECRET_VERSIONS_KEPT = 10;
/**
 * Most version entries a record keeps (destroyed ones beyond it are dropped, oldest first).
 *
 * @example
 * ```ts
 * MAX_VERSION_ENTRIES; // 100
 * ```
 */
export const MAX_VERSION_ENTRIES = 100;

/** Options of {@link appendSecretVersion}. */
export interface AppendSecretVersionOptions {
  /** `'current'` (set) or `'pending'` (a rotation that promotes later). Default `'current'`. */
  state?: 'current' | 'pending';
  /** Time of the change; default `ctx.clock.now()`. */
  now?: number;
  /** Version-level bookkeeping (never secrets). */
  data?: StoredVersion['data'];
  /**
   * With `state: 'current'`: how long the demoted current version stays readable as `previous`
   * (its `retireAt` = now + this). `null` or absent: no end (until the next new version retires it).
   */
  overlap?: number | null;
}

/**
 * Builds the record with a new sealed version of `value` appended (it does not write it: call it
 * inside `mutateRecord`'s mutation so a retry re-seals under the right version number).
 * `value` is not modified; the caller zeroes it.
 *
 * @example
 * ```ts
 * await mutateRecord(ctx, record.id, 'secret', async (cur) => ({ next: await appendSecretVersion(ctx, state, cur, bytes), result: null }));
 * ```
 * @throws KeywardenError `ERR_KMS` when the data key cannot be wrapped.
 */
export async function appendSecretVersion(
  ctx: Pick<StoreContext, 'kms' | 'clock'>,
  state: Pick<StoreState, 'storeId'>,
  record: StoredRecord,
  value: Uint8Array,
  options: AppendSecretVersionOptions = {},
): Promise<StoredRecord> {
  const now = options.now ?? ctx.clock.now();
  const newState = options.state ?? 'current';
  const version = nextVersionNumber(record);
  const sealed = await sealValue(ctx, state, value, bindingOf(record, version));
  const added = makeVersion({
    version,
    state: newState,
    createdAt: now,
    sealed,
    data: { ...(options.data ?? {}) },
  });
  const retireAt = options.overlap == null ? null : now + options.overlap;
  const versions = record.versions.map((v) => (newState === 'current' ? demote(v, now, retireAt) : v));
  versions.push(added);
  return { ...record, versions: applyRetention(versions, now) };
}

function demote(v: StoredVersion, now: number, retireAt: number | null): StoredVersion {
  if (v.state === 'current') return { ...v, state: 'previous', retireAt };
  if (v.state === 'previous') return { ...v, state: 'retired', retiredAt: now, retireAt: null };
  return v;
}

/**
 * Destroys sealed values beyond the newest {@link SECRET_VERSIONS_KEPT} (never of a live version)
 * and drops the oldest destroyed entries beyond {@link MAX_VERSION_ENTRIES}.
 *
 * @example
 * ```ts
 * const versions = applyRetention(record.versions, clock.now());
 * ```
 * @throws never
 */
export function applyRetention(versions: StoredVersion[], now: number): StoredVersion[] {
  const byNewest = [...versions].sort((a, b) => b.version - a.version);
  const keep = new Set(byNewest.slice(0, SECRET_VERSIONS_KEPT).map((v) => v.version));
  let out = versions.map((v) =>
    keep.has(v.version) || v.sealed === null || v.state !== 'retired'
      ? v
      : { ...v, sealed: null, destroyedAt: now },
  );
  let excess = out.length - MAX_VERSION_ENTRIES;
  if (excess > 0) {
    out = out.filter((v) => {
      if (excess > 0 && v.sealed === null && v.state === 'retired') {
        excess--;
        return false;
      }
      return true;
    });
  }
  return out;
}

/**
 * Picks the version `get` reads: the current one, or `version`. The rule is the one API keys,
 * JWKS and key verification use ({@link acceptedVersions}): current, pending, and previous before
 * its `retireAt`; a previous version whose overlap ended is refused like a retired one, even
 * before a `runDue` marks it `retired`.
 *
 * @example
 * ```ts
 * const v = readableVersion(record, 3, clock.now());
 * ```
 * @throws KeywardenError `ERR_NOT_FOUND` (field `version`) when it does not exist or none is current;
 *   `ERR_INVALID_STATE` when it is retired (or past its `retireAt`) or its value was destroyed.
 */
export function readableVersion(
  record: StoredRecord,
  version: number | undefined,
  now: number,
): StoredVersion {
  const v =
    version === undefined
      ? record.versions.find((x) => x.state === 'current')
      : record.versions.find((x) => x.version === version);
  if (!v) {
    throw new KeywardenError(
      'ERR_NOT_FOUND',
      version === undefined ? 'secret has no current version' : `secret has no version ${version}`,
      { field: 'version' },
    );
  }
  if (v.sealed === null) {
    throw new KeywardenError('ERR_INVALID_STATE', `secret version ${v.version} was destroyed`, {
      field: 'version',
    });
  }
  if (!acceptedVersions(record, now).includes(v)) {
    throw new KeywardenError('ERR_INVALID_STATE', `secret version ${v.version} is retired`, {
      field: 'version',
    });
  }
  return v;
}

/**
 * {@link openSecretVersion} without waiting, when the version's data key is in `dataKeys` (the
 * value is still opened with AES-GCM and its associated data); `undefined` otherwise (then call
 * {@link openSecretVersion}).
 *
 * @example
 * ```ts
 * declare const dataKeys: DataKeyCache;
 * const value = openSecretVersionCached(state, record, version, dataKeys) ?? (await openSecretVersion(ctx, state, record, version, dataKeys));
 * ```
 * @throws KeywardenError `ERR_DECRYPT` (tampered, moved, not UTF-8).
 */
export function openSecretVersionCached(
  state: Pick<StoreState, 'storeId'>,
  record: StoredRecord,
  version: StoredVersion,
  dataKeys: DataKeyCache,
): string | undefined {
  const bytes = openCachedValue(state, version.sealed, bindingOf(record, version.version), dataKeys);
  return bytes === undefined ? undefined : decodeValue(bytes);
}

/** UTF-8 decode of opened bytes, which are zeroed. */
function decodeValue(bytes: Uint8Array): string {
  try {
    return utf8Decode(bytes);
  } catch {
    throw new KeywardenError('ERR_DECRYPT', 'cannot open sealed value: it is not UTF-8');
  } finally {
    zeroize(bytes);
  }
}

/**
 * Opens a secret version and decodes it as UTF-8; the intermediate bytes are zeroed. With
 * `dataKeys` (secrets.get), the unwrapped data key is kept and reused as {@link openValue} says.
 *
 * @example
 * ```ts
 * const value = await openSecretVersion(ctx, state, record, version);
 * ```
 * @throws KeywardenError `ERR_DECRYPT` (tampered, moved, not UTF-8), `ERR_KMS`.
 */
export async function openSecretVersion(
  ctx: Pick<StoreContext, 'kms'>,
  state: OpenState,
  record: StoredRecord,
  version: StoredVersion,
  dataKeys?: DataKeyCache,
): Promise<string> {
  return decodeValue(
    await openValue(ctx, state, version.sealed, bindingOf(record, version.version), dataKeys),
  );
}
