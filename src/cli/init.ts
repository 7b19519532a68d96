/**
 * `keywarden init`: creates the store, generates a master key, and either prints how to export it
 * or writes it to a `.env` file (mode 0600); inside a git work tree, adds the store (and that file)
 * to `.gitignore`.
 * @module
 */
import { appendFile, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { generateMasterKey } from '../kms/index.js';
import { createKeyManager } from '../manager/key-manager.js';
import { buildKms, type CliContext } from './context.js';
import { parseDotenv, readTextIfExists, updateDotenv, writePrivateFile } from './dotenv-format.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';
import { openFileStorage, openSqlStorage } from './store-target.js';

/** Options of `init`. */
interface InitOptions {
  writeEnv?: string | boolean;
}

/**
 * Registers `init`.
 *
 * @example
 * ```ts
 * registerInit(program, getContext);
 * ```
 * @throws never
 */
export function registerInit(program: Command, context: (cmd: Command) => Promise<CliContext>): void {
  program
    .command('init')
    .description('create a store and a master key')
    .option(
      '--write-env [file]',
      'write KEYWARDEN_MASTER_KEY to a .env file (mode 0600) instead of printing it',
    )
    .action(async (opts: InitOptions, cmd: Command) => runInit(await context(cmd), opts));
}

async function runInit(ctx: CliContext, opts: InitOptions): Promise<void> {
  const { out, storeDir, target } = ctx;
  if (target.kind === 'file' && (await nonEmptyDir(target.dir))) {
    throw new CliError('ERR_ALREADY_EXISTS', `a store already exists at ${storeDir}`, EXIT.CONFLICT);
  }
  const vars = { ...ctx.vars };
  const given = vars.KEYWARDEN_MASTER_KEY !== undefined || vars.KEYWARDEN_PASSPHRASE !== undefined;
  let masterKey: string | null = null;
  if (!given) {
    masterKey = generateMasterKey();
    vars.KEYWARDEN_MASTER_KEY = masterKey;
  }
  const envFile =
    opts.writeEnv === undefined || opts.writeEnv === false
      ? null
      : resolve(opts.writeEnv === true ? '.env' : opts.writeEnv);
  if (envFile !== null && masterKey !== null) await checkEnvFile(envFile);

  const kms = buildKms(vars);
  const opened =
    target.kind === 'file'
      ? openFileStorage(target, { create: true })
      : await openSqlStorage(target, { create: true });
  const km = createKeyManager({ storage: opened.storage, kms });
  try {
    await km.ready();
  } finally {
    await km.close().catch(() => undefined);
    await opened.close();
  }

  if (envFile !== null && masterKey !== null) {
    const text = (await readTextIfExists(envFile)) ?? '';
    await writePrivateFile(envFile, updateDotenv(text, { KEYWARDEN_MASTER_KEY: masterKey }));
  }
  const ignored =
    target.kind === 'file'
      ? await addToGitignore(target.dir, envFile !== null && masterKey !== null ? envFile : null)
      : [];
  const printKey = masterKey !== null && envFile === null;
  out.result(
    {
      store: storeDir,
      masterKey: printKey ? masterKey : null,
      envFile: masterKey !== null ? envFile : null,
      generatedMasterKey: masterKey !== null,
      gitignore: ignored,
    },
    () => {
      const lines = [`Created a keywarden store at ${storeDir}`];
      if (masterKey === null) lines.push('Using the master key (or passphrase) from the environment.');
      else if (envFile !== null) lines.push(`Wrote KEYWARDEN_MASTER_KEY to ${envFile} (mode 0600).`);
      else {
        lines.push(
          'Your master key is below. Keep it in your secret manager; whoever has it and the store reads every secret.',
          'It is not saved anywhere. Export it before using keywarden:',
          '',
          `  export KEYWARDEN_MASTER_KEY='${masterKey}'`,
          '',
          'or run `keywarden init --write-env .env` next time to write it to a private .env file.',
        );
      }
      if (ignored.length > 0) lines.push(`Added ${ignored.join(', ')} to .gitignore.`);
      return lines;
    },
  );
}

async function nonEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0;
  } catch {
    return false;
  }
}

async function checkEnvFile(file: string): Promise<void> {
  const text = await readTextIfExists(file);
  if (text !== null && parseDotenv(text).some((e) => e.key === 'KEYWARDEN_MASTER_KEY')) {
    throw new CliError(
      'ERR_ALREADY_EXISTS',
      `${file} already holds a KEYWARDEN_MASTER_KEY; refusing to overwrite it`,
      EXIT.CONFLICT,
    );
  }
}

/**
 * The root of the git work tree holding `dir` (a folder with a `.git` entry), or null.
 *
 * @example
 * ```ts
 * await findGitRoot(process.cwd()); // '/home/me/app' or null
 * ```
 * @throws never
 */
export async function findGitRoot(dir: string): Promise<string | null> {
  let current = resolve(dir);
  for (;;) {
    try {
      await stat(join(current, '.git'));
      return current;
    } catch {
      const parent = dirname(current);
      if (parent === current) return null;
      current = parent;
    }
  }
}

async function addToGitignore(storeDir: string, envFile: string | null): Promise<string[]> {
  const root = await findGitRoot(dirname(storeDir));
  if (root === null) return [];
  const wanted: string[] = [];
  for (const [path, isDir] of [
    [storeDir, true],
    [envFile, false],
  ] as const) {
    if (path === null) continue;
    const rel = relative(root, path);
    if (rel === '' || rel.startsWith('..')) continue;
    wanted.push(`/${rel.split(sep).join('/')}${isDir ? '/' : ''}`);
  }
  const file = join(root, '.gitignore');
  const text = (await readTextIfExists(file)) ?? '';
  const have = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  const missing = wanted.filter(
    (w) => !have.has(w) && !have.has(w.slice(1)) && !have.has(w.replace(/\/$/, '')),
  );
  if (missing.length === 0) return [];
  const sepLine = text === '' || text.endsWith('\n') ? '' : '\n';
  await appendFile(file, `${sepLine}${missing.join('\n')}\n`);
  return missing;
}
