/**
 * The inter-process write lock of a file store: a `lock` file holding `{ pid, host, at, token }`,
 * created atomically with its content (written to a temporary file, then hard-linked to `lock`,
 * which fails if `lock` exists). Held only for one append + fsync, or one compaction.
 *
 * Stale rule: a lock is stale when its host is this host and its pid is not alive, or when it is
 * older than `staleAfter` (default 60 s; compaction refreshes the lock's time as it goes). A stale
 * lock is removed under a `lock.break` guard, only if it is still the lock judged stale. The guard
 * follows the same rule (10 s instead of `staleAfter`): its holder on this host dead, or older.
 * @internal
 * @module
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { KeywardenError } from '../../errors.js';
import { FILE_MODE, isErrno, NAMES, pidAlive, tempName } from './fsutil.js';

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ms since epoch when taken. */
  at: number;
  /** Random; identifies one acquisition. */
  token: string;
}

/** Lock timing. */
export interface LockOptions {
  /** Give up after this many ms with `ERR_LOCKED`. */
  timeout: number;
  /** A lock older than this many ms is stale whoever holds it. */
  staleAfter: number;
}

/** A held lock. */
export interface HeldLock {
  readonly token: string;
  /** Refreshes the lock file's time (long compactions), so it is not judged stale by age. */
  touch(): Promise<void>;
  /** Releases it (only if the lock file is still ours). */
  release(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function readLock(
  path: string,
): Promise<{ info: LockInfo | null; mtimeMs: number; ino: number } | null> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let info: LockInfo | null = null;
    try {
      const v = JSON.parse(text) as LockInfo;
      if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.token === 'string') info = v;
    } catch {
      info = null;
    }
    return { info, mtimeMs: st.mtimeMs, ino: st.ino };
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
}

/** True when the lock described is stale under the documented rule. */
export function isStale(
  info: LockInfo | null,
  mtimeMs: number,
  staleAfter: number,
  now = Date.now(),
): boolean {
  if (now - mtimeMs > staleAfter) return true;
  if (info === null) return false;
  return info.host === hostname() && info.pid !== process.pid && !pidAlive(info.pid);
}

/**
 * A break guard older than this is abandoned whoever holds it (the rule for a holder on another
 * host, or a guard written by an older keywarden, which has no token). On this host a guard whose
 * pid is dead is abandoned at once, as a lock is.
 */
const GUARD_STALE_MS = 10_000;

/**
 * Takes the `lock.break` guard, created with its content as the lock is (a temporary file
 * hard-linked to `lock.break`), so a reader never sees it empty. Returns null when another
 * breaker holds it; a guard left by a dead process (SIGKILLed inside {@link breakLock}) is removed
 * then, so the caller's next attempt can take it: judged by age alone it blocked every writer for
 * `GUARD_STALE_MS`, as long as the default lock timeout.
 */
async function takeGuard(dir: string): Promise<{ path: string; token: string } | null> {
  const path = join(dir, `${NAMES.lock}.break`);
  const token = randomBytes(12).toString('hex');
  const tmp = tempName(dir, 'guard');
  const info: LockInfo = { pid: process.pid, host: hostname(), at: Date.now(), token };
  await writeFile(tmp, JSON.stringify(info), { mode: FILE_MODE, flag: 'wx' });
  try {
    await link(tmp, path);
    return { path, token };
  } catch (error) {
    if (!isErrno(error, 'EEXIST')) throw error;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  const current = await readLock(path);
  if (current && isStale(current.info, current.mtimeMs, GUARD_STALE_MS)) {
    // only if it is still the guard judged abandoned (another breaker may have replaced it)
    if ((await stat(path).catch(() => null))?.ino === current.ino) await unlink(path).catch(() => {});
  }
  return null;
}

/**
 * Breaks the stale lock `seen` if it is still the lock in place. Breaking is serialized by an
 * exclusive `lock.break` guard file: under it the lock is re-read and removed only if it is the very
 * lock judged stale (same inode and token). While that lock exists nobody else can take the lock,
 * and only a guard holder removes it, so a fresh lock is never removed by mistake.
 * Returns false when another process is breaking it (the caller waits and retries).
 */
async function breakLock(dir: string, seen: { ino: number; token: string | null }): Promise<boolean> {
  const lockPath = join(dir, NAMES.lock);
  const guard = await takeGuard(dir);
  if (guard === null) return false;
  try {
    const current = await readLock(lockPath);
    if (current && current.ino === seen.ino && (current.info?.token ?? null) === seen.token) {
      await unlink(lockPath);
    }
    return true;
  } finally {
    // ours only: a guard removed as abandoned while we were paused may have been replaced
    const held = await readLock(guard.path).catch(() => null);
    if (held?.info?.token === guard.token) await unlink(guard.path).catch(() => {});
  }
}

/**
 * Takes the write lock of the store in `dir`, waiting up to `timeout` ms.
 *
 * @throws KeywardenError `ERR_LOCKED` when another live process holds it past the timeout;
 *   `ERR_STORAGE` on I/O failure.
 */
export async function acquireLock(dir: string, options: LockOptions): Promise<HeldLock> {
  const lockPath = join(dir, NAMES.lock);
  const token = randomBytes(12).toString('hex');
  const info: LockInfo = { pid: process.pid, host: hostname(), at: Date.now(), token };
  const tmp = tempName(dir, 'lock');
  await writeFile(tmp, JSON.stringify(info), { mode: FILE_MODE, flag: 'wx' });
  const deadline = Date.now() + options.timeout;
  let delay = 1;
  let holder: LockInfo | null = null;
  try {
    for (;;) {
      try {
        await link(tmp, lockPath);
        break;
      } catch (error) {
        if (!isErrno(error, 'EEXIST')) throw error;
      }
      const current = await readLock(lockPath);
      if (current === null) continue;
      holder = current.info;
      if (isStale(current.info, current.mtimeMs, options.staleAfter)) {
        if (await breakLock(dir, { ino: current.ino, token: current.info?.token ?? null })) continue;
      }
      if (Date.now() >= deadline) {
        const who = holder ? `pid ${holder.pid} on ${holder.host}` : 'another process';
        throw new KeywardenError(
          'ERR_LOCKED',
          `file store ${dir} is locked by ${who}; gave up after ${options.timeout} ms`,
        );
      }
      await sleep(Math.min(delay, Math.max(1, deadline - Date.now())) + Math.random() * delay);
      delay = Math.min(delay * 2, 25);
    }
  } finally {
    await unlink(tmp).catch(() => {});
  }
  return {
    token,
    async touch() {
      const now = new Date();
      await utimes(lockPath, now, now).catch(() => {});
    },
    async release() {
      const current = await readLock(lockPath).catch(() => null);
      if (current?.info?.token === token) await unlink(lockPath).catch(() => {});
    },
  };
}
