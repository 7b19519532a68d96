/**
 * `access.sessions`: open a session from an approved request (once), read, list and revoke
 * sessions. The proxy token (`kwp_…`, the API-token format) is returned once by `open`; only its
 * keyed hash is stored, and the session id is the token's id part.
 * @internal
 * @module
 */

import { generateApiToken } from '../crypto/tokens.js';
import { KeywardenError } from '../errors.js';
import { iteratePages } from '../internal/iterate.js';
import type { StoredRecord } from '../ports/storage.js';
import { makeVersion } from '../records/record.js';
import { type UsageOptions, usageReport } from '../records/usage-report.js';
import { type AccessContext, findToolRecord, listAccessPage, loadAccessRecord } from './context.js';
import { draftOf, eventBaseOf } from './events.js';
import {
  asJson,
  effectiveRequestState,
  newAccessRecord,
  PROXY_TOKEN_PREFIX,
  type RequestData,
  readRequestData,
  requestRecordStatus,
  type SessionData,
  sessionRecordStatus,
  toSessionInfo,
} from './records.js';
import { requestSubject } from './requests.js';
import { recordIdSchema, revokeSchema, sessionListSchema } from './schemas.js';
import { revokeSessionRecord, sessionSubject } from './session-ops.js';
import { transition } from './transition.js';
import type { OpenedSession, SessionInfo, SessionsView } from './types.js';
import { parseFields, parseValue } from './validate.js';

/** The symbol Node's `util.inspect` looks up; read through `Symbol.for`, so no node import. */
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Wraps a session info with its token as a non-enumerable getter: destructuring reads it,
 * `JSON.stringify`, `util.inspect`, spread and `Object.keys` never show it.
 * @example
 * ```ts
 * declare const info: SessionInfo;
 * const opened = openedSession(token, info);
 * JSON.stringify(opened); // no token
 * ```
 * @throws never
 */
export function openedSession(token: string, info: SessionInfo): OpenedSession {
  const result = { ...info } as OpenedSession;
  Object.defineProperties(result, {
    token: { get: () => token, enumerable: false, configurable: false },
    toJSON: { value: () => ({ ...info }), enumerable: false },
    [INSPECT]: { value: () => ({ ...info, token: '[redacted]' }), enumerable: false },
  });
  return result;
}

/**
 * Builds `access.sessions`.
 *
 * @example
 * ```ts
 * declare const requestId: string;
 * const sessions = createSessionsView(a);
 * const { token, expiresAt } = await sessions.open(requestId);
 * ```
 * @throws never itself; see each method.
 */
export function createSessionsView(a: AccessContext): SessionsView {
  const { ctx } = a;

  async function open(rawId: unknown): Promise<OpenedSession> {
    const requestId = parseValue(recordIdSchema, rawId, 'requestId');
    const state = await ctx.ready();
    const existing = await loadAccessRecord(a, requestId, 'access_request');
    const tool = await findToolRecord(a, readRequestData(existing).toolId);
    if (tool === null) throw new KeywardenError('ERR_NOT_FOUND', 'tool not found', { field: 'requestId' });

    const sessionId = ctx.newId();
    const { token } = generateApiToken({ prefix: PROXY_TOKEN_PREFIX, id: sessionId });
    let session: StoredRecord | null = null;
    let sessionData: SessionData | null = null;
    // 1. claim the request (exactly one open wins), 2. write the session, 3. audit both.
    const claimed = await transition(a, existing, (cur) => {
      const d = readRequestData(cur);
      const now = ctx.clock.now();
      const status = effectiveRequestState(d, now);
      if (status !== 'approved') {
        throw new KeywardenError(
          'ERR_INVALID_STATE',
          `cannot open a session for a request that is ${status}`,
          {
            field: 'requestId',
          },
        );
      }
      const expiresAt = Math.min(now + d.grant.duration, now + a.options.maxSessionDuration);
      const nd: RequestData = {
        ...d,
        state: 'active',
        sessionId,
        sessionExpiresAt: expiresAt,
        deadline: null,
      };
      const next = { ...cur, status: requestRecordStatus('active'), data: asJson(nd) };
      sessionData = {
        requestId: cur.id,
        toolId: d.toolId,
        agentId: d.agentId,
        onBehalfOf: d.onBehalfOf,
        state: 'active',
        methods: [...d.grant.methods],
        paths: [...d.grant.paths],
        expiresAt,
        maxCalls: d.grant.maxCalls,
        callsUsed: 0,
        endedAt: null,
        endReason: null,
      };
      session = newAccessRecord({
        id: sessionId,
        kind: 'access_session',
        name: d.toolId,
        uniqueName: false,
        tenantId: cur.tenantId,
        ownerId: d.agentId,
        status: sessionRecordStatus('active'),
        now,
        data: asJson(sessionData),
        versions: [
          makeVersion({ version: 1, state: 'current', createdAt: now, hash: state.hashToken(token) }),
        ],
      });
      const subject = sessionSubject(session, sessionData);
      return {
        next,
        drafts: [
          draftOf(requestSubject(next, nd), 'access.session_opened', d.agentId, {
            start: `${PROXY_TOKEN_PREFIX}_${sessionId}`,
            expiresAt,
            maxCalls: d.grant.maxCalls,
            methods: d.grant.methods,
            paths: d.grant.paths,
          }),
        ],
        events: [
          {
            ...eventBaseOf(subject, now),
            type: 'access.session_opened',
            expiresAt,
            maxCalls: d.grant.maxCalls,
          },
        ],
      };
    });
    const written = session as StoredRecord | null;
    if (!claimed.changed || written === null) {
      throw new KeywardenError('ERR_INVALID_STATE', 'the request could not be opened', {
        field: 'requestId',
      });
    }
    try {
      await ctx.storage.create(written);
    } catch (error) {
      // give the request back (approved, same deadline) so the open can be retried
      try {
        await ctx.storage.update(
          { ...existing, revision: claimed.record.revision + 1, updatedAt: ctx.clock.now() },
          { expectedRevision: claimed.record.revision },
        );
      } catch {
        // moved on meanwhile
      }
      throw error;
    }
    return openedSession(token, toSessionInfo(written, ctx.clock.now()));
  }

  async function load(rawId: unknown): Promise<StoredRecord> {
    const id = parseValue(recordIdSchema, rawId, 'id');
    await ctx.ready();
    return loadAccessRecord(a, id, 'access_session');
  }

  async function revoke(rawId: unknown, rawOptions?: unknown): Promise<SessionInfo> {
    const o = parseFields(revokeSchema, rawOptions, 'options', true);
    const record = await load(rawId);
    const after = await revokeSessionRecord(a, record, { reason: o.reason ?? null, actor: o.actor ?? null });
    return toSessionInfo(after, ctx.clock.now());
  }

  const view: SessionsView = Object.freeze({
    open: open as SessionsView['open'],
    async get(id: string): Promise<SessionInfo> {
      return toSessionInfo(await load(id), ctx.clock.now());
    },
    async usage(id: string, options?: UsageOptions) {
      return usageReport(ctx, (await load(id)).id, options);
    },
    async list(rawQuery?: unknown) {
      const q = parseFields(sessionListSchema, rawQuery, 'query', true);
      const recordStatus =
        q.status === undefined || q.status === 'expired' ? undefined : sessionRecordStatus(q.status);
      return listAccessPage(a, 'access_session', q, recordStatus, toSessionInfo);
    },
    iterate: ((query) => iteratePages((q) => view.list(q), query)) as SessionsView['iterate'],
    revoke: revoke as SessionsView['revoke'],
  });
  return view;
}
