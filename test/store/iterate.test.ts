/**
 * `iterate(query)` on every list: it walks every page in order with the list's filters, resumes
 * from a cursor, reads one page at a time (lazily), validates like `list`, and stops on an abort
 * signal between pages and between items.
 */
import { describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import type { Page, StorageAdapter } from '../../src/ports/storage.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { stripeTool } from '../access/helpers.js';
import { expectKw, wrapStorage } from './api-keys-helpers.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Storage that counts `list` calls (pages read). */
function countingStorage(inner: StorageAdapter) {
  const counter = { pages: 0 };
  const storage = wrapStorage(inner, {
    list: async (q: Parameters<StorageAdapter['list']>[0]) => {
      counter.pages += 1;
      return inner.list(q);
    },
  });
  return { counter, storage };
}

describe('km.apiKeys.iterate', () => {
  it('yields every key across pages, in list order, with the filters of list', async () => {
    const { km } = createTestKeyManager();
    const made: string[] = [];
    for (let i = 0; i < 7; i++)
      made.push((await km.apiKeys.create({ name: `k${i}`, tags: [i % 2 ? 'odd' : 'even'] })).key.id);
    const all = await collect(km.apiKeys.iterate({ limit: 2 }));
    expect(all.map((k) => k.id).sort()).toEqual([...made].sort());
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page: Page<{ id: string }> = await km.apiKeys.list({ limit: 2, ...(cursor && { cursor }) });
      listed.push(...page.items.map((k) => k.id));
      cursor = page.cursor;
    } while (cursor !== undefined);
    expect(all.map((k) => k.id)).toEqual(listed);
    const odd = await collect(km.apiKeys.iterate({ tag: 'odd', limit: 1 }));
    expect(odd.map((k) => k.name).sort()).toEqual(['k1', 'k3', 'k5']);
  });

  it('a cursor resumes the walk after the page it came from', async () => {
    const { km } = createTestKeyManager();
    for (let i = 0; i < 5; i++) await km.apiKeys.create({ name: `k${i}` });
    const first = await km.apiKeys.list({ limit: 2 });
    const rest = await collect(km.apiKeys.iterate({ limit: 2, cursor: first.cursor! }));
    const all = await collect(km.apiKeys.iterate());
    expect([...first.items, ...rest].map((k) => k.id)).toEqual(all.map((k) => k.id));
  });

  it('reads one page at a time: nothing before the first next(), one page per `limit` items', async () => {
    const { counter, storage } = countingStorage(createTestKeyManager().storage);
    const { km } = createTestKeyManager({ storage });
    for (let i = 0; i < 6; i++) await km.apiKeys.create({ name: `k${i}` });
    counter.pages = 0;
    const it = km.apiKeys.iterate({ limit: 3 });
    expect(counter.pages).toBe(0);
    await it.next();
    expect(counter.pages).toBe(1);
    await it.next();
    await it.next();
    expect(counter.pages).toBe(1);
    await it.next();
    expect(counter.pages).toBe(2);
    await it.return?.(undefined);
  });

  it('bad filters are ERR_VALIDATION naming the field, like list; a non-signal is query.signal', async () => {
    const { km } = createTestKeyManager();
    const listed = await expectKw(() => km.apiKeys.list({ limit: 0 }), 'ERR_VALIDATION');
    await expectKw(() => collect(km.apiKeys.iterate({ limit: 0 })), 'ERR_VALIDATION', listed.field!);
    await expectKw(
      () => collect(km.apiKeys.iterate({ signal: 'stop' as unknown as AbortSignal })),
      'ERR_VALIDATION',
      'query.signal',
    );
    await expectKw(
      () => collect(km.secrets.iterate({ signal: {} as AbortSignal })),
      'ERR_VALIDATION',
      'options.signal',
    );
  });

  it('an aborted signal stops the walk with its reason, between items and before the next page', async () => {
    const { counter, storage } = countingStorage(createTestKeyManager().storage);
    const { km } = createTestKeyManager({ storage });
    for (let i = 0; i < 6; i++) await km.apiKeys.create({ name: `k${i}` });
    counter.pages = 0;
    const controller = new AbortController();
    const seen: string[] = [];
    const walk = async () => {
      for await (const k of km.apiKeys.iterate({ limit: 2, signal: controller.signal })) {
        seen.push(k.name);
        if (seen.length === 3) controller.abort(new Error('enough'));
      }
    };
    await expect(walk()).rejects.toThrow('enough');
    expect(seen).toHaveLength(3);
    expect(counter.pages).toBe(2);
    // already aborted: not a single page is read
    counter.pages = 0;
    const reason = new Error('before');
    await expect(collect(km.apiKeys.iterate({ signal: AbortSignal.abort(reason) }))).rejects.toBe(reason);
    expect(counter.pages).toBe(0);
  });
});

describe('iterate on secrets, keys and audit', () => {
  it('each yields what its list pages hold, with its filters', async () => {
    const { km } = createTestKeyManager();
    for (let i = 0; i < 5; i++) {
      await km.secrets.set(`S${i}`, `v${i}`, { environment: i < 3 ? 'production' : 'staging' });
      await km.keys.create({ name: `key${i}`, type: 'hmac', tags: i === 0 ? ['jwt'] : [] });
    }
    const prod = await collect(km.secrets.iterate({ environment: 'production', limit: 1 }));
    expect(prod.map((s) => s.name).sort()).toEqual(['S0', 'S1', 'S2']);
    const keys = await collect(km.keys.iterate({ limit: 2 }));
    expect(keys.map((k) => k.name).sort()).toEqual(['key0', 'key1', 'key2', 'key3', 'key4']);
    expect((await collect(km.keys.iterate({ tag: 'jwt' }))).map((k) => k.name)).toEqual(['key0']);
    const events = await collect(km.audit.iterate({ limit: 3 }));
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(events.map((e) => e.seq)).toEqual((await km.audit.list({ limit: 1000 })).items.map((e) => e.seq));
    const created = await collect(km.audit.iterate({ type: 'key.created', limit: 2 }));
    expect(created.length).toBe((await km.audit.list({ type: 'key.created', limit: 1000 })).items.length);
    expect(created.length).toBeGreaterThanOrEqual(5);
    expect(new Set(created.map((e) => e.type))).toEqual(new Set(['key.created']));
    const listed = await expectKw(() => km.audit.list({ limit: 5000 }), 'ERR_VALIDATION');
    await expectKw(() => collect(km.audit.iterate({ limit: 5000 })), 'ERR_VALIDATION', listed.field!);
  });
});

describe('iterate on access lists', () => {
  it('tools, requests and sessions', async () => {
    const { km } = createTestKeyManager();
    await km.secrets.set('STRIPE_KEY', 'sk_test_x', { environment: 'production' });
    const access = agentAccess(km);
    for (const id of ['a', 'b', 'c']) await access.tools.register(stripeTool({ id }));
    expect((await collect(access.tools.iterate({ limit: 1 }))).map((t) => t.id).sort()).toEqual([
      'a',
      'b',
      'c',
    ]);
    const made: string[] = [];
    for (const toolId of ['a', 'b', 'c']) {
      const r = await access.requests.create({ toolId, agentId: 'agent-7', justification: 'refund order 1' });
      made.push(r.id);
    }
    await access.requests.approve(made[0]!, { approver: 'alice' });
    const session = await access.sessions.open(made[0]!);
    const pending = await collect(access.requests.iterate({ status: 'pending', limit: 1 }));
    expect(pending.map((r) => r.id).sort()).toEqual(made.slice(1).sort());
    expect((await collect(access.sessions.iterate())).map((s) => s.id)).toEqual([session.id]);
    const controller = new AbortController();
    controller.abort();
    await expect(collect(access.requests.iterate({ signal: controller.signal }))).rejects.toThrow();
  });
});
