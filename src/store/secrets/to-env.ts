/**
 * `km.secrets.toEnv`: the current values of every usable secret of an environment, keyed by
 * env var, with one `secret.read` audit event per secret written in one batch before anything is
 * returned (fail closed).
 * @internal
 * @module
 */
import { KeywardenError } from '../../errors.js';
import { parseInput } from '../../internal/validate.js';
import type { ListQuery, StoredRecord, StoredVersion } from '../../ports/storage.js';
import type { AuditDraft, StoreContext } from '../../records/context.js';
import { isUsable, resolveScope } from '../../records/scope.js';
import type { ToEnvOptions } from '../secret-types.js';
import { secretEnvVar } from './info.js';
import { toEnvOptionsSchema } from './schemas.js';
import { openSecretVersion } from './versions.js';

/**
 * Most secrets one `toEnv` call exports.
 *
 * @example
 * ```ts
 * MAX_TO_ENV_SECRETS; // 10_000
 * ```
 */
export const MAX_TO_ENV_SECRETS = 10_000;

/**
 * Exports secrets as an env-style object (see the module comment). Secrets without a tenant are
 * exported unless `tenantId` is given; disabled, expired and version-less secrets are skipped.
 *
 * @example
 * ```ts
 * Object.assign(process.env, await secretsToEnv(ctx, { environment: 'production' }));
 * ```
 * @throws KeywardenError `ERR_VALIDATION`; `ERR_INVALID_STATE` when two secrets map to the same
 *   env var; `ERR_DECRYPT`, `ERR_KMS`, `ERR_AUDIT` (then nothing is returned).
 */
export async function secretsToEnv(
  ctx: StoreContext,
  options: ToEnvOptions | undefined,
): Promise<Record<string, string>> {
  const o = parseInput(toEnvOptionsSchema(), options ?? {}, 'options');
  const { environment, tenantId } = resolveScope(o);
  const state = await ctx.ready();
  const now = ctx.clock.now();
  const chosen: { record: StoredRecord; version: StoredVersion; envVar: string }[] = [];
  const seen = new Map<string, string>();
  let cursor: string | undefined;
  do {
    const query: ListQuery = { kind: 'secret', environment, tenantId, limit: 1000 };
    if (o.tag !== undefined) query.tag = o.tag;
    if (cursor !== undefined) query.cursor = cursor;
    const page = await ctx.storage.list(query);
    for (const record of page.items) {
      if (!isUsable(record, now)) continue;
      const version = record.versions.find((v) => v.state === 'current' && v.sealed !== null);
      if (!version) continue;
      const envVar = secretEnvVar(record);
      const other = seen.get(envVar);
      if (other !== undefined) {
        throw new KeywardenError(
          'ERR_INVALID_STATE',
          `secrets '${other}' and '${record.name}' both map to ${envVar}`,
        );
      }
      seen.set(envVar, record.name);
      chosen.push({ record, version, envVar });
      if (chosen.length > MAX_TO_ENV_SECRETS) {
        throw new KeywardenError('ERR_INVALID_STATE', `toEnv exports at most ${MAX_TO_ENV_SECRETS} secrets`);
      }
    }
    cursor = page.cursor;
  } while (cursor !== undefined);

  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const { record, version, envVar } of chosen) {
    out[envVar] = await openSecretVersion(ctx, state, record, version);
  }
  if (chosen.length > 0) {
    const drafts: AuditDraft[] = chosen.map(({ record, version }) => ({
      type: 'secret.read',
      recordId: record.id,
      kind: 'secret',
      version: version.version,
      tenantId: record.tenantId,
      data: { via: 'toEnv' },
    }));
    await ctx.audit(drafts);
  }
  return { ...out };
}
