/**
 * `keywarden jwks NAME`: print the JSON Web Key Set of a signing key (public keys only).
 * @module
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';

/**
 * Registers `jwks`.
 *
 * @example
 * ```ts
 * registerJwks(program, getContext);
 * ```
 * @throws never
 */
export function registerJwks(program: Command, context: (cmd: Command) => Promise<CliContext>): void {
  program
    .command('jwks <name>')
    .description('print the JWKS of a signing key (pending, current and previous public keys)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const jwks = await ctx.withManager((km) =>
        km.keys.jwks(name, ctx.environment === undefined ? {} : { environment: ctx.environment }),
      );
      process.stdout.write(`${JSON.stringify(jwks, null, 2)}\n`);
    });
}
