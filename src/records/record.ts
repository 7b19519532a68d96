/**
 * Record plumbing shared by the views: typed loads, version builders, and the base of notifier events.
 * @internal
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { KeyEventBase } from '../ports/notifier.js';
import type { RecordKind, StoredRecord, StoredVersion } from '../ports/storage.js';
import type { StoreContext } from './context.js';
import { kindDescriptor } from './kinds.js';

/**
 * Loads a record of `kind` by id.
 * @throws KeywardenError `ERR_NOT_FOUND` when absent or of another kind.
 * @example
 * ```ts
 * const record = await loadRecord(ctx, id, 'api_key');
 * ```
 */
export async function loadRecord(ctx: StoreContext, id: string, kind: RecordKind): Promise<StoredRecord> {
  const record = await ctx.storage.get(id);
  if (!record || record.kind !== kind) {
    throw new KeywardenError('ERR_NOT_FOUND', `${kindDescriptor(kind).label} not found`, { field: 'id' });
  }
  return record;
}

/**
 * Loads a uniquely named record (secret or key).
 * @throws KeywardenError `ERR_NOT_FOUND`.
 * @example
 * ```ts
 * const record = await loadByName(ctx, 'secret', 'OPENAI_API_KEY', 'production', null);
 * ```
 */
export async function loadByName(
  ctx: StoreContext,
  kind: RecordKind,
  name: string,
  environment: string,
  tenantId: string | null,
): Promise<StoredRecord> {
  const record = await ctx.storage.findByName(name, { kind, environment, tenantId });
  if (!record)
    throw new KeywardenError('ERR_NOT_FOUND', `${kindDescriptor(kind).label} not found`, { field: 'name' });
  return record;
}

/**
 * A version with every optional field defaulted.
 *
 * @example
 * ```ts
 * declare const hash: string | null;
 * const v = makeVersion({ version: 1, state: 'current', createdAt: now, hash });
 * ```
 * @throws never
 */
export function makeVersion(
  fields: Pick<StoredVersion, 'version' | 'state' | 'createdAt'> & Partial<StoredVersion>,
): StoredVersion {
  return {
    activatedAt: fields.state === 'current' ? fields.createdAt : null,
    promoteAt: null,
    retireAt: null,
    retiredAt: null,
    kid: null,
    hash: null,
    sealed: null,
    publicJwk: null,
    destroyedAt: null,
    data: {},
    ...fields,
  };
}

/**
 * The next version number of a record.
 *
 * @example
 * ```ts
 * nextVersionNumber(record); // 1 + the highest version number
 * ```
 * @throws never
 */
export function nextVersionNumber(record: StoredRecord): number {
  let max = 0;
  for (const v of record.versions) if (v.version > max) max = v.version;
  return max + 1;
}

/**
 * The current version, or undefined (e.g. every version retired).
 *
 * @example
 * ```ts
 * const v = currentVersion(record)?.version ?? null;
 * ```
 * @throws never
 */
export function currentVersion(record: StoredRecord): StoredVersion | undefined {
  return record.versions.find((v) => v.state === 'current');
}

/**
 * Versions that are accepted at `now`: current, pending, and previous ones whose `retireAt`
 * has not passed (a previous with `retireAt: null` is accepted until retired).
 * @example
 * ```ts
 * const live = acceptedVersions(record, clock.now()); // what verify still accepts
 * ```
 * @throws never
 */
export function acceptedVersions(record: StoredRecord, now: number): StoredVersion[] {
  return record.versions.filter((v) => versionAccepted(v, now));
}

/**
 * Whether one version is accepted at `now` (the rule of {@link acceptedVersions}, without building
 * the list: for the verify hot path).
 * @example
 * ```ts
 * const accepted = record.versions.filter((v) => versionAccepted(v, clock.now()));
 * ```
 * @throws never
 */
export function versionAccepted(v: StoredVersion, now: number): boolean {
  return (
    v.state === 'current' ||
    v.state === 'pending' ||
    (v.state === 'previous' && (v.retireAt === null || v.retireAt > now))
  );
}

/**
 * The fields every notifier event shares.
 *
 * @example
 * ```ts
 * ctx.notify({ ...eventBase(record, now, 2), type: 'key.rotated', previousVersion: 1, strategy: 'immediate' });
 * ```
 * @throws never
 */
export function eventBase(record: StoredRecord, at: number, version?: number): KeyEventBase {
  const base: KeyEventBase = {
    at,
    recordId: record.id,
    keyId: record.id,
    kind: record.kind,
    name: record.name,
    tenantId: record.tenantId,
    environment: record.environment,
  };
  if (version !== undefined) base.version = version;
  return base;
}
