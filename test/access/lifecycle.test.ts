import { describe, expect, it } from 'vitest';
import type { ApproveOptions } from '../../src/access/types.js';
import { isKeywardenError, KeywardenError } from '../../src/errors.js';
import { trustedStorage } from '../support/trusted-storage.js';
import { accessHarness, CHARGES, openSession, SECRET_VALUE } from './helpers.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (error instanceof KeywardenError) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('access requests', () => {
  it('goes pending -> approved -> active -> ended with an audit and a notifier event per step', async () => {
    const h = await accessHarness();
    const req = await h.access.requests.create({
      toolId: 'stripe',
      agentId: 'agent-7',
      onBehalfOf: 'user_1',
      justification: 'refund order 123',
      context: { orderId: '123' },
      duration: '10m',
    });
    expect(req.status).toBe('pending');
    expect(req.expiresAt).toBe(h.clock.now() + 24 * 3_600_000);
    const approved = await h.access.requests.approve(req.id, { approver: 'alice', duration: '5m' });
    expect(approved.status).toBe('approved');
    expect(approved.grant.duration).toBe(300_000);
    const session = await h.access.sessions.open(req.id);
    expect(session.token.startsWith(`kwp_${session.id}_`)).toBe(true);
    expect(session.expiresAt).toBe(h.clock.now() + 300_000);
    expect((await h.access.requests.get(req.id)).status).toBe('active');
    await h.access.sessions.revoke(session.id, { reason: 'done', actor: 'alice' });
    expect((await h.access.requests.get(req.id)).status).toBe('ended');
    expect((await h.access.sessions.get(session.id)).status).toBe('revoked');

    const types = (await h.km.audit.list({ limit: 100 })).items.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'access.tool_registered',
        'access.requested',
        'access.approved',
        'access.session_opened',
        'access.session_ended',
        'access.request_ended',
      ]),
    );
    const notified = h.events.map((e) => e.type).filter((t) => t.startsWith('access.'));
    expect(notified).toEqual([
      'access.requested',
      'access.approved',
      'access.session_opened',
      'access.session_ended',
    ]);
    const approvedEvent = h.events.find((e) => e.type === 'access.approved');
    expect(approvedEvent).toMatchObject({ agentId: 'agent-7', onBehalfOf: 'user_1', approver: 'alice' });
    expect((await h.km.audit.verify()).ok).toBe(true);
  });

  it('refuses self-approval by the agent or by whom it acts for with ERR_FORBIDDEN', async () => {
    const h = await accessHarness();
    const req = await h.access.requests.create({
      toolId: 'stripe',
      agentId: 'agent-7',
      onBehalfOf: 'user_1',
      justification: 'x',
    });
    for (const approver of ['agent-7', 'user_1']) {
      const err = await h.access.requests.approve(req.id, { approver }).catch((e: unknown) => e);
      expect(isKeywardenError(err, 'ERR_FORBIDDEN')).toBe(true);
      expect((err as KeywardenError).field).toBe('approver');
    }
    expect((await h.access.requests.get(req.id)).status).toBe('pending');
    expect((await h.access.requests.get(req.id)).approvals).toEqual([]);
  });

  it('lets approvers narrow the grant, never widen it', async () => {
    const h = await accessHarness();
    const req = await h.access.requests.create({
      toolId: 'stripe',
      agentId: 'agent-7',
      justification: 'x',
      duration: '10m',
      maxCalls: 10,
    });
    const widenings: [Partial<ApproveOptions>, string][] = [
      [{ duration: '11m' }, 'duration'],
      [{ maxCalls: 11 }, 'maxCalls'],
      [{ methods: ['GET', 'DELETE'] }, 'methods'],
      [{ paths: ['/v1/refunds'] }, 'paths'],
    ];
    for (const [opts, field] of widenings) {
      const err = await h.access.requests
        .approve(req.id, { approver: 'alice', ...opts })
        .catch((e: unknown) => e);
      expect(isKeywardenError(err, 'ERR_VALIDATION')).toBe(true);
      expect((err as KeywardenError).field).toBe(field);
    }
    expect((await h.access.requests.get(req.id)).status).toBe('pending');
    const ok = await h.access.requests.approve(req.id, {
      approver: 'alice',
      duration: '2m',
      maxCalls: 3,
      methods: ['GET'],
      paths: ['/v1/charges'],
    });
    expect(ok.grant).toEqual({ duration: 120_000, maxCalls: 3, methods: ['GET'], paths: ['/v1/charges'] });
    const s = await h.access.sessions.open(req.id);
    expect(s.expiresAt - s.createdAt).toBe(120_000);
    const post = await h.access.authorize(s.token, { ...CHARGES, method: 'POST' });
    expect(post).toEqual({ ok: false, code: 'FORBIDDEN', status: 403 });
    const sub = await h.access.authorize(s.token, { ...CHARGES, path: '/v1/charges/ch_1' });
    expect(sub).toEqual({ ok: false, code: 'FORBIDDEN', status: 403 });
  });

  it('refuses a request longer or larger than the tool allows', async () => {
    const h = await accessHarness();
    const long = await h.access.requests
      .create({ toolId: 'stripe', agentId: 'a', justification: 'x', duration: '2h' })
      .catch((e: unknown) => e);
    expect((long as KeywardenError).field).toBe('duration');
    const many = await h.access.requests
      .create({ toolId: 'stripe', agentId: 'a', justification: 'x', maxCalls: 101 })
      .catch((e: unknown) => e);
    expect((many as KeywardenError).field).toBe('maxCalls');
  });

  it('needs N distinct approvers for approvals: N', async () => {
    const h = await accessHarness({ tool: { approvals: 2 } });
    const req = await h.access.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'x' });
    const one = await h.access.requests.approve(req.id, { approver: 'alice', duration: '30m' });
    expect(one.status).toBe('pending');
    expect(await codeOf(h.access.requests.approve(req.id, { approver: 'alice' }))).toBe('ERR_FORBIDDEN');
    expect(await codeOf(h.access.sessions.open(req.id))).toBe('ERR_INVALID_STATE');
    // the second approver cannot widen what the first narrowed
    expect(await codeOf(h.access.requests.approve(req.id, { approver: 'bob', duration: '45m' }))).toBe(
      'ERR_VALIDATION',
    );
    const two = await h.access.requests.approve(req.id, { approver: 'bob' });
    expect(two.status).toBe('approved');
    expect(two.approvals.map((x) => x.approver)).toEqual(['alice', 'bob']);
    expect(two.grant.duration).toBe(1_800_000);
  });

  it("approves at create with approval: 'auto', still bounded by maxDuration", async () => {
    const h = await accessHarness({ tool: { approval: 'auto', maxDuration: '15m' } });
    const req = await h.access.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'x' });
    expect(req.status).toBe('approved');
    expect(req.grant.duration).toBe(900_000);
    const s = await h.access.sessions.open(req.id);
    expect(s.expiresAt - s.createdAt).toBe(900_000);
  });

  it('expires a pending request after pendingTtl: reads as expired at once, the sweep persists it', async () => {
    const h = await accessHarness({ access: { pendingTtl: '1h' } });
    const req = await h.access.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'x' });
    h.clock.advance('59m');
    expect((await h.access.requests.get(req.id)).status).toBe('pending');
    h.clock.advance('1m');
    expect((await h.access.requests.get(req.id)).status).toBe('expired');
    expect((await h.access.requests.list({ status: 'pending' })).items).toEqual([]);
    expect((await h.access.requests.list({ status: 'expired' })).items.map((r) => r.id)).toEqual([req.id]);
    expect(await codeOf(h.access.requests.approve(req.id, { approver: 'alice' }))).toBe('ERR_INVALID_STATE');
    expect(await codeOf(h.access.sessions.open(req.id))).toBe('ERR_INVALID_STATE');
    const report = await h.access.sweep();
    expect(report.requestsExpired).toBe(1);
    expect((await h.access.sweep()).requestsExpired).toBe(0);
    const stored = await h.storage.get(req.id);
    expect(stored?.status).toBe('expired');
    expect(stored?.data['state']).toBe('expired');
    expect(h.events.filter((e) => e.type === 'access.expired')).toHaveLength(1);
    expect((await h.km.audit.list({ type: 'access.expired', limit: 10 })).items).toHaveLength(1);
  });

  it('approve racing expiry ends in exactly one state, with one matching audit event', async () => {
    for (const offset of [-1, 0, 1]) {
      const h = await accessHarness({ access: { pendingTtl: '1h' } });
      const req = await h.access.requests.create({
        toolId: 'stripe',
        agentId: 'agent-7',
        justification: 'x',
      });
      h.clock.advance(3_600_000 + offset);
      const [approve] = await Promise.allSettled([
        h.access.requests.approve(req.id, { approver: 'alice' }),
        h.access.sweep(),
        h.access.sweep(),
      ]);
      const final = await h.access.requests.get(req.id);
      const stored = await h.storage.get(req.id);
      const audit = (await h.km.audit.list({ keyId: req.id, limit: 100 })).items.map((e) => e.type);
      if (approve.status === 'fulfilled') {
        expect(final.status).toBe('approved');
        expect(stored?.data['state']).toBe('approved');
        expect(audit).toEqual(['access.requested', 'access.approved']);
      } else {
        expect(isKeywardenError(approve.reason, 'ERR_INVALID_STATE')).toBe(true);
        expect(final.status).toBe('expired');
        expect(stored?.data['state']).toBe('expired');
        expect(audit).toEqual(['access.requested', 'access.expired']);
      }
      // with the clock fixed the winner is decided by time: before the deadline approve, at or after it expiry
      expect(approve.status).toBe(offset < 0 ? 'fulfilled' : 'rejected');
    }
  });

  it('approve racing deny and cancel: exactly one decision wins', async () => {
    const h = await accessHarness();
    for (let i = 0; i < 5; i++) {
      const req = await h.access.requests.create({
        toolId: 'stripe',
        agentId: 'agent-7',
        justification: 'x',
      });
      const results = await Promise.allSettled([
        h.access.requests.approve(req.id, { approver: 'alice' }),
        h.access.requests.deny(req.id, { approver: 'bob', reason: 'no' }),
      ]);
      const final = await h.access.requests.get(req.id);
      // a deny may still follow an approval (not yet opened); an approval never follows a deny
      expect(['approved', 'denied']).toContain(final.status);
      if (final.status === 'approved') expect(results[1].status).toBe('rejected');
      const decisions = (await h.km.audit.list({ keyId: req.id, limit: 10 })).items
        .map((e) => e.type)
        .filter((t) => t !== 'access.requested');
      expect(decisions.length).toBe(results.filter((r) => r.status === 'fulfilled').length);
    }
  });

  it('tells the requester about a denial and cancels only live requests', async () => {
    const h = await accessHarness();
    const req = await h.access.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'x' });
    const denied = await h.access.requests.deny(req.id, { approver: 'bob', reason: 'not today' });
    expect(denied.status).toBe('denied');
    expect(denied.decision).toMatchObject({ by: 'bob', reason: 'not today' });
    expect(h.events.find((e) => e.type === 'access.denied')).toMatchObject({
      agentId: 'agent-7',
      reason: 'not today',
    });
    expect(await codeOf(h.access.requests.cancel(req.id))).toBe('ERR_INVALID_STATE');
    expect(await codeOf(h.access.requests.approve(req.id, { approver: 'alice' }))).toBe('ERR_INVALID_STATE');
    const other = await h.access.requests.create({
      toolId: 'stripe',
      agentId: 'agent-7',
      justification: 'y',
    });
    expect((await h.access.requests.cancel(other.id, { actor: 'agent-7' })).status).toBe('cancelled');
  });
});

describe('sessions and proxy tokens', () => {
  it('opens a session once per approved request', async () => {
    const h = await accessHarness();
    const { requestId } = await openSession(h);
    expect(await codeOf(h.access.sessions.open(requestId))).toBe('ERR_INVALID_STATE');
  });

  it('two concurrent opens of one request: exactly one gets a token', async () => {
    const h = await accessHarness();
    const req = await h.access.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'x' });
    await h.access.requests.approve(req.id, { approver: 'alice' });
    const r = await Promise.allSettled([h.access.sessions.open(req.id), h.access.sessions.open(req.id)]);
    expect(r.filter((x) => x.status === 'fulfilled')).toHaveLength(1);
    expect((await h.access.sessions.list()).items).toHaveLength(1);
  });

  it('authorize injects the current secret value, and a rotated secret is used at once', async () => {
    const h = await accessHarness();
    const { token } = await openSession(h);
    const first = await h.access.authorize(token, CHARGES);
    expect(first.ok && first.secret).toBe(SECRET_VALUE);
    await h.km.secrets.set('STRIPE_KEY', 'sk_test_rotated_value_0000000000', { environment: 'production' });
    const second = await h.access.authorize(token, CHARGES);
    expect(second.ok && second.secret).toBe('sk_test_rotated_value_0000000000');
    expect(second.ok && second.session.callsUsed).toBe(2);
  });

  it('revoking a session applies to the very next call', async () => {
    const h = await accessHarness();
    const { token, sessionId } = await openSession(h);
    expect((await h.access.authorize(token, CHARGES)).ok).toBe(true);
    await h.access.sessions.revoke(sessionId, { reason: 'suspicious' });
    expect(await h.access.authorize(token, CHARGES)).toEqual({ ok: false, code: 'REVOKED', status: 401 });
    expect(await h.access.verify(token)).toEqual({ valid: false, code: 'REVOKED' });
  });

  it('an expired token is refused with 401 EXPIRED, and the sweep ends the session and its request', async () => {
    const h = await accessHarness();
    const { token, sessionId, requestId } = await openSession(h, { duration: '10m' });
    h.clock.advance('10m');
    expect(await h.access.authorize(token, CHARGES)).toEqual({ ok: false, code: 'EXPIRED', status: 401 });
    expect((await h.access.sessions.get(sessionId)).status).toBe('expired');
    expect((await h.access.requests.get(requestId)).status).toBe('ended');
    const report = await h.access.sweep();
    expect(report.sessionsEnded).toBe(1);
    expect((await h.storage.get(sessionId))?.data['state']).toBe('expired');
    expect((await h.storage.get(requestId))?.data['state']).toBe('ended');
    expect(h.events.filter((e) => e.type === 'access.session_ended')).toMatchObject([{ reason: 'expired' }]);
  });

  it('ends a session when its calls are used up (429 after the last)', async () => {
    const h = await accessHarness();
    const { token, sessionId } = await openSession(h, { maxCalls: 2 });
    expect((await h.access.authorize(token, CHARGES)).ok).toBe(true);
    const last = await h.access.authorize(token, CHARGES);
    expect(last.ok && last.session.remaining).toBe(0);
    expect(await h.access.authorize(token, CHARGES)).toEqual({
      ok: false,
      code: 'USAGE_EXCEEDED',
      status: 429,
    });
    expect((await h.access.sessions.get(sessionId)).status).toBe('exhausted');
    expect(h.events.filter((e) => e.type === 'access.session_ended')).toMatchObject([
      { reason: 'exhausted' },
    ]);
  });

  it('refuses malformed, unknown and tampered tokens, other tools, methods and paths', async () => {
    const h = await accessHarness();
    const { token } = await openSession(h);
    expect(await h.access.authorize('nope', CHARGES)).toEqual({ ok: false, code: 'MALFORMED', status: 401 });
    const flipped = `${token.slice(0, 20)}${token[20] === 'A' ? 'B' : 'A'}${token.slice(21)}`;
    expect((await h.access.authorize(flipped, CHARGES)).ok).toBe(false);
    const created = await h.km.apiKeys.create({ name: 'not a proxy token' });
    expect((await h.access.authorize(created.token, CHARGES)).ok).toBe(false);
    expect(await h.access.authorize(token, { ...CHARGES, toolId: 'github' })).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(await h.access.authorize(token, { ...CHARGES, method: 'DELETE' })).toMatchObject({
      code: 'FORBIDDEN',
    });
    for (const path of [
      '/v1/refunds',
      '/v1/charges/../refunds',
      '/v1/charges/%2e%2e',
      '/v1/charges/a/b',
      '/v1//charges',
    ]) {
      expect(await h.access.authorize(token, { ...CHARGES, path })).toMatchObject({ code: 'FORBIDDEN' });
    }
    expect(await h.access.authorize(token, { ...CHARGES, path: '/v1/charges/ch_1' })).toMatchObject({
      ok: true,
    });
    // 7 violations, 3 distinct (tool, method, path) for one session: 3 rows and 3 events; the 4
    // repeated path violations are counted and reported on the session's next path row
    const violations = (await h.km.audit.list({ type: 'access.violation', limit: 100 })).items;
    expect(violations.map((v) => v.data['reason'])).toEqual([
      'tool not granted',
      'method not allowed',
      'path not allowed',
    ]);
    expect(h.events.filter((e) => e.type === 'access.violation')).toHaveLength(3);
    h.clock.advance('1m');
    expect(await h.access.authorize(token, { ...CHARGES, path: '/v1/refunds' })).toMatchObject({
      code: 'FORBIDDEN',
    });
    const after = (await h.km.audit.list({ type: 'access.violation', limit: 100 })).items;
    expect(after).toHaveLength(4);
    expect(after[3]?.data).toMatchObject({ reason: 'path not allowed', suppressed: 4 });
    expect(h.events.filter((e) => e.type === 'access.violation')).toHaveLength(4);
  });

  it('writes every violation when the throttle is off', async () => {
    const h = await accessHarness({ access: { violationThrottle: false } });
    const { token } = await openSession(h);
    for (const path of ['/v1/refunds', '/v1/refunds', '/v1/charges/a/b']) {
      expect(await h.access.authorize(token, { ...CHARGES, path })).toMatchObject({ code: 'FORBIDDEN' });
    }
    const violations = (await h.km.audit.list({ type: 'access.violation', limit: 100 })).items;
    expect(violations).toHaveLength(3);
    for (const v of violations) expect(v.data['suppressed']).toBeUndefined();
    expect(h.events.filter((e) => e.type === 'access.violation')).toHaveLength(3);
  });

  it('a removed tool revokes its sessions', async () => {
    const h = await accessHarness();
    const { token, sessionId } = await openSession(h);
    await h.access.tools.remove('stripe', { actor: 'ops' });
    expect((await h.access.sessions.get(sessionId)).status).toBe('revoked');
    expect(await h.access.authorize(token, CHARGES)).toMatchObject({ code: 'REVOKED' });
    expect(await codeOf(h.access.tools.get('stripe'))).toBe('ERR_NOT_FOUND');
  });
});

describe('sweep', () => {
  it('skips a malformed record and still expires the others', async () => {
    const h = await accessHarness({ access: { pendingTtl: '1h' } });
    const broken = await h.access.requests.create({ toolId: 'stripe', agentId: 'a', justification: 'x' });
    const fine = await h.access.requests.create({ toolId: 'stripe', agentId: 'b', justification: 'y' });
    const record = await h.storage.get(broken.id);
    if (!record) throw new Error('missing');
    // written with a valid MAC (a record keywarden wrote, malformed for the access layer)
    await trustedStorage(h.km).update(
      { ...record, revision: record.revision + 1, data: { ...record.data, deadline: 'never' } },
      { expectedRevision: record.revision },
    );
    h.clock.advance('2h');
    expect(await h.access.sweep()).toEqual({ requestsExpired: 1, sessionsEnded: 0 });
    expect((await h.storage.get(fine.id))?.data['state']).toBe('expired');
    await expect(h.access.requests.get(broken.id)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
  });
});

describe('verify', () => {
  it('checks tool, method and path without spending a call', async () => {
    const h = await accessHarness();
    const { token, sessionId } = await openSession(h, { maxCalls: 1 });
    const ok = await h.access.verify(token, { toolId: 'stripe', method: 'post', path: '/v1/charges/ch_1' });
    expect(ok).toMatchObject({
      valid: true,
      session: { id: sessionId, callsUsed: 0 },
      tool: { id: 'stripe' },
    });
    expect(await h.access.verify(token, { toolId: 'github' })).toEqual({ valid: false, code: 'FORBIDDEN' });
    expect(await h.access.verify(token, { method: 'PUT' })).toEqual({ valid: false, code: 'FORBIDDEN' });
    expect(await h.access.verify('kwp_short')).toEqual({ valid: false, code: 'MALFORMED' });
    expect(await h.access.verify(42 as never)).toEqual({ valid: false, code: 'MALFORMED' });
    expect((await h.access.sessions.get(sessionId)).callsUsed).toBe(0);
    expect((await h.access.authorize(token, CHARGES)).ok).toBe(true);
    expect(await h.access.verify(token)).toEqual({ valid: false, code: 'USAGE_EXCEEDED' });
  });
});
