/**
 * `rotationReport(km, { since?, within? })`: what rotated and what failed in a window (from the
 * audit log: `key.rotated`, `rotation.failed`) and what is due (`km.rotator.due`), with counts per
 * record kind. Read-only. Portable: no node:*.
 * @module
 */
import type { Duration } from '../duration.js';
import { parseDuration } from '../duration.js';
import { validationError } from '../errors.js';
import { capabilityContext } from '../extension/index.js';
import type { DueItem, KeyManager } from '../index.js';
import type { JsonObject, JsonValue } from '../ports/json.js';
import type { AuditEvent, AuditEventType, RecordKind } from '../ports/storage.js';

/** Options of {@link rotationReport}. */
export interface RotationReportOptions {
  /** How far back rotations and failures are read (default `'30d'`). */
  since?: Duration;
  /** Look-ahead for due work (default 0: due now). */
  within?: Duration;
  /** Most rotated / failed / due entries listed (counts stay exact; default 1000, max 10000). */
  limit?: number;
}

/** One rotation in the window. */
export interface ReportedRotation {
  /** When it rotated (epoch ms, from the `key.rotated` audit event). */
  at: number;
  /** The rotated record's id. */
  id: string;
  /** The record's kind (`api_key`, `secret`, `key`); null when the event has none. */
  kind: RecordKind | null;
  /** The new version; null when the event has none. */
  version: number | null;
  /** The version current before; null when there was none (or the event does not say). */
  previousVersion: number | null;
  /** `immediate`, `overlap`, `gradual` or `blue-green`; null when the event does not say. */
  strategy: string | null;
  /** True for `rotate()` calls, false for scheduled ones. */
  manual: boolean;
  /** Who rotated it (the `actor` given); null for the rotator or when none was given. */
  actor: string | null;
}

/** One failed rotation attempt in the window. */
export interface ReportedFailure {
  /** When the attempt failed (epoch ms, from the `rotation.failed` audit event). */
  at: number;
  /** The record's id. */
  id: string;
  /** The record's kind; null when the event has none. */
  kind: RecordKind | null;
  /** The provider step that failed (`create`, `set`, `test`, `finish`); null when the event does not say. */
  step: string | null;
  /** The failure's `ERR_*` code; null when the event does not say. */
  code: string | null;
  /** Failed attempts in a row, this one included; null when the event does not say. */
  attempt: number | null;
  /** When the retry is due (epoch ms); null when none is scheduled. */
  nextAttemptAt: number | null;
}

/** Counts for one record kind. */
export interface KindCounts {
  /** Rotations in the window (exact, even when the list is cut at `limit`). */
  rotated: number;
  /** Failed rotation attempts in the window. */
  failed: number;
  /** Records with rotator work due by `until + within` (counted up to 1000 records). */
  due: number;
}

/** What {@link rotationReport} returns. */
export interface RotationReport {
  /** Start of the window (epoch ms, inclusive). */
  since: number;
  /** When the report was made (end of the window, exclusive). */
  until: number;
  /** Due work is listed up to `until + within`. */
  within: number;
  /** Counts per record kind (`api_key`, `secret`, `key`). */
  byKind: Record<RecordKind, KindCounts>;
  /** Rotations in the window, oldest first, at most `limit`. */
  rotated: ReportedRotation[];
  /** Failed attempts in the window, oldest first, at most `limit`. */
  failed: ReportedFailure[];
  /** Work due by `until + within` (as `km.rotator.due`), at most `limit`. */
  due: DueItem[];
  /** True when a list was cut at `limit` (the counts are still complete, except `due` past 1000 records). */
  truncated: boolean;
}

const KINDS: readonly RecordKind[] = ['api_key', 'secret', 'key'];
const DUE_LIMIT = 1000;

const num = (v: JsonValue | undefined): number | null => (typeof v === 'number' ? v : null);
const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);

/** Every event of `type` at or after `since`, page by page. */
async function* eventsOf(km: KeyManager, type: AuditEventType, since: number): AsyncGenerator<AuditEvent> {
  let cursor: string | undefined;
  do {
    const page = await km.audit.list({
      type,
      since,
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield* page.items;
    cursor = page.items.length === 0 ? undefined : page.cursor;
  } while (cursor !== undefined);
}

function counter(): Record<RecordKind, KindCounts> {
  const out = {} as Record<RecordKind, KindCounts>;
  for (const k of KINDS) out[k] = { rotated: 0, failed: 0, due: 0 };
  return out;
}

/** Counts one entry; a kind outside the three (a malformed stored event) is not counted. */
function bump(byKind: Record<RecordKind, KindCounts>, kind: unknown, field: keyof KindCounts): void {
  if (typeof kind === 'string' && Object.hasOwn(byKind, kind)) byKind[kind as RecordKind][field] += 1;
}

/**
 * Builds the rotation report.
 *
 * @example
 * ```ts
 * const r = await rotationReport(km, { since: '7d' });
 * console.log(r.byKind.secret); // { rotated: 3, failed: 1, due: 2 }
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `km`, `options.since`, `options.within` or
 *   `options.limit`; `ERR_STORAGE` or `ERR_CLOSED` from the store.
 */
export async function rotationReport(
  km: KeyManager,
  options: RotationReportOptions = {},
): Promise<RotationReport> {
  if (typeof options !== 'object' || options === null) throw validationError('options', 'must be an object');
  const window = parseDuration(options.since ?? '30d', 'options.since');
  const within = parseDuration(options.within ?? 0, 'options.within');
  const limit = options.limit ?? 1000;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
    throw validationError('options.limit', 'must be an integer from 1 to 10000');
  }
  await km.ready();
  const until = capabilityContext(km).clock.now();
  const since = Math.max(0, until - window);
  const byKind = counter();
  const rotated: ReportedRotation[] = [];
  const failed: ReportedFailure[] = [];
  let truncated = false;

  for await (const e of eventsOf(km, 'key.rotated', since)) {
    bump(byKind, e.kind, 'rotated');
    if (rotated.length >= limit) {
      truncated = true;
      continue;
    }
    const d: JsonObject = e.data ?? {};
    rotated.push({
      at: e.at,
      id: e.keyId ?? '',
      kind: e.kind,
      version: e.version,
      previousVersion: num(d.previousVersion),
      strategy: str(d.strategy),
      manual: d.manual === true,
      actor: e.actor,
    });
  }
  for await (const e of eventsOf(km, 'rotation.failed', since)) {
    bump(byKind, e.kind, 'failed');
    if (failed.length >= limit) {
      truncated = true;
      continue;
    }
    const d: JsonObject = e.data ?? {};
    failed.push({
      at: e.at,
      id: e.keyId ?? '',
      kind: e.kind,
      step: str(d.step),
      code: str(d.code),
      attempt: num(d.attempt),
      nextAttemptAt: num(d.nextAttemptAt),
    });
  }
  const dueAll = await km.rotator.due({ within, limit: DUE_LIMIT });
  for (const item of dueAll) bump(byKind, item.kind, 'due');
  if (dueAll.length >= DUE_LIMIT || dueAll.length > limit) truncated = true;
  return { since, until, within, byKind, rotated, failed, due: dueAll.slice(0, limit), truncated };
}
