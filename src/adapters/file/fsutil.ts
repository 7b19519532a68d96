/**
 * File-system helpers for the file adapter: directory fsync, private modes, permission checks,
 * temporary names and their cleanup.
 * @internal
 * @module
 */
import { randomBytes } from 'node:crypto';
import { constants, readFileSync, type Stats } from 'node:fs';
import { chmod, mkdir, open, readdir, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KeywardenError } from '../../errors.js';

/** Mode of every file the adapter creates. */
export const FILE_MODE = 0o600;
/** Mode of the store directory. */
export const DIR_MODE = 0o700;
/** Bits that must be clear on an existing store's directory and files. */
const INSECURE_BITS = 0o077;

/** Names inside the store directory. */
export const NAMES = { log: 'log', snapshot: 'snapshot', lock: 'lock', marker: 'store' } as const;

const IS_WINDOWS = process.platform === 'win32';

/** True for a Node error with the given `code`. */
export function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** `stat`, or null when the path does not exist. */
export async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
}

/** fsyncs a directory so renames and creations in it are durable (a no-op where unsupported). */
export async function syncDir(dir: string): Promise<void> {
  if (IS_WINDOWS) return;
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } catch (error) {
    // Some file systems refuse fsync on a directory; the rename is then as durable as they allow.
    if (!isErrno(error, 'EINVAL') && !isErrno(error, 'EISDIR')) throw error;
  } finally {
    await fh.close();
  }
}

/** A short tag of this host, so temporary names of another host are never judged by our pids. */
export const HOST_TAG = Buffer.from(hostname(), 'utf8').toString('hex').slice(0, 16) || 'host';

/** A unique temporary name in `dir` for `base`: `<base>.<hosttag>.<pid>.<random>.tmp`. */
export function tempName(dir: string, base: string): string {
  return join(dir, `${base}.${HOST_TAG}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** True when a process with this pid exists on this host (a zombie, killed but not reaped, counts as dead). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return !isErrno(error, 'ESRCH');
  }
  if (process.platform === 'linux') {
    try {
      // /proc/PID/stat: "pid (comm) S ..."; the state letter follows the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
    } catch {
      return true;
    }
  }
  return true;
}

/**
 * Removes temporary files left by dead processes of this host (`*.tmp`, `*.stale`), or by anyone
 * more than an hour ago. Best effort; call it while holding the write lock.
 */
export async function removeLeftovers(dir: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir)) {
    const m = /^[a-z]+\.([0-9a-f]+)\.(\d+)\.[0-9a-f]+\.(tmp|stale)$/.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    const st = await statOrNull(path);
    if (!st) continue;
    const dead = m[1] === HOST_TAG && !pidAlive(Number(m[2]));
    if (dead || Date.now() - st.mtimeMs > 3_600_000) {
      await unlink(path).catch(() => {});
      removed++;
    }
  }
  return removed;
}

/** Creates the store directory (0700, umask-proof) if missing. Returns true if it was created. */
export async function ensureDir(dir: string): Promise<boolean> {
  const st = await statOrNull(dir);
  if (st) {
    if (!st.isDirectory())
      throw new KeywardenError('ERR_STORAGE', `file store path is not a directory: ${dir}`);
    return false;
  }
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  if (!IS_WINDOWS) await chmod(dir, DIR_MODE);
  return true;
}

/**
 * Refuses a store whose directory or files are open to group or others (`ERR_INSECURE_PERMISSIONS`
 * naming the path). Skipped on Windows, where POSIX modes do not apply.
 */
export function checkPrivate(path: string, st: Stats): void {
  if (IS_WINDOWS) return;
  if ((st.mode & INSECURE_BITS) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    const want = st.isDirectory() ? '0700' : '0600';
    throw new KeywardenError(
      'ERR_INSECURE_PERMISSIONS',
      `file store path ${path} has mode ${mode}, open to group or others; chmod it to ${want} ` +
        'or pass allowInsecurePermissions: true',
    );
  }
}

/** Sets a private mode explicitly (umask can only narrow the mode given at creation). */
export async function makePrivate(path: string, mode = FILE_MODE): Promise<void> {
  if (!IS_WINDOWS) await chmod(path, mode);
}
