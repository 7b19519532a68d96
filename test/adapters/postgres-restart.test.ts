import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStorage } from '../../src/adapters/postgres.js';
import { isKeywardenError } from '../../src/errors.js';
import { makeAuditEvent, makeRecord } from '../../src/testing/fixtures.js';
import { type PgHarness, startPostgres } from '../support/pg-harness.js';

// This test stops and starts the server, so it always runs its own embedded PostgreSQL
// (KEYWARDEN_TEST_DATABASE_URL is not used here).
let pg: PgHarness;

beforeAll(async () => {
  pg = await startPostgres({ private: true });
});

afterAll(async () => {
  await pg?.stop();
});

describe('postgresStorage across a database restart', () => {
  it('fails with ERR_STORAGE while down, recovers on the next call, loses nothing acknowledged', async () => {
    const storage = postgresStorage({ url: pg.url, max: 4, options: { connect_timeout: 5 } });
    await storage.init?.();
    const acknowledged: string[] = [];
    const failures: unknown[] = [];
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        const record = makeRecord();
        try {
          await storage.create(record);
          await storage.appendAudit([makeAuditEvent({ keyId: record.id })]);
          acknowledged.push(record.id);
        } catch (error) {
          failures.push(error);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();

    const waitFor = async (check: () => boolean): Promise<void> => {
      while (!check()) await new Promise((r) => setTimeout(r, 10));
    };
    await waitFor(() => acknowledged.length >= 20);
    await pg.stopServer();
    const before = acknowledged.length;
    await waitFor(() => failures.length >= 3);
    const whileDown = await storage.get('anything').then(
      () => null,
      (e: unknown) => e,
    );
    expect(isKeywardenError(whileDown, 'ERR_STORAGE')).toBe(true);
    await pg.startServer();
    // the very next call after the restart succeeds
    const probe = makeRecord();
    await storage.create(probe);
    expect(await storage.get(probe.id)).toStrictEqual(probe);
    await waitFor(() => acknowledged.length >= before + 20);
    stop = true;
    await writer;

    for (const error of failures) expect(isKeywardenError(error, 'ERR_STORAGE')).toBe(true);
    const password = decodeURIComponent(new URL(pg.url).password);
    for (const error of failures) expect(JSON.stringify(error) + String(error)).not.toContain(password);
    for (const id of acknowledged) expect(await storage.get(id)).not.toBeNull();
    // the audit chain is intact: seqs are gapless and every event of an acknowledged record is there
    const audit = await storage.listAudit({ limit: 1000 });
    expect(audit.items.map((e) => e.seq)).toStrictEqual(audit.items.map((_, i) => i + 1));
    const audited = new Set(audit.items.map((e) => e.keyId));
    for (const id of acknowledged) expect(audited.has(id)).toBe(true);
    await storage.close?.();
  }, 60_000);
});
