/**
 * Projections of key records: public info (no material) and JWKS entries.
 * @internal
 * @module
 */
import type { PublicJwk } from '../../crypto/jwk-types.js';
import type { JsonObject } from '../../ports/json.js';
import type { StoredRecord, StoredVersion } from '../../ports/storage.js';
import type { JwksKey, KeyInfo, KeyVersionInfo } from '../key-types.js';
import { specOf } from './schemas.js';

/**
 * A {@link KeyVersionInfo}.
 * @example
 * ```ts
 * record.versions.map(toKeyVersionInfo);
 * ```
 * @throws never
 */
export function toKeyVersionInfo(v: StoredVersion): KeyVersionInfo {
  return {
    version: v.version,
    state: v.state,
    kid: v.kid ?? '',
    createdAt: v.createdAt,
    activatedAt: v.activatedAt,
    retireAt: v.retireAt,
    retiredAt: v.retiredAt,
  };
}

/**
 * A {@link KeyInfo} of a key record (fresh object, no material).
 * @example
 * ```ts
 * const info = toKeyInfo(record);
 * ```
 * @throws never
 */
export function toKeyInfo(record: StoredRecord): KeyInfo {
  const spec = specOf(record.data);
  const current = record.versions.find((v) => v.state === 'current');
  return {
    id: record.id,
    name: record.name,
    type: spec.type,
    algorithm: spec.alg,
    curve: spec.curve,
    modulusLength: spec.modulusLength,
    environment: record.environment,
    tenantId: record.tenantId,
    status: record.status,
    tags: [...record.tags],
    meta: JSON.parse(JSON.stringify(record.meta)) as JsonObject,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    expiresAt: record.expiresAt,
    version: current ? current.version : null,
    kid: current?.kid ?? null,
    revision: record.revision,
    versions: [...record.versions].sort((a, b) => a.version - b.version).map(toKeyVersionInfo),
  };
}

/**
 * The JWKS entry of a version with a public key: its public JWK with `kid`, `alg`, `use: 'sig'`.
 * @example
 * ```ts
 * const entry = toJwksKey(record, version);
 * ```
 * @throws never (returns null for a version without a public key)
 */
export function toJwksKey(record: StoredRecord, v: StoredVersion): JwksKey | null {
  if (v.publicJwk === null || v.kid === null) return null;
  const spec = specOf(record.data);
  const jwk = JSON.parse(JSON.stringify(v.publicJwk)) as PublicJwk;
  return { ...jwk, kid: v.kid, alg: spec.alg, use: 'sig' };
}
