/**
 * Storage contract, part 3: the audit chain, metadata compare-and-swap, and lifecycle.
 * @internal
 * @module
 */
import { chainHash, GENESIS_HASH } from '../internal/audit-chain.js';
import { toBase64Url, utf8Encode } from '../internal/bytes.js';
import type { AuditEvent, AuditEventInput, AuditQuery, StorageAdapter } from '../ports/storage.js';
import { FIXTURE_TIME, makeAuditEvent, makeRecord } from './fixtures.js';
import { type ContractContext, jsonCopy } from './storage-contract-harness.js';

const T = FIXTURE_TIME;

async function auditAll(storage: StorageAdapter, query: Omit<AuditQuery, 'cursor'>): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const result = await storage.listAudit(cursor === undefined ? query : { ...query, cursor });
    out.push(...result.items);
    if (result.cursor === undefined) return out;
    cursor = result.cursor;
  }
  throw new Error('listAudit cursor did not terminate after 10,000 pages');
}

/** Checks seq 1..N, prevHash links and hashes; returns the first problem or null. */
function chainProblem(events: readonly AuditEvent[]): string | null {
  let prev = GENESIS_HASH;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as AuditEvent;
    if (e.seq !== i + 1) return `event ${i} has seq ${e.seq}, expected ${i + 1}`;
    if (e.prevHash !== prev) return `seq ${e.seq}: prevHash does not link`;
    if (e.hash !== chainHash(prev, e.seq, e.digest)) return `seq ${e.seq}: hash is wrong`;
    prev = e.hash;
  }
  return null;
}

function stored(input: AuditEventInput, e: AuditEvent): AuditEvent {
  return { ...jsonCopy(input), seq: e.seq, prevHash: e.prevHash, hash: e.hash };
}

/**
 * Registers the audit, meta and lifecycle tests.
 *
 * @example
 * ```ts
 * declare const options: StorageContractOptions;
 * describeAuditContract(createContractContext(options));
 * ```
 * @throws never
 */
export function describeAuditContract(ctx: ContractContext): void {
  const { test, expect, expectCode } = ctx;

  ctx.describe('audit', () => {
    test('appendAudit assigns seq 1..N in order and a valid hash chain', async (s) => {
      expect((await s.listAudit({ limit: 10 })).items).toStrictEqual([]);
      const first = [makeAuditEvent({ at: T }), makeAuditEvent({ at: T + 1, type: 'key.revoked' })];
      const second = [makeAuditEvent({ at: T + 2, keyId: 'abc', data: { reason: 'ünïcode 🔥' } })];
      await s.appendAudit(first);
      await s.appendAudit([]);
      await s.appendAudit(second);
      const events = (await s.listAudit({ limit: 1000 })).items;
      expect(events.map((e) => e.seq)).toStrictEqual([1, 2, 3]);
      expect(events.map((e) => e.id)).toStrictEqual([...first, ...second].map((e) => e.id));
      expect(events[0]?.prevHash).toBe(GENESIS_HASH);
      expect(chainProblem(events)).toBeNull();
    });

    test('events round-trip exactly', async (s) => {
      const inputs = [
        makeAuditEvent({
          type: 'key.verify_failed',
          keyId: 'k1',
          kind: 'api_key',
          version: 3,
          tenantId: 'tenant-😀',
          actor: 'user:ïd \u0001',
          context: { ip: '2001:db8::1', userAgent: 'agent/1.0 "quoted"', nested: { a: [1, 0.1, 1e21, -5] } },
          data: { code: 'EXPIRED', empty: {}, list: [], big: Number.MAX_SAFE_INTEGER },
        }),
        makeAuditEvent(),
      ];
      await s.appendAudit(inputs);
      const events = (await s.listAudit({ limit: 10 })).items;
      expect(events).toHaveLength(2);
      expect(events[0]).toStrictEqual(stored(inputs[0]!, events[0]!));
      expect(events[1]).toStrictEqual(stored(inputs[1]!, events[1]!));
    });

    test('appendAudit copies its input', async (s) => {
      const input = makeAuditEvent({ data: { list: ['a'] } });
      const snapshot = jsonCopy(input);
      await s.appendAudit([input]);
      (input.data['list'] as string[]).push('mutated');
      input.type = 'key.deleted';
      const [event] = (await s.listAudit({ limit: 10 })).items;
      expect(event).toStrictEqual(stored(snapshot, event!));
    });

    test('20 concurrent appends of 1-3 events form one gapless valid chain', async (s) => {
      const batches = Array.from({ length: 20 }, (_, i) =>
        Array.from({ length: (i % 3) + 1 }, (_, j) => makeAuditEvent({ at: T + i, data: { i, j } })),
      );
      await Promise.all(batches.map((b) => s.appendAudit(b)));
      const events = await auditAll(s, { limit: 7 });
      expect(events).toHaveLength(batches.flat().length);
      expect(chainProblem(events)).toBeNull();
      const seqOf = new Map(events.map((e) => [e.id, e.seq]));
      for (const batch of batches) {
        const seqs = batch.map((e) => seqOf.get(e.id));
        const start = seqs[0] as number;
        expect(seqs).toStrictEqual(batch.map((_, j) => start + j));
      }
    });

    test('listAudit filters by keyId, type, since, until, afterSeq, in ascending seq', async (s) => {
      const inputs = Array.from({ length: 30 }, (_, i) =>
        makeAuditEvent({
          at: T + (i % 10) * 100,
          keyId: i % 3 === 0 ? null : `key-${i % 3}`,
          type: i % 2 === 0 ? 'key.verified' : 'secret.read',
        }),
      );
      await s.appendAudit(inputs.slice(0, 13));
      await s.appendAudit(inputs.slice(13));
      const all = (await s.listAudit({ limit: 1000 })).items;
      const queries: Omit<AuditQuery, 'limit' | 'cursor'>[] = [
        { keyId: 'key-1' },
        { type: 'secret.read' },
        { since: T + 500 },
        { until: T + 500 },
        { since: T + 200, until: T + 300 },
        { afterSeq: 25 },
        { afterSeq: 30 },
        { keyId: 'key-2', type: 'key.verified', since: T + 100, until: T + 900, afterSeq: 4 },
      ];
      for (const q of queries) {
        const want = all
          .filter(
            (e) =>
              (q.keyId === undefined || e.keyId === q.keyId) &&
              (q.type === undefined || e.type === q.type) &&
              (q.since === undefined || e.at >= q.since) &&
              (q.until === undefined || e.at < q.until) &&
              (q.afterSeq === undefined || e.seq > q.afterSeq),
          )
          .map((e) => e.seq);
        expect({ q, got: (await auditAll(s, { ...q, limit: 1000 })).map((e) => e.seq) }).toStrictEqual({
          q,
          got: want,
        });
        expect({ q, got: (await auditAll(s, { ...q, limit: 2 })).map((e) => e.seq) }).toStrictEqual({
          q,
          got: want,
        });
      }
    });

    test('listAudit pages with cursors, also while events are appended', async (s) => {
      await s.appendAudit(Array.from({ length: 25 }, () => makeAuditEvent()));
      const seqs: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await s.listAudit(cursor === undefined ? { limit: 10 } : { limit: 10, cursor });
        expect(page.items.length).toBeLessThanOrEqual(10);
        seqs.push(...page.items.map((e) => e.seq));
        cursor = page.cursor;
        if (pages++ === 0) await s.appendAudit([makeAuditEvent(), makeAuditEvent()]);
      } while (cursor !== undefined && pages < 100);
      expect(seqs).toStrictEqual(Array.from({ length: 27 }, (_, i) => i + 1));
    });

    test('listAudit rejects a bad limit or cursor with ERR_VALIDATION', async (s) => {
      await s.appendAudit([makeAuditEvent(), makeAuditEvent()]);
      for (const limit of [0, -1, 1001, 2.5, Number.NaN])
        await expectCode(s.listAudit({ limit }), 'ERR_VALIDATION');
      for (const cursor of ['not a cursor!', '%%%', toBase64Url(utf8Encode('{"x":1}'))]) {
        await expectCode(s.listAudit({ limit: 10, cursor }), 'ERR_VALIDATION');
      }
    });
  });

  ctx.describe('meta', () => {
    test('getMeta of a missing key is null; setMeta then getMeta returns the value', async (s) => {
      expect(await s.getMeta('store.id')).toBeNull();
      await s.setMeta('store.id', 'abc');
      await s.setMeta('unicode ключ 🔑', 'värde\n"quoted"');
      expect(await s.getMeta('store.id')).toBe('abc');
      expect(await s.getMeta('unicode ключ 🔑')).toBe('värde\n"quoted"');
      await s.setMeta('store.id', '');
      expect(await s.getMeta('store.id')).toBe('');
      expect(await s.getMeta('other')).toBeNull();
    });

    test('setMeta compare-and-swap with expected', async (s) => {
      await s.setMeta('k', 'v1', { expected: null });
      expect(await s.getMeta('k')).toBe('v1');
      await expectCode(s.setMeta('k', 'v2', { expected: null }), 'ERR_CONFLICT');
      await expectCode(s.setMeta('k', 'v2', { expected: 'wrong' }), 'ERR_CONFLICT');
      await expectCode(s.setMeta('absent', 'v', { expected: 'v1' }), 'ERR_CONFLICT');
      expect(await s.getMeta('k')).toBe('v1');
      expect(await s.getMeta('absent')).toBeNull();
      await s.setMeta('k', 'v2', { expected: 'v1' });
      expect(await s.getMeta('k')).toBe('v2');
      await s.setMeta('k', 'v3');
      expect(await s.getMeta('k')).toBe('v3');
    });

    test('10 concurrent setMeta with expected null: exactly one wins', async (s) => {
      const values = Array.from({ length: 10 }, (_, i) => `value-${i}`);
      const results = await Promise.allSettled(values.map((v) => s.setMeta('pepper', v, { expected: null })));
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') ctx.expectSettledCode(r, 'ERR_CONFLICT');
      expect(await s.getMeta('pepper')).toBe(values[winners[0] ?? 0]);
    });
  });

  ctx.describe('lifecycle', () => {
    test('init is idempotent and keeps data; close may be called twice', async (s) => {
      const record = makeRecord();
      await s.create(record);
      await s.setMeta('k', 'v');
      await s.init?.();
      expect(await s.get(record.id)).toStrictEqual(jsonCopy(record));
      expect(await s.getMeta('k')).toBe('v');
      expect(typeof s.name).toBe('string');
      expect(s.name.length).toBeGreaterThan(0);
      await s.close?.();
      await s.close?.();
    });
  });
}
