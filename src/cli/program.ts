/**
 * The `keywarden` command tree (commander), global options, and the error boundary: every failure
 * becomes one line `keywarden: <message> (<CODE>)` and a documented exit code; stack traces only
 * with `KEYWARDEN_DEBUG=1`.
 * @module
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerAccess } from './access.js';
import { registerAudit } from './audit.js';
import { registerConsole } from './console.js';
import { type CliContext, createCliContext, type GlobalOptions } from './context.js';
import { registerDoctor } from './doctor.js';
import { registerDotenv } from './dotenv.js';
import { registerEnvProfiles } from './env-profiles.js';
import { registerEnvRun } from './env-run.js';
import { addExamples } from './examples.js';
import { EXIT } from './exit-codes.js';
import { namesOf } from './field-names.js';
import { registerInit } from './init.js';
import { describeError, formatError, jsonError, renameField } from './io.js';
import { registerJwks } from './jwks.js';
import { registerKeys } from './keys.js';
import { registerMcp } from './mcp.js';
import { registerRewrap } from './rewrap.js';
import { registerRotate } from './rotate.js';
import { registerSecrets } from './secrets.js';
import { registerSetup } from './setup.js';
import { registerSigningKeys } from './signing-keys.js';
import { registerSql } from './sql.js';
import { registerTransfer } from './transfer.js';
import { registerUpgrade } from './upgrade.js';

function packageVersion(): string {
  // src/cli/program.ts and dist/cli/main.js sit two folders below package.json; a bundled chunk may sit one
  const require = createRequire(import.meta.url);
  for (const path of ['../../package.json', '../package.json']) {
    try {
      const pkg = require(path) as { name?: string; version?: string };
      if (pkg.name === 'keywarden' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

const contextOf = (cmd: Command): Promise<CliContext> =>
  createCliContext(cmd.optsWithGlobals<GlobalOptions>());

/** True when `--json` is among the options (before any `--`). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** The option or argument a commander usage message names, if any (`--name` of `'-n, --name <name>'`). */
function usageField(message: string): string | null {
  const quoted = /'([^']*)'/.exec(message)?.[1];
  if (quoted === undefined) return null;
  return /--[\w-]+/.exec(quoted)?.[0] ?? quoted.split(/[ =]/)[0] ?? null;
}

/**
 * Removes values from commander's usage errors: a mistyped option may carry a secret
 * (`--vaule=SECRET`, `-xSECRET`), and a rejected argument is one. Option names stay.
 *
 * @example
 * ```ts
 * redactUsageError("unknown option '--vaule=hunter2'"); // "unknown option '--vaule=…'"
 * ```
 * @throws never
 */
export function redactUsageError(text: string): string {
  return text
    .replace(/(unknown option ')(--[^=']*)=[^']*'/g, "$1$2=…'")
    .replace(/(unknown option ')(-[^-'])[^']+'/g, "$1$2…'")
    .replace(/ argument '[^']*' is invalid/g, ' argument is invalid');
}

/**
 * Builds the command tree. Commander's own exits are turned into exceptions (`exitOverride`) so
 * {@link runCli} decides the exit code.
 *
 * @example
 * ```ts
 * const program = buildProgram();
 * await program.parseAsync(['node', 'keywarden', 'keys', 'list']);
 * ```
 * @throws never
 */
export function buildProgram(options: { json?: boolean } = {}): Command {
  const program = new Command('keywarden');
  program
    .description(
      'Manage API keys, secrets and signing keys in an encrypted store (a folder, PostgreSQL or Supabase).',
    )
    .option(
      '-s, --store <dir|url>',
      'store: a folder, a postgres:// URL, or "supabase" (env KEYWARDEN_STORE, default ./.keywarden)',
    )
    .option(
      '--schema <name>',
      'PostgreSQL/Supabase schema of the store (env KEYWARDEN_SCHEMA, default public)',
    )
    .option('-e, --env <name>', 'environment of secrets and keys (default "default")')
    .option('--json', 'machine-readable output on stdout')
    .option('-q, --quiet', 'no notes on stderr')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: (message, write) => {
        const text = redactUsageError(
          message
            .replace(/^error:\s*/i, '')
            .replace(/\s*\n\s*/g, ' ')
            .trim(),
        );
        if (options.json === true) {
          const error = { code: 'ERR_USAGE', message: text, field: usageField(text) };
          process.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
        } else write(`keywarden: ${text} (ERR_USAGE)\n`);
      },
    })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      '\nVersion: keywarden --version (or -V, before any command).\nMaster key: KEYWARDEN_MASTER_KEY (or KEYWARDEN_PASSPHRASE), from the environment or ./.env.\nExit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 master key, 5 storage, 6 conflict, 10 internal.\nDocs: https://github.com/keywarden/keywarden/blob/main/docs/cli.md',
    );
  registerInit(program, contextOf);
  registerKeys(program, contextOf);
  registerSecrets(program, contextOf);
  registerSetup(program, contextOf);
  registerEnvRun(program, contextOf);
  registerEnvProfiles(program, contextOf);
  registerDotenv(program, contextOf);
  registerRotate(program, contextOf);
  registerAudit(program, contextOf);
  registerTransfer(program, contextOf);
  registerSigningKeys(program, contextOf);
  registerJwks(program, contextOf);
  registerDoctor(program, contextOf);
  registerRewrap(program, contextOf);
  registerUpgrade(program, contextOf);
  registerAccess(program, contextOf);
  registerMcp(program, contextOf);
  registerConsole(program, contextOf);
  registerSql(program);
  addExamples(program);
  return program;
}

/**
 * Runs the CLI on `argv` (as `process.argv`) and returns the exit code; never throws.
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv);
 * ```
 * @throws never
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const first = argv[2];
  if (argv.length === 3 && (first === '--version' || first === '-V')) {
    // handled here, not as a commander option: global options are read after the command too, and
    // `secrets get NAME --version 2` must reach the command
    process.stdout.write(`${packageVersion()}\n`);
    return EXIT.OK;
  }
  const json = wantsJson(argv);
  const program = buildProgram({ json });
  let ran: Command | undefined;
  program.hook('preAction', (_root, actionCommand) => {
    ran = actionCommand;
  });
  if (argv.length <= 2) {
    program.outputHelp();
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (thrown) {
    if (thrown instanceof CommanderError) {
      if (thrown.code === 'commander.helpDisplayed' || thrown.code === 'commander.version') return EXIT.OK;
      if (thrown.code === 'commander.help') return thrown.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return EXIT.USAGE; // already printed by outputError
    }
    const error = renameField(thrown, namesOf(ran));
    if (json) process.stdout.write(`${jsonError(error)}\n`);
    else process.stderr.write(`${formatError(error)}\n`);
    if (process.env.KEYWARDEN_DEBUG === '1' && error instanceof Error) {
      process.stderr.write(`${error.stack ?? ''}\n`);
      if (error.cause !== undefined)
        process.stderr.write(`cause: ${String((error.cause as Error).stack ?? error.cause)}\n`);
    }
    return describeError(error).exitCode;
  }
}
