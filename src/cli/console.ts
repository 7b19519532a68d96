/**
 * `keywarden console`: the web console on 127.0.0.1, acting as the operator API key in
 * `KEYWARDEN_OPERATOR_KEY` (never a flag: flags show in `ps`). It prints its URL and a one-time
 * login link on stdout; each Enter typed in the terminal prints a fresh link (the earlier one stops
 * working). Stops on SIGINT/SIGTERM.
 * @module
 */
import type { Command } from 'commander';
import { agentAccess } from '../access/index.js';
import { isKeywardenError } from '../errors.js';
import { startConsole } from './console/serve.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';
import { int } from './parse.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

const LINK_TTL_MS = 5 * 60_000;

/**
 * Registers `keywarden console`.
 *
 * @example
 * ```ts
 * declare const contextOf: typeof getContext;
 * registerConsole(program, contextOf);
 * ```
 * @throws never itself; the action throws CliError `ERR_USAGE` without `KEYWARDEN_OPERATOR_KEY`
 *   and `ERR_UNAUTHORIZED` for a key that does not verify or holds no `keywarden:` scope.
 */
export function registerConsole(program: Command, context: Ctx): void {
  program
    .command('console')
    .description(
      'serve the web console on 127.0.0.1 as the operator key in KEYWARDEN_OPERATOR_KEY; prints a one-time login link',
    )
    .option('--port <n>', 'port (default: a free one)')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const ctx = await context(cmd);
      const port = o.port === undefined ? 0 : int(o.port as string, '--port');
      const operatorToken = ctx.vars['KEYWARDEN_OPERATOR_KEY'];
      if (operatorToken === undefined || operatorToken === '') {
        throw new CliError(
          'ERR_USAGE',
          'set KEYWARDEN_OPERATOR_KEY to an operator API key (e.g. keywarden keys create --name console --scopes keywarden:admin)',
          EXIT.USAGE,
        );
      }
      await ctx.withManager(async (km) => {
        const running = await startConsole({
          km,
          access: agentAccess(km),
          operatorToken,
          port,
          linkTtlMs: LINK_TTL_MS,
        }).catch((error: unknown) => {
          if (isKeywardenError(error, 'ERR_FORBIDDEN')) {
            throw new CliError('ERR_UNAUTHORIZED', `KEYWARDEN_OPERATOR_KEY: ${error.message}`, EXIT.FAILED);
          }
          throw error;
        });
        // the link goes to the terminal once and nowhere else (not in --json results, not in logs)
        const printLink = () => process.stdout.write(`${running.loginLink()}\n`);
        process.stdout.write(`${running.url}\n`);
        printLink();
        ctx.out.info(
          `Console for ${running.operator.id} (${running.operator.scopes.join(', ')}). Open the link above within 5 minutes; it works once. Enter prints a new one; Ctrl-C stops.`,
        );
        const onLine = () => printLink();
        if (process.stdin.isTTY) process.stdin.on('data', onLine);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        process.stdin.off('data', onLine);
        process.stdin.pause();
        await running.close();
      });
    });
}
