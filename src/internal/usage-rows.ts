/**
 * Validation and merging of usage rollup rows, shared by the storage adapters that keep usage
 * analytics (memory, file). Portable: no node:*.
 * @internal
 * @module
 */
import { KeywardenError } from '../errors.js';
import type { UsageIncrement, UsageRow, UsageRowQuery } from '../ports/usage.js';

const HOUR = 3_600_000;

function invalid(field: string, message: string): KeywardenError {
  return new KeywardenError('ERR_VALIDATION', `${field} ${message}`, { field });
}

const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * Checks `addUsage` rows: a record id (1-128 chars), a bucket on a UTC hour, counts ≥ 0.
 * @example
 * ```ts
 * const rows = checkUsageRows(input); // copies
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `rows[i].field`.
 */
export function checkUsageRows(rows: unknown): UsageIncrement[] {
  if (!Array.isArray(rows)) throw invalid('rows', 'must be an array');
  return rows.map((r: Partial<UsageIncrement> | null, i) => {
    const at = `rows[${i}]`;
    if (typeof r !== 'object' || r === null) throw invalid(at, 'must be an object');
    if (typeof r.recordId !== 'string' || r.recordId.length < 1 || r.recordId.length > 128) {
      throw invalid(`${at}.recordId`, 'must be a string of 1-128 characters');
    }
    if (!Number.isSafeInteger(r.bucket) || (r.bucket as number) % HOUR !== 0) {
      throw invalid(`${at}.bucket`, 'must be the start of a UTC hour (epoch ms)');
    }
    if (!count(r.valid)) throw invalid(`${at}.valid`, 'must be a non-negative integer');
    if (!count(r.failed)) throw invalid(`${at}.failed`, 'must be a non-negative integer');
    return { recordId: r.recordId, bucket: r.bucket as number, valid: r.valid, failed: r.failed };
  });
}

/**
 * Checks a `listUsage` query.
 * @example
 * ```ts
 * const q = checkUsageQuery({ recordId: 'abc', from: 0, to: Date.now() });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `query.field`.
 */
export function checkUsageQuery(query: unknown): UsageRowQuery {
  const q = query as Partial<UsageRowQuery> | null;
  if (typeof q !== 'object' || q === null) throw invalid('query', 'must be an object');
  if (typeof q.recordId !== 'string' || q.recordId.length < 1)
    throw invalid('query.recordId', 'must be a string');
  if (!Number.isFinite(q.from)) throw invalid('query.from', 'must be a number');
  if (!Number.isFinite(q.to)) throw invalid('query.to', 'must be a number');
  return { recordId: q.recordId, from: q.from as number, to: q.to as number };
}

/** A record's hourly counts as the file adapter keeps them in one metadata value: `{ [bucket]: [valid, failed] }`. */
export type HourlyCounts = Record<string, [number, number]>;

/**
 * Parses a stored {@link HourlyCounts} value (a malformed one reads as empty).
 * @example
 * ```ts
 * const counts = parseHourly(await storage.getMeta(`usage:${id}`));
 * ```
 * @throws never
 */
export function parseHourly(raw: string | null | undefined): HourlyCounts {
  if (raw === null || raw === undefined) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as HourlyCounts) : {};
  } catch {
    return {};
  }
}

/**
 * The rows of `counts` about `recordId` within `[from, to)`, by bucket.
 * @example
 * ```ts
 * declare const recordId: string;
 * declare const from: number;
 * declare const to: number;
 * rowsOf(parseHourly(raw), { recordId, from, to });
 * ```
 * @throws never
 */
export function rowsOf(counts: HourlyCounts, q: UsageRowQuery): UsageRow[] {
  const out: UsageRow[] = [];
  for (const [k, pair] of Object.entries(counts)) {
    const bucket = Number(k);
    if (!(bucket >= q.from && bucket < q.to) || !Array.isArray(pair)) continue;
    out.push({ recordId: q.recordId, bucket, valid: Number(pair[0]) || 0, failed: Number(pair[1]) || 0 });
  }
  return out.sort((a, b) => a.bucket - b.bucket);
}

/**
 * Adds `rows` into per-record {@link HourlyCounts} read by `read(recordId)`; returns the changed values.
 * @example
 * ```ts
 * declare const rows: UsageIncrement[];
 * declare const stored: Map<string, string>; // meta key -> value
 * const changed = addRows(rows, (id) => parseHourly(stored.get(`usage:${id}`)));
 * ```
 * @throws never
 */
export function addRows(
  rows: UsageIncrement[],
  read: (recordId: string) => HourlyCounts,
): Map<string, HourlyCounts> {
  const changed = new Map<string, HourlyCounts>();
  for (const r of rows) {
    let counts = changed.get(r.recordId);
    if (counts === undefined) {
      counts = { ...read(r.recordId) };
      changed.set(r.recordId, counts);
    }
    const cur = counts[String(r.bucket)];
    counts[String(r.bucket)] = [(cur?.[0] ?? 0) + r.valid, (cur?.[1] ?? 0) + r.failed];
  }
  return changed;
}

/** The metadata key under which the file adapter keeps a record's hourly counts. */
export const usageMetaKey = (recordId: string): string => `usage:${recordId}`;
