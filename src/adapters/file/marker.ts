/**
 * The store marker and file identities of the file adapter: which log belongs with which snapshot.
 *
 * `dir/store` is written once, when the store is created (`create: true`), and holds the store id
 * (`sid`) and the id of the first log (`lid1`). Every log header carries `sid` and its own random
 * log id `lid`; every snapshot header carries `sid`, the `lid` of the log written with it, and the
 * `prev` log it compacted. Opening checks that they agree, so a missing log, a log put back from
 * another store or generation, or a fresh log in place of the real one is `ERR_INTEGRITY` instead
 * of a store that silently lost everything since its last compaction.
 * @internal
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { KeywardenError } from '../../errors.js';
import { writeNew } from './files.js';
import { encodeLine, FORMAT, scanLines } from './format.js';
import { isErrno, NAMES, syncDir, tempName } from './fsutil.js';

/** The content of `dir/store`. `lid1` is null for a store upgraded from the marker-less format. */
export interface StoreMarker {
  sid: string;
  lid1: string | null;
}

/** Identity fields of a log header (absent in the marker-less format). */
export interface LogIds {
  sid?: string | undefined;
  lid?: string | undefined;
}

/** Identity fields of a snapshot header (absent in the marker-less format). */
export interface SnapshotIds extends LogIds {
  /** The log this snapshot compacted; null when it was written by an upgrade. */
  prev?: string | null | undefined;
}

const ID = /^[0-9a-f]{32}$/;

/**
 * A new random store or log id (128 bits, hex).
 *
 * @example
 * ```ts
 * const lid = newFileId();
 * ```
 * @throws never.
 */
export const newFileId = (): string => randomBytes(16).toString('hex');

/**
 * An `ERR_INTEGRITY` naming the store directory and what failed (never any content).
 *
 * @example
 * ```ts
 * declare const dir: string;
 * throw integrityError(dir, 'the log is missing');
 * ```
 * @throws never.
 */
export function integrityError(dir: string, what: string): KeywardenError {
  return new KeywardenError(
    'ERR_INTEGRITY',
    `file store ${dir} failed its integrity check: ${what} (restore the directory from a backup; see docs/file-storage.md)`,
  );
}

/**
 * Reads `dir/store`; null when absent. A damaged marker is `ERR_INTEGRITY`.
 *
 * @example
 * ```ts
 * declare const dir: string;
 * const marker = await readMarker(dir);
 * ```
 * @throws KeywardenError `ERR_INTEGRITY` for a damaged marker; I/O errors as thrown by `fs`.
 */
export async function readMarker(dir: string): Promise<StoreMarker | null> {
  let buf: Buffer;
  try {
    buf = await readFile(join(dir, NAMES.marker));
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
  const scan = scanLines(buf);
  const m = scan.values[0] as { kw?: unknown; format?: unknown; sid?: unknown; lid1?: unknown } | undefined;
  if (
    scan.tail !== 'clean' ||
    scan.values.length !== 1 ||
    m?.kw !== 'keywarden-store' ||
    m.format !== FORMAT ||
    typeof m.sid !== 'string' ||
    !ID.test(m.sid) ||
    !(m.lid1 === null || (typeof m.lid1 === 'string' && ID.test(m.lid1)))
  ) {
    throw integrityError(dir, 'the store marker is damaged');
  }
  return { sid: m.sid, lid1: m.lid1 as string | null };
}

/**
 * Writes `dir/store` atomically (temporary file, fsync, rename, directory fsync). Call under the lock.
 *
 * @example
 * ```ts
 * declare const dir: string;
 * declare const sid: string;
 * declare const lid1: string | null;
 * await writeMarker(dir, { sid, lid1 });
 * ```
 * @throws I/O errors as thrown by `fs`.
 */
export async function writeMarker(dir: string, marker: StoreMarker): Promise<void> {
  const tmp = tempName(dir, NAMES.marker);
  await writeNew(tmp, (fh) => fh.write(encodeLine({ kw: 'keywarden-store', format: FORMAT, ...marker }), 0));
  await rename(tmp, join(dir, NAMES.marker));
  await syncDir(dir);
}

/** True when a header carries well-formed identity fields. */
export function hasIds(ids: LogIds): ids is { sid: string; lid: string } {
  return typeof ids.sid === 'string' && ID.test(ids.sid) && typeof ids.lid === 'string' && ID.test(ids.lid);
}
