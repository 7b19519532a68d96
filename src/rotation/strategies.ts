/**
 * Version state transitions per strategy: pure functions over a record's versions. Nothing here
 * reads the clock or storage; callers pass `now` and write the result with one CAS update.
 *
 * States move pending → current → previous → retired (AWS labels). A `previous` version is
 * accepted until its `retireAt` (null: until retired explicitly, as in blue-green).
 * @internal
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { StoredVersion } from '../ports/storage.js';
import type { RotationStrategy } from '../records/rotation-types.js';

/** Parameters of a rotation. */
export interface RotationParams {
  strategy: RotationStrategy;
  /** ms the old version stays accepted (overlap, gradual). */
  overlap: number;
  /** ms a gradual version stays pending. */
  promoteAfter: number;
}

const retire = (v: StoredVersion, at: number): StoredVersion =>
  v.state === 'retired' ? v : { ...v, state: 'retired', retiredAt: at, promoteAt: null };

const slotOf = (v: StoredVersion): 'blue' | 'green' | null =>
  v.data['slot'] === 'blue' || v.data['slot'] === 'green' ? v.data['slot'] : null;

/**
 * Applies a rotation: `added` is the new version's number, already present in `versions` as
 * `pending` (fresh material). Returns the new versions and the new version's resulting state.
 *
 * - immediate: new → current; the old current, any previous and any other pending → retired now.
 * - overlap: new → current; old current → previous until `now + overlap`; older previous → retired.
 * - gradual: new stays pending until `now + promoteAfter` (its `data.overlap` records the overlap
 *   to apply at promotion); nothing else changes yet.
 * - blue-green: new (in the idle slot) → current; old current → previous with no end (still live);
 *   the version that held the idle slot and any other previous → retired.
 *
 * @example
 * ```ts
 * declare const overlap: number;
 * declare const promoteAfter: number;
 * const { versions } = rotateVersions(record.versions, 4, { strategy: 'overlap', overlap, promoteAfter }, now);
 * ```
 * @throws KeywardenError `ERR_INVALID_STATE` when `added` is not a pending version of `versions`.
 */
export function rotateVersions(
  versions: readonly StoredVersion[],
  added: number,
  params: RotationParams,
  now: number,
): { versions: StoredVersion[]; state: 'current' | 'pending'; previousVersion: number | null } {
  const fresh = versions.find((v) => v.version === added);
  if (fresh?.state !== 'pending') {
    throw new KeywardenError('ERR_INVALID_STATE', `version ${added} is not pending`);
  }
  const current = versions.find((v) => v.state === 'current') ?? null;
  const previousVersion = current ? current.version : null;
  const { strategy } = params;

  if (strategy === 'gradual') {
    const out = versions.map((v) => {
      // the overlap that applies at promotion travels with the version (a manual override wins)
      if (v.version === added)
        return { ...v, promoteAt: now + params.promoteAfter, data: { ...v.data, overlap: params.overlap } };
      if (v.state === 'pending') return retire(v, now);
      return v;
    });
    return { versions: out, state: 'pending', previousVersion };
  }

  const currentSlot = current ? (slotOf(current) ?? 'blue') : 'blue';
  const idleSlot = currentSlot === 'blue' ? 'green' : 'blue';
  const out = versions.map((v): StoredVersion => {
    if (v.version === added) {
      const data = strategy === 'blue-green' ? { ...v.data, slot: idleSlot } : v.data;
      return { ...v, state: 'current', activatedAt: now, promoteAt: null, retireAt: null, data };
    }
    if (v === current) {
      if (strategy === 'immediate') return retire(v, now);
      if (strategy === 'blue-green') {
        return { ...v, state: 'previous', retireAt: null, data: { ...v.data, slot: currentSlot } };
      }
      return { ...v, state: 'previous', retireAt: now + params.overlap };
    }
    if (v.state === 'previous' || v.state === 'pending') return retire(v, now);
    return v;
  });
  return { versions: out, state: 'current', previousVersion };
}

/**
 * Promotes pending version `version` (gradual): pending → current; the old current → previous
 * until `promoteAt + overlap`; older previous versions → retired.
 *
 * @example
 * ```ts
 * declare const overlap: number;
 * const versions = promoteVersion(record.versions, 3, overlap, now);
 * ```
 * @throws KeywardenError `ERR_INVALID_STATE` when `version` is not pending.
 */
export function promoteVersion(
  versions: readonly StoredVersion[],
  version: number,
  overlap: number,
  now: number,
): StoredVersion[] {
  const pending = versions.find((v) => v.version === version);
  if (pending?.state !== 'pending') {
    throw new KeywardenError('ERR_INVALID_STATE', `version ${version} is not pending`);
  }
  const base = pending.promoteAt ?? now;
  return versions.map((v): StoredVersion => {
    if (v === pending) return { ...v, state: 'current', activatedAt: now, promoteAt: null, retireAt: null };
    if (v.state === 'current') return { ...v, state: 'previous', retireAt: base + overlap };
    if (v.state === 'previous') return retire(v, now);
    return v;
  });
}

/**
 * Retires every previous version whose `retireAt` has passed (its `retiredAt` is the `retireAt`),
 * and those `idleAt(v)` says may retire now.
 *
 * @example
 * ```ts
 * const versions = retireDue(record.versions, now);
 * ```
 * @throws never
 */
export function retireDue(
  versions: readonly StoredVersion[],
  now: number,
  idleAt: (v: StoredVersion) => number | null = () => null,
): StoredVersion[] {
  return versions.map((v) => {
    if (v.state !== 'previous') return v;
    if (v.retireAt !== null && v.retireAt <= now) return retire(v, v.retireAt);
    const idle = idleAt(v);
    if (idle !== null && idle <= now) return retire(v, now);
    return v;
  });
}

/**
 * Rolls back: a pending version (an unfinished gradual rotation) is discarded; otherwise the newest
 * previous version still accepted becomes current and the current one becomes previous — kept live
 * (blue-green), retired now (immediate), or accepted for `overlap` more (overlap, gradual).
 *
 * @example
 * ```ts
 * declare const overlap: number;
 * const { versions, version, fromVersion } = rollbackVersions(record.versions, 'overlap', overlap, now);
 * ```
 * @throws KeywardenError `ERR_INVALID_STATE` when there is nothing to roll back to.
 */
export function rollbackVersions(
  versions: readonly StoredVersion[],
  strategy: RotationStrategy,
  overlap: number,
  now: number,
): { versions: StoredVersion[]; version: number; fromVersion: number } {
  const current = versions.find((v) => v.state === 'current');
  const pending = versions.filter((v) => v.state === 'pending').sort((a, b) => b.version - a.version)[0];
  if (pending && current) {
    return {
      versions: versions.map((v) => (v === pending ? retire(v, now) : v)),
      version: current.version,
      fromVersion: pending.version,
    };
  }
  const target = versions
    .filter(
      (v) => v.state === 'previous' && (v.retireAt === null || v.retireAt > now) && v.destroyedAt === null,
    )
    .sort((a, b) => b.version - a.version)[0];
  if (!target || !current) {
    throw new KeywardenError('ERR_INVALID_STATE', 'there is no live previous version to roll back to');
  }
  const out = versions.map((v): StoredVersion => {
    if (v === target) return { ...v, state: 'current', activatedAt: now, retireAt: null, promoteAt: null };
    if (v === current) {
      if (strategy === 'immediate') return retire(v, now);
      return { ...v, state: 'previous', retireAt: strategy === 'blue-green' ? null : now + overlap };
    }
    return v;
  });
  return { versions: out, version: target.version, fromVersion: current.version };
}

/**
 * What changed between two version lists: versions newly retired and newly promoted to current
 * from pending.
 *
 * @example
 * ```ts
 * declare const before: StoredRecord;
 * declare const after: StoredRecord;
 * const { retired, promoted } = diffVersions(before.versions, after.versions);
 * ```
 * @throws never
 */
export function diffVersions(
  before: readonly StoredVersion[],
  after: readonly StoredVersion[],
): { retired: number[]; promoted: number[] } {
  const old = new Map(before.map((v) => [v.version, v.state]));
  const retired: number[] = [];
  const promoted: number[] = [];
  for (const v of after) {
    const was = old.get(v.version);
    if (v.state === 'retired' && was !== undefined && was !== 'retired') retired.push(v.version);
    if (v.state === 'current' && was === 'pending') promoted.push(v.version);
  }
  return { retired, promoted };
}

/** Retired versions that keep their material (the newest ones). */
export const VERSIONS_KEPT = 10;
/** Most version entries a record keeps; the oldest destroyed retired entries beyond it are dropped. */
export const MAX_VERSION_ENTRIES = 100;

/**
 * Retention for API keys and keys (secrets apply their own on append): the material of retired
 * versions older than the {@link VERSIONS_KEPT} newest versions is destroyed (`hash` and `sealed`
 * null, `destroyedAt` set; a retired version is never accepted again, so nothing needs it), and the
 * oldest destroyed retired entries beyond {@link MAX_VERSION_ENTRIES} are dropped.
 *
 * @example
 * ```ts
 * const versions = pruneVersions(record.versions, now);
 * ```
 * @throws never
 */
export function pruneVersions(versions: readonly StoredVersion[], now: number): StoredVersion[] {
  const newest = new Set(
    [...versions]
      .sort((a, b) => b.version - a.version)
      .slice(0, VERSIONS_KEPT)
      .map((v) => v.version),
  );
  let out = versions.map((v) =>
    v.state !== 'retired' || newest.has(v.version) || (v.hash === null && v.sealed === null)
      ? v
      : { ...v, hash: null, sealed: null, destroyedAt: v.destroyedAt ?? now },
  );
  let excess = out.length - MAX_VERSION_ENTRIES;
  if (excess > 0) {
    out = out.filter((v) => {
      if (excess > 0 && v.state === 'retired' && v.hash === null && v.sealed === null) {
        excess--;
        return false;
      }
      return true;
    });
  }
  return out;
}
