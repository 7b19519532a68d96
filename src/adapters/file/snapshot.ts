/**
 * Snapshot files: the whole store at the start of a log generation, written to a temporary name,
 * fsync'd and atomically renamed. Lines are plain JSON; the last line is a footer holding the
 * counts and the SHA-256 of every byte before it, so a damaged snapshot is always detected.
 * @internal
 * @module
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { AuditEvent } from '../../ports/storage.js';
import { corruptError, FORMAT } from './format.js';
import type { SnapshotIds } from './marker.js';
import { type StoreState, slotFromIndex, slotIndex } from './state.js';

const NL = 10;
const TAB = 9;
const OPEN_BRACKET = 91;
/** Flush the write buffer at this many bytes. */
const CHUNK = 1 << 20;

interface Footer {
  end: { records: number; meta: number; audit: number; sha256: string };
}

/**
 * Writes `state` as snapshot generation `gen` to `fh` (already open for writing, empty).
 * Returns the number of bytes written. Does not sync: the caller does.
 */
export async function writeSnapshot(
  fh: FileHandle,
  state: StoreState,
  gen: number,
  ids: SnapshotIds = {},
): Promise<number> {
  const hash = createHash('sha256');
  let parts: string[] = [];
  let pending = 0;
  let written = 0;
  const flush = async (hashed = true): Promise<void> => {
    if (parts.length === 0) return;
    const buf = Buffer.from(parts.join(''), 'utf8');
    parts = [];
    pending = 0;
    if (hashed) hash.update(buf);
    let off = 0;
    while (off < buf.length) {
      const { bytesWritten } = await fh.write(buf, off, buf.length - off, written + off);
      off += bytesWritten;
    }
    written += buf.length;
  };
  const line = async (value: unknown): Promise<void> => {
    const s = `${JSON.stringify(value)}\n`;
    parts.push(s);
    pending += s.length;
    if (pending >= CHUNK) await flush();
  };
  await line({ kw: 'keywarden-snapshot', format: FORMAT, gen, ...ids });
  for (const [k, v] of state.meta) await line({ m: [k, v] });
  // Record lines: `<index JSON array> TAB <record JSON>` (JSON never holds a raw tab), so opening
  // parses only the index; the record is parsed on first use.
  for (const slot of state.sorted) {
    const rec = slot.raw ? slot.raw.toString('utf8') : JSON.stringify(slot.rec);
    const text = `${JSON.stringify(slotIndex(slot))}\t${rec}\n`;
    parts.push(text);
    pending += text.length;
    if (pending >= CHUNK) await flush();
  }
  for (const a of state.audit) await line({ a });
  await flush();
  const footer: Footer = {
    end: {
      records: state.sorted.length,
      meta: state.meta.size,
      audit: state.audit.length,
      sha256: hash.digest('hex'),
    },
  };
  parts.push(`${JSON.stringify(footer)}\n`);
  await flush(false);
  return written;
}

/**
 * Parses a snapshot into `state` (which must be empty and in bulk-load mode). Returns its
 * generation and identity fields. Any damage is `ERR_STORAGE`: snapshots are renamed into place
 * only once complete.
 */
export function readSnapshot(
  buf: Buffer,
  state: StoreState,
  file: string,
): { gen: number; ids: SnapshotIds } {
  if (buf.length === 0 || buf[buf.length - 1] !== NL) throw corruptError(file, 'snapshot is truncated');
  const footerStart = buf.lastIndexOf(NL, buf.length - 2) + 1;
  let footer: Footer;
  try {
    footer = JSON.parse(buf.toString('utf8', footerStart, buf.length - 1)) as Footer;
  } catch {
    throw corruptError(file, 'snapshot footer is unreadable');
  }
  if (!footer?.end || typeof footer.end.sha256 !== 'string')
    throw corruptError(file, 'snapshot has no footer');
  const sum = createHash('sha256').update(buf.subarray(0, footerStart)).digest('hex');
  if (sum !== footer.end.sha256) throw corruptError(file, 'snapshot checksum mismatch');

  let pos = 0;
  let gen = 0;
  let ids: SnapshotIds = {};
  const counts = { records: 0, meta: 0, audit: 0 };
  let first = true;
  const audit: AuditEvent[] = [];
  while (pos < footerStart) {
    const nl = buf.indexOf(NL, pos);
    if (!first && buf[pos] === OPEN_BRACKET) {
      const tab = buf.indexOf(TAB, pos);
      const slot =
        tab > pos && tab < nl
          ? slotFromIndex(JSON.parse(buf.toString('utf8', pos, tab)), buf.subarray(tab + 1, nl))
          : null;
      if (!slot) throw corruptError(file, 'malformed record line in snapshot');
      state.putSlot(slot);
      counts.records++;
      pos = nl + 1;
      continue;
    }
    const value = JSON.parse(buf.toString('utf8', pos, nl)) as {
      kw?: string;
      format?: number;
      gen?: number;
      sid?: string;
      lid?: string;
      prev?: string | null;
      m?: [string, string];
      a?: AuditEvent;
    };
    pos = nl + 1;
    if (first) {
      first = false;
      if (value.kw !== 'keywarden-snapshot' || !Number.isSafeInteger(value.gen)) {
        throw corruptError(file, 'missing snapshot header');
      }
      if (value.format !== FORMAT) throw corruptError(file, `unsupported format ${String(value.format)}`);
      gen = value.gen as number;
      ids = { sid: value.sid, lid: value.lid, prev: value.prev };
    } else if (value.m) {
      state.meta.set(value.m[0], value.m[1]);
      counts.meta++;
    } else if (value.a) {
      audit.push(value.a);
      counts.audit++;
    } else {
      throw corruptError(file, 'unknown snapshot line');
    }
  }
  state.appendAudit(audit, file);
  const e = footer.end;
  if (first || e.records !== counts.records || e.meta !== counts.meta || e.audit !== counts.audit) {
    throw corruptError(file, 'snapshot counts do not match its footer');
  }
  return { gen, ids };
}
