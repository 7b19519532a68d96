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
import type { JsonObject } from '../../ports/json.js';
import type { RateLimitResult } from '../../ports/rate-limiter.js';
import type { StoredRecord, StoredVersion } from '../../ports/storage.js';
import type { StoreContext } from '../../records/context.js';
import { versionAccepted } from '../../records/record.js';
import { mutateRecord, type RecordChange } from '../../records/write.js';
import type {
  ApiKeyVerifyCode,
  ApiKeyVerifyFailure,
  ApiKeyVerifyResult,
  RateLimitState,
} from '../api-key-types.js';
import { applyRefill } from './credits.js';
import {
  type ApiKeyData,
  apiKeyDataOf,
  readApiKeyData,
  toApiKeyInfo,
  verifiedKeyInfo,
  writeApiKeyData,
} from './record.js';
import { scopesGranted } from './scopes.js';
import { FailureThrottle, KeyedLock } from './throttle.js';
import { parseVerifyOptions, type VerifyOptions } from './verify-options.js';

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

  const run = async (token: unknown, options?: unknown): Promise<ApiKeyVerifyResult> => {
    const o = parseVerifyOptions(options);
    const parsed = checkApiToken(token);
    if (!parsed.ok) {
      // no storage access (not even lazy init) for garbage; still ERR_CLOSED after close()
      if ((ctx as { closed?: boolean }).closed === true) await ctx.ready();
      refused(o);
      return { valid: false, code: 'MALFORMED' };
    }
    // an open store and a record object the guard already checked: no promise hop at all
    const state = ctx.stateNow?.() ?? (await ctx.ready());
    const hash = state.hashToken(token as string);
    let record = ctx.readChecked?.(parsed.id);
    if (record === undefined) record = await ctx.storage.get(parsed.id);
    const now = ctx.clock.now();
    if (record === null || record.kind !== 'api_key') {
      refused(o);
      return { valid: false, code: 'NOT_FOUND' };
    }
    if (o.tenantId !== undefined && record.tenantId !== o.tenantId) {
      await auditFailure(record, o, 'NOT_FOUND', false, null, now, { reason: 'tenant_mismatch' });
      return { valid: false, code: 'NOT_FOUND' };
    }

    // Compare against every version that has a hash, without early exit.
    let matched: StoredVersion | null = null;
    const versions = record.versions;
    for (let i = 0; i < versions.length; i++) {
      const v = versions[i] as StoredVersion;
      if (v.hash === null) continue;
      if (constantTimeEqualString(v.hash, hash) && matched === null) matched = v;
    }
    if (matched === null) {
      await auditFailure(record, o, 'NOT_FOUND', false, null, now, { reason: 'secret_mismatch' });
      return { valid: false, code: 'NOT_FOUND' };
    }
    const data = apiKeyDataOf(record);
    const version = matched.version;
    // after the secret matched, so only a holder of a real token learns the key's environment
    if (o.environment !== undefined && record.environment !== o.environment) {
      return fail(record, o, 'WRONG_ENVIRONMENT', version, now, undefined, {
        reason: 'environment_mismatch',
      });
    }

    // A token of a version that is no longer accepted (retired, or previous past its overlap) is EXPIRED.
    if (!versionAccepted(matched, now)) {
      return fail(record, o, 'EXPIRED', version, now, undefined, { reason: 'version_retired' });
    }
    if (record.status === 'revoked') return fail(record, o, 'REVOKED', version, now);
    if (record.status === 'disabled') return fail(record, o, 'DISABLED', version, now);
    if (record.status === 'expired' || (record.expiresAt !== null && record.expiresAt <= now)) {
      return fail(record, o, 'EXPIRED', version, now);
    }
    if (!scopesGranted(data.scopes, o.scopes)) return fail(record, o, 'INSUFFICIENT_SCOPE', version, now);

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

    let final = record;
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
        final = s.record;
        remaining = s.remaining;
      }
    }

    const result: ApiKeyVerifyResult = {
      valid: true,
      key: verifiedKeyInfo(final, now, final === record ? data : readApiKeyData(final)),
      version,
    };
    if (remaining !== null) result.remaining = remaining;
    if (rateLimit) result.rateLimit = rateLimit;
    if (mode === 'all') {
      try {
        await ctx.audit({
          type: 'key.verified',
          recordId: record.id,
          kind: 'api_key',
          version: matched.version,
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
    try {
      // buffered in memory, written in batches (no write per request); never fails a verification
      ctx.usage?.record(record.id, matched.version, now);
      countUse(record, true, now, o);
    } catch {
      // the tracker is closed (the manager is closing): this one use is not counted
    }
    return result;
  };

  const telemetry = ctx.telemetry;
  if (telemetry === undefined) return run;
  // with metrics: one counter add and one histogram record per call (keywarden.verify by code)
  // (async/await rather than `.then` with two closures: measurably cheaper per call on V8)
  return async function verify(token: unknown, options?: unknown): Promise<ApiKeyVerifyResult> {
    if (!telemetry.enabled) return run(token, options);
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
}
