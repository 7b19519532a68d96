/**
 * `keywarden sql`: print the Postgres / Supabase migration (run it with psql or the Supabase SQL editor).
 * @module
 */
import type { Command } from 'commander';
import { migrationSql } from '../adapters/postgres/functions.js';

/**
 * Registers `sql`.
 *
 * @example
 * ```ts
 * registerSql(program);
 * ```
 * @throws never
 */
export function registerSql(program: Command): void {
  program
    .command('sql')
    .description('print the Postgres / Supabase migration SQL')
    .action(() => {
      const text = migrationSql();
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    });
}
