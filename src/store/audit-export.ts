/**
 * `km.audit.export({ format, from?, to?, keyId?, type? })`: the audit log as CSV (RFC 4180) or JSON
 * Lines, streamed page by page from `storage.listAudit` so memory stays constant however long the
 * log is. The result is an async iterable of string chunks (one per page of up to 1000 events).
 *
 * CSV: a fixed header ({@link AUDIT_CSV_COLUMNS}); `at` as ISO 8601 UTC; `context` and `data` as
 * JSON text; every field quoted when it holds `"`, `,`, CR or LF; lines end with CRLF. A text cell
 * that starts with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'` so a spreadsheet does not run it
 * as a formula (CSV injection); JSON Lines is the lossless format (one stored event per line,
 * exactly as stored, chain fields included). Portable: no node:*.
 * @module
 */
import * as z from 'zod/mini';
import { validationError } from '../errors.js';
import { lazy } from '../internal/lazy.js';
import { isQuotableKey, parseInput } from '../internal/validate.js';
import type { AuditEvent, AuditEventType, AuditQuery } from '../ports/storage.js';
import type { StoreContext } from '../records/context.js';
import { timestampSchema } from '../records/schemas.js';

/** Options of `km.audit.export`. */
export interface AuditExportOptions {
  /** `'csv'` (RFC 4180, spreadsheet-safe) or `'jsonl'` (one event per line, lossless). */
  format: 'csv' | 'jsonl';
  /** Inclusive lower bound on `at` (epoch ms or Date). */
  from?: number | Date;
  /** Exclusive upper bound on `at` (epoch ms or Date). */
  to?: number | Date;
  /** Only events of this record. */
  keyId?: string;
  /** Only events of this type. */
  type?: AuditEventType;
}

/**
 * The CSV columns, in order.
 *
 * @example
 * ```ts
 * AUDIT_CSV_COLUMNS.join(','); // 'seq,at,type,key_id,kind,version,tenant_id,actor,context,data,id,digest,prev_hash,hash'
 * ```
 */
export const AUDIT_CSV_COLUMNS = Object.freeze([
  'seq',
  'at',
  'type',
  'key_id',
  'kind',
  'version',
  'tenant_id',
  'actor',
  'context',
  'data',
  'id',
  'digest',
  'prev_hash',
  'hash',
] as const);

const PAGE = 1000;
const exportSchema = lazy(() =>
  z.object({
    format: z.enum(['csv', 'jsonl']),
    from: z.optional(timestampSchema), // epoch ms or a Date, as `km.audit.list` takes them
    to: z.optional(timestampSchema),
    keyId: z.optional(z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[^\p{Cc}]*$/u))),
    type: z.optional(z.string().check(z.regex(/^[a-z_]+\.[a-z_]+$/))),
  }),
);
const EXPORT_KEYS: () => ReadonlySet<string> = lazy(() => new Set(Object.keys(exportSchema().shape)));
const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field: neutralized against formula injection, quoted when needed (RFC 4180).
 *
 * @example
 * ```ts
 * csvField('a,b'); // '"a,b"'
 * csvField('=1+1'); // "'=1+1"
 * csvField(null); // ''
 * ```
 * @throws never
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** ISO 8601 UTC of an epoch-ms time; the raw number when it is not a valid time. */
function isoTime(at: number): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? String(at) : d.toISOString();
}

/**
 * One event as a CSV record (with its CRLF).
 *
 * @example
 * ```ts
 * declare const event: AuditEvent;
 * csvRecord(event); // '1,2026-01-01T00:00:00.000Z,store.initialized,,,,,,{},{},…\r\n'
 * ```
 * @throws never
 */
export function csvRecord(e: AuditEvent): string {
  return `${[
    e.seq,
    isoTime(e.at),
    e.type,
    e.keyId,
    e.kind,
    e.version,
    e.tenantId,
    e.actor,
    JSON.stringify(e.context ?? {}),
    JSON.stringify(e.data ?? {}),
    e.id,
    e.digest,
    e.prevHash,
    e.hash,
  ]
    .map(csvField)
    .join(',')}\r\n`;
}

/** One event as a JSON line, fields in a fixed order. */
function jsonLine(e: AuditEvent): string {
  return `${JSON.stringify({
    seq: e.seq,
    id: e.id,
    at: e.at,
    type: e.type,
    keyId: e.keyId,
    kind: e.kind,
    version: e.version,
    tenantId: e.tenantId,
    actor: e.actor,
    context: e.context,
    data: e.data,
    digest: e.digest,
    prevHash: e.prevHash,
    hash: e.hash,
  })}\n`;
}

/**
 * Streams the audit log. Options are checked at once; the store is read lazily, one page per
 * chunk, as the consumer pulls (back-pressure for free: nothing is read ahead).
 *
 * @example
 * ```ts
 * for await (const chunk of exportAudit(ctx, { format: 'csv', from: Date.parse('2026-01-01') })) {
 *   process.stdout.write(chunk);
 * }
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming the option (at once); iterating rejects with
 *   `ERR_STORAGE` or `ERR_CLOSED`.
 */
export function exportAudit(ctx: StoreContext, options: AuditExportOptions): AsyncIterable<string> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw validationError('options', 'must be a plain object');
  }
  for (const key of Object.keys(options)) {
    if (!EXPORT_KEYS().has(key)) {
      throw isQuotableKey(key)
        ? validationError(`options.${key}`, 'is not a known option')
        : validationError('options', 'has an unknown option');
    }
  }
  const o = parseInput(exportSchema(), options, 'options');
  if (o.from !== undefined && o.to !== undefined && o.to < o.from) {
    throw validationError('options.to', 'must not be before options.from');
  }
  const query: Omit<AuditQuery, 'limit' | 'cursor'> = {
    ...(o.from !== undefined && { since: o.from }),
    ...(o.to !== undefined && { until: o.to }),
    ...(o.keyId !== undefined && { keyId: o.keyId }),
    ...(o.type !== undefined && { type: o.type as AuditEventType }),
  };
  const format = o.format;
  return {
    async *[Symbol.asyncIterator]() {
      await ctx.ready();
      if (format === 'csv') yield `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
      let cursor: string | undefined;
      do {
        const page = await ctx.storage.listAudit(
          cursor === undefined ? { ...query, limit: PAGE } : { ...query, limit: PAGE, cursor },
        );
        if (page.items.length > 0) {
          let chunk = '';
          for (const e of page.items) chunk += format === 'csv' ? csvRecord(e) : jsonLine(e);
          yield chunk;
        }
        cursor = page.items.length === 0 ? undefined : page.cursor;
      } while (cursor !== undefined);
    },
  };
}
