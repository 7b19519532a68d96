/**
 * `km.secrets.rollback`: moves the `current` label back (AWS style), no new version is written.
 *
 * - Without `to`: the `previous` version becomes current, the current one becomes previous.
 * - With `to: n`: version n (which must still hold its value) becomes current, the current one
 *   becomes previous, and any other previous version is retired.
 * @internal
 * @module
 */
import { KeywardenError } from '../../errors.js';
import { parseInput } from '../../internal/validate.js';
import type { StoredRecord, StoredVersion } from '../../ports/storage.js';
import type { StoreContext } from '../../records/context.js';
import { loadNamedRecord } from '../../records/named.js';
import { eventBase } from '../../records/record.js';
import { mutateRecord } from '../../records/write.js';
import type { RollbackSecretOptions, SecretRollbackResult } from '../secret-types.js';
import { toSecretInfo } from './info.js';
import { rollbackOptionsSchema, secretNameSchema } from './schemas.js';

function pickTarget(record: StoredRecord, to: number | undefined): StoredVersion {
  if (to === undefined) {
    const prev = record.versions.find((v) => v.state === 'previous');
    if (!prev)
      throw new KeywardenError('ERR_INVALID_STATE', 'secret has no previous version to roll back to');
    return prev;
  }
  const target = record.versions.find((v) => v.version === to);
  if (!target)
    throw new KeywardenError('ERR_NOT_FOUND', `secret has no version ${to}`, { field: 'options.to' });
  if (target.state === 'current') {
    throw new KeywardenError('ERR_INVALID_STATE', `version ${to} is already current`, {
      field: 'options.to',
    });
  }
  if (target.sealed === null) {
    throw new KeywardenError('ERR_INVALID_STATE', `version ${to} was destroyed`, { field: 'options.to' });
  }
  return target;
}

/**
 * Rolls a secret back (see the module comment for the rules). Audited as `secret.rolled_back`.
 *
 * @example
 * ```ts
 * await rollbackSecret(ctx, 'OPENAI_API_KEY', { environment: 'production' });
 * ```
 * @throws KeywardenError `ERR_VALIDATION`, `ERR_NOT_FOUND` (secret or `options.to`),
 *   `ERR_INVALID_STATE` (nothing to roll back to, already current, destroyed), `ERR_CONFLICT`
 *   (`options.expectedRevision` is stale), `ERR_AUDIT`.
 */
export async function rollbackSecret(
  ctx: StoreContext,
  name: unknown,
  options: RollbackSecretOptions | undefined,
): Promise<SecretRollbackResult> {
  const n = parseInput(secretNameSchema, name, 'name');
  const o = parseInput(rollbackOptionsSchema(), options ?? {}, 'options');
  const existing = await loadNamedRecord(ctx, 'secret', n, o);
  const { record, result } = await mutateRecord(
    ctx,
    existing.id,
    'secret',
    (cur) => {
      const now = ctx.clock.now();
      const target = pickTarget(cur, o.to);
      const current = cur.versions.find((v) => v.state === 'current');
      const versions = cur.versions.map((v): StoredVersion => {
        if (v === target) {
          return {
            ...v,
            state: 'current',
            activatedAt: now,
            retireAt: null,
            retiredAt: null,
            promoteAt: null,
          };
        }
        if (v === current) return { ...v, state: 'previous', retireAt: null };
        if (v.state === 'previous') return { ...v, state: 'retired', retiredAt: now, retireAt: null };
        return v;
      });
      const fromVersion = current ? current.version : null;
      return { next: { ...cur, versions }, result: { fromVersion, toVersion: target.version } };
    },
    {
      record: existing,
      expectedRevision: o.expectedRevision,
      audit: ({ after, result }) => ({
        type: 'secret.rolled_back',
        recordId: after.id,
        kind: 'secret',
        version: result.toVersion,
        tenantId: after.tenantId,
        data: result.fromVersion === null ? {} : { fromVersion: result.fromVersion },
      }),
    },
  );
  const { fromVersion, toVersion } = result;
  if (fromVersion !== null) {
    ctx.notify({ ...eventBase(record, record.updatedAt, toVersion), type: 'key.rolled_back', fromVersion });
  }
  return { secret: toSecretInfo(record), version: toVersion, fromVersion };
}
