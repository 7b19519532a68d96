/**
 * Shared helpers of the secrets view: scope defaults and readability checks.
 * @internal
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { StoredRecord } from '../ports/storage.js';

/**
 * The environment a secret or key lives in when none is given.
 *
 * @example
 * ```ts
 * DEFAULT_ENVIRONMENT; // 'default'
 * ```
 */
export const DEFAULT_ENVIRONMENT = 'default';

/**
 * Applies scope defaults: environment `'default'`, no tenant.
 * @example
 * ```ts
 * const { environment, tenantId } = resolveScope({ environment: 'production' }); // tenantId: null
 * ```
 * @throws never
 */
export function resolveScope(o: { environment?: string | undefined; tenantId?: string | null | undefined }): {
  environment: string;
  tenantId: string | null;
} {
  return { environment: o.environment ?? DEFAULT_ENVIRONMENT, tenantId: o.tenantId ?? null };
}

/**
 * True when the record is active and not past `expiresAt`.
 * @example
 * ```ts
 * if (!isUsable(record, clock.now())) console.log('disabled, revoked or expired');
 * ```
 * @throws never
 */
export function isUsable(record: StoredRecord, now: number): boolean {
  return record.status === 'active' && (record.expiresAt === null || record.expiresAt > now);
}

/**
 * Throws unless the record can be read or used now.
 * @example
 * ```ts
 * assertUsable(record, clock.now(), 'secret');
 * ```
 * @throws KeywardenError `ERR_INVALID_STATE` when it is disabled, revoked, or expired.
 */
export function assertUsable(record: StoredRecord, now: number, label: string): void {
  if (record.status !== 'active') {
    throw new KeywardenError('ERR_INVALID_STATE', `${label} is ${record.status}`);
  }
  if (record.expiresAt !== null && record.expiresAt <= now) {
    throw new KeywardenError('ERR_INVALID_STATE', `${label} has expired`);
  }
}
