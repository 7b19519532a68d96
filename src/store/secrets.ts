/**
 * `km.secrets`: third-party credentials you hold, sealed with envelope encryption, versioned,
 * retrievable, audited. See docs/secrets-and-keys.md for the version and retention rules.
 * @module
 */
import { isKeywardenError, KeywardenError, validationError } from '../errors.js';
import { zeroize } from '../internal/bytes.js';
import { MAX_CAS_ATTEMPTS } from '../internal/cas-retry.js';
import { iteratePages } from '../internal/iterate.js';
import { parseInput } from '../internal/validate.js';
import type { StoredRecord } from '../ports/storage.js';
import type { AuditDraft, StoreContext, StoreState } from '../records/context.js';
import { computeDueAt } from '../records/due.js';
import { deleteNamed, listNamed, loadNamed, newNamedRecord } from '../records/named.js';
import {
  applyInitialPolicy,
  normalizePolicy,
  policySetDraft,
  readPolicy,
  withPolicy,
} from '../records/policy.js';
import { currentVersion, eventBase } from '../records/record.js';
import { assertUsable, resolveScope } from '../records/scope.js';
import { createRecords, mutateRecord } from '../records/write.js';
import type {
  DeleteSecretOptions,
  GetSecretOptions,
  ListSecretsOptions,
  SecretInfo,
  SecretList,
  SecretScope,
  SecretsView,
  SecretVersionInfo,
  SetSecretOptions,
} from './secret-types.js';
import { toSecretInfo, toSecretVersionInfo } from './secrets/info.js';
import { rollbackSecret } from './secrets/rollback.js';
import {
  encodeSecretValue,
  getOptionsSchema,
  listOptionsSchema,
  secretNameSchema,
  setOptionsSchema,
} from './secrets/schemas.js';
import { secretsToEnv } from './secrets/to-env.js';
import {
  appendSecretVersion,
  openSecretVersion,
  openSecretVersionCached,
  readableVersion,
} from './secrets/versions.js';

export type * from './secret-types.js';
export { type AppendSecretVersionOptions, appendSecretVersion } from './secrets/versions.js';

type SetOptions = ReturnType<ReturnType<typeof setOptionsSchema>['parse']>;

/** Applies the metadata given to `set` onto a record (omitted fields keep their value). */
function patchRecord(record: StoredRecord, o: SetOptions, now: number): StoredRecord {
  const data = { ...record.data };
  if (o.envVar !== undefined) data['envVar'] = o.envVar;
  if (o.description !== undefined) data['description'] = o.description;
  const expiresAt = o.expiresAt === undefined ? record.expiresAt : o.expiresAt;
  const reactivate = record.status === 'expired' && (expiresAt === null || expiresAt > now);
  return {
    ...record,
    data,
    provider: o.provider === undefined ? record.provider : o.provider,
    tags: o.tags === undefined ? record.tags : [...o.tags],
    meta: o.meta === undefined ? record.meta : o.meta,
    expiresAt,
    status: reactivate ? 'active' : record.status,
  };
}

/**
 * Applies `set`'s `rotation` option to an existing secret: absent leaves the policy, `null` clears
 * it (refused while a provider rotation is in progress, as `setPolicy`), an object replaces it
 * (the schedule re-anchored now, the bookkeeping kept).
 */
function patchPolicy(record: StoredRecord, o: SetOptions, now: number): StoredRecord {
  if (o.rotation === undefined) return record;
  const previous = readPolicy(record);
  if (o.rotation === null) {
    if (previous === null) return record;
    if (previous.run) throw new KeywardenError('ERR_INVALID_STATE', 'a provider rotation is in progress');
    return withPolicy(record, null);
  }
  return withPolicy(record, normalizePolicy(o.rotation, now, previous));
}

/** How long the demoted current version stays readable: the policy's overlap, or no end without one. */
function overlapOf(record: StoredRecord): number | null {
  return readPolicy(record)?.overlap ?? null;
}

/** The audit events of a `set` that turned `before` (null: created) into `record`. */
function setDrafts(record: StoredRecord, before: StoredRecord | null, o: SetOptions): AuditDraft[] {
  const version = currentVersion(record)?.version ?? null;
  // `rotation` given: audited as rotation.policy_set (a clear only when there was a policy)
  const cleared = o.rotation === null && before !== null && before.rotation !== null;
  const policyDraft =
    (o.rotation !== undefined && o.rotation !== null) || cleared
      ? policySetDraft(record, null, cleared)
      : null;
  const setDraft: AuditDraft = {
    type: 'secret.set',
    recordId: record.id,
    kind: 'secret',
    version,
    tenantId: record.tenantId,
    data: { created: before === null },
  };
  return policyDraft ? [setDraft, policyDraft] : [setDraft];
}

/** Appends a version to the secret `name`, or creates it; audited (undone if the audit fails). */
async function createOrAppend(
  ctx: StoreContext,
  state: StoreState,
  name: string,
  o: SetOptions,
  bytes: Uint8Array,
): Promise<{ record: StoredRecord; created: boolean }> {
  const { environment, tenantId } = resolveScope(o);
  for (let attempt = 1; ; attempt++) {
    try {
      const existing = await ctx.storage.findByName(name, { kind: 'secret', environment, tenantId });
      if (existing === null && o.expectedRevision !== undefined) {
        // a conditional set on a secret that is gone (or never was): the precondition failed
        throw new KeywardenError('ERR_CONFLICT', 'the secret does not exist (expectedRevision given)', {
          field: 'expectedRevision',
        });
      }
      if (existing) {
        const { record } = await mutateRecord(
          ctx,
          existing.id,
          'secret',
          async (cur) => {
            const now = ctx.clock.now();
            const patched = patchPolicy(patchRecord(cur, o, now), o, now);
            const next = await appendSecretVersion(ctx, state, patched, bytes, {
              now,
              overlap: overlapOf(patched),
            });
            return { next, result: null };
          },
          {
            record: existing,
            audit: ({ before, after }) => setDrafts(after, before, o),
            expectedRevision: o.expectedRevision,
          },
        );
        return { record, created: false };
      }
      const now = ctx.clock.now();
      const base = newNamedRecord(
        {
          id: ctx.newId(),
          kind: 'secret',
          name,
          tenantId,
          environment,
          data: { envVar: null, description: null },
        },
        now,
      );
      const withRotation = applyInitialPolicy(patchRecord(base, o, now), o.rotation, now);
      const record = await appendSecretVersion(ctx, state, withRotation, bytes, { now });
      record.dueAt = computeDueAt(record);
      await createRecords(ctx, [record], { audit: setDrafts(record, null, o) });
      return { record, created: true };
    } catch (error) {
      // a concurrent create (name clash) or delete: look again (a conditional set fails instead)
      const raced =
        o.expectedRevision === undefined &&
        (isKeywardenError(error, 'ERR_ALREADY_EXISTS') || isKeywardenError(error, 'ERR_NOT_FOUND'));
      if (!raced || attempt >= MAX_CAS_ATTEMPTS) throw error;
    }
  }
}

/** Parsed options of `get`. */
type GetOptions = ReturnType<ReturnType<typeof getOptionsSchema>['parse']>;

/**
 * Builds `km.secrets` over a store context. The manager calls it; you use `km.secrets`.
 *
 * @example
 * ```ts
 * await km.secrets.set('OPENAI_API_KEY', 'sk-...', { environment: 'production' });
 * const value = await km.secrets.get('OPENAI_API_KEY', { environment: 'production' });
 * const env = await km.secrets.toEnv({ environment: 'production' }); // { OPENAI_API_KEY: 'sk-...' }
 * ```
 * @throws never itself; its methods throw `ERR_VALIDATION` (naming the field) for bad input and
 *   write nothing, `ERR_NOT_FOUND`, `ERR_INVALID_STATE`, `ERR_DECRYPT`, `ERR_KMS`, `ERR_AUDIT`, `ERR_STORAGE`.
 */
export function createSecretsView(ctx: StoreContext): SecretsView {
  /** Names that passed the name schema (a pure check of the string), so a repeat read skips it. */
  const goodNames = new Set<string>();
  /** The parse of absent options (`{}`), made once. */
  let noOptions: GetOptions | undefined;

  /** Opens and audits one secret version (fail closed: no value without its `secret.read` row). */
  const readSecret = async (n: string, o: GetOptions): Promise<string> => {
    const { environment, tenantId } = resolveScope(o);
    // as loadNamedRecord, without its promise hops when the store is open
    const state = ctx.stateNow?.() ?? (await ctx.ready());
    const record = await ctx.storage.findByName(n, { kind: 'secret', environment, tenantId });
    if (record === null) throw new KeywardenError('ERR_NOT_FOUND', 'secret not found', { field: 'name' });
    const now = ctx.clock.now();
    const cache = ctx.openedDataKeys;
    try {
      assertUsable(record, now, 'secret');
    } catch (error) {
      cache?.drop(record.id); // expired or disabled: its data keys are not needed any more
      throw error;
    }
    const v = readableVersion(record, o.version, now);
    // the data key may come from the cache (same wrapped key, version and labels); the value is
    // always opened from this record's current ciphertext
    const dataKeys = cache && { cache, now };
    const value =
      (dataKeys && openSecretVersionCached(state, record, v, dataKeys)) ??
      (await openSecretVersion(ctx, state, record, v, dataKeys));
    // fail closed: if the audit write fails, the value is not returned
    await ctx.audit({
      type: 'secret.read',
      recordId: record.id,
      kind: 'secret',
      version: v.version,
      tenantId: record.tenantId,
      actor: o.actor ?? null,
    });
    return value;
  };

  const view: SecretsView = {
    async set(name: string, value: string | Uint8Array, options?: SetSecretOptions): Promise<SecretInfo> {
      const n = parseInput(secretNameSchema, name, 'name');
      const o = parseInput(setOptionsSchema(), options ?? {}, 'options');
      if (o.expiresAt != null && o.expiresAt <= ctx.clock.now()) {
        throw validationError('options.expiresAt', 'must be in the future');
      }
      const bytes = encodeSecretValue(value);
      try {
        const state = await ctx.ready();
        const { record, created } = await createOrAppend(ctx, state, n, o, bytes);
        const version = currentVersion(record)?.version;
        if (created) ctx.notify({ ...eventBase(record, record.updatedAt, version), type: 'key.created' });
        return toSecretInfo(record);
      } finally {
        zeroize(bytes);
      }
    },

    async get(name: string, options?: GetSecretOptions): Promise<string> {
      let n: string;
      if (typeof name === 'string' && goodNames.has(name)) n = name;
      else {
        n = parseInput(secretNameSchema, name, 'name');
        if (goodNames.size >= 1000) goodNames.clear();
        goodNames.add(n);
      }
      let o: GetOptions;
      if (options !== undefined) o = parseInput(getOptionsSchema(), options, 'options');
      else {
        noOptions ??= parseInput(getOptionsSchema(), {}, 'options');
        o = noOptions;
      }
      const t = ctx.telemetry;
      if (t === undefined || !t.enabled) return readSecret(n, o);
      const start = t.now();
      try {
        const value = await readSecret(n, o);
        t.secretRead('ok', 'secrets', t.now() - start);
        return value;
      } catch (error) {
        t.secretRead('error', 'secrets', t.now() - start);
        throw error;
      }
    },
    async info(name: string, options?: SecretScope): Promise<SecretInfo> {
      return toSecretInfo(await loadNamed(ctx, 'secret', name, options));
    },

    async list(options?: ListSecretsOptions): Promise<SecretList> {
      const o = parseInput(listOptionsSchema(), options ?? {}, 'options');
      return listNamed(ctx, 'secret', o, toSecretInfo);
    },

    iterate: (options) => iteratePages((o) => view.list(o), options, 'options'),

    async versions(name: string, options?: SecretScope): Promise<SecretVersionInfo[]> {
      const record = await loadNamed(ctx, 'secret', name, options);
      return [...record.versions].sort((a, b) => a.version - b.version).map(toSecretVersionInfo);
    },

    rollback: (name, options) => rollbackSecret(ctx, name, options),

    delete: (name: string, options?: DeleteSecretOptions): Promise<boolean> =>
      deleteNamed(ctx, 'secret', name, options, 'secret.deleted'),

    toEnv: (options) => secretsToEnv(ctx, options),
  };
  return view;
}
