/**
 * Access's own read of a tool's secret: the same checks and decryption as `km.secrets.get` (the
 * current version of a usable secret, opened under the store's envelope), but WITHOUT the
 * `secret.read` audit event. Only `authorize` uses it, and it writes the read into the call's one
 * audit row (`access.call`, with the secret's name and version) before the value leaves — or, with
 * `auditCalls: false`, a `secret.read` row of its own. Not exported from any public subpath.
 *
 * Every call reads the secret record (one storage read): disabling, deleting, expiring or rotating
 * a secret reaches open sessions on the very next call. Only the decryption is cached
 * (see ./secret-cache.ts), keyed by what was read.
 * @internal
 * @module
 */
import { KeywardenError } from '../errors.js';
import { utf8Decode, zeroize } from '../internal/bytes.js';
import type { StoredRecord, StoredVersion } from '../ports/storage.js';
import { bindingOf, openValue } from '../records/envelope.js';
import { loadNamedRecord } from '../records/named.js';
import { versionAccepted } from '../records/record.js';
import { assertUsable, isUsable } from '../records/scope.js';
import type { AccessContext } from './context.js';
import type { SecretCacheKey } from './secret-cache.js';

/** The secret a call will inject: its record, the version opened, and the value. */
export interface ToolSecret {
  record: StoredRecord;
  version: StoredVersion;
  value: string;
}

/**
 * Reads the record of the tool's secret (or takes the one given, already read and checked by the
 * caller) and opens its current version (from the access object's
 * cache when the same record revision and version were opened less than `secretCacheTtl` ago).
 * Writes no audit event: the caller must, before it hands the value out.
 *
 * @example
 * ```ts
 * const s = await readToolSecret(a, { name: 'STRIPE_KEY', environment: 'production' });
 * await a.ctx.audit({ type: 'secret.read', recordId: s.record.id, kind: 'secret', version: s.version.version });
 * ```
 * @throws KeywardenError `ERR_NOT_FOUND` (the secret is not set, or has no current version),
 *   `ERR_INVALID_STATE` (disabled, expired, the value destroyed), `ERR_DECRYPT`, `ERR_KMS`,
 *   `ERR_STORAGE`, `ERR_CLOSED`.
 */
export function readToolSecret(
  a: AccessContext,
  secret: { name: string; environment: string } | StoredRecord,
): Promise<ToolSecret> {
  const t = a.ctx.telemetry;
  if (t === undefined || !t.enabled) return readUntimed(a, secret);
  const start = t.now();
  return timed(t, start, readUntimed(a, secret));
}

async function timed(
  t: NonNullable<AccessContext['ctx']['telemetry']>,
  start: number,
  read: Promise<ToolSecret>,
): Promise<ToolSecret> {
  try {
    const done = await read;
    t.secretRead('ok', 'access', t.now() - start);
    return done;
  } catch (error) {
    t.secretRead('error', 'access', t.now() - start);
    throw error;
  }
}

/**
 * {@link readToolSecret} without its metrics. Given the secret's record (one this call already
 * read and checked, whose revision it just confirmed), that record is used instead of reading it.
 */
async function readUntimed(
  a: AccessContext,
  secret: { name: string; environment: string } | StoredRecord,
): Promise<ToolSecret> {
  const record =
    'kind' in secret
      ? secret
      : await loadNamedRecord(a.ctx, 'secret', secret.name, {
          environment: secret.environment,
          tenantId: a.options.tenantId,
        });
  const now = a.ctx.clock.now();
  assertUsable(record, now, 'secret');
  const version = currentVersion(record);
  if (version === undefined) {
    throw new KeywardenError('ERR_NOT_FOUND', 'secret has no current version', { field: 'version' });
  }
  if (version.sealed === null || !versionAccepted(version, now)) {
    throw new KeywardenError('ERR_INVALID_STATE', `secret version ${version.version} was destroyed`, {
      field: 'version',
    });
  }
  const key = cacheKeyOf(record, version);
  const cached = a.secretCache.get(key, now);
  if (cached !== undefined) return { record, version, value: cached };
  const state = await a.ctx.ready();
  const bytes = await openValue(a.ctx, state, version.sealed, bindingOf(record, version.version));
  let value: string;
  try {
    value = utf8Decode(bytes);
  } catch {
    throw new KeywardenError('ERR_DECRYPT', 'cannot open sealed value: it is not UTF-8');
  } finally {
    zeroize(bytes);
  }
  a.secretCache.set(key, value, a.ctx.clock.now());
  return { record, version, value };
}

/**
 * The tool's secret without a promise, when {@link readToolSecret} would answer it from the cache:
 * `record` (already checked) is usable now, its current version is accepted and that version's
 * value is in the secret cache. Null otherwise, having done nothing: then call `readToolSecret`,
 * which answers every error. The caller records the read (telemetry, audit).
 *
 * @example
 * ```ts
 * declare const record: StoredRecord; // the tool's secret record, checked by the storage guard
 * const secret = cachedToolSecret(a, record, a.ctx.clock.now()) ?? (await readToolSecret(a, record));
 * ```
 * @throws never
 */
export function cachedToolSecret(a: AccessContext, record: StoredRecord, now: number): ToolSecret | null {
  if (!isUsable(record, now)) return null;
  const version = currentVersion(record);
  if (version === undefined || version.sealed === null || !versionAccepted(version, now)) return null;
  const value = a.secretCache.get(cacheKeyOf(record, version), now);
  return value === undefined ? null : { record, version, value };
}

/** The record's current version (at most one), or undefined. */
function currentVersion(record: StoredRecord): StoredVersion | undefined {
  for (const v of record.versions) if (v.state === 'current') return v;
  return undefined;
}

/** Where the secret cache keeps the value of `version` of `record`. */
function cacheKeyOf(record: StoredRecord, version: StoredVersion): SecretCacheKey {
  return { recordId: record.id, version: version.version, revision: record.revision };
}
