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
    .action((_o: unknown, cmd: Command) => {
      const text = migrationSql();
      if (cmd.optsWithGlobals<{ json?: boolean }>().json === true) {
        process.stdout.write(`${JSON.stringify({ sql: text }, null, 2)}\n`);
        return;
      }
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    });
}
