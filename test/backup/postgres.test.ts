/**
 * The migration path: memory -> file -> Postgres (-> memory) through bundles, identical
 * record for record, and everything still verifies and opens at the end.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { postgresStorage } from '../../src/adapters/postgres.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { type PgHarness, startPostgres } from '../support/pg-harness.js';
import { dump, open, tempFileStorage } from './helpers.js';

let pg: PgHarness;
let sql: postgres.Sql;
beforeAll(async () => {
  pg = await startPostgres();
  sql = postgres(pg.url, { max: 4, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end();
  await pg?.stop();
});

it('memory -> file -> postgres -> memory keeps every record identical', { timeout: 120_000 }, async () => {
  const masterKey = generateMasterKey();
  const source = memoryStorage();
  const s = open(source, masterKey);
  const { token } = await s.km.apiKeys.create({ name: 'svc', scopes: ['a:b'] });
  await s.km.secrets.set('S', 'one');
  await s.km.secrets.set('S', 'two');
  await s.km.keys.create({ name: 'ec', type: 'ecdsa' });
  const sig = await s.km.keys.sign('ec', 'data');
  const original = await dump(source);

  const file = await tempFileStorage();
  try {
    await open(file.storage, masterKey).backup.import(await s.backup.export());
    const schema = pg.newSchema();
    const pgStorage = postgresStorage({ sql, schema });
    await open(pgStorage, masterKey).backup.import(await open(file.storage, masterKey).backup.export());
    expect(await dump(pgStorage)).toEqual(original);

    const back = memoryStorage();
    await open(back, masterKey).backup.import(await open(pgStorage, masterKey).backup.export());
    expect(await dump(back)).toEqual(original);

    const { km } = open(pgStorage, masterKey);
    expect((await km.apiKeys.verify(token, { scopes: ['a:b'] })).valid).toBe(true);
    expect(await km.secrets.get('S')).toBe('two');
    expect(await km.keys.verify('ec', 'data', sig)).toBe(true);
    await pg.dropSchema(schema);
  } finally {
    await file.cleanup();
  }
});
