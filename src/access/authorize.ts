/**
 * Proxy-token checks: `verify` (spends nothing) and `authorize` (spends one call, exactly, with a
 * compare-and-swap on the session record, and reads the CURRENT value of the tool's secret).
 * Order: token format and checksum (no storage read) → session lookup by the token's id (other
 * kind or tenant: `NOT_FOUND`) → constant-time comparison of the keyed hash → state and expiry →
 * tool, method and path (`FORBIDDEN`, recorded as a violation) → calls left → secret (record read,
 * value opened or taken from the cache) → spend, with the call's one audit row (queued for the next
 * batch with `auditBatch`, the default; written with the spend in strict mode, `auditBatch: false`).
 * Never throws for a bad token; nothing here logs or returns the token. A session's later calls
 * may skip the lookup and the keyed hash when its checked records are unchanged (./call-cache.ts).
 * @internal
 * @module
 */

import { API_TOKEN_ID_LENGTH, API_TOKEN_MIN_LENGTH, checkApiToken } from '../crypto/tokens.js';
import { isKeywardenError } from '../errors.js';
import type { AuditDraft } from '../extension/index.js';
import { constantTimeEqualString } from '../internal/bytes.js';
import type { StoredRecord } from '../ports/storage.js';
import type { StoreState } from '../records/context.js';
import type { CheckedCall } from './call-cache.js';
import { type AccessContext, findToolRecord } from './context.js';
import { type AccessSubject, draftOf, eventBaseOf } from './events.js';
import { methodAllowed, pathAllowed } from './paths.js';
import {
  asJson,
  effectiveSessionState,
  PROXY_TOKEN_PREFIX,
  readSessionData,
  readToolData,
  type SessionData,
  sessionInfoOf,
  sessionRecordStatus,
  type ToolData,
  toolInfoOf,
  toSessionInfo,
  toToolInfo,
} from './records.js';
import { cachedToolSecret, readToolSecret, type ToolSecret } from './secret-read.js';
import { endRequestOf, sessionSubject } from './session-ops.js';
import { transition } from './transition.js';
import type {
  AuthorizeResult,
  ProxyVerifyCode,
  ProxyVerifyResult,
  ProxyVerifyStatus,
  SessionInfo,
  ToolInfo,
} from './types.js';
import { recordViolation } from './violations.js';

/**
 * The HTTP status of a refusal code.
 * @example
 * ```ts
 * statusOf('USAGE_EXCEEDED'); // 429
 * ```
 * @throws never
 */
export function statusOf(code: ProxyVerifyCode): ProxyVerifyStatus {
  if (code === 'FORBIDDEN') return 403;
  if (code === 'USAGE_EXCEEDED') return 429;
  return 401;
}

type Check =
  | { ok: true; session: StoredRecord; data: SessionData; tool: StoredRecord }
  | { ok: false; code: ProxyVerifyCode; session?: StoredRecord };

interface CallShape {
  toolId?: string | undefined;
  method?: string | undefined;
  path?: string | undefined;
  context?: { ip?: string; userAgent?: string } | undefined;
}

/** Everything except spending: what `verify` answers and `authorize` starts with. */
async function check(a: AccessContext, token: unknown, call: CallShape): Promise<Check> {
  const parsed = checkApiToken(token);
  if (!parsed.ok || parsed.prefix !== PROXY_TOKEN_PREFIX) {
    return { ok: false, code: 'MALFORMED' };
  }
  const state = await a.ctx.ready();
  const hash = state.hashToken(token as string);
  const record = await a.ctx.storage.get(parsed.id);
  if (record === null || record.kind !== 'access_session' || record.tenantId !== a.options.tenantId) {
    return { ok: false, code: 'NOT_FOUND' };
  }
  let matched = false;
  for (const v of record.versions) {
    if (v.hash !== null && constantTimeEqualString(v.hash, hash)) matched = true;
  }
  if (!matched) return { ok: false, code: 'NOT_FOUND' };
  let data: SessionData;
  try {
    data = readSessionData(record);
  } catch {
    return { ok: false, code: 'NOT_FOUND' }; // a malformed record is never used
  }
  const now = a.ctx.clock.now();
  const status = effectiveSessionState(data, now);
  if (status === 'revoked') return { ok: false, code: 'REVOKED', session: record };
  if (status === 'expired') return { ok: false, code: 'EXPIRED', session: record };
  if (status === 'exhausted') return { ok: false, code: 'USAGE_EXCEEDED', session: record };

  const violation = async (reason: string): Promise<Check> => {
    await recordViolation(a, {
      toolId: data.toolId,
      sessionId: record.id,
      reason,
      context: call.context ?? {},
      session: { record, data },
    });
    return { ok: false, code: 'FORBIDDEN', session: record };
  };
  if (call.toolId !== undefined && call.toolId !== data.toolId) return violation('tool not granted');
  if (call.method !== undefined && !methodAllowed(data.methods, call.method))
    return violation('method not allowed');
  if (call.path !== undefined && !pathAllowed(data.paths, call.path)) return violation('path not allowed');

  const tool = await findToolRecord(a, data.toolId);
  if (tool === null) return { ok: false, code: 'REVOKED', session: record }; // the tool was removed
  if (data.maxCalls !== null && data.callsUsed >= data.maxCalls) {
    return { ok: false, code: 'USAGE_EXCEEDED', session: record };
  }
  return { ok: true, session: record, data, tool };
}

/**
 * `access.verify`: checks a proxy token (and, when given, tool, method and path) without spending.
 *
 * @example
 * ```ts
 * const r = await verifyProxyToken(a, token, { toolId: 'stripe', method: 'POST', path: '/v1/refunds' });
 * ```
 * @throws KeywardenError `ERR_STORAGE`, `ERR_CLOSED` (never for a bad token).
 */
export async function verifyProxyToken(
  a: AccessContext,
  token: unknown,
  opts: CallShape,
): Promise<ProxyVerifyResult> {
  const c = await check(a, token, opts);
  if (!c.ok) return { valid: false, code: c.code };
  const now = a.ctx.clock.now();
  return { valid: true, session: toSessionInfo(c.session, now), tool: toToolInfo(c.tool) };
}

type Spent = { ok: true; record: StoredRecord; data: SessionData } | { ok: false; code: ProxyVerifyCode };

interface Call {
  method: string;
  path: string;
  context: { ip?: string; userAgent?: string };
}

/**
 * The `secret.read` row of a call (as `km.secrets.get` writes it, plus the tool and session):
 * written only with `auditCalls: false`, where there is no `access.call` row to record the read.
 */
function secretReadDraft(subject: AccessSubject, secret: ToolSecret, context: Call['context']): AuditDraft {
  return {
    type: 'secret.read',
    recordId: secret.record.id,
    kind: secret.record.kind,
    version: secret.version.version,
    tenantId: secret.record.tenantId,
    context,
    data: { sessionId: subject.sessionId, toolId: subject.toolId }, // sorted: see callDraft
  };
}

/**
 * The `access.call` row of a call (it also records the read of the tool's secret). Its `data` is
 * built with its keys in sorted order, the order canonical JSON digests them in (the digest then
 * serializes it in one step; same content and digest as any other key order).
 */
function callDraft(
  subject: AccessSubject,
  agentId: string,
  call: Call,
  secret: ToolSecret,
  d: SessionData,
): AuditDraft {
  return {
    type: 'access.call',
    keyId: subject.record.id,
    kind: subject.record.kind,
    tenantId: subject.record.tenantId,
    actor: agentId,
    context: call.context,
    data: {
      agentId: subject.agentId,
      method: call.method,
      path: call.path,
      remaining: d.maxCalls === null ? null : d.maxCalls - d.callsUsed,
      requestId: subject.requestId,
      secret: secret.record.name,
      secretId: secret.record.id,
      secretVersion: secret.version.version,
      sessionId: subject.sessionId,
      toolId: subject.toolId,
    },
  };
}

/**
 * Spends one call with CAS (exact across processes sharing the store) and writes the call's one
 * audit row in the same transition: `access.call`, which also records the read of the tool's secret
 * (record id, name, version), or with `auditCalls: false` a `secret.read` row. If that row cannot
 * be written the spend is undone and `ERR_AUDIT` thrown (fail closed, the unit given back).
 *
 * Reads: none of its own when uncontended (it starts from the record `check` read; a write from
 * elsewhere since then fails the CAS and the write path reads the record again). Spends of one
 * session in this process queue on `a.lock`; each starts from the record the previous one wrote.
 */
async function spend(
  a: AccessContext,
  c: Extract<Check, { ok: true }>,
  call: Call,
  secret: ToolSecret,
): Promise<Spent> {
  const id = c.session.id;
  let slot = a.spending.get(id);
  if (slot === undefined) {
    slot = { queued: 0, last: null, lastData: null };
    a.spending.set(id, slot);
  }
  const mine = slot;
  mine.queued++;
  try {
    return await a.lock.run(id, async () => {
      let refusal: ProxyVerifyCode | null = null;
      let exhausted = false;
      let written: SessionData | null = null;
      let queuedDrafts: AuditDraft[] = [];
      try {
        const start = mine.last !== null && mine.last.revision > c.session.revision ? mine.last : c.session;
        const { record, changed } = await transition(a, start, (cur) => {
          // the data of a record read or written here was already parsed; one re-read after a lost CAS is parsed again
          const d =
            cur === c.session
              ? c.data
              : cur === mine.last && mine.lastData !== null
                ? mine.lastData
                : readSessionData(cur);
          written = null;
          const now = a.ctx.clock.now();
          const status = effectiveSessionState(d, now);
          refusal =
            status === 'revoked'
              ? 'REVOKED'
              : status === 'expired'
                ? 'EXPIRED'
                : status === 'exhausted' || (d.maxCalls !== null && d.callsUsed >= d.maxCalls)
                  ? 'USAGE_EXCEEDED'
                  : null;
          if (refusal !== null) return null;
          const callsUsed = d.callsUsed + 1;
          exhausted = d.maxCalls !== null && callsUsed >= d.maxCalls;
          const nd: SessionData = exhausted
            ? { ...d, callsUsed, state: 'exhausted', endedAt: now, endReason: 'exhausted' }
            : { ...d, callsUsed };
          written = nd;
          const next: StoredRecord = {
            ...cur,
            status: sessionRecordStatus(nd.state),
            data: asJson(nd),
          };
          const subject = sessionSubject(next, nd);
          const drafts = [
            a.options.auditCalls
              ? callDraft(subject, d.agentId, call, secret, nd)
              : secretReadDraft(subject, secret, call.context),
          ];
          if (exhausted)
            drafts.push(draftOf(subject, 'access.session_ended', null, { reason: 'exhausted', callsUsed }));
          queuedDrafts = drafts;
          return {
            next,
            // strict: the rows are written with the spend (undone if they cannot be); batched: queued below
            drafts: a.options.auditBatch === null ? drafts : [],
            events: exhausted
              ? [{ ...eventBaseOf(subject, now), type: 'access.session_ended', reason: 'exhausted' }]
              : [],
          };
        });
        if (changed) {
          mine.last = record;
          mine.lastData = written;
        }
        if (refusal !== null) return { ok: false, code: refusal };
        const batch = a.options.auditBatch;
        // spent: its rows are queued whatever the queue's state (the check ran before the spend)
        if (changed && batch !== null) await a.ctx.auditLater(queuedDrafts, { ...batch, afterSpend: true });
        if (exhausted) await endRequestOf(a, c.data.requestId, a.ctx.clock.now());
        return { ok: true, record, data: written ?? readSessionData(record) };
      } catch (error) {
        if (isKeywardenError(error, 'ERR_NOT_FOUND')) return { ok: false, code: 'NOT_FOUND' };
        throw error;
      }
    });
  } finally {
    mine.queued--;
    if (mine.queued === 0 && a.spending.get(id) === mine) a.spending.delete(id);
  }
}

/**
 * The checked records of this session's last granted call (./call-cache.ts), when they can be
 * reused for this call: the token is the one that matched then (compared in constant time), the
 * store state is the same, the session is still active and grants this tool, method and path with
 * calls left, and `storage.readMacs` shows the session, tool and secret records still carrying
 * the very MACs checked then. Null otherwise (the caller runs the full check, which also answers
 * every refusal). A failing MAC read rejects (`ERR_STORAGE`: the call is refused, never served
 * from the cache).
 */
async function cachedCheck(a: AccessContext, token: unknown, call: CallTarget): Promise<CheckedCall | null> {
  const readMacs = a.ctx.storage.readMacs;
  if (readMacs === undefined || typeof token !== 'string') return null;
  const parsed = checkApiToken(token);
  if (!parsed.ok || parsed.prefix !== PROXY_TOKEN_PREFIX) return null;
  const e = a.calls.get(parsed.id);
  if (e === undefined || !entryServes(a, e, token, call, a.ctx.clock.now())) return null;
  if (macsUnchanged(e, await readMacs(macIdsOf(e)))) return e;
  if (a.calls.get(parsed.id) === e) a.calls.delete(parsed.id);
  return null;
}

/** A call's tool, method (upper case) and path, each a string ('' when not given as one). */
interface CallTarget {
  toolId: string;
  method: string;
  path: string;
}

/** The tool, method and path of a raw call, normalized once for every check. */
function targetOf(call: { toolId?: unknown; method?: unknown; path?: unknown } | undefined): CallTarget {
  return {
    toolId: typeof call?.toolId === 'string' ? call.toolId : '',
    method: typeof call?.method === 'string' ? call.method.toUpperCase() : '',
    path: typeof call?.path === 'string' ? call.path : '',
  };
}

/**
 * Whether the call cache's entry `e` may serve this call, before its records' MACs are checked:
 * `token` is the one that matched then (constant time), the store state is the same, the session
 * is still active and grants this tool, method and path with calls left. The grant's rules are
 * the entry's (fixed): the call it last allowed needs no second match.
 */
function entryServes(
  a: AccessContext,
  e: CheckedCall,
  token: string,
  call: CallTarget,
  now: number,
): boolean {
  if (!constantTimeEqualString(e.token, token) || a.ctx.stateNow?.() !== e.state) return false;
  const d = e.data;
  if (
    effectiveSessionState(d, now) !== 'active' ||
    call.toolId !== d.toolId ||
    (d.maxCalls !== null && d.callsUsed >= d.maxCalls)
  ) {
    return false;
  }
  if (e.allowedMethod !== call.method || e.allowedPath !== call.path) {
    if (!methodAllowed(d.methods, call.method) || !pathAllowed(d.paths, call.path)) return false;
    e.allowedMethod = call.method;
    e.allowedPath = call.path;
  }
  return true;
}

/** The records whose stored MACs decide whether an entry is still current, in `macsUnchanged`'s order. */
const macIdsOf = (e: CheckedCall): string[] => [e.session.id, e.tool.id, e.secret.id];

/** Whether `macs` (read for `macIdsOf(e)`) are the very MACs of the records `e` checked. */
const macsUnchanged = (e: CheckedCall, macs: readonly (string | null)[]): boolean =>
  macs[0] === e.session.mac && macs[1] === e.tool.mac && macs[2] === e.secret.mac;

/**
 * `access.authorize`: checks the token for the call, reads the tool's secret (its record as the
 * store holds it now, so a rotated, disabled or deleted secret applies at once; the decryption is
 * cached for `secretCacheTtl`), then spends one call atomically together with the call's one audit
 * row, and returns the session, the tool and the secret's current value. Nothing is spent when the
 * secret cannot be read. The session, tool and secret records of the session's last granted call
 * are reused while `storage.readMacs` shows their MACs unchanged (./call-cache.ts); else read.
 *
 * @example
 * ```ts
 * const r = await authorizeCall(a, token, { toolId: 'stripe', method: 'GET', path: '/v1/charges' });
 * if (r.ok) headers.set('authorization', `Bearer ${r.secret}`);
 * ```
 * @throws KeywardenError `ERR_STORAGE`, `ERR_AUDIT` (the call is refused, the unit given back),
 *   `ERR_NOT_FOUND` (the tool's secret is not set), `ERR_INVALID_STATE` (it is disabled or expired),
 *   `ERR_DECRYPT`, `ERR_CLOSED` (both caches are dropped too). Never for a bad token.
 */
export function authorizeCall(
  a: AccessContext,
  token: unknown,
  call: { toolId: string; method: string; path: string; context?: { ip?: string; userAgent?: string } },
): Promise<AuthorizeResult> {
  const target = targetOf(call);
  let quick: AuthorizeResult | null;
  try {
    quick = cachedCall(a, token, target, call?.context);
  } catch (error) {
    return Promise.reject(closing(a, error));
  }
  if (quick !== null) return Promise.resolve(quick);
  return authorizeOnce(a, token, target, call?.context).catch((error: unknown) => {
    throw closing(a, error);
  });
}

/** The manager was closed: no opened value and no matched token is kept. Returns `error`. */
function closing(a: AccessContext, error: unknown): unknown {
  if (isKeywardenError(error, 'ERR_CLOSED')) {
    a.secretCache.clear();
    a.calls.clear();
  }
  return error;
}

/** Length of a proxy token; its id sits right after `kwp_`. */
const PROXY_TOKEN_LENGTH = PROXY_TOKEN_PREFIX.length + API_TOKEN_MIN_LENGTH - 1;
const ID_START = PROXY_TOKEN_PREFIX.length + 1;

/**
 * The whole call without a promise, when everything it needs is at hand: the session's checked
 * records in the call cache with their stored MACs unchanged, read without a promise (an in-process
 * adapter: `readMacsNow`), an uncapped session in batched mode (nothing to spend), the secret's
 * value in the secret cache, and the audit row queued without a wait (`queueAudit`). Null whenever
 * any of that does not hold, before anything was done: then `authorizeOnce` runs, which answers
 * every refusal and every error. Same checks, same row, same counts and answer as `authorizeOnce`.
 *
 * The token is looked up by its id's position and compared in constant time with the token that
 * passed the full check for this entry: equal means the same, already checked token.
 */
function cachedCall(
  a: AccessContext,
  token: unknown,
  call: CallTarget,
  rawContext: unknown,
): AuthorizeResult | null {
  const batch = a.options.auditBatch;
  const readMacsNow = a.ctx.readMacsNow;
  const queueAudit = a.ctx.queueAudit;
  if (batch === null || readMacsNow === undefined || queueAudit === undefined) return null;
  if (typeof token !== 'string' || token.length !== PROXY_TOKEN_LENGTH) return null;
  const e = a.calls.get(token.slice(ID_START, ID_START + API_TOKEN_ID_LENGTH));
  const now = a.ctx.clock.now();
  // nothing to spend: an uncapped session (a capped one is spent with a write, in authorizeOnce)
  if (e === undefined || e.data.maxCalls !== null || !entryServes(a, e, token, call, now)) return null;
  // unchanged records: the same MAC check as cachedCheck, answered without a promise
  const macs = readMacsNow(macIdsOf(e));
  if (macs === undefined || !macsUnchanged(e, macs)) return null;
  const t = a.ctx.telemetry;
  const timed = t?.enabled === true;
  const start = timed ? t.now() : 0;
  const secret = cachedToolSecret(a, e.secret, now);
  if (secret === null) return null;
  if (!queueAudit(cachedRow(a, e, call, rawContext, secret), batch)) return null;
  if (timed) t.secretRead('ok', 'access', t.now() - start);
  const d = e.data;
  const callsUsed = a.options.auditCalls ? d.callsUsed + a.uses.pending(e.session.id) + 1 : null;
  if (a.options.auditCalls) a.uses.add(e.session.id, batch.windowMs);
  countUse(a, e.session.id, true);
  countUse(a, e.tool.id, true);
  const info = sessionInfoOf(e.session, now, d);
  if (callsUsed !== null) info.callsUsed = callsUsed;
  return granted(info, toolInfoOf(e.tool, e.toolData), secret.value);
}

/**
 * The audit row of a call served from the entry: the row `authorizeOnce` writes (`callDraft`, or
 * `secretReadDraft` without `auditCalls`), with a frozen `context` and `data`. The row is kept on
 * the entry and given again while the call, the secret version and the caller's context repeat
 * (its `data` while only the context changes): the audit digest then reuses its canonical text,
 * and the memory adapter stores one copy.
 */
function cachedRow(
  a: AccessContext,
  e: CheckedCall,
  { method, path }: CallTarget,
  rawContext: unknown,
  secret: ToolSecret,
): AuditDraft {
  const last = e.row;
  if (last !== undefined && last.method === method && last.path === path && last.version === secret.version) {
    if (sameContext(rawContext, last.context)) return last.draft;
    // another caller context, the same call: the same frozen data
    const context = Object.freeze(cleanContext(rawContext));
    const draft: AuditDraft = { ...last.draft, context };
    e.row = { ...last, context, draft };
    return draft;
  }
  const context = Object.freeze(cleanContext(rawContext));
  const subject = sessionSubject(e.session, e.data);
  const draft = a.options.auditCalls
    ? callDraft(subject, e.data.agentId, { method, path, context }, secret, e.data)
    : secretReadDraft(subject, secret, context);
  Object.freeze(draft.data);
  e.row = { method, path, version: secret.version, context, draft };
  return draft;
}

/** Whether `raw` cleans to exactly `kept` (the frozen context of the entry's last row). */
function sameContext(raw: unknown, kept: { ip?: string; userAgent?: string }): boolean {
  if (typeof raw !== 'object' || raw === null) return kept.ip === undefined && kept.userAgent === undefined;
  const { ip, userAgent } = raw as { ip?: unknown; userAgent?: unknown };
  return (
    (contextString(ip, 64) ? ip : undefined) === kept.ip &&
    (contextString(userAgent, 512) ? userAgent : undefined) === kept.userAgent
  );
}

async function authorizeOnce(
  a: AccessContext,
  token: unknown,
  target: CallTarget,
  rawContext: unknown,
): Promise<AuthorizeResult> {
  const { toolId, method, path } = target;
  const context = cleanContext(rawContext);
  // the state the records are checked under, taken before they are read (a reload meanwhile: no entry)
  const state = a.ctx.stateNow?.() ?? null;
  const cached = await cachedCheck(a, token, target);
  let c: Extract<Check, { ok: true }>;
  let toolData: ToolData;
  let secret: ToolSecret;
  if (cached !== null) {
    c = { ok: true, session: cached.session, data: cached.data, tool: cached.tool };
    toolData = cached.toolData;
    secret = await readToolSecret(a, cached.secret);
  } else {
    const checked = await check(a, token, { toolId, method, path, context });
    if (!checked.ok) {
      if (checked.session !== undefined) countUse(a, checked.session.id, false);
      return { ok: false, code: checked.code, status: statusOf(checked.code) };
    }
    c = checked;
    toolData = readToolData(c.tool);
    secret = await readToolSecret(a, { name: toolData.secret, environment: toolData.secretEnvironment });
  }
  let session = c.session;
  let sessionData = c.data;
  /** The session's count with this call, when it is counted rather than spent (below). */
  let callsUsed: number | null = null;
  const batch = a.options.auditBatch;
  if (c.data.maxCalls !== null || (a.options.auditCalls && batch === null)) {
    // a cap to spend exactly (CAS), or strict per-call audit; batched: refuse before spending
    // while an earlier batch of rows cannot be written (fail closed)
    if (batch !== null) await a.ctx.auditLater([], batch);
    const s = await spend(a, c, { method, path, context }, secret);
    if (!s.ok) {
      countUse(a, c.session.id, false);
      countUse(a, c.tool.id, false);
      return { ok: false, code: s.code, status: statusOf(s.code) };
    }
    session = s.record;
    sessionData = s.data;
    remember(a, state, token, s.record, s.data, c, toolData, secret.record);
  } else if (a.options.auditCalls && batch !== null) {
    // batched, uncapped: nothing to spend, so no write per call; the row is queued and the call
    // counted, its count added to the session record with the batch (./pending-uses.ts)
    // (no copy of the session data per call: `maxCalls` is null here, so the row's `remaining`
    // is null whatever the count, and the count only shows in the answer's `callsUsed`)
    callsUsed = c.data.callsUsed + a.uses.pending(c.session.id) + 1;
    const row = callDraft(
      sessionSubject(c.session, c.data),
      c.data.agentId,
      { method, path, context },
      secret,
      c.data,
    );
    await a.ctx.auditLater(row, batch);
    a.uses.add(c.session.id, batch.windowMs);
  } else {
    // nothing to spend and no access.call row: the read is audited on its own (fail closed)
    const row = secretReadDraft(sessionSubject(c.session, c.data), secret, context);
    if (batch === null) await a.ctx.audit(row);
    else await a.ctx.auditLater(row, batch);
  }
  if (session === c.session && cached === null) {
    remember(a, state, token, c.session, c.data, c, toolData, secret.record);
  }
  const now = a.ctx.clock.now();
  countUse(a, session.id, true);
  countUse(a, c.tool.id, true);
  const info = sessionInfoOf(session, now, sessionData);
  if (callsUsed !== null) info.callsUsed = callsUsed;
  return granted(info, toolInfoOf(c.tool, toolData), secret.value);
}

/** Keeps the records of a granted call for the session's next call (./call-cache.ts). */
function remember(
  a: AccessContext,
  state: StoreState | null,
  token: unknown,
  session: StoredRecord,
  data: SessionData,
  c: Extract<Check, { ok: true }>,
  toolData: ToolData,
  secret: StoredRecord,
): void {
  if (state === null || typeof token !== 'string' || a.ctx.storage.readMacs === undefined) return;
  // a record without a MAC (a 0.1 store pending its upgrade) is never reused: read every time
  if (typeof session.mac !== 'string' || typeof c.tool.mac !== 'string' || typeof secret.mac !== 'string')
    return;
  a.calls.set({ token, state, session, data, tool: c.tool, toolData, secret });
}

/** Usage analytics of a session or tool record: buffered, added to the storage rollup in batches. */
function countUse(a: AccessContext, recordId: string, valid: boolean): void {
  try {
    a.ctx.rollup?.count(recordId, valid, a.ctx.clock.now());
  } catch {
    // analytics never fail a call
  }
}

/** The symbol Node's `util.inspect` looks up; read through `Symbol.for`, so no node import. */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * A granted call whose `secret` is a getter on the prototype reading a private field: `r.secret`
 * and destructuring read it; `JSON.stringify`, `util.inspect`, spread, `structuredClone` and
 * `Object.keys` never show it (a logged result leaks nothing). A class rather than
 * `Object.defineProperties` on each result: same visibility, a fraction of the cost per call.
 */
class Granted {
  readonly ok = true as const;
  readonly #secret: string;
  constructor(
    readonly session: SessionInfo,
    readonly tool: ToolInfo,
    secret: string,
  ) {
    this.#secret = secret;
  }
  get secret(): string {
    return this.#secret;
  }
  toJSON(): { ok: true; session: SessionInfo; tool: ToolInfo } {
    return { ok: true, session: this.session, tool: this.tool };
  }
  [INSPECT](): { ok: true; session: SessionInfo; tool: ToolInfo; secret: string } {
    return { ok: true, session: this.session, tool: this.tool, secret: '[redacted]' };
  }
}

function granted(session: SessionInfo, tool: ToolInfo, secret: string): AuthorizeResult {
  return new Granted(session, tool, secret) as Extract<AuthorizeResult, { ok: true }>;
}

/** Keeps only short string `ip` and `userAgent` (audit context), dropping anything else. */
function cleanContext(raw: unknown): { ip?: string; userAgent?: string } {
  const out: { ip?: string; userAgent?: string } = {};
  if (typeof raw !== 'object' || raw === null) return out;
  const { ip, userAgent } = raw as { ip?: unknown; userAgent?: unknown };
  if (contextString(ip, 64)) out.ip = ip;
  if (contextString(userAgent, 512)) out.userAgent = userAgent;
  return out;
}

/** A string of at most `max` UTF-16 units without a control character (Unicode `Cc`: C0, DEL, C1). */
function contextString(v: unknown, max: number): v is string {
  if (typeof v !== 'string' || v.length > max) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}
