/**
 * Manual operations: `rotate`, `rollback`, `setPolicy`. Each is one CAS write (a provider rotation:
 * one claim write, then one per step), audited right after the write (reverted on audit failure).
 * @internal
 * @module
 */

import * as z from 'zod/mini';
import { generateId } from '../crypto/ids.js';
import { KeywardenError } from '../errors.js';
import { lazy } from '../internal/lazy.js';
import { parseInput } from '../internal/validate.js';
import type { StoredRecord } from '../ports/storage.js';
import type { StoreContext } from '../records/context.js';
import { kindDescriptor } from '../records/kinds.js';
import {
  DEFAULT_OVERLAP_MS,
  DEFAULT_PROMOTE_AFTER_MS,
  normalizePolicy,
  parsePolicyInput,
  policyInfo,
  policySetDraft,
  readPolicy,
  withPolicy,
} from '../records/policy.js';
import { nextVersionNumber } from '../records/record.js';
import type {
  RotateResult,
  RotationPolicyInfo,
  RotationProvider,
  RotationRollbackResult,
} from '../records/rotation-types.js';
import { nextOccurrence } from '../records/schedule.js';
import { durationSchema, expectedRevisionSchema, idLikeSchema } from '../records/schemas.js';
import { mutateRecord, type RecordChange } from '../records/write.js';
import { PROVIDER_LEASE_MS } from './due-work.js';
import { type ChangeSet, changeDrafts, changeSet, notifyChange } from './events.js';
import { addPendingVersion } from './material.js';
import { usesProvider } from './plan.js';
import { runProvider } from './providers.js';
import { diffVersions, pruneVersions, rollbackVersions, rotateVersions } from './strategies.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** A record id: 12 base62 characters. */
export const idSchema = z.string().check(z.regex(/^[0-9A-Za-z]{12}$/));

const rotateOptionsSchema = lazy(() =>
  z.strictObject({
    strategy: z.optional(z.enum(['immediate', 'overlap', 'gradual', 'blue-green'])),
    overlap: z.optional(durationSchema),
    actor: z.optional(idLikeSchema),
    expectedRevision: z.optional(expectedRevisionSchema),
  }),
);

const policyOptionsSchema = lazy(() =>
  z.strictObject({
    actor: z.optional(idLikeSchema),
    expectedRevision: z.optional(expectedRevisionSchema),
  }),
);

async function load(ctx: StoreContext, id: unknown): Promise<StoredRecord> {
  const rid = parseInput(idSchema, id, 'id');
  await ctx.ready();
  const record = await ctx.storage.get(rid);
  if (!record) throw new KeywardenError('ERR_NOT_FOUND', 'record not found', { field: 'id' });
  return record;
}

/**
 * Attaches a show-once `token` (non-enumerable, hidden from JSON and inspect).
 * @example
 * ```ts
 * const result = withToken({ version: 2 }, token);
 * JSON.stringify(result); // '{"version":2}'
 * ```
 * @throws never
 */
export function withToken<T extends object>(result: T, token: string | undefined): T {
  if (token === undefined) return result;
  Object.defineProperties(result, {
    token: { get: () => token, enumerable: false, configurable: false },
    toJSON: { value: () => ({ ...result }), enumerable: false },
    [INSPECT]: { value: () => ({ ...result, token: '[redacted]' }), enumerable: false },
  });
  return result;
}

/**
 * `rotate(id, options)`: a new version now, moved per strategy (options override the policy).
 *
 * @example
 * ```ts
 * declare const providers: ReadonlyMap<string, RotationProvider>;
 * const { version, token } = await rotateNow(ctx, providers, id, { strategy: 'immediate' }, signal);
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (`id`, `options.strategy`, `options.overlap`), `ERR_NOT_FOUND`,
 *   `ERR_CONFLICT` (`options.expectedRevision` is not the stored revision),
 *   `ERR_INVALID_STATE` (not active, a version is pending, a provider rotation is in progress),
 *   `ERR_ROTATION` (a provider hook failed), `ERR_AUDIT`, `ERR_KMS`, `ERR_STORAGE`.
 */
export async function rotateNow(
  ctx: StoreContext,
  providers: ReadonlyMap<string, RotationProvider>,
  id: unknown,
  options: unknown,
  signal: AbortSignal,
): Promise<RotateResult> {
  const o = parseInput(rotateOptionsSchema(), options ?? {}, 'options');
  const overlapMs = o.overlap;
  const record = await load(ctx, id);
  const state = await ctx.ready();
  const actor = o.actor ?? null;
  interface Rotated {
    change: ChangeSet;
    token?: string | undefined;
    result?: RotateResult;
    owner?: string;
  }
  const { record: written, result: rotated } = await mutateRecord(
    ctx,
    record.id,
    record.kind,
    async (cur): Promise<RecordChange<Rotated>> => {
      if (cur.status !== 'active')
        throw new KeywardenError('ERR_INVALID_STATE', `the record is ${cur.status}`);
      const policy = readPolicy(cur);
      if (policy?.run) throw new KeywardenError('ERR_INVALID_STATE', 'a provider rotation is in progress');
      const pending = cur.versions.find((v) => v.state === 'pending');
      if (pending) {
        throw new KeywardenError(
          'ERR_INVALID_STATE',
          `version ${pending.version} is pending; wait for its promotion or roll it back`,
        );
      }
      const now = ctx.clock.now();
      const strategy = o.strategy ?? policy?.strategy ?? 'overlap';
      const overlap = overlapMs ?? policy?.overlap ?? DEFAULT_OVERLAP_MS;
      const promoteAfter = policy?.promoteAfter ?? DEFAULT_PROMOTE_AFTER_MS;
      if (policy) {
        policy.anchorAt = now;
        policy.nextRotationAt = nextOccurrence(policy, now);
      }
      if (usesProvider(cur)) {
        // a manual-only policy is stored if there was none: it holds the lease of this rotation
        const p = policy ?? normalizePolicy({ strategy }, now, null);
        const owner = generateId(16);
        const version = nextVersionNumber(cur);
        p.run = { owner, version, leaseUntil: now + PROVIDER_LEASE_MS, strategy, overlap };
        p.retryAt = now + PROVIDER_LEASE_MS;
        const next = withPolicy(cur, p);
        const c = changeSet(cur, next, actor);
        c.started = { version, provider: cur.provider ?? '', resumed: false };
        return { next, result: { change: c, owner } };
      }
      const added = await addPendingVersion(ctx, state, cur, now);
      const rv = rotateVersions(
        added.record.versions,
        added.version,
        { strategy, overlap, promoteAfter },
        now,
      );
      if (policy) policy.lastRotatedAt = now;
      const versions = kindDescriptor(cur.kind).keepsRetiredVersions
        ? rv.versions
        : pruneVersions(rv.versions, now);
      const base = { ...added.record, versions };
      const next = policy ? withPolicy(base, policy) : base;
      const c = changeSet(cur, next, actor);
      c.rotated = { version: added.version, previousVersion: rv.previousVersion, strategy, manual: true };
      c.retired = diffVersions(cur.versions, rv.versions).retired;
      const result = { version: added.version, state: rv.state, previousVersion: rv.previousVersion };
      return { next, result: { change: c, token: added.token, result } };
    },
    {
      record,
      audit: ({ after, result }) => changeDrafts({ ...result.change, after }),
      expectedRevision: o.expectedRevision,
    },
  );
  notifyChange(ctx, { ...rotated.change, after: written }, ctx.clock.now());
  const { owner } = rotated;
  if (owner !== undefined) {
    const r = await runProvider(ctx, state, providers, written.id, owner, {
      now: () => ctx.clock.now(),
      signal,
      actor,
    });
    if (r.status === 'rotated')
      return { version: r.version, state: r.state, previousVersion: r.previousVersion };
    if (r.status === 'failed') throw new KeywardenError('ERR_ROTATION', `rotation failed: ${r.message}`);
    throw new KeywardenError('ERR_ROTATION', 'rotation was interrupted; a later runDue resumes it');
  }
  if (rotated.result === undefined) throw new KeywardenError('ERR_INVALID_STATE', 'nothing was rotated');
  return withToken(rotated.result, rotated.token);
}

/**
 * `rollback(id)`: see {@link rollbackVersions}.
 *
 * @example
 * ```ts
 * const { version, fromVersion } = await rollbackNow(ctx, id, {});
 * ```
 * @throws KeywardenError `ERR_VALIDATION`, `ERR_NOT_FOUND`, `ERR_INVALID_STATE` (nothing to roll back
 *   to, a provider rotation in progress), `ERR_AUDIT`, `ERR_STORAGE`.
 */
export async function rollbackNow(
  ctx: StoreContext,
  id: unknown,
  options: unknown,
): Promise<RotationRollbackResult> {
  const o = parseInput(policyOptionsSchema(), options ?? {}, 'options');
  const record = await load(ctx, id);
  const { record: written, result } = await mutateRecord(
    ctx,
    record.id,
    record.kind,
    (cur) => {
      const policy = readPolicy(cur);
      if (policy?.run) throw new KeywardenError('ERR_INVALID_STATE', 'a provider rotation is in progress');
      const now = ctx.clock.now();
      const rb = rollbackVersions(
        cur.versions,
        policy?.strategy ?? 'overlap',
        policy?.overlap ?? DEFAULT_OVERLAP_MS,
        now,
      );
      const base = { ...cur, versions: rb.versions };
      const next = policy ? withPolicy(base, policy) : base;
      const c = changeSet(cur, next, o.actor ?? null);
      c.rolledBack = { version: rb.version, fromVersion: rb.fromVersion };
      c.retired = diffVersions(cur.versions, rb.versions).retired;
      const rolledBack: RotationRollbackResult = { version: rb.version, fromVersion: rb.fromVersion };
      return { next, result: { change: c, rolledBack } };
    },
    {
      record,
      audit: ({ after, result }) => changeDrafts({ ...result.change, after }),
      expectedRevision: o.expectedRevision,
    },
  );
  notifyChange(ctx, { ...result.change, after: written }, ctx.clock.now());
  return result.rolledBack;
}

/**
 * `setPolicy(id, policy | null)`: validates, stores, computes the next rotation from now.
 *
 * @example
 * ```ts
 * await setPolicyNow(ctx, id, { every: '30d' }, {});
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `policy.<field>` (nothing written), `ERR_NOT_FOUND`,
 *   `ERR_INVALID_STATE` (clearing while a provider rotation is in progress), `ERR_AUDIT` (reverted),
 *   `ERR_STORAGE`.
 */
export async function setPolicyNow(
  ctx: StoreContext,
  id: unknown,
  input: unknown,
  options: unknown,
): Promise<RotationPolicyInfo | null> {
  const parsed = input === null ? null : parsePolicyInput(input, 'policy');
  const o = parseInput(policyOptionsSchema(), options ?? {}, 'options');
  const record = await load(ctx, id);
  const { record: written } = await mutateRecord(
    ctx,
    record.id,
    record.kind,
    (cur) => {
      const previous = readPolicy(cur);
      if (parsed === null) {
        if (previous?.run)
          throw new KeywardenError('ERR_INVALID_STATE', 'a provider rotation is in progress');
        return { next: withPolicy(cur, null), result: null };
      }
      return { next: withPolicy(cur, normalizePolicy(parsed, ctx.clock.now(), previous)), result: null };
    },
    // setPolicy always audits, also when it cleared no policy: the call itself is the event.
    {
      record,
      audit: ({ after }) => policySetDraft(after, o.actor ?? null, true),
      expectedRevision: o.expectedRevision,
    },
  );
  const stored = readPolicy(written);
  return stored ? policyInfo(stored) : null;
}
