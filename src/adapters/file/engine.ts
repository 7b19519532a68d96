/**
 * The file store engine: keeps the in-memory {@link StoreState} in step with the snapshot and
 * log on disk, appends changes durably under the write lock, and compacts.
 *
 * Every operation first checks whether the log grew or was replaced since this process last read
 * it, and replays what is new, so each process sees the others' writes. Writes re-check against
 * the freshest state while holding the lock, then append one checksummed line and fdatasync.
 * @internal
 * @module
 */
import { statSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { KeywardenError } from '../../errors.js';
import { compactFiles, createLog, openLog, readSnapshotFile } from './files.js';
import { checkEntry, corruptError, encodeLine, type LogChange, type LogEntry, scanLines } from './format.js';
import { checkPrivate, ensureDir, makePrivate, NAMES, statOrNull } from './fsutil.js';
import { acquireLock, type HeldLock } from './lock.js';
import {
  hasIds,
  integrityError,
  type LogIds,
  newFileId,
  readMarker,
  type StoreMarker,
  writeMarker,
} from './marker.js';
import type { StoreState } from './state.js';

/** Resolved engine options. */
export interface EngineOptions {
  dir: string;
  allowInsecurePermissions: boolean;
  lockTimeout: number;
  staleLockAfter: number;
  compactAfter: number;
  fsync: boolean;
  /** Create the store when the directory holds none (otherwise that is an error). */
  create: boolean;
}

/** What a write callback returns: the change to log (null: nothing to write) and the result. */
export interface WritePlan<T> {
  change: LogChange | null;
  result: T;
}

/** Where this process is in the files on disk. */
interface Cursor {
  fh: FileHandle | null;
  logIno: number | null;
  logGen: number;
  /** Bytes of the log consumed (the end of the last valid entry). */
  offset: number;
  /** `n` of the last entry consumed. */
  n: number;
  /** The log is older than the snapshot (a compaction stopped between its two renames). */
  obsolete: boolean;
  snapIno: number | null;
  snapGen: number;
  snapBytes: number;
  /** A torn tail was seen outside the lock (it may be an append in progress). */
  torn: boolean;
  /** Store id and log id of the loaded files; null for a marker-less (pre-marker format) store. */
  sid: string | null;
  lid: string | null;
}

const MAX_LOAD_ATTEMPTS = 8;

/** The engine behind `fileStorage`. */
export class FileEngine {
  private state: StoreState | null = null;
  private cur: Cursor = FileEngine.emptyCursor();
  private queue: Promise<unknown> = Promise.resolve();
  private broken: KeywardenError | null = null;
  private readonly logPath: string;
  private readonly snapPath: string;
  /** Compactions done by this process (diagnostics and tests). */
  compactions = 0;

  constructor(private readonly opts: EngineOptions) {
    this.logPath = join(opts.dir, NAMES.log);
    this.snapPath = join(opts.dir, NAMES.snapshot);
  }

  private static emptyCursor(): Cursor {
    return {
      fh: null,
      logIno: null,
      logGen: 0,
      offset: 0,
      n: 0,
      obsolete: false,
      snapIno: null,
      snapGen: 0,
      snapBytes: 0,
      torn: false,
      sid: null,
      lid: null,
    };
  }

  /** Runs `fn` after every earlier operation of this engine (one at a time per process). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private wrap(error: unknown, op: string): KeywardenError {
    if (error instanceof KeywardenError) return error;
    // The system error code (ENOSPC, EACCES...) helps and never carries data.
    const code = (error as { code?: unknown } | null)?.code;
    const why = typeof code === 'string' && /^E[A-Z]+$/.test(code) ? ` (${code})` : '';
    return new KeywardenError('ERR_STORAGE', `file store ${op} failed in ${this.opts.dir}${why}`, {
      cause: error,
    });
  }

  /** Opens the store (creating it when the directory holds none) and loads it. Idempotent. */
  open(): Promise<void> {
    return this.serial(() => this.ensureOpen());
  }

  /** Reads with fresh state. */
  read<T>(fn: (state: StoreState) => T): Promise<T> {
    return this.serial(async () => {
      try {
        await this.ensureOpen();
        await this.refresh(null);
        return fn(this.state as StoreState);
      } catch (error) {
        throw this.wrap(error, 'read');
      }
    });
  }

  /**
   * Plans a change against the freshest state under the write lock, appends it durably, applies it.
   * A plan that throws writes nothing.
   */
  write<T>(plan: (state: StoreState) => WritePlan<T>): Promise<T> {
    return this.serial(async () => {
      try {
        await this.ensureOpen();
        if (this.broken) throw this.broken;
        const lock = await this.lock();
        try {
          await this.refresh(lock);
          // A store from before the marker gets one (and identified files) at its first write.
          if (this.cur.sid === null) await this.compact(lock);
          const { change, result } = plan(this.state as StoreState);
          if (change) {
            await this.append(change);
            if (this.compactionDue()) await this.compact(lock).catch(() => this.forceReload());
          }
          return result;
        } finally {
          await lock.release();
        }
      } catch (error) {
        throw this.wrap(error, 'write');
      }
    });
  }

  /** Closes file handles. The engine reopens on next use. */
  close(): Promise<void> {
    return this.serial(async () => {
      const fh = this.cur.fh;
      this.cur = FileEngine.emptyCursor();
      this.state = null;
      await fh?.close().catch(() => {});
    });
  }

  private lock(): Promise<HeldLock> {
    return acquireLock(this.opts.dir, {
      timeout: this.opts.lockTimeout,
      staleAfter: this.opts.staleLockAfter,
    });
  }

  private async ensureOpen(): Promise<void> {
    if (this.state) return;
    try {
      await this.openStore();
    } catch (error) {
      this.state = null;
      const fh = this.cur.fh;
      this.cur = FileEngine.emptyCursor();
      await fh?.close().catch(() => {});
      throw this.wrap(error, 'open');
    }
  }

  private noStore(): KeywardenError {
    return new KeywardenError(
      'ERR_NOT_FOUND',
      `no file store in ${this.opts.dir} (create one with fileStorage({ dir, create: true }) or \`keywarden init\`)`,
    );
  }

  private async openStore(): Promise<void> {
    const { dir, allowInsecurePermissions } = this.opts;
    if (this.opts.create) await ensureDir(dir);
    else if (!(await statOrNull(dir))?.isDirectory()) throw this.noStore();
    const [dirSt, logSt, snapSt, markerSt] = await Promise.all([
      statOrNull(dir),
      statOrNull(this.logPath),
      statOrNull(this.snapPath),
      statOrNull(join(dir, NAMES.marker)),
    ]);
    if (!allowInsecurePermissions) {
      if (logSt || snapSt) {
        if (dirSt) checkPrivate(dir, dirSt);
        if (logSt) checkPrivate(this.logPath, logSt);
        if (snapSt) checkPrivate(this.snapPath, snapSt);
      } else {
        await makePrivate(dir, 0o700);
      }
    }
    if (!logSt && !snapSt && !markerSt && !this.opts.create) throw this.noStore();
    if (!markerSt) {
      // creating, finishing a creation or an upgrade, or a marker-less store: decided under the lock
      const lock = await this.lock();
      try {
        await this.fullLoad(lock, this.opts.create);
      } finally {
        await lock.release();
      }
    } else {
      await this.fullLoad(null);
    }
    if (this.cur.torn) {
      // Repair a torn tail now, under the lock (unless the holder is busy: the next writer repairs it).
      const lock = await this.lock().catch(() => null);
      if (lock) {
        try {
          await this.refresh(lock);
        } finally {
          await lock.release();
        }
      }
    }
  }

  /** Forces a full reload at the next locked refresh (after a failed compaction). */
  private forceReload(): void {
    this.cur.snapIno = -1;
  }

  /** Brings the state up to date with the files. `lock` given: may repair, must be exact. */
  private async refresh(lock: HeldLock | null): Promise<void> {
    if (!this.state) return this.fullLoad(lock);
    // A synchronous stat: microseconds on a local disk, and it keeps every read (e.g. the `get` of each
    // API-key verification) off the thread pool.
    const st = statSync(this.logPath, { throwIfNoEntry: false }) ?? null;
    if (lock) {
      const snap = statSync(this.snapPath, { throwIfNoEntry: false }) ?? null;
      if ((snap?.ino ?? null) !== this.cur.snapIno) return this.fullLoad(lock);
    }
    if (!st || st.ino !== this.cur.logIno) return this.fullLoad(lock);
    if (this.cur.obsolete) return lock ? this.fullLoad(lock) : undefined;
    if (st.size === this.cur.offset) return;
    if (st.size < this.cur.offset) return this.fullLoad(lock);
    await this.readTail(lock);
  }

  /** Reads and applies new log entries after `cur.offset`. */
  private async readTail(lock: HeldLock | null): Promise<void> {
    const fh = this.cur.fh as FileHandle;
    const size = (await fh.stat()).size;
    const buf = Buffer.allocUnsafe(Math.max(0, size - this.cur.offset));
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, this.cur.offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.applyScan(buf.subarray(0, got), 0, this.cur.offset);
    if (this.cur.torn && lock) await this.truncateTail();
  }

  /** Scans log bytes from `buf[start]` (`buf[0]` is at file offset `fileOffset`) and applies them. */
  private applyScan(buf: Buffer, start: number, fileOffset: number): void {
    const scan = scanLines(buf, start);
    if (scan.tail === 'corrupt') {
      throw corruptError(
        this.logPath,
        `damaged entry at byte ${fileOffset + start + scan.consumed} is followed by more data; ` +
          'refusing to drop it (restore from a backup, or see docs/file-storage.md)',
      );
    }
    const state = this.state as StoreState;
    for (const value of scan.values) {
      const entry = checkEntry(value, this.cur.n + 1, this.logPath);
      state.apply(entry, this.logPath);
      this.cur.n = entry.n;
    }
    this.cur.offset = fileOffset + start + scan.consumed;
    this.cur.torn = scan.tail === 'torn';
  }

  /** Cuts a torn tail (under the lock): only bytes after the last valid entry are removed. */
  private async truncateTail(): Promise<void> {
    const fh = this.cur.fh as FileHandle;
    await fh.truncate(this.cur.offset);
    await fh.datasync();
    this.cur.torn = false;
  }

  /** Loads the snapshot and the log from scratch (see the generation rules in docs/file-storage.md). */
  private async fullLoad(lock: HeldLock | null, create = false): Promise<void> {
    for (let attempt = 1; attempt <= MAX_LOAD_ATTEMPTS; attempt++) {
      const old = this.cur.fh;
      this.cur = FileEngine.emptyCursor();
      this.state = null;
      await old?.close().catch(() => {});

      const log = await openLog(this.logPath);
      let snap: Awaited<ReturnType<typeof readSnapshotFile>>;
      try {
        snap = await readSnapshotFile(this.snapPath);
      } catch (error) {
        await log?.fh.close().catch(() => {});
        throw error;
      }
      const state = snap.state;
      const snapGen = snap.gen;
      let marker: StoreMarker | null;
      try {
        marker = await readMarker(this.opts.dir);
      } catch (error) {
        await log?.fh.close().catch(() => {});
        throw error;
      }
      if (!log) {
        if (snap.ino !== null || marker) throw integrityError(this.opts.dir, 'the log is missing');
        if (!(lock && create)) throw this.noStore();
        const ids = { sid: newFileId(), lid: newFileId() };
        await createLog(this.opts.dir, 1, ids);
        await writeMarker(this.opts.dir, { sid: ids.sid, lid1: ids.lid }); // the store exists from here
        continue;
      }
      const logGen = log.gen;
      const legacy = !marker && !hasIds(log.ids) && snap.ids.sid === undefined;
      if (!legacy) {
        const finished = await this.checkIdentity(marker, snap, log, lock, create).catch(
          async (error: unknown) => {
            await log.fh.close().catch(() => {});
            throw error;
          },
        );
        if (finished === 'retry') {
          await log.fh.close();
          if (lock || attempt >= MAX_LOAD_ATTEMPTS)
            throw integrityError(this.opts.dir, 'the log was replaced');
          continue; // a compaction ran between our two reads
        }
        if (finished === 'reload') {
          await log.fh.close();
          continue;
        }
      }
      if (logGen < snapGen) {
        await log.fh.close();
        if (lock) {
          // finish an interrupted compaction: the snapshot names the log that goes with it
          await createLog(this.opts.dir, snapGen, legacy ? {} : { sid: snap.ids.sid, lid: snap.ids.lid });
          continue;
        }
        if (attempt < 3) continue;
        this.setLoaded(state, snap, log, snapGen, true);
        return;
      }
      if (logGen > (snap.ino !== null ? snapGen : 1)) {
        await log.fh.close();
        if (attempt < MAX_LOAD_ATTEMPTS) continue; // a compaction ran between our two reads
        throw corruptError(this.opts.dir, `log generation ${logGen} has no snapshot`);
      }
      this.setLoaded(state, snap, log, logGen, false);
      this.applyScan(log.buf, log.headerEnd, 0);
      if (this.cur.torn && lock) await this.truncateTail();
      return;
    }
    throw new KeywardenError('ERR_STORAGE', `file store ${this.opts.dir} kept changing while loading`);
  }

  /**
   * Checks that the marker, the snapshot and the log belong together (see marker.ts). Returns `ok`,
   * `retry` (the files may be changing under a compaction: read again, without the lock only) or
   * `reload` (a creation or an upgrade was finished under the lock: read again).
   * @throws KeywardenError `ERR_INTEGRITY` naming what does not match.
   */
  private async checkIdentity(
    marker: StoreMarker | null,
    snap: Awaited<ReturnType<typeof readSnapshotFile>>,
    log: Awaited<ReturnType<typeof openLog>> & object,
    lock: HeldLock | null,
    create: boolean,
  ): Promise<'ok' | 'retry' | 'reload'> {
    const dir = this.opts.dir;
    const ids = log.ids;
    if (!hasIds(ids)) throw integrityError(dir, 'the log carries no store id');
    const sid = marker?.sid ?? ids.sid;
    if (ids.sid !== sid) throw integrityError(dir, 'the log belongs to another store');
    if (snap.ino !== null && snap.ids.sid !== sid)
      throw integrityError(dir, 'the snapshot belongs to another store');
    if (!marker) {
      // Only two marker-less states are legitimate: a creation cut before its marker (an empty
      // generation-1 log, no snapshot), and an upgrade cut before its marker (a snapshot written
      // by the upgrade, prev null). Both are finished under the lock.
      const cutCreation = snap.ino === null && log.gen === 1 && log.buf.length === log.headerEnd && create;
      const cutUpgrade =
        snap.ino !== null && snap.ids.prev === null && log.gen === snap.gen && log.ids.lid === snap.ids.lid;
      if (!cutCreation && !cutUpgrade) throw integrityError(dir, 'the store marker is missing');
      if (!lock) return 'ok';
      await writeMarker(dir, { sid, lid1: cutCreation ? ids.lid : null });
      return 'reload';
    }
    if (snap.ino === null) {
      if (log.gen !== 1) return 'retry';
      if (log.ids.lid !== marker.lid1) throw integrityError(dir, 'the log was replaced');
      return 'ok';
    }
    if (log.gen === snap.gen && log.ids.lid === snap.ids.lid) return 'ok';
    if (log.gen === snap.gen - 1 && log.ids.lid === snap.ids.prev) return 'ok'; // an interrupted compaction
    return 'retry';
  }

  private setLoaded(
    state: StoreState,
    snap: { ino: number | null; gen: number; bytes: number; ids: LogIds },
    log: { fh: FileHandle; ino: number; gen: number; headerEnd: number; ids: LogIds } | null,
    gen: number,
    obsolete: boolean,
  ): void {
    this.state = state;
    const current = obsolete ? snap.ids : (log?.ids ?? snap.ids);
    this.cur = {
      fh: log?.fh ?? null,
      logIno: log?.ino ?? null,
      logGen: gen,
      offset: log?.headerEnd ?? 0,
      n: 0,
      obsolete,
      snapIno: snap.ino,
      snapGen: snap.gen,
      snapBytes: snap.bytes,
      torn: false,
      sid: current.sid ?? null,
      lid: current.lid ?? null,
    };
    if (obsolete && log) this.cur.offset = Number.MAX_SAFE_INTEGER;
  }

  /** Appends one change (under the lock, after a refresh) and applies it. */
  private async append(change: LogChange): Promise<void> {
    const state = this.state as StoreState;
    if (this.cur.obsolete || !this.cur.fh)
      throw new KeywardenError('ERR_STORAGE', 'file store log is not writable');
    const line = encodeLine({ n: this.cur.n + 1, ...change });
    const fh = this.cur.fh;
    const at = this.cur.offset;
    try {
      let off = 0;
      while (off < line.length) {
        const { bytesWritten } = await fh.write(line, off, line.length - off, at + off);
        off += bytesWritten;
      }
      if (this.opts.fsync) await fh.datasync();
    } catch (error) {
      // Undo a possibly partial entry; if even that fails, refuse further writes from this process.
      try {
        await fh.truncate(at);
        await fh.datasync();
      } catch {
        this.broken = new KeywardenError('ERR_STORAGE', `file store ${this.opts.dir} is in an unknown state`);
      }
      throw error;
    }
    // Apply what replay would apply: the parsed line.
    const entry = JSON.parse(line.toString('utf8', 17, line.length - 1)) as LogEntry;
    state.apply(entry, this.logPath);
    this.cur.offset = at + line.length;
    this.cur.n = entry.n;
  }

  private compactionDue(): boolean {
    return this.cur.n >= this.opts.compactAfter && this.cur.offset >= this.cur.snapBytes / 2;
  }

  /**
   * Compaction (under the lock, state fresh): snapshot gen+1 to a temp file, fsync, rename, dir
   * fsync; then a new empty log gen+1 the same way. A crash between the renames leaves a log older
   * than the snapshot, which every reader ignores and the next writer replaces.
   */
  private async compact(lock: HeldLock): Promise<void> {
    const gen = this.cur.logGen + 1;
    const upgrade = this.cur.sid === null;
    const sid = this.cur.sid ?? newFileId();
    const lid = newFileId();
    const done = await compactFiles(
      this.opts.dir,
      this.state as StoreState,
      gen,
      { sid, lid, prev: upgrade ? null : this.cur.lid },
      () => lock.touch(),
      () => this.forceReload(),
    );
    if (upgrade) await writeMarker(this.opts.dir, { sid, lid1: null });
    this.compactions++;
    // Adopt the new files without re-reading: the state is unchanged.
    await this.cur.fh?.close().catch(() => {});
    this.cur = {
      fh: done.fh,
      logIno: done.logIno,
      logGen: gen,
      offset: done.logSize,
      n: 0,
      obsolete: false,
      snapIno: done.snapIno,
      snapGen: gen,
      snapBytes: done.snapBytes,
      torn: false,
      sid,
      lid,
    };
  }
}
