/**
 * Usage analytics (`km.apiKeys.usage`): valid and failed verifications per hour and per UTC day,
 * written to the storage rollup in batches (no write per verification), exact when two managers
 * verify concurrently against one store, on the memory and file adapters (Postgres:
 * test/usage/usage-analytics-postgres.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/adapters/file.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { createKeyManager, type KeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { fakeClock } from '../../src/testing/index.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Counts every write the adapter receives. */
function counting(inner: StorageAdapter): {
  storage: StorageAdapter;
  writes: { addUsage: number; update: number };
} {
  const writes = { addUsage: 0, update: 0 };
  const storage: StorageAdapter = Object.create(inner) as StorageAdapter;
  Object.assign(storage, {
    name: inner.name,
    addUsage: (rows: Parameters<NonNullable<StorageAdapter['addUsage']>>[0]) => {
      writes.addUsage++;
      return inner.addUsage!(rows);
    },
    update: (r: Parameters<StorageAdapter['update']>[0], o: Parameters<StorageAdapter['update']>[1]) => {
      writes.update++;
      return inner.update(r, o);
    },
  });
  return { storage, writes };
}

for (const adapter of ['memory', 'file'] as const) {
  describe(`usage analytics (${adapter})`, () => {
    async function store(): Promise<() => StorageAdapter> {
      if (adapter === 'memory') {
        const shared = memoryStorage();
        return () => shared;
      }
      const dir = await mkdtemp(join(tmpdir(), 'kw-usage-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      return () => fileStorage({ dir, create: true });
    }

    it('counts valid and failed uses per hour and per day, zero-filled, with one batch write per flush', async () => {
      const open = await store();
      const clock = fakeClock({ now: T0 });
      const masterKey = generateMasterKey();
      const { storage, writes } = counting(open());
      const km = createKeyManager({
        storage,
        kms: localKms({ masterKey }),
        clock,
        usage: { flushInterval: 0 },
      });
      cleanups.push(() => km.close());
      const { token, key } = await km.apiKeys.create({ name: 'ci', scopes: ['read'] });
      for (let i = 0; i < 5; i++) expect((await km.apiKeys.verify(token)).valid).toBe(true);
      expect(await km.apiKeys.verify(token, { scopes: ['write'] })).toMatchObject({
        code: 'INSUFFICIENT_SCOPE',
      });
      clock.advance('2h');
      for (let i = 0; i < 3; i++) await km.apiKeys.verify(token);
      await km.apiKeys.verify(`${token.slice(0, 3)}${token.slice(3, -10)}${'A'.repeat(10)}`); // malformed: no record
      expect(writes.addUsage).toBe(0); // nothing written per verification

      const hourly = await km.apiKeys.usage(key.id, { from: T0, to: T0 + 3 * HOUR });
      expect(writes.addUsage).toBe(1); // the report flushed the buffer: one batch
      expect(hourly.granularity).toBe('hour');
      expect(hourly.buckets).toEqual([
        { start: T0, valid: 5, failed: 1 },
        { start: T0 + HOUR, valid: 0, failed: 0 },
        { start: T0 + 2 * HOUR, valid: 3, failed: 0 },
      ]);
      expect(hourly.total).toEqual({ valid: 8, failed: 1 });

      const daily = await km.apiKeys.usage(key.id, { from: new Date(T0), granularity: 'day' });
      expect(daily.buckets).toEqual([{ start: Date.UTC(2026, 2, 1), valid: 8, failed: 1 }]);
      // the usage path wrote one batch, not one record update per verification
      expect(writes.addUsage).toBe(1);
    });

    it('is exact under concurrency: two managers verifying the same key at once', async () => {
      const open = await store();
      const masterKey = generateMasterKey();
      const clock = fakeClock({ now: T0 });
      const managers: KeyManager[] = [0, 1].map(() =>
        createKeyManager({
          storage: open(),
          kms: localKms({ masterKey }),
          clock,
          usage: { flushInterval: 0 },
        }),
      );
      for (const km of managers) cleanups.push(() => km.close());
      const [a, b] = managers as [KeyManager, KeyManager];
      const { token, key } = await a.apiKeys.create({ name: 'shared' });
      const wrong = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
      const rounds = 6;
      await Promise.all(
        [a, b].map(async (km) => {
          for (let r = 0; r < rounds; r++) {
            await Promise.all(Array.from({ length: 20 }, () => km.apiKeys.verify(token)));
            await km.apiKeys.verify(wrong); // a checksum failure: no record, not counted
            await km.apiKeys.verify(token, { tenantId: 'other' }); // counted as failed
            await km.rotator.due(); // interleave other storage traffic
            // both flush into the same rows at the same time
            await (km === a ? a.apiKeys.usage(key.id) : b.apiKeys.usage(key.id));
          }
        }),
      );
      await a.close();
      await b.close();
      const reader = createKeyManager({ storage: open(), kms: localKms({ masterKey }), clock });
      cleanups.push(() => reader.close());
      const r = await reader.apiKeys.usage(key.id, { from: T0, to: T0 + HOUR });
      expect(r.total).toEqual({ valid: 2 * rounds * 20, failed: 2 * rounds });
    });

    it('refuses bad options and unknown keys with the field named', async () => {
      const open = await store();
      const km = createKeyManager({ storage: open(), kms: localKms({ masterKey: generateMasterKey() }) });
      cleanups.push(() => km.close());
      const { key } = await km.apiKeys.create({ name: 'x' });
      await expect(km.apiKeys.usage(key.id, { from: 10 * HOUR, to: 5 * HOUR })).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
        field: 'options.from',
      });
      await expect(km.apiKeys.usage(key.id, { granularity: 'minute' as never })).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
        field: 'options.granularity',
      });
      await expect(km.apiKeys.usage(key.id, { from: 0, to: 10 * 366 * 24 * HOUR })).rejects.toMatchObject({
        code: 'ERR_VALIDATION',
      });
      await expect(km.apiKeys.usage('nope00000000')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      const storage = open();
      await expect(
        storage.addUsage!([{ recordId: key.id, bucket: 5, valid: 1, failed: 0 }]),
      ).rejects.toMatchObject({ code: 'ERR_VALIDATION', field: 'rows[0].bucket' });
      await expect(
        storage.addUsage!([{ recordId: key.id, bucket: 0, valid: -1, failed: 0 }]),
      ).rejects.toMatchObject({ code: 'ERR_VALIDATION', field: 'rows[0].valid' });
    });
  });
}

describe('usage analytics on an adapter without a rollup', () => {
  it('verify still works and usage() says ERR_UNSUPPORTED', async () => {
    const inner = memoryStorage();
    const { addUsage: _a, listUsage: _l, ...rest } = inner;
    const storage = rest as StorageAdapter;
    const km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }) });
    cleanups.push(() => km.close());
    const { token, key } = await km.apiKeys.create({ name: 'x' });
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    await expect(km.apiKeys.usage(key.id)).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
  });
});

describe('usage analytics of agent access (sessions and tools)', () => {
  it('counts authorized and refused calls per session and per tool', async () => {
    const clock = fakeClock({ now: T0 + 40 * 60_000 }); // sessions last 1 h: the next hour starts in 20 min
    const km = createKeyManager({
      storage: memoryStorage(),
      kms: localKms({ masterKey: generateMasterKey() }),
      clock,
      usage: { flushInterval: 0 },
    });
    cleanups.push(() => km.close());
    const { agentAccess } = await import('../../src/access/index.js');
    const access = agentAccess(km);
    await km.secrets.set('STRIPE_KEY', 'sk_test_value', { environment: 'production' });
    await access.tools.register({
      id: 'stripe',
      name: 'Payments',
      secret: 'STRIPE_KEY',
      environment: 'production',
      upstream: { origin: 'https://api.stripe.com', auth: { type: 'bearer' } },
      methods: ['GET'],
      paths: ['/v1/charges'],
      approval: 'auto',
      maxCalls: 3,
    });
    const req = await access.requests.create({ toolId: 'stripe', agentId: 'agent-1', justification: 'j' });
    const session = await access.sessions.open(req.id);
    const call = { toolId: 'stripe', method: 'GET', path: '/v1/charges' };
    expect((await access.authorize(session.token, call)).ok).toBe(true);
    expect((await access.authorize(session.token, { ...call, path: '/v1/refunds' })).ok).toBe(false); // FORBIDDEN
    clock.advance('30m');
    expect((await access.authorize(session.token, call)).ok).toBe(true);
    expect((await access.authorize(session.token, call)).ok).toBe(true);
    expect((await access.authorize(session.token, call)).ok).toBe(false); // exhausted
    expect((await access.authorize('px_not_a_token', call)).ok).toBe(false); // no session: not counted

    const s = await access.sessions.usage(session.id, { from: T0, to: T0 + 2 * HOUR });
    expect(s.buckets).toEqual([
      { start: T0, valid: 1, failed: 1 },
      { start: T0 + HOUR, valid: 2, failed: 1 },
    ]);
    const t = await access.tools.usage('stripe', { from: T0, to: T0 + 2 * HOUR, granularity: 'day' });
    expect(t.total).toEqual({ valid: 3, failed: 0 });
    await expect(access.tools.usage('nope')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });
});
