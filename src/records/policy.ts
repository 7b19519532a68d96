/**
 * Rotation policies: the normalized form stored in `record.rotation` (plain
 * JSON, durations in ms) with its bookkeeping, and reading it back defensively.
 * @module
 */
import { type Duration, parseDuration } from '../duration.js';
import type { JsonObject, JsonValue } from '../ports/json.js';
import type { StoredRecord } from '../ports/storage.js';
import type { AuditDraft } from './context.js';
import { computeDueAt, noticeTarget } from './due.js';
import { type ParsedPolicy, parsePolicyInput } from './policy-schema.js';
import type { NamedSchedule, RotationPolicyInfo, RotationStrategy } from './rotation-types.js';
import { NAMED_SCHEDULES, nextOccurrence } from './schedule.js';

export { MIN_EVERY_MS, type ParsedPolicy, parsePolicyInput, rotationPolicySchema } from './policy-schema.js';

/** The strategies. */
export const STRATEGIES: readonly RotationStrategy[] = ['immediate', 'overlap', 'gradual', 'blue-green'];
/** Default overlap: 24 hours. */
export const DEFAULT_OVERLAP_MS = 86_400_000;
/** Default gradual promotion delay: 1 hour. */
export const DEFAULT_PROMOTE_AFTER_MS = 3_600_000;

/** An in-flight provider rotation (a lease so a crashed run is resumed by another). */
export interface ProviderRun {
  /** Random id of the runner holding the lease. */
  owner: string;
  /** The version being made. */
  version: number;
  /** The lease ends here; after it any runner may resume. */
  leaseUntil: number;
  strategy: RotationStrategy;
  overlap: number;
}

/** The normalized policy and its bookkeeping, as stored in `record.rotation`. */
export interface StoredPolicy {
  every: number | null;
  schedule: NamedSchedule | null;
  cron: string | null;
  anchorAt: number;
  strategy: RotationStrategy;
  overlap: number;
  promoteAfter: number;
  notifyBefore: number | null;
  idleRetireAfter: number | null;
  nextRotationAt: number | null;
  nextNoticeAt: number | null;
  noticeSentForVersion: number | null;
  lastRotatedAt: number | null;
  retryAt: number | null;
  attempts: number;
  lastError: { code: string; message: string } | null;
  run: ProviderRun | null;
}

/**
 * Builds the stored policy from a validated input at `now`, keeping the bookkeeping of `previous`
 * that must survive a policy change (notice sent, last rotation, failures).
 *
 * @example
 * ```ts
 * const stored = normalizePolicy(parsePolicyInput({ every: 'monthly' }, 'policy'), now, null);
 * ```
 * @throws never
 */
export function normalizePolicy(p: ParsedPolicy, now: number, previous: StoredPolicy | null): StoredPolicy {
  const named =
    typeof p.every === 'string' && (NAMED_SCHEDULES as readonly string[]).includes(p.every)
      ? (p.every as NamedSchedule)
      : null;
  const every = p.every !== undefined && named === null ? parseDuration(p.every as Duration) : null;
  const stored: StoredPolicy = {
    every,
    schedule: named,
    cron: p.cron ?? null,
    anchorAt: now,
    strategy: p.strategy ?? 'overlap',
    overlap: p.overlap ?? DEFAULT_OVERLAP_MS,
    promoteAfter: p.promoteAfter ?? DEFAULT_PROMOTE_AFTER_MS,
    notifyBefore: p.notifyBefore ?? null,
    idleRetireAfter: p.idleRetireAfter ?? null,
    nextRotationAt: null,
    nextNoticeAt: null,
    noticeSentForVersion: previous?.noticeSentForVersion ?? null,
    lastRotatedAt: previous?.lastRotatedAt ?? null,
    retryAt: previous?.run ? previous.retryAt : null,
    attempts: previous?.run ? previous.attempts : 0,
    lastError: previous?.lastError ?? null,
    run: previous?.run ?? null,
  };
  stored.nextRotationAt = nextOccurrence(stored, now);
  return stored;
}

const num = (v: JsonValue | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;

/**
 * Reads `record.rotation` back; null when absent. Malformed stored values fail closed
 * (unknown strategy → `overlap`, unknown schedule → manual only).
 *
 * @example
 * ```ts
 * const policy = readPolicy(record);
 * ```
 * @throws never
 */
export function readPolicy(record: Pick<StoredRecord, 'rotation'>): StoredPolicy | null {
  const r = record.rotation;
  if (!r) return null;
  const strategy = (STRATEGIES as readonly string[]).includes(r['strategy'] as string)
    ? (r['strategy'] as RotationStrategy)
    : 'overlap';
  const schedule = (NAMED_SCHEDULES as readonly string[]).includes(r['schedule'] as string)
    ? (r['schedule'] as NamedSchedule)
    : null;
  const le = r['lastError'];
  const lastError =
    le && typeof le === 'object' && !Array.isArray(le)
      ? { code: String((le as JsonObject)['code']), message: String((le as JsonObject)['message']) }
      : null;
  const run = r['run'];
  let providerRun: ProviderRun | null = null;
  if (run && typeof run === 'object' && !Array.isArray(run)) {
    const o = run as JsonObject;
    const version = num(o['version']);
    const leaseUntil = num(o['leaseUntil']);
    if (typeof o['owner'] === 'string' && version !== null && leaseUntil !== null) {
      providerRun = {
        owner: o['owner'],
        version,
        leaseUntil,
        strategy: (STRATEGIES as readonly string[]).includes(o['strategy'] as string)
          ? (o['strategy'] as RotationStrategy)
          : strategy,
        overlap: num(o['overlap']) ?? DEFAULT_OVERLAP_MS,
      };
    }
  }
  return {
    every: num(r['every']),
    schedule,
    cron: typeof r['cron'] === 'string' ? r['cron'] : null,
    anchorAt: num(r['anchorAt']) ?? 0,
    strategy,
    overlap: num(r['overlap']) ?? DEFAULT_OVERLAP_MS,
    promoteAfter: num(r['promoteAfter']) ?? DEFAULT_PROMOTE_AFTER_MS,
    notifyBefore: num(r['notifyBefore']),
    idleRetireAfter: num(r['idleRetireAfter']),
    nextRotationAt: num(r['nextRotationAt']),
    nextNoticeAt: num(r['nextNoticeAt']),
    noticeSentForVersion: num(r['noticeSentForVersion']),
    lastRotatedAt: num(r['lastRotatedAt']),
    retryAt: num(r['retryAt']),
    attempts: num(r['attempts']) ?? 0,
    lastError,
    run: providerRun,
  };
}

/**
 * Serializes a stored policy to plain JSON.
 * @example
 * ```ts
 * declare const policy: StoredPolicy;
 * const rotation = writePolicy(policy);
 * ```
 * @throws never
 */
export function writePolicy(p: StoredPolicy): JsonObject {
  return {
    ...p,
    lastError: p.lastError ? { ...p.lastError } : null,
    run: p.run ? { ...p.run } : null,
  } as unknown as JsonObject;
}

/**
 * Returns `record` with `rotation` set to `policy` and `nextNoticeAt`, `dueAt` recomputed.
 * @example
 * ```ts
 * declare const policy: StoredPolicy | null;
 * const next = withPolicy(record, policy);
 * ```
 * @throws never
 */
export function withPolicy(record: StoredRecord, policy: StoredPolicy | null): StoredRecord {
  if (policy === null) {
    const out: StoredRecord = { ...record, rotation: null };
    out.dueAt = computeDueAt(out);
    return out;
  }
  const out: StoredRecord = { ...record, rotation: writePolicy(policy) };
  const notice = noticeTarget(out);
  policy.nextNoticeAt = notice ? notice.noticeAt : null;
  out.rotation = writePolicy(policy);
  out.dueAt = computeDueAt(out);
  return out;
}

/**
 * For the views' create paths: validates `policyInput` (field `rotation.*`) and returns the record
 * with the normalized policy stored and `dueAt` set. `undefined`/`null` leave the record as is.
 *
 * @example
 * ```ts
 * const withPolicy = applyInitialPolicy(record, { every: '30d' }, now); // before storage.create(record)
 * ```
 * @throws KeywardenError `ERR_VALIDATION` naming `rotation.<field>`.
 */
export function applyInitialPolicy(record: StoredRecord, policyInput: unknown, now: number): StoredRecord {
  if (policyInput === undefined || policyInput === null) return record;
  const parsed = parsePolicyInput(policyInput, 'rotation');
  return withPolicy(record, normalizePolicy(parsed, now, readPolicy(record)));
}

/**
 * The `rotation.policy_set` audit event of a record whose policy was set (or, with `cleared`,
 * removed) outside `setPolicy`: by `rotation` at create time, or on `secrets.set`. Null when the
 * record has no policy and nothing was cleared.
 *
 * @example
 * ```ts
 * declare const actor: string | null | undefined;
 * declare const createdDraft: AuditDraft;
 * const drafts = [createdDraft, policySetDraft(record, actor)].filter((d) => d !== null);
 * ```
 * @throws never
 */
export function policySetDraft(
  record: StoredRecord,
  actor: string | null = null,
  cleared = false,
): AuditDraft | null {
  const stored = readPolicy(record);
  if (stored === null && !cleared) return null;
  return {
    type: 'rotation.policy_set',
    recordId: record.id,
    kind: record.kind,
    tenantId: record.tenantId,
    actor,
    data: stored
      ? {
          strategy: stored.strategy,
          every: stored.every,
          schedule: stored.schedule,
          cron: stored.cron,
          overlap: stored.overlap,
          promoteAfter: stored.promoteAfter,
          notifyBefore: stored.notifyBefore,
          nextRotationAt: stored.nextRotationAt,
        }
      : { cleared: true },
  };
}

/**
 * The public view of a stored policy.
 * @example
 * ```ts
 * const info = policyInfo(readPolicy(record)!);
 * ```
 * @throws never
 */
export function policyInfo(p: StoredPolicy): RotationPolicyInfo {
  return {
    every: p.every,
    schedule: p.schedule,
    cron: p.cron,
    strategy: p.strategy,
    overlap: p.overlap,
    promoteAfter: p.promoteAfter,
    notifyBefore: p.notifyBefore,
    idleRetireAfter: p.idleRetireAfter,
    nextRotationAt: p.nextRotationAt,
    nextNoticeAt: p.nextNoticeAt,
    lastRotatedAt: p.lastRotatedAt,
    retryAt: p.retryAt,
    attempts: p.attempts,
  };
}
