/**
 * `keywarden/access`: AI agents and tools use the secrets they need without ever holding them.
 * Tools name a keywarden secret and the one origin it may be sent to; agents request access with a
 * justification; approvers (never the agent or whom it acts for) approve, narrowing if they wish;
 * an approved request opens a session whose short-lived proxy token (`kwp_…`) a trusted process
 * (`access.fetch`, or the gateway in `keywarden/access/gateway`) swaps for the real secret.
 * See docs/agent-access.md.
 *
 * @example
 * ```ts
 * import { agentAccess } from 'keywarden/access';
 * const access = agentAccess(km, { pendingTtl: '24h' });
 * await access.tools.register({ id: 'stripe', secret: 'STRIPE_KEY', environment: 'production',
 *   upstream: { origin: 'https://api.stripe.com', auth: { type: 'bearer' } },
 *   methods: ['GET', 'POST'], paths: ['/v1/charges', '/v1/charges/*'], maxDuration: '1h', maxCalls: 100 });
 * const req = await access.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'refund order 123' });
 * await access.requests.approve(req.id, { approver: 'alice', duration: '5m' });
 * const { token } = await access.sessions.open(req.id);
 * const res = await access.fetch(token, 'https://api.stripe.com/v1/charges');
 * ```
 * @module
 */
import { capabilityContext } from '../extension/index.js';
import { KeyedLock } from '../store/api-keys/throttle.js';
import { authorizeCall, verifyProxyToken } from './authorize.js';
import { createCallCache } from './call-cache.js';
import type { AccessContext, SecretReader } from './context.js';
import { accessFetch } from './fetch.js';
import { createPendingUses } from './pending-uses.js';
import { createRequestsView } from './requests.js';
import { accessOptionsSchema, sweepSchema, verifyOptionsSchema } from './schemas.js';
import { createSecretCache, DEFAULT_SECRET_CACHE_TTL } from './secret-cache.js';
import { createSessionsView } from './sessions.js';
import { sweepAccess } from './sweep.js';
import { registerAccessTelemetry } from './telemetry.js';
import { createToolsView } from './tools.js';
import type { AgentAccess, AgentAccessOptions } from './types.js';
import { parseFields } from './validate.js';
import { createViolationThrottle } from './violation-throttle.js';
import { monitorRevoker, reportViolation } from './violations.js';

export { credentialHeader, credentialHeaders } from './inject.js';
export { methodAllowed, pathAllowed } from './paths.js';
export type * from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Default per-window budget of `access.violation` rows without a session. */
const DEFAULT_MAX_UNATTRIBUTED = 100;
/** Default batch of call audit rows: written within 200 ms, or once 500 are queued. */
const DEFAULT_AUDIT_WINDOW = 200;
const DEFAULT_AUDIT_ROWS = 500;

/**
 * Builds the agent access capability of a key manager. Options are validated now.
 *
 * @param km - a manager returned by `createKeyManager`
 * @example
 * ```ts
 * const access = agentAccess(km, { pendingTtl: '24h', maxSessionDuration: '1h' });
 * setInterval(() => void access.sweep(), 60_000); // persist expiry of requests and sessions
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `km` or the bad option (`pendingTtl`...).
 */
export function agentAccess(km: SecretReader, options: AgentAccessOptions = {}): AgentAccess {
  const ctx = capabilityContext(km);
  const o = parseFields(accessOptionsSchema, options, 'options', true);
  const secretCacheTtl = o.secretCacheTtl ?? DEFAULT_SECRET_CACHE_TTL;
  const a: AccessContext = Object.freeze({
    ctx,
    options: Object.freeze({
      pendingTtl: o.pendingTtl ?? 24 * HOUR,
      maxSessionDuration: o.maxSessionDuration ?? HOUR,
      tenantId: o.tenantId ?? null,
      auditCalls: o.auditCalls ?? true,
      secretCacheTtl,
      auditBatch:
        o.auditBatch === false
          ? null
          : {
              windowMs: o.auditBatch?.window ?? DEFAULT_AUDIT_WINDOW,
              maxRows: o.auditBatch?.maxRows ?? DEFAULT_AUDIT_ROWS,
            },
    }),
    lock: new KeyedLock(),
    secretCache: createSecretCache(secretCacheTtl),
    calls: createCallCache(),
    violations: createViolationThrottle(
      o.violationThrottle === false
        ? false
        : {
            windowMs: o.violationThrottle?.window ?? MINUTE,
            maxUnattributed: o.violationThrottle?.maxUnattributed ?? DEFAULT_MAX_UNATTRIBUTED,
          },
    ),
    spending: new Map(),
    uses: createPendingUses(() => a),
  });
  // the security monitor's `violations` rule with `action: 'revoke'` revokes through this tenant's
  // first access object (kept by the monitor, so it holds no secret cache: see monitorRevoker)
  ctx.monitor?.setSessionRevoker(a.options.tenantId, monitorRevoker(a));
  const flush = async (): Promise<void> => {
    let failure: unknown = null;
    await a.uses.flush().catch((e: unknown) => (failure = e));
    await ctx.flushAudit().catch((e: unknown) => (failure ??= e));
    if (failure !== null) throw failure;
  };
  const access: AgentAccess = Object.freeze({
    tools: createToolsView(a),
    requests: createRequestsView(a),
    sessions: createSessionsView(a),
    async verify(token: string, opts?: { toolId?: string; method?: string; path?: string }) {
      const q = parseFields(verifyOptionsSchema, opts, 'options', true);
      return verifyProxyToken(a, token, q);
    },
    fetch: (token: string, url: string | URL, init?: RequestInit) => accessFetch(a, token, url, init),
    authorize: (token: string, call: Parameters<AgentAccess['authorize']>[1]) =>
      authorizeCall(a, token, call),
    reportViolation: (v: Parameters<AgentAccess['reportViolation']>[0]) => reportViolation(a, v),
    async sweep(raw?: { limit?: number }) {
      const q = parseFields(sweepSchema, raw, 'options', true);
      return sweepAccess(a, q.limit !== undefined ? { limit: q.limit } : {});
    },
    flush,
    close() {
      a.secretCache.clear();
      a.calls.clear();
      return flush();
    },
  });
  registerAccessTelemetry(access, ctx.telemetry);
  return access;
}
