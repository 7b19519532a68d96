/**
 * Where the CLI's store lives: a folder (file store), a PostgreSQL database (`postgres://` URL) or a
 * Supabase project (URL + service key), chosen from `--store` / `KEYWARDEN_STORE` and the Supabase
 * variables; and opening it. Connection strings and keys never appear in output: a store is shown
 * by its {@link StoreTarget.label}, with any password replaced by `***`.
 * @module
 */
import { resolve } from 'node:path';
import { fileStorage } from '../adapters/file.js';
import { postgresStorage } from '../adapters/postgres.js';
import { supabaseStorage } from '../adapters/supabase.js';
import { KeywardenError } from '../errors.js';
import type { StorageAdapter } from '../ports/storage.js';
import { META_STORE_ID } from '../records/store-meta.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';

/** A store the CLI can open. */
export type StoreTarget =
  | { readonly kind: 'file'; readonly dir: string; readonly label: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string; readonly label: string }
  | {
      readonly kind: 'supabase';
      readonly url: string;
      readonly serviceKey: string;
      readonly schema: string | undefined;
      readonly label: string;
    };

/** A storage adapter opened by {@link openStorage}, with what else must be closed after it. */
export interface OpenedStorage {
  readonly storage: StorageAdapter;
  /** Closes connections the CLI made itself (after the manager is closed). */
  close(): Promise<void>;
}

const usage = (message: string, field: string) => new CliError('ERR_VALIDATION', message, EXIT.USAGE, field);

const SCHEMA_RE = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * A connection URL without its password (`postgres://app:***@db:5432/keys`); an unparsable one is
 * shown as `postgres://…`.
 *
 * @example
 * ```ts
 * redactUrl('postgres://app:pw@db/keys'); // 'postgres://app:***@db/keys'
 * ```
 * @throws never
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    u.search = '';
    return u.toString();
  } catch {
    return `${url.slice(0, url.indexOf(':') + 1) || 'url:'}//…`;
  }
}

/**
 * Chooses the store from the `--store` flag and the variables.
 *
 * - `postgres://…` or `postgresql://…`: PostgreSQL (schema from `--schema` / `KEYWARDEN_SCHEMA`,
 *   default `public`).
 * - `supabase`, or an `https://`/`http://` URL: Supabase, with the URL from the value or
 *   `KEYWARDEN_SUPABASE_URL` and the key from `KEYWARDEN_SUPABASE_SERVICE_KEY`.
 * - anything else: a folder. Without `--store` / `KEYWARDEN_STORE`, Supabase when
 *   `KEYWARDEN_SUPABASE_URL` is set, else `./.keywarden`.
 *
 * @example
 * ```ts
 * resolveStoreTarget({ store: 'postgres://app:pw@db/keys' }, process.env, process.cwd()).label;
 * ```
 * @throws CliError `ERR_VALIDATION` (exit 2, `field` naming the flag or variable) for a bad schema
 *   name or incomplete Supabase settings.
 */
export function resolveStoreTarget(
  flags: { store?: string; schema?: string },
  vars: Readonly<Record<string, string | undefined>>,
  cwd: string,
): StoreTarget {
  const fromFlag = flags.store !== undefined;
  const value = flags.store ?? vars.KEYWARDEN_STORE;
  const storeField = fromFlag ? '--store' : 'KEYWARDEN_STORE';
  const schemaField = flags.schema !== undefined ? '--schema' : 'KEYWARDEN_SCHEMA';
  const schema = flags.schema ?? vars.KEYWARDEN_SCHEMA;
  if (schema !== undefined && !SCHEMA_RE.test(schema)) {
    throw usage(`${schemaField} must be a plain SQL identifier (letters, digits, _ and $)`, schemaField);
  }
  if (value !== undefined && value.trim() === '') throw usage(`${storeField} is empty`, storeField);
  if (value !== undefined && /^postgres(ql)?:\/\//i.test(value)) {
    const label = redactUrl(value);
    const s = schema ?? 'public';
    return {
      kind: 'postgres',
      url: value,
      schema: s,
      label: s === 'public' ? label : `${label} (schema ${s})`,
    };
  }
  const supabase =
    value === undefined ? vars.KEYWARDEN_SUPABASE_URL !== undefined : /^(supabase$|https?:\/\/)/i.test(value);
  if (supabase) {
    const url =
      value === undefined || value.toLowerCase() === 'supabase' ? vars.KEYWARDEN_SUPABASE_URL : value;
    const urlField =
      value === undefined || value.toLowerCase() === 'supabase' ? 'KEYWARDEN_SUPABASE_URL' : storeField;
    if (url === undefined) {
      throw usage('a Supabase store needs KEYWARDEN_SUPABASE_URL', 'KEYWARDEN_SUPABASE_URL');
    }
    if (!/^https?:\/\/[^/\s]+/i.test(url)) throw usage(`${urlField} must be an https:// URL`, urlField);
    const serviceKey = vars.KEYWARDEN_SUPABASE_SERVICE_KEY;
    if (serviceKey === undefined) {
      throw usage(
        'a Supabase store needs KEYWARDEN_SUPABASE_SERVICE_KEY (the service role key)',
        'KEYWARDEN_SUPABASE_SERVICE_KEY',
      );
    }
    const label = `supabase ${redactUrl(url)}${schema === undefined ? '' : ` (schema ${schema})`}`;
    return { kind: 'supabase', url, serviceKey, schema, label };
  }
  const dir = resolve(cwd, value ?? '.keywarden');
  return { kind: 'file', dir, label: dir };
}

/** The `transport` given to supabase-js on runtimes without a WebSocket: keywarden never uses Realtime. */
class NoRealtime {
  constructor() {
    throw new KeywardenError('ERR_UNSUPPORTED', 'keywarden does not use Supabase Realtime');
  }
}

/**
 * Opens the storage of a SQL target (PostgreSQL, Supabase) and checks whether it holds a store.
 * With `create`, it must not hold one yet; without, it must. File targets are opened by the caller
 * (the file adapter has its own folder checks).
 *
 * @example
 * ```ts
 * declare const target: Exclude<StoreTarget, { kind: 'file' }>;
 * const { storage, close } = await openSqlStorage(target, { create: false });
 * ```
 * @throws CliError `ERR_NO_STORE` (exit 5) when no store is there and `create` is false,
 *   `ERR_ALREADY_EXISTS` (exit 6) when one is and `create` is true; KeywardenError `ERR_STORAGE`
 *   when the database cannot be reached.
 */
export async function openSqlStorage(
  target: Exclude<StoreTarget, { kind: 'file' }>,
  options: { create: boolean },
): Promise<OpenedStorage> {
  let storage: StorageAdapter;
  let endSql: () => Promise<void> = async () => {};
  if (target.kind === 'postgres') {
    const sql = await connectPostgres(target.url);
    endSql = () => sql.end({ timeout: 5 }).catch(() => undefined);
    if (!options.create) {
      const present = await sql
        .unsafe('select to_regclass($1) as t', [`"${target.schema}".keywarden_meta`])
        .catch((cause: unknown) => {
          throw storageError(target, cause);
        });
      if ((present[0] as { t: unknown } | undefined)?.t === null) {
        await endSql();
        throw noStore(target);
      }
    }
    storage = postgresStorage({ sql: sql as never, schema: target.schema });
  } else {
    const mod = await import('@supabase/supabase-js').catch(() => {
      throw new CliError(
        'ERR_UNSUPPORTED',
        'a Supabase store needs the @supabase/supabase-js package: npm install @supabase/supabase-js',
        EXIT.FAILED,
      );
    });
    const client = mod.createClient(target.url, target.serviceKey, {
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      // supabase-js >= 2.105 wants a WebSocket on Node 20; keywarden only calls rpc()
      ...(typeof globalThis.WebSocket === 'function' ? {} : { realtime: { transport: NoRealtime as never } }),
    });
    storage = supabaseStorage({
      client: client as never,
      ...(target.schema === undefined ? {} : { schema: target.schema }),
    });
  }
  try {
    await storage.init?.();
    const id = await storage.getMeta(META_STORE_ID);
    if (id === null && !options.create) throw noStore(target);
    if (id !== null && options.create) {
      throw new CliError('ERR_ALREADY_EXISTS', `a store already exists at ${target.label}`, EXIT.CONFLICT);
    }
  } catch (error) {
    await storage.close?.().catch(() => undefined);
    await endSql();
    throw error;
  }
  return { storage, close: endSql };
}

/**
 * Opens a file target's storage.
 *
 * @example
 * ```ts
 * declare const target: Extract<StoreTarget, { kind: 'file' }>;
 * const { storage } = openFileStorage(target, { create: true });
 * ```
 * @throws never (the adapter reports problems when used).
 */
export function openFileStorage(
  target: Extract<StoreTarget, { kind: 'file' }>,
  options: { create: boolean },
): OpenedStorage {
  return { storage: fileStorage({ dir: target.dir, create: options.create }), close: async () => {} };
}

interface CliSql {
  unsafe(query: string, params: unknown[]): Promise<unknown[]>;
  end(options: { timeout: number }): Promise<void>;
}

async function connectPostgres(url: string): Promise<CliSql> {
  const mod = await import('postgres').catch(() => {
    throw new CliError(
      'ERR_UNSUPPORTED',
      'a PostgreSQL store needs the postgres package: npm install postgres',
      EXIT.FAILED,
    );
  });
  try {
    return mod.default(url, {
      max: 4,
      onnotice: () => {},
      connect_timeout: 10,
      backoff: () => 0,
    }) as unknown as CliSql;
  } catch {
    throw usage('--store / KEYWARDEN_STORE is not a valid postgres:// URL', 'KEYWARDEN_STORE');
  }
}

function storageError(target: StoreTarget, cause: unknown): KeywardenError {
  const code = (cause as { code?: unknown })?.code;
  return new KeywardenError(
    'ERR_STORAGE',
    `cannot reach the store at ${target.label}${typeof code === 'string' ? ` (${code})` : ''}`,
  );
}

function noStore(target: StoreTarget): CliError {
  return new CliError(
    'ERR_NO_STORE',
    `no store at ${target.label} (run \`keywarden init\` first)`,
    EXIT.STORAGE,
  );
}
