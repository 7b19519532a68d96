import { describe, expect, it } from 'vitest';
import { SQL_FUNCTIONS, sqlError } from '../../src/adapters/postgres/functions.js';
import { MIGRATIONS } from '../../src/adapters/postgres/migrations.js';
import { migrationSql as postgresMigrationSql } from '../../src/adapters/postgres.js';
import { migrationSql } from '../../src/adapters/supabase.js';
import { KeywardenError } from '../../src/errors.js';
import { readMigrationFiles } from '../support/gen-sql.js';

describe('SQL migrations', () => {
  it('the embedded module equals the .sql files (regenerate: npx tsx test/support/gen-sql.ts)', () => {
    expect(MIGRATIONS.map((m) => ({ ...m }))).toStrictEqual(readMigrationFiles());
  });

  it('versions start at 1 and have no gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toStrictEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('migrationSql() is every migration in order, the same from both adapters', () => {
    expect(migrationSql()).toBe(
      readMigrationFiles()
        .map((m) => m.sql)
        .join('\n'),
    );
    expect(postgresMigrationSql()).toBe(migrationSql());
  });

  it('defines every function the adapters call, and records each version', () => {
    const sql = migrationSql();
    for (const spec of Object.values(SQL_FUNCTIONS)) {
      expect(sql).toContain(`CREATE OR REPLACE FUNCTION ${spec.name}(`);
    }
    for (const m of MIGRATIONS) {
      expect(m.sql).toContain(
        `INSERT INTO keywarden_migrations (version, name) VALUES (${m.version}, '${m.name}')`,
      );
    }
  });
});

describe('sqlError', () => {
  it('maps by SQLSTATE code only', () => {
    const cases: [string, string][] = [
      ['KW404', 'ERR_NOT_FOUND'],
      ['KW409', 'ERR_CONFLICT'],
      ['40001', 'ERR_CONFLICT'],
      ['KW410', 'ERR_ALREADY_EXISTS'],
      ['23505', 'ERR_ALREADY_EXISTS'],
      ['KW422', 'ERR_VALIDATION'],
      ['42501', 'ERR_STORAGE'],
      ['PGRST202', 'ERR_STORAGE'],
      ['ECONNREFUSED', 'ERR_STORAGE'],
      ['', 'ERR_STORAGE'],
    ];
    for (const [code, expected] of cases) {
      // a message that names another error must not change the mapping
      expect(sqlError({ code, message: 'duplicate key value violates unique constraint' }, 'op').code).toBe(
        expected,
      );
    }
    expect(sqlError(new Error('no code'), 'op').code).toBe('ERR_STORAGE');
    expect(sqlError('a string', 'op').code).toBe('ERR_STORAGE');
  });

  it('keeps KeywardenErrors and drops query parameters from the cause', () => {
    const own = new KeywardenError('ERR_VALIDATION', 'x');
    expect(sqlError(own, 'op')).toBe(own);
    const driverError = Object.assign(new Error('boom'), {
      code: 'XX000',
      parameters: ['secret-ish'],
      query: 'q',
    });
    const mapped = sqlError(driverError, 'get');
    expect(mapped.message).toBe('storage get failed (XX000)');
    expect(mapped.cause).not.toHaveProperty('parameters');
    expect(mapped.cause).not.toHaveProperty('query');
    expect(JSON.stringify(mapped)).not.toContain('secret-ish');
  });
});
