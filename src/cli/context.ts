/**
 * Resolves the global options and the environment into a store and a KMS, and opens the manager.
 *
 * Precedence, highest first: command-line flags, the process environment, a `.env` file in the
 * current directory, defaults. Variables: `KEYWARDEN_STORE` (a folder or a `postgres://` URL),
 * `KEYWARDEN_SCHEMA`, `KEYWARDEN_SUPABASE_URL` + `KEYWARDEN_SUPABASE_SERVICE_KEY` (see
 * ./store-target.ts), `KEYWARDEN_MASTER_KEY` (localKms),
 * `KEYWARDEN_PREVIOUS_MASTER_KEYS` (comma-separated, for master key rotation),
 * `KEYWARDEN_PASSPHRASE` (passphraseKms, used when no master key is set).
 * @module
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupView } from '../backup/index.js';
import { isKeywardenError } from '../errors.js';
import { localKms, passphraseKms } from '../kms/index.js';
import { createKeyManager, type KeyManager } from '../manager/key-manager.js';
import type { KmsAdapter } from '../ports/kms.js';
import { storageRateLimiter } from '../rate-limit/storage-limiter.js';
import type {
  RotateOptions,
  RotateResult,
  RotationRollbackResult,
  RunDueOptions,
  RunDueReport,
} from '../records/rotation-types.js';
import { parseDotenv, readTextIfExists } from './dotenv-format.js';
import { EXIT } from './exit-codes.js';
import { CliError, createOutput, type Output } from './io.js';
import { openFileStorage, openSqlStorage, resolveStoreTarget, type StoreTarget } from './store-target.js';

/** Global options as commander gives them. */
export interface GlobalOptions {
  store?: string;
  schema?: string;
  env?: string;
  json?: boolean;
  quiet?: boolean;
}

/** The parts of the rotator the CLI uses. */
export interface CliRotator {
  rotate(id: string, options?: RotateOptions): Promise<RotateResult>;
  rollback(id: string, options?: { expectedRevision?: number }): Promise<RotationRollbackResult>;
  runDue(options?: RunDueOptions): Promise<RunDueReport>;
}

/** A manager with the optional parts the CLI may need. */
export type CliManager = KeyManager & { rotator?: CliRotator; backup?: BackupView };

/** Everything a command needs. */
export interface CliContext {
  readonly out: Output;
  /** Where the store is: a folder, a PostgreSQL database or a Supabase project. */
  readonly target: StoreTarget;
  /** The store for messages: the absolute folder, or the database with any password as `***`. */
  readonly storeDir: string;
  /** `--env`, or undefined for the library default (`default`). */
  readonly environment: string | undefined;
  /** `process.env` over the `.env` file of the current directory. */
  readonly vars: Readonly<Record<string, string | undefined>>;
  /** Builds the KMS from the variables. */
  kms(): KmsAdapter;
  /**
   * Opens the store (which must exist, unless `create`) and checks the master key; `fn`'s result is
   * returned after close. With `create`, the store folder must be missing or empty; a new store is
   * created under the configured master key (never a new key), and removed again if `fn` fails.
   */
  withManager<T>(fn: (km: CliManager) => Promise<T>, options?: { create?: boolean }): Promise<T>;
}

/**
 * Reads the `.env` file of `cwd` (if any) into a plain object.
 *
 * @example
 * ```ts
 * const fileVars = await readDotenvVars(process.cwd());
 * ```
 * @throws Error when the file exists but cannot be read.
 */
export async function readDotenvVars(cwd: string): Promise<Record<string, string>> {
  const text = await readTextIfExists(join(cwd, '.env'));
  const vars: Record<string, string> = {};
  if (text !== null) for (const e of parseDotenv(text)) vars[e.key] = e.value;
  return vars;
}

/**
 * Builds the context of one CLI run.
 *
 * @example
 * ```ts
 * const ctx = await createCliContext(cmd.optsWithGlobals());
 * await ctx.withManager((km) => km.secrets.list());
 * ```
 * @throws Error when `.env` cannot be read.
 */
export async function createCliContext(options: GlobalOptions, cwd = process.cwd()): Promise<CliContext> {
  const out = createOutput({ json: options.json === true, quiet: options.quiet === true });
  const fileVars = await readDotenvVars(cwd);
  const vars: Record<string, string | undefined> = { ...fileVars };
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && v !== '') vars[k] = v;
  const target = resolveStoreTarget(options, vars, cwd);
  const storeDir = target.label;
  const ctx: CliContext = {
    out,
    target,
    storeDir,
    environment: options.env,
    vars,
    kms: () => buildKms(vars),
    async withManager(fn, options) {
      const create = options?.create === true;
      let existed = true;
      if (target.kind === 'file') {
        if (create) existed = await requireNoStore(target.dir);
        else await requireStore(target.dir);
      }
      const kms = buildKms(vars);
      const opened =
        target.kind === 'file'
          ? openFileStorage(target, { create })
          : await openSqlStorage(target, { create });
      // each run is a new process: only a limiter kept in the store counts across runs
      const km = createKeyManager({
        storage: opened.storage,
        kms,
        rateLimiter: storageRateLimiter(opened.storage),
      }) as CliManager;
      let ok = false;
      try {
        await km.ready();
        const result = await fn(km);
        ok = true;
        return result;
      } finally {
        await km.close().catch(() => undefined);
        await opened.close();
        if (create && !ok && target.kind === 'file') await removeNewStore(target.dir, existed);
      }
    },
  };
  return ctx;
}

/**
 * The KMS named by the variables: `KEYWARDEN_MASTER_KEY` (with `KEYWARDEN_PREVIOUS_MASTER_KEYS`),
 * else `KEYWARDEN_PASSPHRASE`.
 *
 * @example
 * ```ts
 * const kms = buildKms({ KEYWARDEN_MASTER_KEY: process.env.KEYWARDEN_MASTER_KEY });
 * ```
 * @throws CliError `ERR_NO_MASTER_KEY` (exit 4) when neither is set, `ERR_VALIDATION` (exit 4) when malformed.
 */
export function buildKms(vars: Readonly<Record<string, string | undefined>>): KmsAdapter {
  const master = vars.KEYWARDEN_MASTER_KEY;
  const passphrase = vars.KEYWARDEN_PASSPHRASE;
  try {
    if (master !== undefined) {
      const previous = (vars.KEYWARDEN_PREVIOUS_MASTER_KEYS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      return localKms({ masterKey: master, previousKeys: previous });
    }
    if (passphrase !== undefined) return passphraseKms({ passphrase });
  } catch (error) {
    if (isKeywardenError(error, 'ERR_VALIDATION')) {
      const name = master !== undefined ? 'KEYWARDEN_MASTER_KEY' : 'KEYWARDEN_PASSPHRASE';
      throw new CliError('ERR_VALIDATION', `${name} is malformed: ${error.message}`, EXIT.MASTER_KEY);
    }
    throw error;
  }
  throw new CliError(
    'ERR_NO_MASTER_KEY',
    'no master key: set KEYWARDEN_MASTER_KEY (or KEYWARDEN_PASSPHRASE), or put it in ./.env',
    EXIT.MASTER_KEY,
  );
}

/** Files whose presence makes a folder a file store (a damaged one is the adapter's to report). */
const STORE_FILES = ['store', 'log', 'snapshot'];

/**
 * Refuses a folder that holds no store: only `init` (and `import --create`) create one, so a
 * mistyped `--store` never yields a new empty store that reports "all ok".
 *
 * @example
 * ```ts
 * await requireStore('/srv/app/.keywarden');
 * ```
 * @throws CliError `ERR_NO_STORE` (exit 5) when `dir` is missing, not a folder, or holds no store files.
 */
export async function requireStore(dir: string): Promise<void> {
  let entries: string[];
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new CliError('ERR_NO_STORE', `${dir} is not a store directory`, EXIT.STORAGE);
    entries = await readdir(dir);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('ERR_NO_STORE', `no store at ${dir} (run \`keywarden init\` first)`, EXIT.STORAGE);
  }
  if (!entries.some((e) => STORE_FILES.includes(e))) {
    throw new CliError('ERR_NO_STORE', `no store at ${dir} (run \`keywarden init\` first)`, EXIT.STORAGE);
  }
}

/** For creating: the folder must be missing or empty. Returns whether it existed. */
async function requireNoStore(dir: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return false;
  }
  if (entries.length > 0) {
    throw new CliError(
      'ERR_ALREADY_EXISTS',
      `${dir} is not empty: refusing to create a store there`,
      EXIT.CONFLICT,
    );
  }
  return true;
}

/** Undoes a creation that failed: the folder was missing or empty before, so all in it is ours. */
async function removeNewStore(dir: string, existed: boolean): Promise<void> {
  if (!existed) {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    return;
  }
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const e of entries) await rm(join(dir, e), { recursive: true, force: true }).catch(() => undefined);
}
