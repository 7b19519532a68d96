/**
 * `access.requests`: an agent asks for a tool with a justification; approvers (never the agent or
 * whom it acts for) approve, possibly narrowing the grant, or deny; the agent may cancel. A
 * pending request expires after `pendingTtl`, and an approved one that is not opened in that time
 * too. Every transition is a CAS write, an audit event and a notifier event.
 * @internal
 * @module
 */
import { KeywardenError } from '../errors.js';
import { iteratePages } from '../internal/iterate.js';
import type { JsonObject } from '../ports/json.js';
import type { StoredRecord } from '../ports/storage.js';
import { type AccessContext, findToolRecord, listAccessPage, loadAccessRecord } from './context.js';
import { type AccessSubject, draftOf, eventBaseOf } from './events.js';
import {
  asJson,
  effectiveRequestState,
  newAccessRecord,
  type RequestData,
  readRequestData,
  readToolData,
  requestRecordStatus,
  type ToolData,
  toRequestInfo,
} from './records.js';
import {
  type ApproveParsed,
  actorOptionsSchema,
  approveSchema,
  createRequestSchema,
  denySchema,
  recordIdSchema,
  requestListSchema,
} from './schemas.js';
import { transition } from './transition.js';
import type { AccessApproval, AccessGrant, AccessRequestInfo, RequestsView } from './types.js';
import { parseFields, parseValue } from './validate.js';

/**
 * The subject of events about a request record.
 * @example
 * ```ts
 * const s = requestSubject(record, readRequestData(record));
 * ```
 * @throws never
 */
export function requestSubject(record: StoredRecord, d: RequestData): AccessSubject {
  return {
    record,
    toolId: d.toolId,
    requestId: record.id,
    sessionId: d.sessionId,
    agentId: d.agentId,
    onBehalfOf: d.onBehalfOf,
  };
}

function invalidState(status: string, action: string): KeywardenError {
  return new KeywardenError('ERR_INVALID_STATE', `cannot ${action} a request that is ${status}`, {
    field: 'id',
  });
}

/** Applies one approver's narrowing to the current grant; refuses any widening. */
function narrow(grant: AccessGrant, o: ApproveParsed, tool: ToolData): AccessGrant {
  const next: AccessGrant = { ...grant, methods: [...grant.methods], paths: [...grant.paths] };
  if (o.duration !== undefined) {
    if (o.duration > grant.duration) {
      throw new KeywardenError('ERR_VALIDATION', 'duration: may only narrow the grant, not widen it', {
        field: 'duration',
      });
    }
    next.duration = o.duration;
  }
  if (o.maxCalls !== undefined) {
    if (grant.maxCalls !== null && o.maxCalls > grant.maxCalls) {
      throw new KeywardenError('ERR_VALIDATION', 'maxCalls: may only narrow the grant, not widen it', {
        field: 'maxCalls',
      });
    }
    next.maxCalls = o.maxCalls;
  }
  if (o.methods !== undefined) {
    if (!o.methods.every((m) => grant.methods.includes(m))) {
      throw new KeywardenError('ERR_VALIDATION', 'methods: may only narrow the grant, not widen it', {
        field: 'methods',
      });
    }
    next.methods = o.methods;
  }
  if (o.paths !== undefined) {
    if (!o.paths.every((p) => grant.paths.includes(p) && tool.paths.includes(p))) {
      throw new KeywardenError(
        'ERR_VALIDATION',
        'paths: may only narrow the grant (use the tool paths as written)',
        {
          field: 'paths',
        },
      );
    }
    next.paths = o.paths;
  }
  return next;
}

/**
 * Builds `access.requests`.
 *
 * @example
 * ```ts
 * const requests = createRequestsView(a);
 * const req = await requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'refund order 123' });
 * ```
 * @throws never itself; see each method.
 */
export function createRequestsView(a: AccessContext): RequestsView {
  const { ctx } = a;

  async function create(raw: unknown): Promise<AccessRequestInfo> {
    await ctx.ready();
    const input = parseFields(createRequestSchema, raw, 'input');
    const toolRecord = await findToolRecord(a, input.toolId);
    if (toolRecord === null) throw new KeywardenError('ERR_NOT_FOUND', 'tool not found', { field: 'toolId' });
    const tool = readToolData(toolRecord);
    const duration = input.duration ?? tool.maxDuration;
    if (duration > tool.maxDuration) {
      throw new KeywardenError('ERR_VALIDATION', "duration: must not exceed the tool's maxDuration", {
        field: 'duration',
      });
    }
    if (input.maxCalls !== undefined && tool.maxCalls !== null && input.maxCalls > tool.maxCalls) {
      throw new KeywardenError('ERR_VALIDATION', "maxCalls: must not exceed the tool's maxCalls", {
        field: 'maxCalls',
      });
    }
    const maxCalls = input.maxCalls ?? tool.maxCalls;
    const now = ctx.clock.now();
    const auto = tool.approval === 'auto';
    const data: RequestData = {
      toolId: input.toolId,
      agentId: input.agentId,
      onBehalfOf: input.onBehalfOf ?? null,
      justification: input.justification,
      context: (input.context ?? {}) as Record<string, unknown>,
      state: auto ? 'approved' : 'pending',
      requested: { duration, maxCalls },
      grant: { duration, maxCalls, methods: [...tool.methods], paths: [...tool.paths] },
      approvalsRequired: auto ? 1 : tool.approvals,
      approvals: auto ? [{ approver: 'auto', at: now, duration, maxCalls }] : [],
      decision: null,
      deadline: now + a.options.pendingTtl,
      sessionId: null,
      sessionExpiresAt: null,
    };
    const record = newAccessRecord({
      id: ctx.newId(),
      kind: 'access_request',
      name: input.toolId,
      uniqueName: false,
      tenantId: a.options.tenantId,
      ownerId: input.agentId,
      status: requestRecordStatus(data.state),
      now,
      data: asJson(data),
    });
    const subject = requestSubject(record, data);
    const drafts = [
      draftOf(subject, 'access.requested', input.agentId, {
        onBehalfOf: data.onBehalfOf,
        justification: data.justification,
        duration,
        maxCalls,
        risk: tool.risk,
      }),
    ];
    if (auto)
      drafts.push(draftOf(subject, 'access.approved', null, { approval: 'auto', duration, maxCalls }));
    await ctx.storage.create(record);
    try {
      await ctx.audit(drafts);
    } catch (error) {
      try {
        await ctx.storage.delete(record.id, { expectedRevision: record.revision });
      } catch {
        // changed meanwhile: leave it
      }
      throw error;
    }
    const base = eventBaseOf(subject, now);
    ctx.notify({
      ...base,
      type: 'access.requested',
      justification: data.justification,
      risk: tool.risk,
      approvalsRequired: data.approvalsRequired,
    });
    if (auto)
      ctx.notify({ ...base, type: 'access.approved', approver: 'auto', approvals: 1, approvalsRequired: 1 });
    return toRequestInfo(record, now);
  }

  async function load(rawId: unknown): Promise<StoredRecord> {
    const id = parseValue(recordIdSchema, rawId, 'id');
    await ctx.ready();
    return loadAccessRecord(a, id, 'access_request');
  }

  async function approve(rawId: unknown, rawOptions: unknown): Promise<AccessRequestInfo> {
    const o = parseFields(approveSchema, rawOptions, 'options');
    const existing = await load(rawId);
    const toolRecord = await findToolRecord(a, readRequestData(existing).toolId);
    if (toolRecord === null) throw new KeywardenError('ERR_NOT_FOUND', 'tool not found', { field: 'id' });
    const tool = readToolData(toolRecord);
    const { record } = await transition(a, existing, (cur) => {
      const d = readRequestData(cur);
      const now = ctx.clock.now();
      const status = effectiveRequestState(d, now);
      if (o.approver === d.agentId || (d.onBehalfOf !== null && o.approver === d.onBehalfOf)) {
        throw new KeywardenError('ERR_FORBIDDEN', 'approver: may not approve a request made by or for them', {
          field: 'approver',
        });
      }
      if (status !== 'pending') throw invalidState(status, 'approve');
      if (d.approvals.some((x) => x.approver === o.approver)) {
        throw new KeywardenError('ERR_FORBIDDEN', 'approver: has already approved this request', {
          field: 'approver',
        });
      }
      const grant = narrow(d.grant, o, tool);
      const approval: AccessApproval = {
        approver: o.approver,
        at: now,
        duration: grant.duration,
        maxCalls: grant.maxCalls,
      };
      const approvals = [...d.approvals, approval];
      const done = approvals.length >= d.approvalsRequired;
      const nd: RequestData = {
        ...d,
        grant,
        approvals,
        state: done ? 'approved' : 'pending',
        // an approved request must be opened within pendingTtl of its approval
        deadline: done ? now + a.options.pendingTtl : d.deadline,
      };
      const next = { ...cur, status: requestRecordStatus(nd.state), data: asJson(nd) };
      const subject = requestSubject(next, nd);
      const detail: JsonObject = {
        approvals: approvals.length,
        approvalsRequired: d.approvalsRequired,
        duration: grant.duration,
        maxCalls: grant.maxCalls,
        methods: grant.methods,
        paths: grant.paths,
        note: o.note ?? null,
        complete: done,
      };
      return {
        next,
        drafts: [draftOf(subject, 'access.approved', o.approver, detail)],
        events: [
          {
            ...eventBaseOf(subject, now),
            type: 'access.approved',
            approver: o.approver,
            approvals: approvals.length,
            approvalsRequired: d.approvalsRequired,
          },
        ],
      };
    });
    return toRequestInfo(record, ctx.clock.now());
  }

  async function deny(rawId: unknown, rawOptions: unknown): Promise<AccessRequestInfo> {
    const o = parseFields(denySchema, rawOptions, 'options');
    const existing = await load(rawId);
    const { record } = await transition(a, existing, (cur) => {
      const d = readRequestData(cur);
      const now = ctx.clock.now();
      const status = effectiveRequestState(d, now);
      if (status !== 'pending' && status !== 'approved') throw invalidState(status, 'deny');
      const nd: RequestData = {
        ...d,
        state: 'denied',
        decision: { by: o.approver, at: now, reason: o.reason },
      };
      const next = { ...cur, status: requestRecordStatus('denied'), data: asJson(nd) };
      const subject = requestSubject(next, nd);
      return {
        next,
        drafts: [draftOf(subject, 'access.denied', o.approver, { reason: o.reason, from: status })],
        events: [
          { ...eventBaseOf(subject, now), type: 'access.denied', approver: o.approver, reason: o.reason },
        ],
      };
    });
    return toRequestInfo(record, ctx.clock.now());
  }

  async function cancel(rawId: unknown, rawOptions?: unknown): Promise<AccessRequestInfo> {
    const { actor } = parseFields(actorOptionsSchema, rawOptions, 'options', true);
    const existing = await load(rawId);
    const { record } = await transition(a, existing, (cur) => {
      const d = readRequestData(cur);
      const now = ctx.clock.now();
      const status = effectiveRequestState(d, now);
      if (status !== 'pending' && status !== 'approved') throw invalidState(status, 'cancel');
      const nd: RequestData = {
        ...d,
        state: 'cancelled',
        decision: { by: actor ?? null, at: now, reason: null },
      };
      const next = { ...cur, status: requestRecordStatus('cancelled'), data: asJson(nd) };
      const subject = requestSubject(next, nd);
      return {
        next,
        drafts: [draftOf(subject, 'access.cancelled', actor ?? d.agentId, { from: status })],
        events: [{ ...eventBaseOf(subject, now), type: 'access.cancelled' }],
      };
    });
    return toRequestInfo(record, ctx.clock.now());
  }

  const view: RequestsView = Object.freeze({
    create: create as RequestsView['create'],
    async get(id: string): Promise<AccessRequestInfo> {
      return toRequestInfo(await load(id), ctx.clock.now());
    },
    async list(rawQuery?: unknown) {
      const q = parseFields(requestListSchema, rawQuery, 'query', true);
      const recordStatus =
        q.status === undefined || q.status === 'expired' || q.status === 'ended'
          ? undefined
          : requestRecordStatus(q.status);
      return listAccessPage(a, 'access_request', q, recordStatus, toRequestInfo);
    },
    iterate: ((query) => iteratePages((q) => view.list(q), query)) as RequestsView['iterate'],
    approve: approve as RequestsView['approve'],
    deny: deny as RequestsView['deny'],
    cancel: cancel as RequestsView['cancel'],
  });
  return view;
}
