import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStorage } from '../../src/adapters/postgres.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import { makeRecord } from '../../src/testing/fixtures.js';
import { freePort, type PgHarness, startPostgres } from '../support/pg-harness.js';

// Stops and starts the server, so it always runs its own embedded PostgreSQL.
let pg: PgHarness;

beforeAll(async () => {
  pg = await startPostgres({ external: false });
});

afterAll(async () => {
  await pg?.stop();
});

/** Settles every promise; returns the errors and the time until the last one settled. */
async function settleAll(
  calls: (() => Promise<unknown>)[],
): Promise<{ errors: unknown[]; ms: number; ok: number }> {
  const started = performance.now();
  const results = await Promise.allSettled(calls.map((c) => c()));
  const ms = performance.now() - started;
  const errors = results
    .filter((r) => r.status === 'rejected')
    .map((r) => (r as PromiseRejectedResult).reason);
  return { errors, ms, ok: results.length - errors.length };
}

describe('postgresStorage fails fast while the database is unreachable', () => {
  it('50 verifies and 20 writes with max 2 all reject with ERR_STORAGE; no write runs after the restart', async () => {
    const storage = postgresStorage({ url: pg.url, max: 2, connectTimeout: 2 });
    const km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }) });
    const { token } = await km.apiKeys.create({ name: 'probe' });
    expect((await km.apiKeys.verify(token)).valid).toBe(true);

    await pg.stopServer();
    const verifies = await settleAll(Array.from({ length: 50 }, () => () => km.apiKeys.verify(token)));
    const writes = await settleAll(
      Array.from({ length: 20 }, (_, i) => () => km.secrets.set(`queued-${i}`, 'must-not-appear')),
    );
    console.info(
      `fail-fast: 50 verifies settled in ${Math.round(verifies.ms)} ms, 20 writes in ${Math.round(writes.ms)} ms (connectTimeout 2 s, max 2)`,
    );
    expect(verifies.ok).toBe(0);
    expect(writes.ok).toBe(0);
    for (const e of [...verifies.errors, ...writes.errors])
      expect(isKeywardenError(e, 'ERR_STORAGE')).toBe(true);
    // refused calls are refused, not parked: every one settled within the connect timeout (+ margin)
    expect(verifies.ms).toBeLessThan(2_000 + 3_000);
    expect(writes.ms).toBeLessThan(2_000 + 3_000);

    await pg.startServer();
    // recovery on the next call
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    // nothing queued while the database was down was applied after it came back
    const leftovers = await pg.sql.unsafe(
      `select count(*)::int as n from keywarden_records where name like 'queued-%'`,
    );
    expect(leftovers[0]?.['n']).toBe(0);
    await km.close();
  }, 60_000);

  it('a server that accepts but never answers: every call rejects after connectTimeout', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => {
      sockets.push(socket); // accept, never answer
    });
    const port = await freePort();
    await new Promise<void>((resolve) => silent.listen(port, '127.0.0.1', resolve));
    try {
      const storage = postgresStorage({
        url: `postgres://u:p@127.0.0.1:${port}/db`,
        max: 2,
        connectTimeout: 1,
      });
      const calls = await settleAll(Array.from({ length: 10 }, () => () => storage.get('x')));
      const create = await settleAll([() => storage.create(makeRecord())]);
      console.info(
        `fail-fast: 10 reads against a silent server settled in ${Math.round(calls.ms)} ms (connectTimeout 1 s)`,
      );
      expect(calls.ok + create.ok).toBe(0);
      for (const e of [...calls.errors, ...create.errors])
        expect(isKeywardenError(e, 'ERR_STORAGE')).toBe(true);
      expect(calls.ms).toBeLessThan(1_000 + 3_000);
      await storage.close?.();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 30_000);

  it('rejects a bad connectTimeout', () => {
    expect(() => postgresStorage({ url: pg.url, connectTimeout: 0 })).toThrow(/connectTimeout/);
    expect(() => postgresStorage({ url: pg.url, connectTimeout: Number.NaN })).toThrow(/connectTimeout/);
  });
});
