/**
 * `--store` / `KEYWARDEN_STORE` on every kind of store: a folder, a real PostgreSQL (`postgres://`)
 * and a real PostgREST in front of it (Supabase settings). The same commands give the same output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationSql } from '../../src/adapters/supabase.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { type PgHarness, startPostgres } from '../support/pg-harness.js';
import { createSupabaseRoles, type PostgrestHarness, startPostgrest } from '../support/postgrest-harness.js';
import { kw, oneLineError, type RunResult, tempDir } from './harness.js';

const T = 180_000;
const RUN = `kw_cli_${Date.now().toString(36)}`;
const PG_SCHEMA = `${RUN}_pg`;
const SB_SCHEMA = `${RUN}_sb`;
const masterKey = generateMasterKey();

let pg: PgHarness;
let rest: PostgrestHarness;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  pg = await startPostgres();
  const password = await createSupabaseRoles(pg);
  await pg.sql.unsafe(`create schema "${SB_SCHEMA}"`);
  await pg.sql.begin(async (tx) => {
    await tx.unsafe(`set local search_path to "${SB_SCHEMA}"`);
    await tx.unsafe(migrationSql()).simple();
  });
  rest = await startPostgrest(pg, [SB_SCHEMA], password);
}, T);

afterAll(async () => {
  await rest?.stop();
  if (pg) for (const schema of [PG_SCHEMA, SB_SCHEMA]) await pg.dropSchema(schema);
  await pg?.stop();
  await cleanup?.();
});

type Store = { name: string; env: () => Record<string, string>; label: () => RegExp };
const STORES: Store[] = [
  { name: 'folder', env: () => ({ KEYWARDEN_STORE: 'store-dir' }), label: () => /store-dir/ },
  {
    name: 'postgres',
    env: () => ({ KEYWARDEN_STORE: pg.url, KEYWARDEN_SCHEMA: PG_SCHEMA }),
    label: () => new RegExp(`schema ${PG_SCHEMA}`),
  },
  {
    name: 'supabase',
    env: () => ({
      KEYWARDEN_SUPABASE_URL: rest.url,
      KEYWARDEN_SUPABASE_SERVICE_KEY: rest.serviceKey,
      KEYWARDEN_SCHEMA: SB_SCHEMA,
    }),
    label: () => /^supabase http:\/\/127\.0\.0\.1/,
  },
];

const run = (store: Store, args: string[], input?: string): Promise<RunResult> =>
  kw(args, {
    cwd: dir,
    env: { KEYWARDEN_MASTER_KEY: masterKey, ...store.env() },
    ...(input === undefined ? {} : { input }),
  });

/** What a store-independent journey prints, ids and times removed. */
async function journey(store: Store): Promise<string[]> {
  const seen: string[] = [];
  const step = async (args: string[], input?: string): Promise<RunResult> => {
    const r = await run(store, args, input);
    const text = `${r.stdout}${r.stderr}`.replace(
      /\b(?=[0-9A-Za-z]*[0-9a-z])[0-9A-Za-z]{12}\b|\d{4}-\d\d-\d\dT[\d:]+Z/g,
      '#',
    );
    seen.push(`${args.join(' ')} -> ${r.code} ${text}`);
    return r;
  };
  await step(['secrets', 'set', 'OPENAI_API_KEY'], 'sk-test-value\n');
  await step(['secrets', 'get', 'OPENAI_API_KEY']);
  await step(['secrets', 'list', '--env', 'default']);
  const created = await run(store, ['--json', 'api-keys', 'create', '--name', 'ci', '--scopes', 'read']);
  const token = (JSON.parse(created.stdout) as { token: string }).token;
  await step(['api-keys', 'verify', '--scopes', 'read'], token);
  await step(['api-keys', 'verify', '--scopes', 'write'], token);
  await step(['secrets', 'get', 'MISSING']);
  return seen;
}

describe('keywarden --store', () => {
  const outputs = new Map<string, string[]>();

  for (const store of STORES) {
    it(`${store.name}: init creates the store once, then the same commands work`, {
      timeout: T,
    }, async () => {
      const missing = await run(store, ['secrets', 'list']);
      expect(missing.code).toBe(5);
      expect(oneLineError(missing.stderr)).toMatch(/^keywarden: no store at .* \(ERR_NO_STORE\)$/);

      const init = await run(store, ['--json', 'init']);
      expect(init.stderr).toBe('');
      expect(init.code).toBe(0);
      const body = JSON.parse(init.stdout) as { store: string; generatedMasterKey: boolean };
      expect(body.store).toMatch(store.label());
      expect(body.generatedMasterKey).toBe(false);

      const again = await run(store, ['init']);
      expect(again.code).toBe(6);
      expect(oneLineError(again.stderr)).toMatch(/a store already exists .*\(ERR_ALREADY_EXISTS\)$/);

      outputs.set(store.name, await journey(store));
      const doctor = await run(store, ['doctor']);
      expect(doctor.code).toBe(0);
    });
  }

  it('prints the same output on every store', () => {
    const folder = outputs.get('folder');
    expect(folder).toBeDefined();
    expect(folder?.join('\n')).toContain('secrets get OPENAI_API_KEY -> 0 sk-test-value');
    expect(folder?.join('\n')).toContain(
      'api-keys verify --scopes write -> 1 invalid INSUFFICIENT_SCOPE # (ci)',
    );
    expect(folder?.join('\n')).toMatch(/secrets get MISSING -> 3 keywarden: .*\(ERR_NOT_FOUND\)/);
    expect(outputs.get('postgres')).toStrictEqual(folder);
    expect(outputs.get('supabase')).toStrictEqual(folder);
  });

  it('never prints the database password or the service key', { timeout: T }, async () => {
    const password = new URL(pg.url).password;
    expect(password).not.toBe('');
    const r = await run(STORES[1] as Store, ['--json', 'doctor']);
    expect(r.stdout + r.stderr).not.toContain(password);
    expect(r.stdout).toContain('***');
    const s = await run(STORES[2] as Store, ['doctor']);
    expect(s.stdout + s.stderr).not.toContain(rest.serviceKey);
  });

  it('an unreachable database is a storage error naming no password', { timeout: T }, async () => {
    const r = await kw(['secrets', 'list'], {
      cwd: dir,
      env: { KEYWARDEN_MASTER_KEY: masterKey, KEYWARDEN_STORE: 'postgres://u:hunter2@127.0.0.1:1/db' },
    });
    expect(r.code).toBe(5);
    expect(oneLineError(r.stderr)).toMatch(/\(ERR_STORAGE\)$/);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('incomplete Supabase settings name the missing variable', { timeout: T }, async () => {
    const r = await kw(['--json', 'secrets', 'list'], {
      cwd: dir,
      env: { KEYWARDEN_MASTER_KEY: masterKey, KEYWARDEN_SUPABASE_URL: rest.url },
    });
    expect(r.code).toBe(2);
    const body = JSON.parse(r.stdout) as { error: { code: string; field: string; message: string } };
    expect(body.error.code).toBe('ERR_VALIDATION');
    expect(body.error.field).toBe('KEYWARDEN_SUPABASE_SERVICE_KEY');
    const bad = await kw(['--schema', 'a;drop', 'secrets', 'list'], {
      cwd: dir,
      env: { KEYWARDEN_MASTER_KEY: masterKey },
    });
    expect(bad.code).toBe(2);
    expect(oneLineError(bad.stderr)).toMatch(/^keywarden: --schema must be a plain SQL identifier/);
  });
});
