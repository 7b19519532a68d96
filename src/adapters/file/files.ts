/**
 * Whole-file operations of the file store: opening the log and the snapshot, creating files
 * atomically (temporary name, fsync, rename, directory fsync), and the file part of compaction.
 * @internal
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { corruptError, encodeLine, FORMAT, parseLogHeader, scanLines } from './format.js';
import { FILE_MODE, isErrno, NAMES, removeLeftovers, statOrNull, syncDir, tempName } from './fsutil.js';
import type { LogIds, SnapshotIds } from './marker.js';
import { readSnapshot, writeSnapshot } from './snapshot.js';
import { StoreState } from './state.js';

/** An opened log: its handle (read-write), inode, generation and content. */
export interface LogFile {
  fh: FileHandle;
  ino: number;
  gen: number;
  /** Identity fields of its header. */
  ids: LogIds;
  buf: Buffer;
  /** Offset just after the header line. */
  headerEnd: number;
}

/** A loaded snapshot (`ino` null: there is none, `state` is empty). */
export interface SnapshotFile {
  state: StoreState;
  ino: number | null;
  gen: number;
  /** Identity fields of its header (empty when there is no snapshot). */
  ids: SnapshotIds;
  bytes: number;
}

/** Opens and reads the log, or null if absent. A damaged header is `ERR_STORAGE`. */
export async function openLog(path: string): Promise<LogFile | null> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r+');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
  try {
    const ino = (await fh.stat()).ino;
    const buf = await fh.readFile();
    const nl = buf.indexOf(10);
    const head = scanLines(buf.subarray(0, nl + 1));
    if (nl < 0 || head.values.length !== 1) throw corruptError(path, 'missing or damaged log header');
    const header = parseLogHeader(head.values[0], path);
    return { fh, ino, gen: header.gen, ids: { sid: header.sid, lid: header.lid }, buf, headerEnd: nl + 1 };
  } catch (error) {
    await fh.close().catch(() => {});
    throw error;
  }
}

/** Loads the snapshot into a new state (empty when there is no snapshot). */
export async function readSnapshotFile(path: string): Promise<SnapshotFile> {
  const state = new StoreState();
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return { state, ino: null, gen: 0, ids: {}, bytes: 0 };
    throw error;
  }
  try {
    const ino = (await fh.stat()).ino;
    const buf = await fh.readFile();
    state.beginLoad();
    const { gen, ids } = readSnapshot(buf, state, path);
    state.finishLoad();
    return { state, ino, gen, ids, bytes: buf.length };
  } finally {
    await fh.close();
  }
}

/** Creates `path` (0600, exclusive), fills it, fsyncs and closes it; removes it on failure. */
export async function writeNew(path: string, fill: (fh: FileHandle) => Promise<unknown>): Promise<void> {
  const fh = await open(path, 'wx', FILE_MODE);
  try {
    await fh.chmod(FILE_MODE);
    await fill(fh);
    await fh.sync();
    await fh.close();
  } catch (error) {
    await fh.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw error;
  }
}

const writeHeader = (fh: FileHandle, gen: number, ids: LogIds) =>
  fh.write(encodeLine({ kw: 'keywarden-log', format: FORMAT, gen, ...ids }), 0);

/** Atomically (re)creates `dir/log` holding only the header of `gen`. Call under the lock. */
export async function createLog(dir: string, gen: number, ids: LogIds): Promise<void> {
  const tmp = tempName(dir, 'log');
  await writeNew(tmp, (fh) => writeHeader(fh, gen, ids));
  await rename(tmp, join(dir, NAMES.log));
  await syncDir(dir);
}

/** What {@link compactFiles} leaves: the new log opened read-write, and the new files' identities. */
export interface Compacted {
  fh: FileHandle;
  logIno: number;
  logSize: number;
  snapIno: number | null;
  snapBytes: number;
}

/**
 * Compaction (under the lock, state fresh): snapshot `gen` to a temporary file, fsync; an empty log
 * `gen` to a temporary file, fsync; rename the snapshot into place, directory fsync; rename the log
 * into place, directory fsync. A crash between the two renames leaves a log older than the snapshot,
 * which readers ignore and the next writer replaces. `beforeRenames` runs between the fsyncs and the
 * first rename (the engine marks its view as stale there).
 */
export async function compactFiles(
  dir: string,
  state: StoreState,
  gen: number,
  ids: { sid: string; lid: string; prev: string | null },
  touchLock: () => Promise<void>,
  beforeRenames: () => void,
): Promise<Compacted> {
  const snapTmp = tempName(dir, 'snapshot');
  let snapBytes = 0;
  await writeNew(snapTmp, async (fh) => {
    snapBytes = await writeSnapshot(fh, state, gen, ids);
  });
  await touchLock();
  const logTmp = tempName(dir, 'log');
  try {
    await writeNew(logTmp, (fh) => writeHeader(fh, gen, { sid: ids.sid, lid: ids.lid }));
  } catch (error) {
    await unlink(snapTmp).catch(() => {});
    throw error;
  }
  const snapPath = join(dir, NAMES.snapshot);
  const logPath = join(dir, NAMES.log);
  beforeRenames();
  await rename(snapTmp, snapPath);
  await syncDir(dir);
  await rename(logTmp, logPath);
  await syncDir(dir);
  const fh = await open(logPath, 'r+');
  const [logSt, snapSt] = await Promise.all([fh.stat(), statOrNull(snapPath)]);
  await removeLeftovers(dir).catch(() => 0);
  return { fh, logIno: logSt.ino, logSize: logSt.size, snapIno: snapSt?.ino ?? null, snapBytes };
}
