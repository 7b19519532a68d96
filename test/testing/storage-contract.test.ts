/**
 * Tests the contract suite itself: it must pass a correct adapter and catch broken ones. Each
 * mutant breaks one rule of the StorageAdapter port; the suite must report a failing test for it.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { KeywardenError } from '../../src/errors.js';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from '../../src/internal/bytes.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { testStorageAdapter } from '../../src/testing/storage-contract.js';

interface Collected {
  name: string;
  fn: () => Promise<void> | void;
  timeout: number | undefined;
}

function collect(create: () => Promise<StorageAdapter>, extra: { timeoutMs?: number } = {}): Collected[] {
  const tests: Collected[] = [];
  const path: string[] = [];
  testStorageAdapter({
    name: 'probe',
    create,
    ...extra,
    describe: (name, fn) => {
      path.push(name);
      fn();
      path.pop();
    },
    it: (name, fn, timeout) => {
      tests.push({ name: [...path, name].join(' > '), fn, timeout });
    },
    expect,
  });
  return tests;
}

async function failingTests(create: () => Promise<StorageAdapter>): Promise<string[]> {
  const failed: string[] = [];
  for (const t of collect(create)) {
    try {
      await t.fn();
    } catch {
      failed.push(t.name);
    }
  }
  return failed;
}

/** A memory adapter with some methods replaced. */
function mutant(patch: (base: StorageAdapter) => Partial<StorageAdapter>): () => Promise<StorageAdapter> {
  return async () => {
    const base = memoryStorage();
    return Object.assign(
      Object.create(null) as object,
      base,
      { name: 'mutant' },
      patch(base),
    ) as StorageAdapter;
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('testStorageAdapter', () => {
  it('registers named tests under one describe and passes the timeout through', () => {
    const tests = collect(async () => memoryStorage(), { timeoutMs: 12_345 });
    expect(tests.length).toBeGreaterThanOrEqual(30);
    expect(new Set(tests.map((t) => t.name)).size).toBe(tests.length);
    for (const t of tests) {
      expect(t.name.startsWith('StorageAdapter contract: probe > ')).toBe(true);
      expect(t.timeout).toBe(12_345);
    }
    expect(collect(async () => memoryStorage()).every((t) => t.timeout === undefined)).toBe(true);
  });

  it('passes a correct adapter', async () => {
    expect(await failingTests(async () => memoryStorage())).toStrictEqual([]);
  });

  it('calls init before and close then destroy after every test, even a failing one', async () => {
    const calls: string[] = [];
    const destroyed: StorageAdapter[] = [];
    const tests: Collected[] = [];
    testStorageAdapter({
      name: 'lifecycle',
      create: async () => {
        const base = memoryStorage();
        calls.push('create');
        return {
          ...base,
          get: base.get,
          init: async () => void calls.push('init'),
          close: async () => void calls.push('close'),
          dueForRotation: async () => {
            throw new Error('boom');
          },
        };
      },
      destroy: async (s) => {
        calls.push('destroy');
        destroyed.push(s);
      },
      describe: (_n, fn) => fn(),
      it: (name, fn) => void tests.push({ name, fn, timeout: undefined }),
      expect,
    });
    const due = tests.find((t) => t.name.startsWith('returns records with dueAt'));
    await expect(Promise.resolve().then(() => due?.fn())).rejects.toThrow('boom');
    expect(calls.slice(0, 2)).toStrictEqual(['create', 'init']);
    expect(calls.slice(-2)).toStrictEqual(['close', 'destroy']);
    expect(destroyed).toHaveLength(1);
  });

  const mutants: [string, () => Promise<StorageAdapter>, RegExp][] = [
    [
      'update ignores expectedRevision',
      mutant((b) => ({
        update: async (r, _o) => b.update(r, { expectedRevision: (await b.get(r.id))?.revision ?? 0 }),
      })),
      /stale expectedRevision/,
    ],
    [
      'update checks the revision, then writes after an await (check-then-act race)',
      mutant((b) => ({
        update: async (r, o) => {
          const current = await b.get(r.id);
          if (current === null) throw new KeywardenError('ERR_NOT_FOUND', 'missing');
          if (current.revision !== o.expectedRevision) throw new KeywardenError('ERR_CONFLICT', 'stale');
          await tick();
          const latest = (await b.get(r.id))?.revision ?? 0;
          return b.update({ ...r, revision: latest + 1 }, { expectedRevision: latest });
        },
      })),
      /20 concurrent updates/,
    ],
    [
      'update does not check record.revision',
      mutant((b) => ({
        update: async (r, o) => b.update({ ...r, revision: o.expectedRevision + 1 }, o),
      })),
      /expectedRevision \+ 1/,
    ],
    [
      'create throws a plain Error on a clash',
      mutant((b) => ({
        create: async (r) => {
          try {
            await b.create(r);
          } catch {
            throw new Error('duplicate');
          }
        },
      })),
      /existing id/,
    ],
    [
      'create with a clash overwrites instead of failing',
      mutant((b) => ({
        create: async (r) => {
          if (await b.get(r.id)) await b.delete(r.id);
          await b.create(r);
        },
      })),
      /existing id/,
    ],
    [
      'findByName ignores uniqueName',
      mutant((b) => ({
        findByName: async (name, where) =>
          (
            await b.list({
              limit: 1000,
              name,
              kind: where.kind,
              environment: where.environment,
              tenantId: where.tenantId,
            })
          ).items[0] ?? null,
      })),
      /findByName finds only uniqueName/,
    ],
    [
      'delete ignores expectedRevision',
      mutant((b) => ({ delete: async (id) => b.delete(id) })),
      /wrong expectedRevision/,
    ],
    [
      'list with offset cursors',
      mutant((b) => ({
        list: async (q) => {
          const offset = q.cursor === undefined ? 0 : Number(utf8Decode(fromBase64Url(q.cursor)));
          if (!Number.isInteger(offset)) throw new KeywardenError('ERR_VALIDATION', 'cursor');
          const { cursor: _c, limit, ...filters } = q;
          const all: StoredRecord[] = [];
          let page = await b.list({ ...filters, limit: 1000 });
          all.push(...page.items);
          while (page.cursor) {
            page = await b.list({ ...filters, limit: 1000, cursor: page.cursor });
            all.push(...page.items);
          }
          const items = all.slice(offset, offset + limit);
          const next =
            offset + limit < all.length ? toBase64Url(utf8Encode(String(offset + limit))) : undefined;
          return next === undefined ? { items } : { items, cursor: next };
        },
      })),
      /cursor stays valid across inserts and deletes/,
    ],
    [
      'list ignores the tenantId null filter',
      mutant((b) => ({
        list: async (q) => {
          const { tenantId, ...rest } = q;
          return b.list(tenantId === null ? rest : q);
        },
      })),
      /every filter/,
    ],
    [
      'dueForRotation treats before as exclusive',
      mutant((b) => ({ dueForRotation: async (before, limit) => b.dueForRotation(before - 1, limit) })),
      /dueAt <= before/,
    ],
    [
      'appendAudit interleaves concurrent batches',
      mutant((b) => ({
        appendAudit: async (events) => {
          for (const e of events) {
            await tick();
            await b.appendAudit([e]);
          }
        },
      })),
      /20 concurrent appends/,
    ],
    [
      'listAudit returns descending seq',
      mutant((b) => ({
        listAudit: async (q) => {
          const page = await b.listAudit(q);
          return { ...page, items: [...page.items].reverse() };
        },
      })),
      /appendAudit assigns seq/,
    ],
    [
      'setMeta ignores expected',
      mutant((b) => ({ setMeta: async (k, v) => b.setMeta(k, v) })),
      /compare-and-swap with expected/,
    ],
    [
      'create keeps a reference to the object it was given',
      mutant((b) => {
        const refs = new Map<string, StoredRecord>();
        return {
          create: async (r) => {
            await b.create(r);
            refs.set(r.id, r);
          },
          update: async (r, o) => {
            await b.update(r, o);
            refs.delete(r.id);
          },
          get: async (id) => refs.get(id) ?? b.get(id),
        };
      }),
      /copy their input/,
    ],
    [
      'listAudit returns a broken hash chain',
      mutant((b) => ({
        listAudit: async (q) => {
          const page = await b.listAudit(q);
          return {
            ...page,
            items: page.items.map((e) => (e.seq === 2 ? { ...e, prevHash: '0'.repeat(64) } : e)),
          };
        },
      })),
      /valid hash chain/,
    ],
    [
      'listAudit treats until as inclusive',
      mutant((b) => ({
        listAudit: async (q) => b.listAudit(q.until === undefined ? q : { ...q, until: q.until + 1 }),
      })),
      /listAudit filters/,
    ],
    [
      'list accepts any limit',
      mutant((b) => ({
        list: async (q) => b.list({ ...q, limit: Math.min(1000, Math.max(1, Math.floor(q.limit) || 1)) }),
      })),
      /limit outside 1\.\.1000/,
    ],
  ];

  for (const [what, create, expected] of mutants) {
    it(`catches a broken adapter: ${what}`, async () => {
      const failed = await failingTests(create);
      expect(failed.some((name) => expected.test(name))).toBe(true);
    });
  }
});
