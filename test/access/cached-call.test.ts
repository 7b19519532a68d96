/**
 * The promise-free call (src/access/authorize.ts, `cachedCall`): on an in-process adapter whose
 * `readMacs` answers synchronously (the memory adapter), a session's repeat call in batched mode is
 * served without a promise hop. It must do exactly what the awaited path does: the same refusals,
 * the same audit row (its `context` and `data` reused only while they repeat), the same counts
 * and the same answer. Here one access object runs on the memory adapter itself (promise-free
 * path) and another on the same kind of store whose `readMacs` is wrapped (no synchronous twin:
 * the awaited path), both fed the same calls.
 */
import { describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { AuditEvent, StorageAdapter } from '../../src/ports/storage.js';
import { CHARGES, SECRET_VALUE, stripeTool } from './helpers.js';

interface Side {
  km: ReturnType<typeof createKeyManager>;
  a: ReturnType<typeof agentAccess>;
  token: string;
  sessionId: string;
  macReads: () => number;
}

async function side(promiseFree: boolean, auditCalls = true): Promise<Side> {
  const memory = memoryStorage();
  let reads = 0;
  const storage: StorageAdapter = promiseFree
    ? memory
    : {
        ...memory,
        readMacs: (ids) => {
          reads++;
          return memory.readMacs!(ids);
        },
      };
  const km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }) });
  await km.secrets.set('STRIPE_KEY', SECRET_VALUE, { environment: 'production' });
  const a = agentAccess(km, { auditCalls });
  await a.tools.register(stripeTool({ maxCalls: null, approval: 'auto' }));
  const req = await a.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'x' });
  const session = await a.sessions.open(req.id);
  return { km, a, token: session.token, sessionId: session.id, macReads: () => reads };
}

/** A call's audit row without what differs between two stores (ids, times, digests, chain). */
function comparable(e: AuditEvent) {
  const data = { ...(e.data as Record<string, unknown>) };
  for (const k of ['requestId', 'secretId', 'sessionId']) if (k in data) data[k] = typeof data[k];
  return { type: e.type, kind: e.kind, version: e.version, actor: e.actor, context: e.context, data };
}

const CALLS = [
  { ...CHARGES, context: { ip: '10.0.0.1', userAgent: 'agent/1' } },
  { ...CHARGES, context: { ip: '10.0.0.1', userAgent: 'agent/1' } },
  { ...CHARGES, context: { ip: '10.0.0.2', userAgent: 'agent/1' } },
  { ...CHARGES, context: { ip: '10.0.0.2' } },
  { ...CHARGES, context: { ip: 'bad\nip', userAgent: 'agent/1' } },
  { ...CHARGES, method: 'get', path: '/v1/charges/ch_1' },
  { ...CHARGES, method: 'GET', path: '/v1/charges/ch_1' },
  CHARGES,
  { ...CHARGES, path: '/v1/refunds' }, // outside the grant: refused by both
  CHARGES,
];

describe('a repeat call served without a promise does what the awaited path does', () => {
  for (const auditCalls of [true, false]) {
    it(`same answers, same rows, same counts (auditCalls: ${auditCalls})`, async () => {
      const fast = await side(true, auditCalls);
      const slow = await side(false, auditCalls);
      const answers: unknown[][] = [[], []];
      for (const call of CALLS) {
        for (const [i, s] of [fast, slow].entries()) {
          const r = await s.a.authorize(s.token, call);
          answers[i]?.push(
            r.ok
              ? {
                  ok: true,
                  secret: r.secret,
                  callsUsed: r.session.callsUsed,
                  status: r.session.status,
                  tool: r.tool.id,
                  methods: r.session.methods,
                }
              : { ok: false, code: r.code, status: r.status },
          );
        }
      }
      expect(answers[0]).toEqual(answers[1]);
      expect(answers[0]?.filter((x) => (x as { ok: boolean }).ok)).toHaveLength(CALLS.length - 1);
      // the awaited side read the MACs on every repeat call; the other never went through readMacs
      expect(slow.macReads()).toBeGreaterThan(0);
      const type = auditCalls ? 'access.call' : 'secret.read';
      const rows: AuditEvent[][] = [];
      for (const s of [fast, slow]) {
        await s.a.flush();
        rows.push((await s.km.audit.list({ type, limit: 100 })).items);
      }
      expect(rows[0]).toHaveLength(CALLS.length - 1);
      expect(rows[0]?.map(comparable)).toEqual(rows[1]?.map(comparable));
      // the promise-free path was taken: its repeat rows share one frozen data object in the
      // store (the memory adapter keeps one copy of a frozen input); the awaited path's do not
      expect(rows[0]?.[2]?.data).toBe(rows[0]?.[1]?.data);
      expect(rows[1]?.[2]?.data).not.toBe(rows[1]?.[1]?.data);
      // the cleaned context of each call, never a reused one of an earlier call
      expect(rows[0]?.map((e) => e.context)).toEqual([
        { ip: '10.0.0.1', userAgent: 'agent/1' },
        { ip: '10.0.0.1', userAgent: 'agent/1' },
        { ip: '10.0.0.2', userAgent: 'agent/1' },
        { ip: '10.0.0.2' },
        { userAgent: 'agent/1' },
        {},
        {},
        {},
        {},
      ]);
      for (const s of [fast, slow]) expect((await s.km.audit.verify()).ok).toBe(true);
      if (auditCalls) {
        const sessions = await Promise.all([fast, slow].map((s) => s.a.sessions.get(s.sessionId)));
        // every granted call counted once, on both paths (the refused one not at all)
        expect(sessions[0]?.callsUsed).toBe(CALLS.length - 1);
        expect(sessions[1]?.callsUsed).toBe(CALLS.length - 1);
      }
    });
  }

  it('a revoke, a rotation or a delete through another manager applies to the very next call', async () => {
    const memory = memoryStorage();
    const masterKey = generateMasterKey();
    const kmA = createKeyManager({ storage: memory, kms: localKms({ masterKey }) });
    const kmB = createKeyManager({ storage: memory, kms: localKms({ masterKey }) });
    await kmA.secrets.set('STRIPE_KEY', SECRET_VALUE, { environment: 'production' });
    const a = agentAccess(kmA);
    const b = agentAccess(kmB);
    await a.tools.register(stripeTool({ maxCalls: null, approval: 'auto' }));
    const open = async () => {
      const req = await a.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'x' });
      return a.sessions.open(req.id);
    };
    let s = await open();
    for (let i = 0; i < 3; i++) expect((await a.authorize(s.token, CHARGES)).ok).toBe(true);
    await kmB.secrets.set('STRIPE_KEY', 'sk_test_rotated_elsewhere_0000000000', {
      environment: 'production',
    });
    const rotated = await a.authorize(s.token, CHARGES);
    expect(rotated.ok && rotated.secret).toBe('sk_test_rotated_elsewhere_0000000000');
    expect((await a.authorize(s.token, CHARGES)).ok).toBe(true);
    await b.sessions.revoke(s.id, { reason: 'stop' });
    expect(await a.authorize(s.token, CHARGES)).toMatchObject({ ok: false, code: 'REVOKED' });
    s = await open();
    expect((await a.authorize(s.token, CHARGES)).ok).toBe(true);
    expect((await a.authorize(s.token, CHARGES)).ok).toBe(true);
    await kmB.secrets.delete('STRIPE_KEY', { environment: 'production' });
    await expect(a.authorize(s.token, CHARGES)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('a token one character off is never matched to the cached one', async () => {
    const s = await side(true);
    expect((await s.a.authorize(s.token, CHARGES)).ok).toBe(true);
    const last = s.token.at(-1) === 'a' ? 'b' : 'a';
    expect(await s.a.authorize(s.token.slice(0, -1) + last, CHARGES)).toMatchObject({ ok: false });
    expect(await s.a.authorize(`${s.token} `, CHARGES)).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect((await s.a.authorize(s.token, CHARGES)).ok).toBe(true);
  });
});
