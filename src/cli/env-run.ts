/**
 * `keywarden env` (print the environment's secrets as dotenv, shell `export` lines or JSON) and
 * `keywarden run -- CMD ARGS...` (run a command with them injected; its exit code and signal are
 * passed through).
 * @module
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { quoteDotenv } from './dotenv-format.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

/** Exit code of `run` when the command cannot be started (as in POSIX shells). */
export const EXIT_COMMAND_NOT_FOUND = 127;

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Quotes a value for POSIX shells: single quotes, with `'` written as `'\''`.
 *
 * @example
 * ```ts
 * shellQuote("it's"); // "'it'\\''s'"
 * ```
 * @throws never
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

/**
 * Formats variables as `dotenv`, `shell` (`export K='v'`, safe for `eval`) or `json`.
 *
 * @example
 * ```ts
 * formatEnv({ A: 'x y' }, 'shell'); // "export A='x y'\n"
 * ```
 * @throws CliError `ERR_VALIDATION` (exit 2) for an unknown format.
 */
export function formatEnv(vars: Record<string, string>, format: string): string {
  const names = Object.keys(vars)
    .filter((k) => VAR_NAME.test(k))
    .sort();
  switch (format) {
    case 'dotenv':
      return names.map((k) => `${k}=${quoteDotenv(vars[k] as string)}\n`).join('');
    case 'shell':
      return names.map((k) => `export ${k}=${shellQuote(vars[k] as string)}\n`).join('');
    case 'json':
      return `${JSON.stringify(Object.fromEntries(names.map((k) => [k, vars[k]])), null, 2)}\n`;
    default:
      throw new CliError('ERR_VALIDATION', '--format must be dotenv, shell or json', EXIT.USAGE);
  }
}

/**
 * Registers `env` and `run`.
 *
 * @example
 * ```ts
 * registerEnvRun(program, getContext);
 * ```
 * @throws never
 */
export function registerEnvRun(program: Command, context: Ctx): void {
  program
    .command('env')
    .description("print the environment's secrets (for eval or a .env file)")
    .option('-f, --format <format>', 'dotenv, shell or json', 'dotenv')
    .option('--tag <tag>', 'only secrets with this tag')
    .action(async (o: { format: string; tag?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const format = ctx.out.json ? 'json' : o.format;
      formatEnv({}, format);
      const vars = await loadEnv(ctx, o.tag);
      process.stdout.write(formatEnv(vars, format));
    });

  program
    .command('run')
    .description("run a command with the environment's secrets in its environment")
    .argument('<command...>', 'the command and its arguments (after --)')
    .option('--tag <tag>', 'only secrets with this tag')
    .action(async (argv: string[], o: { tag?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const vars = await loadEnv(ctx, o.tag);
      const [file, ...args] = argv as [string, ...string[]];
      process.exitCode = await runChild(file, args, { ...process.env, ...vars });
    });
}

async function loadEnv(ctx: CliContext, tag: string | undefined): Promise<Record<string, string>> {
  return ctx.withManager((km) =>
    km.secrets.toEnv({
      ...(ctx.environment === undefined ? {} : { environment: ctx.environment }),
      ...(tag === undefined ? {} : { tag }),
    }),
  );
}

function runChild(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit', env });
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    const cleanup = () => {
      for (const [s, h] of handlers) process.off(s, h);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      if (error.code === 'ENOENT' || error.code === 'EACCES') {
        reject(new CliError('ERR_COMMAND', `cannot run ${file}: ${error.code}`, EXIT_COMMAND_NOT_FOUND));
      } else reject(error);
    });
    child.on('exit', (code, signal) => {
      cleanup();
      if (signal !== null) {
        // die of the same signal, so the caller sees what the child saw
        process.kill(process.pid, signal);
        resolve(128 + (constants.signals[signal] ?? 0));
        return;
      }
      resolve(code ?? EXIT.INTERNAL);
    });
  });
}
