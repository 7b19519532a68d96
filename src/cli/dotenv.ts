/**
 * `keywarden dotenv write FILE [NAMES...]`: writes the environment's secrets into a `.env` file,
 * updating the named keys in place and keeping every other line and comment; atomic, mode 0600.
 * @module
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { readTextIfExists, updateDotenv, writePrivateFile } from './dotenv-format.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

/**
 * Registers `dotenv write`.
 *
 * @example
 * ```ts
 * registerDotenv(program, getContext);
 * ```
 * @throws never
 */
export function registerDotenv(program: Command, context: Ctx): void {
  const dotenv = program.command('dotenv').description('keep a .env file in sync with the store');
  dotenv
    .command('write <file> [names...]')
    .description('set the named variables (default: all of the environment) in FILE, keeping other lines')
    .action(async (file: string, names: string[], _o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const vars = await ctx.withManager((km) =>
        km.secrets.toEnv(ctx.environment === undefined ? {} : { environment: ctx.environment }),
      );
      const chosen: Record<string, string> = {};
      if (names.length === 0) Object.assign(chosen, vars);
      for (const name of names) {
        const value = vars[name];
        if (value === undefined) {
          throw new CliError(
            'ERR_NOT_FOUND',
            `no secret provides ${name} in this environment`,
            EXIT.NOT_FOUND,
          );
        }
        chosen[name] = value;
      }
      const path = resolve(file);
      const before = (await readTextIfExists(path)) ?? '';
      await writePrivateFile(path, updateDotenv(before, chosen));
      const keys = Object.keys(chosen).sort();
      ctx.out.result({ file: path, keys }, () => `wrote ${keys.length} variable(s) to ${path} (mode 0600)`);
    });
}
