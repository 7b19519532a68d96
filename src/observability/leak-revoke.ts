/**
 * What happens to one token reported public: decide whether it is really a keywarden token (an API
 * key whose keyed hash matches a stored version, or a proxy token the access capability knows),
 * revoke it with reason `leaked`, audit `security.token_leaked` and notify. Anything else is a
 * false positive. The token itself never reaches a log, an audit event or an error.
 * @module
 */
import { checkApiToken } from '../crypto/tokens.js';
import type { CapabilityContext as StoreContext } from '../extension/index.js';
import type { KeyManager } from '../index.js';
import { constantTimeEqualString } from '../internal/bytes.js';
import { cryptoBackend } from '../internal/crypto-backend.js';
import type { JsonObject } from '../ports/json.js';
import type { StoredRecord, StoredVersion } from '../ports/storage.js';

/**
 * A proxy-token revoker: resolves true when `token` is a real proxy token of this store (its session
 * revoked now or already), false when it is not one; rejects on a storage or audit failure.
 */
export interface ProxyTokenRevoker {
  /**
   * Revokes the session of `token` with `reason` (`'leaked'`) on behalf of `actor`.
   * @throws whatever the storage or audit throws (the leak endpoint then answers 503).
   */
  revokeToken(
    token: string,
    options: {
      /** Why: always `'leaked'` here. */
      reason: string;
      /** Who: the leak handler's `actor`. */
      actor: string;
    },
  ): Promise<boolean>;
}

/**
 * Agent access as `agentAccess(km)` from `keywarden/access` shapes it (docs: DESIGN "Agent access"):
 * `verify(token)` names the session, `sessions.revoke(id, { reason })` ends it.
 */
export interface AgentAccessLike {
  /** Checks a proxy token without spending a call (as `access.verify`). */
  verify(token: string): Promise<
    | {
        /** The token is live. */
        valid: true;
        /** Its session. */
        session: {
          /** Session id, given to `sessions.revoke`. */
          id: string;
        };
      }
    | {
        /** The token is not live. */
        valid: false;
        /** Why (`EXPIRED`, `REVOKED`, `USAGE_EXCEEDED` still prove a real token). */
        code: string;
      }
  >;
  /** Session management (as `access.sessions`). */
  sessions: {
    /** Ends session `id` with `reason` (`'leaked'`). */
    revoke(id: string, options: { reason: string }): Promise<unknown>;
  };
}

/**
 * What the leak handler accepts as `access`, to revoke proxy tokens (`kwp_…`): the agent access
 * object itself, or anything with `revokeToken`. Typed structurally so this module does not depend
 * on the access capability.
 */
export type LeakRevocableAccess = ProxyTokenRevoker | AgentAccessLike;

/**
 * True when `access` has one of the two shapes of {@link LeakRevocableAccess}.
 *
 * @example
 * ```ts
 * isLeakRevocableAccess(agentAccess(km)); // true
 * ```
 * @throws never
 */
export function isLeakRevocableAccess(access: unknown): access is LeakRevocableAccess {
  if (typeof access !== 'object' || access === null) return false;
  const a = access as Record<string, unknown>;
  if (typeof a['revokeToken'] === 'function') return true;
  const sessions = a['sessions'] as Record<string, unknown> | null | undefined;
  return typeof a['verify'] === 'function' && typeof sessions?.['revoke'] === 'function';
}

/** Proxy verify codes that prove a real token which simply no longer works. */
const SPENT_PROXY_CODES: ReadonlySet<string> = new Set(['EXPIRED', 'REVOKED', 'USAGE_EXCEEDED']);

/** Asks access about a proxy token: is it ours, and did this call revoke it? */
async function revokeProxy(
  access: LeakRevocableAccess,
  token: string,
  actor: string,
): Promise<{ known: boolean; revoked: boolean }> {
  if ('revokeToken' in access && typeof access.revokeToken === 'function') {
    const known = (await access.revokeToken(token, { reason: LEAK_REASON, actor })) === true;
    return { known, revoked: known };
  }
  const a = access as AgentAccessLike;
  const r = await a.verify(token);
  if (r.valid) {
    await a.sessions.revoke(r.session.id, { reason: LEAK_REASON });
    return { known: true, revoked: true };
  }
  return { known: SPENT_PROXY_CODES.has(r.code), revoked: false };
}

/** One match GitHub reports, after validation. */
export interface LeakReport {
  token: string;
  type: string;
  url: string | null;
  source: string | null;
}

/** GitHub's feedback label for one reported token. */
export type LeakLabel = 'true_positive' | 'false_positive';

/** What handling one report found and did. */
export interface LeakOutcome {
  label: LeakLabel;
  /** `'api_key'`, `'proxy'`, or null for a false positive. */
  tokenKind: 'api_key' | 'proxy' | null;
  /** Whether this report revoked something (false when it was already revoked or is no longer accepted). */
  revoked: boolean;
}

/** Everything {@link handleLeakReport} needs. */
export interface LeakDeps {
  km: KeyManager;
  ctx: StoreContext;
  access: LeakRevocableAccess | undefined;
  actor: string;
}

/**
 * The reason every leak revocation carries.
 *
 * @example
 * ```ts
 * (await km.apiKeys.get(id)).revokeReason === LEAK_REASON; // after a reported leak
 * ```
 */
export const LEAK_REASON = 'leaked';
/** The prefix of proxy tokens (agent access). */
const PROXY_PREFIX = 'kwp';
const FALSE_POSITIVE: LeakOutcome = Object.freeze({
  label: 'false_positive',
  tokenKind: null,
  revoked: false,
});

/**
 * Lowercase hex SHA-256 of the UTF-8 token: how feedback names a token without echoing it.
 *
 * @example
 * ```ts
 * tokenSha256Hex('some_token'); // 64 hex characters
 * ```
 * @throws never
 */
export function tokenSha256Hex(token: string): string {
  return cryptoBackend().sha256Hex(token);
}

function leakData(report: LeakReport, extra: JsonObject): JsonObject {
  return { reportType: report.type, source: report.source, url: report.url, ...extra };
}

/** The API-key path: true positive only when the keyed hash matches a stored version. */
async function handleApiKey(
  deps: LeakDeps,
  id: string,
  token: string,
  report: LeakReport,
): Promise<LeakOutcome> {
  const { ctx, km, actor } = deps;
  const { hashToken } = await ctx.ready();
  const record: StoredRecord | null = await ctx.storage.get(id);
  if (record === null || record.kind !== 'api_key' || !Array.isArray(record.versions)) return FALSE_POSITIVE;
  const hash = hashToken(token);
  let matched: StoredVersion | null = null;
  for (const v of record.versions) {
    if (typeof v?.hash !== 'string') continue;
    if (constantTimeEqualString(v.hash, hash) && matched === null) matched = v;
  }
  if (matched === null) return FALSE_POSITIVE;

  // A retired version's token is a real token that no longer works: report it, revoke nothing.
  const live = matched.state !== 'retired';
  const wasRevoked = record.status === 'revoked';
  let revoked = false;
  if (live && !wasRevoked) {
    const info = await km.apiKeys.revoke(id, { reason: LEAK_REASON, actor });
    revoked = info.status === 'revoked';
  }
  const now = ctx.clock.now();
  await ctx.audit({
    type: 'security.token_leaked',
    keyId: id,
    kind: 'api_key',
    version: matched.version,
    tenantId: record.tenantId,
    actor,
    data: leakData(report, {
      tokenKind: 'api_key',
      revoked,
      ...(live ? {} : { reason: 'version_retired' }),
      ...(wasRevoked ? { reason: 'already_revoked' } : {}),
    }),
  });
  ctx.notify({
    at: now,
    keyId: record.id,
    kind: 'api_key',
    name: record.name,
    tenantId: record.tenantId,
    environment: record.environment,
    version: matched.version,
    type: 'security.token_leaked',
    source: report.source,
    url: report.url,
    revoked,
  });
  return { label: 'true_positive', tokenKind: 'api_key', revoked };
}

/**
 * Handles one reported token: classifies it, revokes what is live, audits and notifies.
 *
 * @example
 * ```ts
 * declare const report: LeakReport;
 * const outcome = await handleLeakReport({ km, ctx, access, actor: 'github-secret-scanning' }, report);
 * outcome.label; // 'true_positive' | 'false_positive'
 * ```
 * @throws KeywardenError `ERR_STORAGE`, `ERR_AUDIT` or `ERR_CLOSED` when the store fails (nothing is
 *   reported as handled then; a retry is safe: revoking twice changes nothing).
 */
export async function handleLeakReport(deps: LeakDeps, report: LeakReport): Promise<LeakOutcome> {
  const parsed = checkApiToken(report.token);
  if (!parsed.ok) return FALSE_POSITIVE;
  if (parsed.prefix === PROXY_PREFIX && deps.access !== undefined) {
    const { known, revoked } = await revokeProxy(deps.access, report.token, deps.actor);
    if (known) {
      await deps.ctx.audit({
        type: 'security.token_leaked',
        keyId: parsed.id,
        kind: null,
        actor: deps.actor,
        data: leakData(report, { tokenKind: 'proxy', revoked, ...(revoked ? {} : { reason: 'not_live' }) }),
      });
      return { label: 'true_positive', tokenKind: 'proxy', revoked };
    }
  }
  return handleApiKey(deps, parsed.id, report.token, report);
}
