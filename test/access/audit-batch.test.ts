/**
 * Batched call audit (`auditBatch`, the default): each call's row is queued in the key manager and
 * appended in order, one write per batch — on the timer, once `maxRows` are queued, before any
 * other audit write or audit read, and on `flush()`, `close()`, `gateway.close()` and
 * `km.close()`. An uncapped session needs no write per call (its count is added with the batch); a
 * capped one is still spent with one conditional write per call. A batch that cannot be written
 * is kept, and every call is refused until it is written (fail closed).
 */
import { describe, expect, it } from 'vitest';
import { createGateway } from '../../src/access/gateway/index.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import type { AuditEvent, StorageAdapter } from '../../src/ports/storage.js';
import { delegateStorage } from '../support/store-context.js';
import { accessHarness, CHARGES, openSession } from './helpers.js';

/** Memory storage whose session reads and writes and audit appends are logged, and can fail. */
function loggedStorage() {
  const inner = memoryStorage();
  const log: string[] = [];
  const state = { fail: false, sessionId: '', attempted: [] as string[] };
  const storage: StorageAdapter = delegateStorage(inner, {
    get: async (id) => {
      if (id === state.sessionId) log.push('get');
      return inner.get(id);
    },
    update: async (r, o) => {
      if (r.id === state.sessionId) log.push('update');
      return inner.update(r, o);
    },
    appendAudit: async (events) => {
      if (state.fail) {
        state.attempted = events.map((e) => `${e.id} ${e.digest}`);
        throw new Error('audit disk full');
      }
      log.push(`audit:${events.map((e) => e.type).join(',')}`);
      return inner.appendAudit(events);
    },
  });
  /** The rows as stored, without going through the manager (which would flush first). */
  const stored = async (): Promise<AuditEvent[]> => (await inner.listAudit({ limit: 1000 })).items;
  return { storage, log, state, stored };
}

const calls = (rows: AuditEvent[], sessionId: string) =>
  rows.filter((e) => e.type === 'access.call' && e.data.sessionId === sessionId);

describe('batched call audit (auditBatch)', () => {
  it('uncapped: one session read per call and no write; the rows in one append and the count in one write at flush', async () => {
    const { storage, log, state, stored } = loggedStorage();
    const h = await accessHarness({ storage, tool: { maxCalls: null } });
    const { token, sessionId } = await openSession(h);
    state.sessionId = sessionId;
    log.length = 0;
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await h.access.authorize(token, CHARGES));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.map((r) => r.ok && r.session.callsUsed)).toEqual([1, 2, 3, 4, 5]);
    expect(log).toEqual(['get', 'get', 'get', 'get', 'get']);
    expect(calls(await stored(), sessionId)).toHaveLength(0); // queued, not yet written
    await h.access.flush();
    // the count: one read and one conditional write of the session; the rows: one append
    expect(log.slice(5)).toEqual([
      'get',
      'update',
      'audit:access.call,access.call,access.call,access.call,access.call',
    ]);
    const rows = calls(await stored(), sessionId);
    expect(rows).toHaveLength(5);
    expect(rows.every((e) => e.data.remaining === null)).toBe(true);
    expect((await h.access.sessions.get(sessionId)).callsUsed).toBe(5);
    expect((await h.km.audit.verify()).ok).toBe(true);
  });

  it('capped: one conditional write per call (exact), the rows queued; 30 parallel calls with 20 left spend exactly 20', async () => {
    const { storage, log, state, stored } = loggedStorage();
    const h = await accessHarness({ storage });
    const { token, sessionId } = await openSession(h, { maxCalls: 20 });
    state.sessionId = sessionId;
    log.length = 0;
    expect((await h.access.authorize(token, CHARGES)).ok).toBe(true);
    expect(log).toEqual(['get', 'update']);
    const results = await Promise.all(Array.from({ length: 30 }, () => h.access.authorize(token, CHARGES)));
    expect(results.filter((r) => r.ok)).toHaveLength(19);
    expect(results.filter((r) => !r.ok && r.code === 'USAGE_EXCEEDED')).toHaveLength(11);
    expect((await h.access.sessions.get(sessionId)).callsUsed).toBe(20);
    await h.access.flush();
    const rows = (await stored()).filter((e) => e.data.sessionId === sessionId);
    expect(calls(rows, sessionId).map((e) => e.data.remaining)).toEqual(
      Array.from({ length: 20 }, (_, i) => 19 - i),
    );
    // the session ended with its last unit: that row follows the last call's row
    const types = rows.map((e) => e.type);
    expect(types.indexOf('access.session_ended')).toBeGreaterThan(types.lastIndexOf('access.call'));
  });

  it('rows stay in order: a revoke after queued calls is written after their rows, and audit reads see queued rows', async () => {
    const { storage, stored } = loggedStorage();
    const h = await accessHarness({ storage, tool: { maxCalls: null } });
    const { token, sessionId } = await openSession(h);
    for (let i = 0; i < 3; i++) await h.access.authorize(token, CHARGES);
    // an audit read through the manager writes the queued rows first
    const listed = (await h.km.audit.list({ limit: 1000 })).items;
    expect(calls(listed, sessionId)).toHaveLength(3);
    await h.access.authorize(token, CHARGES);
    await h.access.sessions.revoke(sessionId, { reason: 'stop' });
    expect(await h.access.authorize(token, CHARGES)).toEqual({ ok: false, code: 'REVOKED', status: 401 });
    const rows = (await stored()).filter((e) => e.data.sessionId === sessionId);
    const types = rows.map((e) => e.type);
    expect(types.filter((t) => t === 'access.call')).toHaveLength(4);
    const ended = types.indexOf('access.session_ended');
    expect(ended).toBeGreaterThan(types.lastIndexOf('access.call'));
    expect(rows[ended]?.data).toMatchObject({ reason: 'revoked' });
    const seqs = rows.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect((await h.km.audit.verify()).ok).toBe(true);
  });

  it("each row's time is its call's time, not the flush's", async () => {
    const { storage, stored } = loggedStorage();
    const h = await accessHarness({ storage, tool: { maxCalls: null } });
    const { token, sessionId } = await openSession(h);
    const at = h.clock.now();
    await h.access.authorize(token, CHARGES);
    h.clock.advance('5s');
    await h.access.flush();
    expect(calls(await stored(), sessionId)[0]?.at).toBe(at);
  });

  it('fail closed: a batch that cannot be written is kept, and every call is refused until it is written', async () => {
    for (const maxCalls of [null, 10]) {
      const { storage, state, stored } = loggedStorage();
      const h = await accessHarness({ storage, tool: { maxCalls } });
      const { token, sessionId } = await openSession(h);
      expect((await h.access.authorize(token, CHARGES)).ok).toBe(true);
      state.fail = true;
      await expect(h.access.flush()).rejects.toMatchObject({ code: 'ERR_AUDIT' });
      await expect(h.access.authorize(token, CHARGES)).rejects.toMatchObject({ code: 'ERR_AUDIT' });
      await expect(h.access.authorize(token, CHARGES)).rejects.toMatchObject({ code: 'ERR_AUDIT' });
      expect(calls(await stored(), sessionId)).toHaveLength(0);
      state.fail = false;
      const next = await h.access.authorize(token, CHARGES); // writes the kept batch first
      expect(next.ok).toBe(true);
      await h.access.flush();
      const rows = calls(await stored(), sessionId);
      expect(rows).toHaveLength(2); // the first call's row (kept) and this one's; none for the refused
      // the kept row was given its id and digest once, when its batch was first written
      expect(state.attempted).toHaveLength(1);
      expect(state.attempted[0]).toMatch(/^[0-9A-Za-z]{16} [0-9a-f]{64}$/);
      expect(`${rows[0]?.id} ${rows[0]?.digest}`).toBe(state.attempted[0]);
      expect(rows[0]?.at).toBeLessThanOrEqual(rows[1]?.at as number);
      expect((await h.access.sessions.get(sessionId)).callsUsed).toBe(2);
      expect((await h.km.audit.verify()).ok).toBe(true);
    }
  });

  it('written on the timer, once maxRows are queued, on km.close() and on gateway.close()', async () => {
    const timed = loggedStorage();
    const t = await accessHarness({ storage: timed.storage, access: { auditBatch: { window: '20ms' } } });
    const s1 = await openSession(t);
    await t.access.authorize(s1.token, CHARGES);
    for (let i = 0; i < 100 && calls(await timed.stored(), s1.sessionId).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(calls(await timed.stored(), s1.sessionId)).toHaveLength(1);

    const full = loggedStorage();
    const f = await accessHarness({
      storage: full.storage,
      access: { auditBatch: { window: '10s', maxRows: 2 } },
    });
    const s2 = await openSession(f);
    for (let i = 0; i < 3; i++) await f.access.authorize(s2.token, CHARGES);
    expect(calls(await full.stored(), s2.sessionId)).toHaveLength(2);

    const closing = loggedStorage();
    const c = await accessHarness({ storage: closing.storage, tool: { maxCalls: null } });
    const s3 = await openSession(c);
    await c.access.authorize(s3.token, CHARGES);
    await c.km.close();
    expect(calls(await closing.stored(), s3.sessionId)).toHaveLength(1);

    const gw = loggedStorage();
    const g = await accessHarness({ storage: gw.storage, tool: { maxCalls: null } });
    const s4 = await openSession(g);
    const gateway = createGateway(g.access);
    await g.access.authorize(s4.token, CHARGES);
    await g.access.authorize(s4.token, CHARGES);
    await gateway.close();
    expect(calls(await gw.stored(), s4.sessionId)).toHaveLength(2);
    expect((await g.access.sessions.get(s4.sessionId)).callsUsed).toBe(2);
  });

  it('auditBatch is validated', async () => {
    const h = await accessHarness({ tool: null });
    const { agentAccess } = await import('../../src/access/index.js');
    for (const [auditBatch, field] of [
      [{ window: '11s' }, 'auditBatch.window'],
      [{ maxRows: 0 }, 'auditBatch.maxRows'],
      [true, 'auditBatch'],
    ] as const) {
      expect(() => agentAccess(h.km, { auditBatch: auditBatch as never })).toThrow(
        expect.objectContaining({ code: 'ERR_VALIDATION', field }),
      );
    }
  });
});
