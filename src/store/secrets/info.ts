/**
 * Projections of secret records into public info objects (never holding a value).
 * @internal
 * @module
 */
import type { JsonObject } from '../../ports/json.js';
import type { StoredRecord, StoredVersion } from '../../ports/storage.js';
import type { SecretInfo, SecretVersionInfo } from '../secret-types.js';
import { defaultEnvVar } from './schemas.js';

/**
 * The env var a secret is exported as.
 * @example
 * ```ts
 * secretEnvVar(record); // 'OPENAI_API_KEY'
 * ```
 * @throws never
 */
export function secretEnvVar(record: StoredRecord): string {
  const v = record.data['envVar'];
  return typeof v === 'string' ? v : defaultEnvVar(record.name);
}

function copyJson(o: JsonObject): JsonObject {
  return JSON.parse(JSON.stringify(o)) as JsonObject;
}

/**
 * A {@link SecretInfo} of a secret record (a fresh, mutable object).
 * @example
 * ```ts
 * const info = toSecretInfo(record);
 * ```
 * @throws never
 */
export function toSecretInfo(record: StoredRecord): SecretInfo {
  const current = record.versions.find((v) => v.state === 'current');
  const description = record.data['description'];
  return {
    id: record.id,
    name: record.name,
    environment: record.environment,
    tenantId: record.tenantId,
    status: record.status,
    provider: record.provider,
    envVar: secretEnvVar(record),
    description: typeof description === 'string' ? description : null,
    tags: [...record.tags],
    meta: copyJson(record.meta),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    expiresAt: record.expiresAt,
    version: current ? current.version : null,
    versionCount: record.versions.length,
    revision: record.revision,
  };
}

/**
 * A {@link SecretVersionInfo} of a stored version.
 * @example
 * ```ts
 * record.versions.map(toSecretVersionInfo);
 * ```
 * @throws never
 */
export function toSecretVersionInfo(v: StoredVersion): SecretVersionInfo {
  return {
    version: v.version,
    state: v.state,
    createdAt: v.createdAt,
    activatedAt: v.activatedAt,
    retiredAt: v.retiredAt,
    hasValue: v.sealed !== null,
    destroyedAt: v.destroyedAt,
  };
}
