/**
 * `verify(token, options)`. Order: token check (no storage read) → record lookup (unknown id,
 * other kind or other tenant: `NOT_FOUND`) → constant-time hash comparison against every stored
 * version → status → scopes → rate limit → credits → usage (counted in memory on success, see
 * `ctx.usage`). Never throws for a bad token.
 * @internal
 * @module
 */

import { checkApiToken } from '../../crypto/tokens.js';
import { isKeywardenError } from '../../errors.js';
import { constantTimeEqualString } from '../../internal/bytes.js';
import { NOOP_TELEMETRY } from '../../internal/telemetry.js';
import type { JsonObject } from '../../ports/json.js';
import type { RateLimitResult } from '../../ports/rate-limiter.js';
import type { StoredRecord } from '../../ports/storage.js';
import type { StoreContext } from '../../records/context.js';
import { mutateRecord, type RecordChange } from '../../records/write.js';
import type {
  ApiKeyVerifyCode,
  ApiKeyVerifyFailure,
  ApiKeyVerifyResult,
  RateLimitState,
} from '../api-key-types.js';
import { applyRefill } from './credits.js';
import { type ApiKeyData, readApiKeyData, toApiKeyInfo, writeApiKeyData } from './record.js';
import { scopesGranted } from './scopes.js';
import { FailureThrottle, KeyedLock } from './throttle.js';
import { parseVerifyOptions, type VerifyOptions } from './verify-options.js';
import { keyInfoOf, type VerifyView, verifyViewOf } from './verify-view.js';

type Verify = (token: unknown, options?: unknown) => Promise<ApiKeyVerifyResult>;

/** The caller's IP from the verify context, when it gave one. */
function ipOf(o: VerifyOptions): string | undefined {
  const ip = o.context['ip'];
  return typeof ip === 'string' ? ip : undefined;
}

/** Outcome of a credit decrement. */
type Spend =
  | { ok: true; record: StoredRecord; remaining: number | null }
  | { ok: false; code: 'USAGE_EXCEEDED'; record: StoredRecord; remaining: number }
  | { ok: false; code: 'NOT_FOUND' };

/**
 * Builds the verify function of one manager (it owns the credit lock and the audit throttle).
 *
 * @example
 * ```ts
 * const verify = createVerifier(ctx);
 * const r = await verify(token, { scopes: ['files:read'] });
 * ```
 * @throws never itself; the returned function rejects only with `ERR_VALIDATION` (bad options),
 *   `ERR_STORAGE`, `ERR_AUDIT` (`verifications: 'all'`), `ERR_CLOSED`.
 */
export function createVerifier(ctx: StoreContext): Verify {
  const lock = new KeyedLock();
  const throttle = new FailureThrottle();
  const mode = ctx.options.verifications;

  const auditFailure = async (
    record: StoredRecord,
    o: VerifyOptions,
    code: ApiKeyVerifyCode,
    proven: boolean,
    version: number | null,
    now: number,
    extra: JsonObject = {},
  ): Promise<void> => {
    countUse(record, false, now, o);
    if (mode === 'none') return;
    let suppressed = 0;
    if (mode === 'failures' || !proven) {
      const taken = throttle.take(record.id, code, now);
      if (taken === null) return;
      suppressed = taken;
      if (suppressed > 0) {
        ctx.log?.info('verify failures throttled in the audit log', {
          recordId: record.id,
          code,
          suppressed,
        });
      }
    }
    try {
      await ctx.audit({
        type: 'key.verify_failed',
        recordId: record.id,
        kind: 'api_key',
        version,
        tenantId: record.tenantId,
        context: o.context,
        data: { code, cost: o.cost, scopes: [...o.scopes], suppressed, ...extra },
      });
    } catch {
      // the request is denied either way; a failed audit of a denial does not turn it into an error
    }
  };

  /** A refusal after the token matched `version`: audited (throttled), with the key's info. */
  const fail = async (
    r: StoredRecord,
    o: VerifyOptions,
    code: ApiKeyVerifyCode,
    version: number,
    now: number,
    extra?: Partial<ApiKeyVerifyFailure>,
    detail?: JsonObject,
  ): Promise<ApiKeyVerifyFailure> => {
    await auditFailure(r, o, code, true, version, now, detail);
    return { valid: false, code, key: toApiKeyInfo(r, now), ...extra };
  };

  /** Usage analytics (buffered, added to the storage rollup in batches) and the security monitor. */
  const countUse = (record: StoredRecord, valid: boolean, now: number, o: VerifyOptions): void => {
    try {
      ctx.rollup?.count(record.id, valid, now);
    } catch {
      // analytics never fail a verification
    }
    ctx.monitor?.verified(record, valid, ipOf(o), now);
  };
  /** A refusal before any record was found: only the monitor's per-network rule counts it. */
  const refused = (o: VerifyOptions): void => {
    if (ctx.monitor !== undefined) ctx.monitor.refused(ipOf(o), ctx.clock.now());
  };

  const spend = (id: string, cost: number): Promise<Spend> =>
    lock.run(id, async () => {
      try {
        const { record, result } = await mutateRecord(ctx, id, 'api_key', (current): RecordChange<Spend> => {
          const data = readApiKeyData(current);
          const credits = applyRefill({ remaining: data.remaining, refill: data.refill }, ctx.clock.now());
          if (credits.remaining === null) {
            return { next: null, result: { ok: true, record: current, remaining: null } };
          }
          if (credits.remaining < cost) {
            const denied: Spend = {
              ok: false,
              code: 'USAGE_EXCEEDED',
              record: current,
              remaining: credits.remaining,
            };
            return { next: null, result: denied };
          }
          const next: ApiKeyData = { ...data, remaining: credits.remaining - cost, refill: credits.refill };
          return {
            next: { ...current, data: writeApiKeyData(next) },
            result: { ok: true, record: current, remaining: next.remaining },
          };
        });
        return result.ok ? { ...result, record } : result;
      } catch (error) {
        if (isKeywardenError(error, 'ERR_NOT_FOUND')) return { ok: false, code: 'NOT_FOUND' };
        throw error;
      }
    });

  /** Returns the credits and rate-limit units a refused verification took (best effort). */
  const giveBack = async (id: string, data: ApiKeyData, cost: number, spent: boolean, now: number) => {
    if (data.rateLimit !== null && cost > 0) {
      await ctx.rateLimiter.refund?.(`apikey:${id}`, data.rateLimit, cost, now).catch(() => undefined);
    }
    if (!spent) return;
    await lock
      .run(id, () =>
        mutateRecord(ctx, id, 'api_key', (current) => {
          const d = readApiKeyData(current);
          if (d.remaining === null) return { next: null, result: undefined };
          return {
            next: { ...current, data: writeApiKeyData({ ...d, remaining: d.remaining + cost }) },
            result: undefined,
          };
        }),
      )
      .catch(() => undefined); // the store failed too: the ERR_AUDIT stands either way
  };

  /** A token that failed its format or checksum check: no storage access (not even lazy init). */
  const malformed = async (o: VerifyOptions): Promise<ApiKeyVerifyResult> => {
    // still ERR_CLOSED after close()
    if ((ctx as { closed?: boolean }).closed === true) await ctx.ready();
    refused(o);
    return { valid: false, code: 'MALFORMED' };
  };

  /** The store is not open yet (or is reloading): open it, then go on as {@link run}. */
  const load = async (o: VerifyOptions, token: string, id: string): Promise<ApiKeyVerifyResult> => {
    const state = await ctx.ready();
    return read(o, state.hashToken(token), id);
  };

  /** The record is not at hand without a promise (another adapter, or not checked yet): read it. */
  const read = async (o: VerifyOptions, hash: string, id: string): Promise<ApiKeyVerifyResult> => {
    let record = ctx.readChecked?.(id);
    if (record === undefined) record = await ctx.storage.get(id);
    return decide(o, record, hash);
  };

  /** A refusal before the token matched: audited (throttled), without the key's info. */
  const notFound = async (
    record: StoredRecord,
    o: VerifyOptions,
    now: number,
    reason: string,
  ): Promise<ApiKeyVerifyResult> => {
    await auditFailure(record, o, 'NOT_FOUND', false, null, now, { reason });
    return { valid: false, code: 'NOT_FOUND' };
  };

  /** The result of a verification that passed, counted (usage, analytics, monitor). */
  const passed = (
    view: VerifyView,
    version: number,
    remaining: number | null,
    rateLimit: RateLimitState | undefined,
    now: number,
  ): ApiKeyVerifyResult => {
    const result: ApiKeyVerifyResult = { valid: true, key: keyInfoOf(view, now), version };
    if (remaining !== null) result.remaining = remaining;
    if (rateLimit) result.rateLimit = rateLimit;
    return result;
  };

  /** Counts a passed verification: buffered in memory, written in batches; never fails it. */
  const counted = (record: StoredRecord, version: number, now: number, o: VerifyOptions): void => {
    try {
      ctx.usage?.record(record.id, version, now);
      countUse(record, true, now, o);
    } catch {
      // the tracker is closed (the manager is closing): this one use is not counted
    }
  };

  /**
   * The checks of a record read for a matching token, synchronous up to the result when the key
   * has no rate limit, spends no credits and successful verifications are not audited (the common
   * case: then no promise is awaited at all); otherwise {@link settle} goes on asynchronously.
   */
  const decide = (
    o: VerifyOptions,
    record: StoredRecord | null,
    hash: string,
  ): Promise<ApiKeyVerifyResult> => {
    const now = ctx.clock.now();
    if (record === null || record.kind !== 'api_key') {
      refused(o);
      return Promise.resolve({ valid: false, code: 'NOT_FOUND' });
    }
    const view = verifyViewOf(record);
    if (o.tenantId !== undefined && view.tenantId !== o.tenantId) {
      return notFound(record, o, now, 'tenant_mismatch');
    }

    // Compare against every version that has a hash, without early exit.
    const hashes = view.hashes;
    let matchedAt = -1;
    for (let i = 0; i < hashes.length; i++) {
      if (constantTimeEqualString(hashes[i] as string, hash) && matchedAt < 0) matchedAt = i;
    }
    if (matchedAt < 0) return notFound(record, o, now, 'secret_mismatch');
    const data = view.data;
    const version = view.versions[matchedAt] as number;
    // after the secret matched, so only a holder of a real token learns the key's environment
    if (o.environment !== undefined && view.environment !== o.environment) {
      return fail(record, o, 'WRONG_ENVIRONMENT', version, now, undefined, {
        reason: 'environment_mismatch',
      });
    }

    // A token of a version that is no longer accepted (retired, or previous past its overlap) is EXPIRED.
    // (versionAccepted of src/records/record.ts, as of when the view was made)
    if (!(now < (view.acceptedUntil[matchedAt] as number))) {
      return fail(record, o, 'EXPIRED', version, now, undefined, { reason: 'version_retired' });
    }
    const status = view.status;
    if (status === 'revoked') return fail(record, o, 'REVOKED', version, now);
    if (status === 'disabled') return fail(record, o, 'DISABLED', version, now);
    if (status === 'expired' || (view.expiresAt !== null && view.expiresAt <= now)) {
      return fail(record, o, 'EXPIRED', version, now);
    }
    if (!scopesGranted(view.scopes, o.scopes)) return fail(record, o, 'INSUFFICIENT_SCOPE', version, now);

    if (data.rateLimit !== null || (data.remaining !== null && o.cost !== 0) || mode === 'all') {
      return settle(o, record, view, version, now);
    }
    const remaining =
      data.remaining === null
        ? null
        : applyRefill({ remaining: data.remaining, refill: data.refill }, now).remaining;
    const result = passed(view, version, remaining, undefined, now);
    counted(record, version, now, o);
    return Promise.resolve(result);
  };

  /** What follows the checks when it needs a promise: the rate limit, spending credits, the audit row. */
  const settle = async (
    o: VerifyOptions,
    record: StoredRecord,
    view: VerifyView,
    version: number,
    now: number,
  ): Promise<ApiKeyVerifyResult> => {
    const data = view.data;
    let rateLimit: RateLimitState | undefined;
    if (data.rateLimit !== null) {
      const r: RateLimitResult = await ctx.rateLimiter.limit(
        `apikey:${record.id}`,
        data.rateLimit,
        o.cost,
        now,
      );
      rateLimit = { limit: r.limit, remaining: r.remaining, reset: r.reset };
      if (!r.allowed) return fail(record, o, 'RATE_LIMITED', version, now, { rateLimit });
    }

    let final = view;
    let remaining: number | null = null;
    if (data.remaining !== null) {
      if (o.cost === 0) {
        remaining = applyRefill({ remaining: data.remaining, refill: data.refill }, now).remaining;
      } else {
        const s = await spend(record.id, o.cost);
        if (!s.ok) {
          if (s.code === 'NOT_FOUND') return { valid: false, code: 'NOT_FOUND' };
          return fail(
            s.record,
            o,
            'USAGE_EXCEEDED',
            version,
            now,
            rateLimit ? { remaining: s.remaining, rateLimit } : { remaining: s.remaining },
          );
        }
        final = verifyViewOf(s.record);
        remaining = s.remaining;
      }
    }

    const result = passed(final, version, remaining, rateLimit, now);
    if (mode === 'all') {
      try {
        await ctx.audit({
          type: 'key.verified',
          recordId: record.id,
          kind: 'api_key',
          version,
          tenantId: record.tenantId,
          context: o.context,
          data: { cost: o.cost, scopes: [...o.scopes], remaining },
        });
      } catch (error) {
        // fail closed: a verification that cannot be audited did not happen, so it spends nothing
        await giveBack(record.id, data, o.cost, remaining !== null && o.cost > 0, now);
        throw error;
      }
    }
    counted(record, version, now, o);
    return result;
  };

  /**
   * Verifies a token. Not an async function: the common case (an open store, a record object the
   * storage guard already checked, no rate limit, no credits spent, no audit row) runs to its
   * result without awaiting anything, and a large async function costs a frame of registers
   * allocated on every call. Every error still comes back as a rejected promise.
   */
  const run = (token: unknown, options?: unknown): Promise<ApiKeyVerifyResult> => {
    try {
      const o = parseVerifyOptions(options);
      const parsed = checkApiToken(token);
      if (!parsed.ok) return malformed(o);
      const state = ctx.stateNow?.() ?? null;
      if (state === null) return load(o, token as string, parsed.id);
      const hash = state.hashToken(token as string);
      const record = ctx.readChecked?.(parsed.id);
      if (record === undefined) return read(o, hash, parsed.id);
      return decide(o, record, hash);
    } catch (error) {
      return Promise.reject(error);
    }
  };

  const telemetry = ctx.telemetry;
  if (telemetry === undefined || telemetry === NOOP_TELEMETRY) return run;
  // with metrics: one counter add and one histogram record per call (keywarden.verify by code)
  // (async/await rather than `.then` with two closures: measurably cheaper per call on V8)
  const measured = async (token: unknown, options?: unknown): Promise<ApiKeyVerifyResult> => {
    const start = telemetry.now();
    let result: ApiKeyVerifyResult;
    try {
      result = await run(token, options);
    } catch (error) {
      telemetry.verify('ERROR', telemetry.now() - start);
      throw error;
    }
    telemetry.verify(result.valid ? 'VALID' : result.code, telemetry.now() - start);
    return result;
  };
  // not async itself: an async function returning run's promise would add a resolution step per call
  // (`enabled` is read per call: a lazily loaded meter turns it on later)
  return function verify(token: unknown, options?: unknown): Promise<ApiKeyVerifyResult> {
    return telemetry.enabled ? measured(token, options) : run(token, options);
  };
}
