/**
 * Transitions fail closed: when the audit write fails, the state change is undone and the caller
 * gets ERR_AUDIT; a call whose audit fails is refused and its unit given back.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { KeywardenError } from '../../src/errors.js';
import { delegateStorage } from '../support/store-context.js';
import { accessHarness, CHARGES, openSession } from './helpers.js';

function flakyAudit() {
  const inner = memoryStorage();
  const state = { fail: false };
  const storage = delegateStorage(inner, {
    appendAudit: async (events) => {
      if (state.fail) throw new Error('audit disk full');
      return inner.appendAudit(events);
    },
  });
  return { storage, state };
}

describe('access transitions fail closed on an audit failure', () => {
  it('approve, deny, open and revoke are undone', async () => {
    const { storage, state } = flakyAudit();
    const h = await accessHarness({ storage });
    const req = await h.access.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'x' });
    state.fail = true;
    await expect(h.access.requests.approve(req.id, { approver: 'alice' })).rejects.toMatchObject({
      code: 'ERR_AUDIT',
    });
    await expect(h.access.requests.deny(req.id, { approver: 'alice', reason: 'no' })).rejects.toMatchObject({
      code: 'ERR_AUDIT',
    });
    state.fail = false;
    expect((await h.access.requests.get(req.id)).status).toBe('pending');
    await h.access.requests.approve(req.id, { approver: 'alice' });
    state.fail = true;
    await expect(h.access.sessions.open(req.id)).rejects.toMatchObject({ code: 'ERR_AUDIT' });
    state.fail = false;
    expect((await h.access.requests.get(req.id)).status).toBe('approved');
    expect((await h.access.sessions.list()).items).toEqual([]);
    const s = await h.access.sessions.open(req.id);
    state.fail = true;
    await expect(h.access.sessions.revoke(s.id)).rejects.toMatchObject({ code: 'ERR_AUDIT' });
    state.fail = false;
    expect((await h.access.sessions.get(s.id)).status).toBe('active');
  });

  it('a call whose audit fails is refused and its unit given back (strict: auditBatch: false)', async () => {
    const { storage, state } = flakyAudit();
    const h = await accessHarness({ storage, access: { auditBatch: false } });
    const { token, sessionId } = await openSession(h, { maxCalls: 3 });
    state.fail = true;
    const err = await h.access.authorize(token, CHARGES).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeywardenError);
    expect((err as KeywardenError).code).toBe('ERR_AUDIT');
    state.fail = false;
    expect((await h.access.sessions.get(sessionId)).callsUsed).toBe(0);
    expect((await h.access.authorize(token, CHARGES)).ok).toBe(true);
    expect((await h.access.sessions.get(sessionId)).callsUsed).toBe(1);
  });

  it('a call whose secret read cannot be audited is refused, with or without a cap (auditCalls: false, strict)', async () => {
    for (const tool of [{ maxCalls: null }, {}]) {
      const { storage, state } = flakyAudit();
      const h = await accessHarness({ storage, access: { auditCalls: false, auditBatch: false }, tool });
      const { token, sessionId } = await openSession(h);
      expect((await h.access.authorize(token, CHARGES)).ok).toBe(true); // the value is now cached
      state.fail = true;
      await expect(h.access.authorize(token, CHARGES)).rejects.toMatchObject({ code: 'ERR_AUDIT' });
      state.fail = false;
      const info = await h.access.sessions.get(sessionId);
      expect(info.maxCalls).toBe('maxCalls' in tool ? null : 100);
      expect(info.callsUsed).toBe(info.maxCalls === null ? 0 : 1); // uncapped: nothing to spend; capped: the unit given back
    }
  });

  it('a tool whose registration cannot be audited is not registered', async () => {
    const { storage, state } = flakyAudit();
    const h = await accessHarness({ storage, tool: null });
    state.fail = true;
    await expect(
      h.access.tools.register({
        id: 'gh',
        secret: 'GH',
        upstream: { origin: 'https://api.github.com', auth: { type: 'bearer' } },
      }),
    ).rejects.toMatchObject({ code: 'ERR_AUDIT' });
    state.fail = false;
    await expect(h.access.tools.get('gh')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });
});
