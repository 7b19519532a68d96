/**
 * Storage contract, part 2: list (filters, order, cursors, stability) and dueForRotation.
 * @internal
 * @module
 */
import { toBase64Url, utf8Encode } from '../internal/bytes.js';
import type { ListQuery, StorageAdapter, StoredRecord } from '../ports/storage.js';
import { FIXTURE_TIME, makeRecord } from './fixtures.js';
import {
  byCreatedAtThenId,
  type ContractContext,
  ids,
  jsonCopy,
  listAll,
} from './storage-contract-harness.js';

const T = FIXTURE_TIME;

/** A varied population for filter tests: 48 records over every filterable field. */
function population(): StoredRecord[] {
  const out: StoredRecord[] = [];
  const kinds = ['api_key', 'secret', 'key'] as const;
  const tenants = [null, 'acme', 'globex'] as const;
  const statuses = ['active', 'disabled', 'revoked', 'expired'] as const;
  for (let i = 0; i < 48; i++) {
    out.push(
      makeRecord({
        kind: kinds[i % 3]!,
        tenantId: tenants[i % 3 === 0 ? 0 : (i >> 1) % 3]!,
        environment: i % 4 < 2 ? 'prod' : 'dev',
        status: statuses[(i >> 2) % 4]!,
        ownerId: i % 5 === 0 ? null : `owner-${i % 2}`,
        tags: i % 6 === 0 ? [] : i % 6 < 3 ? ['blue'] : ['blue', 'green'],
        provider: i % 7 === 0 ? 'stripe' : null,
        name: `name-${i % 4}`,
        createdAt: T + (i % 12) * 1000,
      }),
    );
  }
  return out;
}

async function seed(storage: StorageAdapter, records: StoredRecord[]): Promise<void> {
  for (const r of records) await storage.create(r);
}

/** What `list` must return for `query` over `records`, in order. */
function expected(records: StoredRecord[], query: Omit<ListQuery, 'limit' | 'cursor'>): string[] {
  return ids(
    records
      .filter(
        (r) =>
          (query.kind === undefined || r.kind === query.kind) &&
          (query.tenantId === undefined || r.tenantId === query.tenantId) &&
          (query.environment === undefined || r.environment === query.environment) &&
          (query.status === undefined || r.status === query.status) &&
          (query.ownerId === undefined || r.ownerId === query.ownerId) &&
          (query.tag === undefined || r.tags.includes(query.tag)) &&
          (query.provider === undefined || r.provider === query.provider) &&
          (query.name === undefined || r.name === query.name),
      )
      .sort(byCreatedAtThenId),
  );
}

/**
 * Registers the list and dueForRotation tests.
 *
 * @example
 * ```ts
 * declare const options: StorageContractOptions;
 * describeListContract(createContractContext(options));
 * ```
 * @throws never
 */
export function describeListContract(ctx: ContractContext): void {
  const { test, expect, expectCode } = ctx;

  ctx.describe('list', () => {
    test('an empty store lists nothing and gives no cursor', async (s) => {
      const page = await s.list({ limit: 10 });
      expect(page.items).toStrictEqual([]);
      expect(page.cursor).toBeUndefined();
    });

    test('orders by (createdAt, id) and returns records exactly', async (s) => {
      const records = population();
      await seed(s, records);
      const page = await s.list({ limit: 1000 });
      expect(ids(page.items)).toStrictEqual(expected(records, {}));
      expect(page.cursor).toBeUndefined();
      const sample = records[7]!;
      expect(page.items.find((r) => r.id === sample.id)).toStrictEqual(jsonCopy(sample));
    });

    test('every filter, alone and combined (AND)', async (s) => {
      const records = population();
      await seed(s, records);
      const queries: Omit<ListQuery, 'limit' | 'cursor'>[] = [
        { kind: 'secret' },
        { tenantId: 'acme' },
        { tenantId: null },
        { environment: 'dev' },
        { status: 'revoked' },
        { ownerId: 'owner-1' },
        { tag: 'green' },
        { tag: 'blue' },
        { tag: 'missing' },
        { provider: 'stripe' },
        { name: 'name-2' },
        { kind: 'api_key', tenantId: null, environment: 'prod' },
        { kind: 'key', tenantId: 'globex', status: 'active', tag: 'blue' },
        { environment: 'prod', ownerId: 'owner-0', name: 'name-1' },
        { kind: 'secret', provider: 'stripe', tenantId: 'acme' },
      ];
      for (const query of queries) {
        const want = expected(records, query);
        expect({ query, got: ids(await listAll(s, { ...query, limit: 1000 })) }).toStrictEqual({
          query,
          got: want,
        });
        expect({ query, got: ids(await listAll(s, { ...query, limit: 3 })) }).toStrictEqual({
          query,
          got: want,
        });
      }
      expect(expected(records, { tenantId: null }).length).toBeGreaterThan(0);
      expect(expected(records, { tag: 'green' }).length).toBeGreaterThan(0);
    });

    test('limit and cursors page through every record exactly once', async (s) => {
      const records = population();
      await seed(s, records);
      const first = await s.list({ limit: 5 });
      expect(first.items).toHaveLength(5);
      expect(typeof first.cursor).toBe('string');
      for (const limit of [1, 7, 47, 48]) {
        expect(ids(await listAll(s, { limit }))).toStrictEqual(expected(records, {}));
      }
      const exact = await s.list({ limit: 48 });
      expect(exact.items).toHaveLength(48);
      if (exact.cursor !== undefined) {
        const rest = await s.list({ limit: 48, cursor: exact.cursor });
        expect(rest.items).toStrictEqual([]);
        expect(rest.cursor).toBeUndefined();
      }
    });

    test('a cursor stays valid across inserts and deletes between pages', async (s) => {
      const records: StoredRecord[] = [];
      for (let i = 0; i < 120; i++) records.push(makeRecord({ createdAt: T + Math.floor(i / 3) * 1000 }));
      await seed(s, records);
      const alive = new Map(records.map((r) => [r.id, r]));
      const everCreated = new Set(alive.keys());
      const deleted = new Set<string>();
      const deletedUnseen = new Set<string>();
      const seen: string[] = [];
      let cursor: string | undefined;
      let round = 0;
      do {
        const page = await s.list(cursor === undefined ? { limit: 10 } : { limit: 10, cursor });
        seen.push(...ids(page.items));
        cursor = page.cursor;
        round++;
        const older = makeRecord({ createdAt: T - round * 1000 });
        const newer = makeRecord({ createdAt: T + 200_000 + round });
        const sameTime = makeRecord({ createdAt: T + (round % 40) * 1000 });
        for (const r of [older, newer, sameTime]) {
          await s.create(r);
          everCreated.add(r.id);
        }
        // delete the record the cursor points at (the last one seen) and the next two unseen ones
        const unseen = [...alive.values()].sort(byCreatedAtThenId).filter((r) => !seen.includes(r.id));
        const victims = [seen[seen.length - 1], unseen[0]?.id, unseen[unseen.length - 1]?.id];
        for (const id of victims) {
          if (id === undefined || deleted.has(id)) continue;
          expect(await s.delete(id)).toBe(true);
          alive.delete(id);
          deleted.add(id);
          if (!seen.includes(id)) deletedUnseen.add(id);
        }
      } while (cursor !== undefined && round < 100);
      expect(cursor).toBeUndefined();
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of alive.keys()) expect(seen.filter((x) => x === id)).toHaveLength(1);
      for (const id of seen) expect(everCreated.has(id)).toBe(true);
      for (const id of deletedUnseen) expect(seen.includes(id)).toBe(false);
      expect(deletedUnseen.size).toBeGreaterThan(10);
      expect(alive.size).toBeGreaterThan(60);
    });

    test('an invalid cursor is ERR_VALIDATION', async (s) => {
      await seed(s, [makeRecord(), makeRecord()]);
      const junk = [
        'not a cursor!',
        '%%%',
        toBase64Url(utf8Encode('{"x":1}')),
        toBase64Url(utf8Encode('[]')),
        toBase64Url(utf8Encode('null')),
      ];
      for (const cursor of junk) await expectCode(s.list({ limit: 10, cursor }), 'ERR_VALIDATION');
    });

    test('a limit outside 1..1000 is ERR_VALIDATION', async (s) => {
      await seed(s, [makeRecord()]);
      for (const limit of [0, -1, 1001, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expectCode(s.list({ limit }), 'ERR_VALIDATION');
      }
      expect((await s.list({ limit: 1 })).items).toHaveLength(1);
      expect((await s.list({ limit: 1000 })).items).toHaveLength(1);
    });
  });

  ctx.describe('dueForRotation', () => {
    test('returns records with dueAt <= before, by dueAt then id, at most limit', async (s) => {
      const records = [
        makeRecord({ dueAt: T + 5000 }),
        makeRecord({ dueAt: T + 1000 }),
        makeRecord({ dueAt: T + 1000 }),
        makeRecord({ dueAt: T + 1000 }),
        makeRecord({ dueAt: T + 3000 }),
        makeRecord({ dueAt: T - 9000 }),
        makeRecord({ dueAt: null }),
        makeRecord({ dueAt: null, createdAt: T - 50_000 }),
        makeRecord({ dueAt: T + 3001 }),
      ];
      await seed(s, records);
      const order = [...records]
        .filter((r) => r.dueAt !== null && r.dueAt <= T + 3000)
        .sort(
          (a, b) => (a.dueAt as number) - (b.dueAt as number) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
        );
      expect(ids(await s.dueForRotation(T + 3000, 100))).toStrictEqual(ids(order));
      expect(ids(await s.dueForRotation(T + 3000, 3))).toStrictEqual(ids(order.slice(0, 3)));
      expect(ids(await s.dueForRotation(T - 9001, 100))).toStrictEqual([]);
      const all = await s.dueForRotation(Number.MAX_SAFE_INTEGER, 100);
      expect(all).toHaveLength(7);
      expect(all.find((r) => r.id === records[0]!.id)).toStrictEqual(jsonCopy(records[0]));
    });

    test('follows updates and deletes of dueAt', async (s) => {
      const a = makeRecord({ dueAt: T });
      const b = makeRecord({ dueAt: T + 10 });
      await seed(s, [a, b]);
      await s.update({ ...a, revision: 2, dueAt: null }, { expectedRevision: 1 });
      expect(ids(await s.dueForRotation(T + 100, 10))).toStrictEqual([b.id]);
      await s.update({ ...a, revision: 3, dueAt: T + 20 }, { expectedRevision: 2 });
      expect(ids(await s.dueForRotation(T + 100, 10))).toStrictEqual([b.id, a.id]);
      await s.delete(b.id);
      expect(ids(await s.dueForRotation(T + 100, 10))).toStrictEqual([a.id]);
    });
  });
}
