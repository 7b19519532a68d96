/**
 * The observability features on a real PostgreSQL 17: the audit export pages through the SQL
 * adapter's `listAudit` with time windows, and the leak webhook revokes a key stored there.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStorage } from '../../src/adapters/postgres.js';
import { capabilityContext } from '../../src/extension/index.js';
import { AUDIT_CSV_COLUMNS, githubSecretScanning } from '../../src/observability/index.js';
import type { AuditDraft } from '../../src/records/context.js';
import { createTestKeyManager } from '../../src/testing/index.js';
import { type PgHarness, startPostgres } from '../support/pg-harness.js';

const T = 180_000;
let pg: PgHarness;
let sql: postgres.Sql;
beforeAll(async () => {
  pg = await startPostgres();
  sql = postgres(pg.url, { max: 4, onnotice: () => {} });
}, T);
afterAll(async () => {
  await sql?.end();
  await pg?.stop();
});

describe('observability on PostgreSQL', () => {
  it('exports 5 000 events as JSON Lines and a time window as CSV, in seq order', {
    timeout: T,
  }, async () => {
    const { km, clock } = createTestKeyManager({
      storage: postgresStorage({ sql, schema: pg.newSchema('obs') }),
    });
    const ctx = capabilityContext(km);
    await km.ready();
    const start = clock.now();
    const batch = (hour: number): AuditDraft[] =>
      Array.from({ length: 500 }, (_, i) => ({
        type: 'key.updated',
        keyId: null,
        kind: null,
        actor: `hour-${hour}`,
        data: { i, note: 'a, "b"' },
      }));
    for (let hour = 0; hour < 10; hour++) {
      await ctx.audit(batch(hour));
      clock.advance('1h');
    }
    const lines: string[] = [];
    let rest = '';
    for await (const chunk of km.audit.export({ format: 'jsonl' })) {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() as string;
      lines.push(...parts);
    }
    expect(rest).toBe('');
    const seqs = lines.map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(seqs).toHaveLength(5001); // + store.initialized
    expect(seqs.every((s, i) => s === i + 1)).toBe(true);

    let csv = '';
    for await (const chunk of km.audit.export({
      format: 'csv',
      from: start + 2 * 3_600_000,
      to: start + 4 * 3_600_000,
    })) {
      csv += chunk;
    }
    const records = csv.split('\r\n').slice(1, -1);
    expect(csv.startsWith(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    expect(records).toHaveLength(1000);
    const actorAt = AUDIT_CSV_COLUMNS.indexOf('actor');
    expect(new Set(records.map((r) => r.split(',')[actorAt]))).toEqual(new Set(['hour-2', 'hour-3']));
    await km.close();
  });

  it('revokes a reported key stored in PostgreSQL', { timeout: T }, async () => {
    const { km } = createTestKeyManager({ storage: postgresStorage({ sql, schema: pg.newSchema('leak') }) });
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const handler = githubSecretScanning(km, {
      publicKeys: async () => [
        {
          key_identifier: 'k1',
          key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          is_current: true,
        },
      ],
    });
    const { token, key } = await km.apiKeys.create({ name: 'pg' });
    const body = JSON.stringify([{ token, type: 'keywarden_api_key', url: '', source: 'commit' }]);
    const res = await handler(
      new Request('http://127.0.0.1/hook', {
        method: 'POST',
        body,
        headers: {
          'Github-Public-Key-Identifier': 'k1',
          'Github-Public-Key-Signature': sign('sha256', Buffer.from(body), privateKey).toString('base64'),
        },
      }),
    );
    expect(await res.json()).toEqual([
      {
        token_hash: createHash('sha256').update(token).digest('hex'),
        token_type: 'keywarden_api_key',
        label: 'true_positive',
      },
    ]);
    expect(await km.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'REVOKED' });
    expect((await km.apiKeys.get(key.id)).revokeReason).toBe('leaked');
    expect((await km.audit.verify()).ok).toBe(true);
    await km.close();
  });
});
