/**
 * The CAS writes of a provider rotation: each checks that this runner still holds the lease
 * (`record.rotation.run.owner`), records progress in the pending version's `data.step`, renews the
 * lease, and is audited (`rotation.step`, `key.rotated`, `rotation.failed`).
 * @internal
 * @module
 */
import { utf8Encode, zeroize } from '../internal/bytes.js';
import type { StoredRecord, StoredVersion } from '../ports/storage.js';
import type { StoreContext, StoreState } from '../records/context.js';
import { readPolicy, type StoredPolicy, withPolicy } from '../records/policy.js';
import { eventBase } from '../records/record.js';
import { mutateRecord } from '../records/write.js';
import { appendSecretVersion } from '../store/secrets/versions.js';
import { PROVIDER_LEASE_MS } from './due-work.js';
import { changeDrafts, changeSet, notifyChange } from './events.js';
import { diffVersions, rotateVersions } from './strategies.js';

/** First retry delay after a failure. */
export const RETRY_BASE_MS = 60_000;
/** Longest retry delay. */
export const RETRY_MAX_MS = 3_600_000;

/**
 * The delay before retry number `attempts` (1-based): 1m, 2m, 4m, … capped at 1h.
 * @example
 * ```ts
 * retryDelay(3); // 240000
 * ```
 * @throws never
 */
export function retryDelay(attempts: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
}

/** How a provider run ended. */
export type ProviderRunResult =
  | { status: 'rotated'; version: number; previousVersion: number | null; state: 'current' | 'pending' }
  | { status: 'failed'; code: string; message: string; attempt: number; nextAttemptAt: number | null }
  | { status: 'interrupted' }
  | { status: 'lost' };

/** Options of {@link runProvider}. */
export interface ProviderRunOptions {
  now: () => number;
  signal: AbortSignal;
  actor: string | null;
}

/**
 * Thrown inside a mutation when another runner holds the lease now (never escapes runProvider).
 * @example
 * ```ts
 * declare const e: unknown;
 * if (e instanceof LostLease) console.log('another runner holds the lease: stop quietly');
 * ```
 * @throws never
 */
export class LostLease extends Error {}

/**
 * The policy of `cur` if `owner` still holds the lease.
 * @example
 * ```ts
 * declare const cur: StoredRecord;
 * declare const owner: string;
 * const policy = owned(cur, owner);
 * ```
 * @throws LostLease when another runner holds it.
 */
export function owned(cur: StoredRecord, owner: string): StoredPolicy {
  const policy = readPolicy(cur);
  if (!policy?.run || policy.run.owner !== owner) throw new LostLease('lease lost');
  return policy;
}

/** Extends the lease (and the resume time) from `now`. */
const renew = (p: StoredPolicy, now: number): void => {
  if (p.run) p.run.leaseUntil = now + PROVIDER_LEASE_MS;
  p.retryAt = now + PROVIDER_LEASE_MS;
};

/**
 * Stores the value `create` returned as the pending version (next step `set`).
 * @example
 * ```ts
 * declare const o: ProviderRunOptions;
 * await writeCreated(ctx, state, id, 'runner-1', 'sk_live_new', 'stripe', o);
 * ```
 * @throws KeywardenError `ERR_STORAGE`, `ERR_AUDIT`; {@link LostLease} when the lease was lost.
 */
export async function writeCreated(
  ctx: StoreContext,
  state: StoreState,
  id: string,
  owner: string,
  value: string,
  provider: string,
  o: ProviderRunOptions,
): Promise<void> {
  const bytes = utf8Encode(value);
  let version: number;
  try {
    ({ result: version } = await mutateRecord(ctx, id, 'secret', async (cur) => {
      const policy = owned(cur, owner);
      const now = o.now();
      const next = await appendSecretVersion(ctx, state, cur, bytes, {
        state: 'pending',
        now,
        data: { step: 'set', provider },
      });
      const added = (next.versions[next.versions.length - 1] as StoredVersion).version;
      (policy.run as NonNullable<StoredPolicy['run']>).version = added;
      renew(policy, now);
      return { next: withPolicy(next, policy), result: added };
    }));
  } finally {
    zeroize(bytes);
  }
  await stepAudit(ctx, id, version, 'create', o);
}

/**
 * Records that step `done` succeeded: the pending version's next step is `next`.
 * @example
 * ```ts
 * declare const o: ProviderRunOptions;
 * await writeStep(ctx, id, 'runner-1', 2, 'set', 'verify', o);
 * ```
 * @throws KeywardenError `ERR_STORAGE`, `ERR_AUDIT`; {@link LostLease} when the lease was lost.
 */
export async function writeStep(
  ctx: StoreContext,
  id: string,
  owner: string,
  version: number,
  done: string,
  next: string,
  o: ProviderRunOptions,
): Promise<void> {
  await mutateRecord(ctx, id, 'secret', (cur) => {
    const policy = owned(cur, owner);
    const now = o.now();
    renew(policy, now);
    const versions = cur.versions.map((v) =>
      v.version === version ? { ...v, data: { ...v.data, step: next } } : v,
    );
    return { next: withPolicy({ ...cur, versions }, policy), result: null };
  });
  await stepAudit(ctx, id, version, done, o);
}

/**
 * Audits one finished step as `rotation.step`.
 * @example
 * ```ts
 * declare const o: ProviderRunOptions;
 * await stepAudit(ctx, id, 2, 'verify', o);
 * ```
 * @throws KeywardenError `ERR_STORAGE`, `ERR_AUDIT`; {@link LostLease} when the lease was lost.
 */
export async function stepAudit(
  ctx: StoreContext,
  id: string,
  version: number,
  step: string,
  o: ProviderRunOptions,
) {
  const record = await ctx.storage.get(id);
  await ctx.audit({
    type: 'rotation.step',
    recordId: id,
    kind: 'secret',
    version,
    tenantId: record?.tenantId ?? null,
    actor: o.actor,
    data: { step },
  });
}

/**
 * The last step: the pending version moves per strategy; the lease is released; audited and notified.
 * @example
 * ```ts
 * declare const o: ProviderRunOptions;
 * const result = await writeFinished(ctx, id, 'runner-1', 2, o);
 * ```
 * @throws KeywardenError `ERR_STORAGE`, `ERR_AUDIT`; {@link LostLease} when the lease was lost.
 */
export async function writeFinished(
  ctx: StoreContext,
  id: string,
  owner: string,
  version: number,
  o: ProviderRunOptions,
): Promise<ProviderRunResult> {
  const { record, result } = await mutateRecord(
    ctx,
    id,
    'secret',
    (cur) => {
      const policy = owned(cur, owner);
      const run = policy.run as NonNullable<StoredPolicy['run']>;
      const now = o.now();
      const marked = cur.versions.map((v) =>
        v.version === version ? { ...v, data: { ...v.data, step: 'done' } } : v,
      );
      const rv = rotateVersions(
        marked,
        version,
        { strategy: run.strategy, overlap: run.overlap, promoteAfter: policy.promoteAfter },
        now,
      );
      policy.run = null;
      policy.retryAt = null;
      policy.attempts = 0;
      policy.lastError = null;
      policy.lastRotatedAt = now;
      const next = withPolicy({ ...cur, versions: rv.versions }, policy);
      const c = changeSet(cur, next, o.actor);
      c.retired = diffVersions(cur.versions, next.versions).retired;
      c.rotated = { version, previousVersion: rv.previousVersion, strategy: run.strategy, manual: false };
      const done: ProviderRunResult = {
        status: 'rotated',
        version,
        previousVersion: rv.previousVersion,
        state: rv.state,
      };
      return { next, result: { change: c, done } };
    },
    { audit: ({ after, result }) => changeDrafts({ ...result.change, after }) },
  );
  notifyChange(ctx, { ...result.change, after: record }, o.now());
  return result.done;
}

/**
 * Discards the pending version (material destroyed), releases the lease, schedules the retry with backoff; audits and notifies `rotation.failed` once.
 * @example
 * ```ts
 * declare const o: ProviderRunOptions;
 * const result = await writeFailure(ctx, id, 'runner-1', 'verify', { code: 'ERR_PROVIDER', message: 'verify failed' }, o);
 * ```
 * @throws KeywardenError `ERR_STORAGE`, `ERR_AUDIT`; {@link LostLease} when the lease was lost.
 */
export async function writeFailure(
  ctx: StoreContext,
  id: string,
  owner: string,
  step: string,
  error: { code: string; message: string },
  o: ProviderRunOptions,
): Promise<ProviderRunResult> {
  let out: {
    record: StoredRecord;
    result: { failed: Extract<ProviderRunResult, { status: 'failed' }>; pendingVersion: number };
  };
  try {
    out = await mutateRecord(ctx, id, 'secret', (cur) => {
      const policy = owned(cur, owner);
      const now = o.now();
      const version = (policy.run as NonNullable<StoredPolicy['run']>).version;
      const versions = cur.versions.map(
        (v): StoredVersion =>
          v.version === version && v.state === 'pending'
            ? {
                ...v,
                state: 'retired',
                retiredAt: now,
                sealed: null,
                destroyedAt: now,
                data: { ...v.data, step: 'failed' },
              }
            : v,
      );
      policy.run = null;
      policy.attempts += 1;
      policy.retryAt = now + retryDelay(policy.attempts);
      policy.lastError = { ...error };
      const failed = {
        status: 'failed' as const,
        ...error,
        attempt: policy.attempts,
        nextAttemptAt: policy.retryAt,
      };
      return { next: withPolicy({ ...cur, versions }, policy), result: { failed, pendingVersion: version } };
    });
  } catch (e) {
    if (e instanceof LostLease) return { status: 'lost' };
    throw e;
  }
  const { record: rec, result } = out;
  const r = result.failed;
  const pendingVersion = result.pendingVersion;
  await ctx.audit({
    type: 'rotation.failed',
    recordId: id,
    kind: 'secret',
    version: pendingVersion,
    tenantId: rec.tenantId,
    actor: o.actor,
    data: { step, code: r.code, message: r.message, attempt: r.attempt, nextAttemptAt: r.nextAttemptAt },
  });
  ctx.notify({
    ...eventBase(rec, o.now(), pendingVersion),
    type: 'rotation.failed',
    step,
    error: { code: r.code, message: r.message },
    attempt: r.attempt,
    nextAttemptAt: r.nextAttemptAt,
  });
  return r;
}
