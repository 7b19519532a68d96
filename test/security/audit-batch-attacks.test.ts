/**
 * Batched call audit (`auditBatch`, src/access/pending-uses.ts, `auditLater`), attacked: a capped
 * session's budget stays exact under parallel calls; a session revoked by another manager on the
 * same store is refused on its very next call even with counts and rows still queued; the queued
 * rows hold no secret value; and every spent call has its `access.call` row once the store
 * accepts audit writes again (a spend never goes without its row: the chain stays complete).
 */
import { describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { createKeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { AuditEvent, StorageAdapter } from '../../src/ports/storage.js';
import { accessHarness, CHARGES, openSession, SECRET_VALUE, stripeTool } from '../access/helpers.js';
import { delegateStorage } from '../support/store-context.js';

const calls = (rows: AuditEvent[], sessionId: string) =>
  rows.filter((e) => e.type === 'access.call' && e.data.sessionId === sessionId);

function failingAudit() {
  const inner = memoryStorage();
  const state = { fail: false, onSessionUpdate: (): void => undefined, sessionId: '' };
  const storage: StorageAdapter = delegateStorage(inner, {
    update: async (r, o) => {
      const out = await inner.update(r, o);
      if (r.id === state.sessionId) state.onSessionUpdate();
      return out;
    },
    appendAudit: async (events) => {
      if (state.fail) throw new Error('audit disk full');
      return inner.appendAudit(events);
    },
  });
  const stored = async (): Promise<AuditEvent[]> => (await inner.listAudit({ limit: 1000 })).items;
  return { inner, storage, state, stored };
}

describe('auditBatch under attack', () => {
  it('maxCalls is exact under 40 parallel calls, and each granted call has its row', async () => {
    const h = await accessHarness({ tool: { maxCalls: 7 } });
    const { token, sessionId } = await openSession(h, { maxCalls: 7 });
    const results = await Promise.all(Array.from({ length: 40 }, () => h.access.authorize(token, CHARGES)));
    expect(results.filter((r) => r.ok)).toHaveLength(7);
    await h.access.flush();
    const rows = (await h.km.audit.list({ type: 'access.call', limit: 100 })).items;
    expect(rows.filter((e) => e.data.sessionId === sessionId)).toHaveLength(7);
    expect((await h.km.audit.verify()).ok).toBe(true);
  });

  it('revoked by a second manager on the same store: refused on the very next call, queued counts or not', async () => {
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    const kmA = createKeyManager({ storage, kms: localKms({ masterKey }), usage: false });
    const kmB = createKeyManager({ storage, kms: localKms({ masterKey }), usage: false });
    await kmA.secrets.set('STRIPE_KEY', SECRET_VALUE, { environment: 'production' });
    const a = agentAccess(kmA);
    const b = agentAccess(kmB);
    const h = { km: kmA, access: a } as Parameters<typeof openSession>[0];
    await a.tools.register(stripeTool({ maxCalls: null }));
    const { token, sessionId } = await openSession(h);
    for (let i = 0; i < 3; i++) expect((await a.authorize(token, CHARGES)).ok).toBe(true); // queued
    await b.sessions.revoke(sessionId, { reason: 'stolen' });
    expect(await a.authorize(token, CHARGES)).toMatchObject({ ok: false, code: 'REVOKED' });
    expect(await a.verify(token)).toMatchObject({ valid: false, code: 'REVOKED' });
    await a.flush();
    // the three calls made before the revocation are all on record, and the session stays revoked
    const rows = (await kmA.audit.list({ type: 'access.call', limit: 100 })).items;
    expect(rows.filter((e) => e.data.sessionId === sessionId)).toHaveLength(3);
    expect(await a.sessions.get(sessionId)).toMatchObject({ status: 'revoked', callsUsed: 3 });
    expect((await kmA.audit.verify()).ok).toBe(true);
    await kmA.close();
    await kmB.close();
  });

  it('the queued rows hold no secret value, nor the token', async () => {
    const h = await accessHarness({ tool: { maxCalls: null } });
    const { token } = await openSession(h);
    for (let i = 0; i < 3; i++) {
      await h.access.authorize(token, { ...CHARGES, context: { ip: '203.0.113.9', userAgent: 'ua' } });
    }
    await h.access.flush();
    const text = JSON.stringify((await h.km.audit.list({ limit: 1000 })).items);
    expect(text).not.toContain(SECRET_VALUE);
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(token.lastIndexOf('_') + 1));
  });

  // Found in review: the second call was spent (callsUsed 2) and then refused with ERR_AUDIT by
  // auditLater's maxRows flush before its row was queued: a spent call with no access.call row.
  // Fixed: the rows of a spent call are always queued (`afterSpend`), the check runs before spending.
  it('a capped call spent while the audit store fails is never left without its row', async () => {
    // maxRows 1: the second call's row arrives at a full queue; the store fails between the two
    // spends. A call that was spent must have its row once audit writes work again.
    const { storage, state, stored } = failingAudit();
    const h = await accessHarness({
      storage,
      tool: { maxCalls: 10 },
      access: { auditBatch: { maxRows: 1 } },
    });
    const { token, sessionId } = await openSession(h, { maxCalls: 10 });
    state.sessionId = sessionId;
    let spends = 0;
    state.onSessionUpdate = () => {
      spends++;
      if (spends === 1) state.fail = true; // the disk fills right after the first spend
    };
    const results = await Promise.allSettled([
      h.access.authorize(token, CHARGES),
      h.access.authorize(token, CHARGES),
    ]);
    state.fail = false;
    state.onSessionUpdate = () => undefined;
    await h.access.flush();
    const used = (await h.access.sessions.get(sessionId)).callsUsed;
    const rows = calls(await stored(), sessionId);
    const granted = results.filter((r) => r.status === 'fulfilled' && r.value.ok).length;
    expect(rows.length).toBeGreaterThanOrEqual(granted); // every granted call is on record
    expect(rows).toHaveLength(used); // and every spent call too (no spend without its row)
  });
});
