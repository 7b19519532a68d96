/**
 * The on-disk format of the file adapter: checksummed JSON lines for the log, a checksummed
 * snapshot with a footer. See docs/file-storage.md for the byte-level description.
 * @internal
 * @module
 */
import { createHash } from 'node:crypto';
import { KeywardenError } from '../../errors.js';
import type { AuditEvent, StoredRecord } from '../../ports/storage.js';

/** Format version written in every header. */
export const FORMAT = 1;
/** Hex characters of the per-line checksum (the first 64 bits of SHA-256). */
const SUM_LEN = 16;
const NL = 10;
const SPACE = 32;

/** A log entry: one atomic change. `n` counts entries within a log generation, from 1. */
export type LogEntry =
  | { n: number; op: 'put'; r: StoredRecord }
  | { n: number; op: 'del'; id: string }
  | { n: number; op: 'audit'; e: AuditEvent[] }
  | { n: number; op: 'meta'; k: string; v: string }
  /** Several metadata values set at once (usage analytics: one batch of counts is one entry). */
  | { n: number; op: 'metas'; m: [string, string][] };

/** The body of a log entry before it is numbered. */
export type LogChange = LogEntry extends infer E ? (E extends { n: number } ? Omit<E, 'n'> : never) : never;

/** The first line of a log file. `sid` / `lid`: see marker.ts (absent in the marker-less format). */
export interface LogHeader {
  kw: 'keywarden-log';
  format: number;
  gen: number;
  sid?: string;
  lid?: string;
}

/** First 64 bits of SHA-256, hex. */
export function checksum(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, SUM_LEN);
}

/**
 * Encodes one log line: `<16 hex checksum of the JSON bytes> <JSON>\n`. JSON never contains a raw
 * newline, so a line is exactly one entry.
 */
export function encodeLine(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  const out = Buffer.allocUnsafe(SUM_LEN + 1 + json.length + 1);
  out.write(checksum(json), 0, 'latin1');
  out[SUM_LEN] = SPACE;
  json.copy(out, SUM_LEN + 1);
  out[out.length - 1] = NL;
  return out;
}

/** Decodes the line `buf[start, end)` (without its newline); null when the checksum or JSON is bad. */
export function decodeLine(buf: Buffer, start: number, end: number): unknown | null {
  if (end - start < SUM_LEN + 3 || buf[start + SUM_LEN] !== SPACE) return null;
  const json = buf.subarray(start + SUM_LEN + 1, end);
  if (buf.toString('latin1', start, start + SUM_LEN) !== checksum(json)) return null;
  try {
    return JSON.parse(json.toString('utf8'));
  } catch {
    return null;
  }
}

/** How a scan of log bytes ended. */
export type TailState = 'clean' | 'torn' | 'corrupt';

/** The result of {@link scanLines}. */
export interface ScanResult {
  /** Decoded entries, in order. */
  values: unknown[];
  /** Bytes covered by `values` (the offset of the first byte not consumed). */
  consumed: number;
  /**
   * `clean`: every byte consumed. `torn`: what follows is at most one entry (no newline before its
   * last byte) that is incomplete or fails its checksum: a write cut short or still in progress.
   * `corrupt`: a bad line is followed by more data: damage in the middle, never repaired silently.
   */
  tail: TailState;
}

/**
 * Scans checksummed lines in `buf` from `start`. Stops at the first line that is incomplete or
 * invalid and classifies what follows (see {@link ScanResult.tail}).
 */
export function scanLines(buf: Buffer, start = 0): ScanResult {
  const values: unknown[] = [];
  let pos = start;
  while (pos < buf.length) {
    const nl = buf.indexOf(NL, pos);
    if (nl === -1) return { values, consumed: pos - start, tail: 'torn' };
    const value = decodeLine(buf, pos, nl);
    if (value === null) {
      return { values, consumed: pos - start, tail: nl === buf.length - 1 ? 'torn' : 'corrupt' };
    }
    values.push(value);
    pos = nl + 1;
  }
  return { values, consumed: pos - start, tail: 'clean' };
}

/** An `ERR_STORAGE` naming the damaged file (never its content). */
export function corruptError(file: string, what: string): KeywardenError {
  return new KeywardenError('ERR_STORAGE', `file store is corrupt: ${file}: ${what}`);
}

/** Validates a parsed log header. */
export function parseLogHeader(value: unknown, file: string): LogHeader {
  const h = value as Partial<LogHeader> | null;
  if (h?.kw !== 'keywarden-log' || !Number.isSafeInteger(h.gen) || (h.gen as number) < 1) {
    throw corruptError(file, 'missing or invalid log header');
  }
  if (h.format !== FORMAT) throw corruptError(file, `unsupported format ${String(h.format)}`);
  return h as LogHeader;
}

/** Validates a parsed log entry's shape and number. */
export function checkEntry(value: unknown, expectedN: number, file: string): LogEntry {
  const e = value as Partial<LogEntry> & { n?: unknown; op?: unknown };
  if (!e || typeof e !== 'object' || e.n !== expectedN) {
    throw corruptError(file, `entry ${expectedN} is out of sequence`);
  }
  const ok =
    (e.op === 'put' && typeof (e as { r?: unknown }).r === 'object') ||
    (e.op === 'del' && typeof (e as { id?: unknown }).id === 'string') ||
    (e.op === 'audit' && Array.isArray((e as { e?: unknown }).e)) ||
    (e.op === 'meta' &&
      typeof (e as { k?: unknown }).k === 'string' &&
      typeof (e as { v?: unknown }).v === 'string') ||
    (e.op === 'metas' &&
      Array.isArray((e as { m?: unknown }).m) &&
      (e as { m: unknown[] }).m.every(
        (kv) =>
          Array.isArray(kv) && kv.length === 2 && typeof kv[0] === 'string' && typeof kv[1] === 'string',
      ));
  if (!ok) throw corruptError(file, `entry ${expectedN} has an unknown shape`);
  return e as LogEntry;
}
