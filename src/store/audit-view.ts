/**
 * `km.audit`: list the hash-chained audit log and verify it end to end.
 * @module
 */
import { z } from 'zod';
import { KeywardenError } from '../errors.js';
import { auditDigest, chainHash, GENESIS_HASH } from '../internal/audit-chain.js';
import { constantTimeEqualString } from '../internal/bytes.js';
import { parseObject } from '../internal/parse-object.js';
import type { AuditEvent, AuditEventType, Page } from '../ports/storage.js';
import type { StoreContext } from '../records/context.js';
import { idLikeSchema, timestampSchema } from '../records/schemas.js';
import type { AuditBreakReason, AuditListQuery, AuditVerifyResult, AuditView } from './api-key-types.js';

const listSchema = z.strictObject({
  recordId: idLikeSchema.optional(),
  keyId: idLikeSchema.optional(),
  type: z
    .string()
    .regex(/^[a-z_]+\.[a-z_]+$/)
    .optional(),
  since: timestampSchema.optional(),
  until: timestampSchema.optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).max(2048).optional(),
});
const LIST_KEYS: ReadonlySet<string> = new Set(Object.keys(listSchema.shape));

/** Page size `verify` reads with. */
const VERIFY_PAGE = 1000;

/**
 * Checks one event against its predecessor: `seq` continuity, `prevHash` link, the digest of its
 * content, and its chain hash. Returns the reason of the first failed check, or null.
 */
function checkEvent(event: AuditEvent, expectedSeq: number, prevHash: string): AuditBreakReason | null {
  if (event.seq !== expectedSeq) return 'seq_gap';
  if (!constantTimeEqualString(event.prevHash, prevHash)) return 'prev_hash_mismatch';
  let digest: string;
  try {
    digest = auditDigest(event);
  } catch {
    return 'digest_mismatch';
  }
  if (!constantTimeEqualString(digest, event.digest)) return 'digest_mismatch';
  if (!constantTimeEqualString(chainHash(prevHash, event.seq, digest), event.hash)) return 'hash_mismatch';
  return null;
}

/**
 * Adds `recordId` to a stored event as a read-only alias of its `keyId` field. Not enumerable: the
 * event's JSON, its digest input and equality stay those of the stored event.
 */
function withRecordId(event: AuditEvent): AuditEvent & { readonly recordId: string | null } {
  return Object.defineProperty({ ...event }, 'recordId', {
    get: () => event.keyId,
    enumerable: false,
  }) as AuditEvent & { readonly recordId: string | null };
}

/**
 * Builds the audit view.
 *
 * - `list({ recordId?, type?, since?, until?, limit? (1–1000, default 100), cursor? })`: events in
 *   ascending `seq` (`keyId` is the former name of `recordId`, in the query and on each event).
 * - `verify()`: reads the whole chain, page by page, recomputing every digest and chain hash from
 *   {@link GENESIS_HASH}; returns `{ ok: true, count, headHash }` or the first break
 *   `{ ok: false, count, brokenAt, reason }` (`count` = events that checked out before it).
 *   Keep `headHash` somewhere else to detect a truncated tail later.
 *
 * @example
 * ```ts
 * const audit = createAuditView(ctx);
 * const r = await audit.verify();
 * if (!r.ok) alert(`audit log broken at #${r.brokenAt}: ${r.reason}`);
 * ```
 * @throws never itself; `list` rejects with `ERR_VALIDATION` naming the query field, both with
 *   `ERR_STORAGE` or `ERR_CLOSED`.
 */
export function createAuditView(ctx: StoreContext): AuditView {
  return Object.freeze({
    async list(query: AuditListQuery = {}): Promise<Page<AuditEvent & { readonly recordId: string | null }>> {
      await ctx.ready();
      const q = parseObject(listSchema, LIST_KEYS, query, 'query');
      if (q.recordId !== undefined && q.keyId !== undefined && q.recordId !== q.keyId) {
        throw new KeywardenError('ERR_VALIDATION', 'query.recordId and query.keyId (its old name) disagree', {
          field: 'query.recordId',
        });
      }
      const recordId = q.recordId ?? q.keyId;
      const page = await ctx.storage.listAudit({
        limit: q.limit ?? 100,
        ...(recordId !== undefined && { keyId: recordId }),
        ...(q.type !== undefined && { type: q.type as AuditEventType }),
        ...(q.since !== undefined && { since: q.since }),
        ...(q.until !== undefined && { until: q.until }),
        ...(q.cursor !== undefined && { cursor: q.cursor }),
      });
      return { ...page, items: page.items.map(withRecordId) };
    },

    async verify(): Promise<AuditVerifyResult> {
      await ctx.ready();
      let count = 0;
      let prevHash = GENESIS_HASH;
      let cursor: string | undefined;
      do {
        const page = await ctx.storage.listAudit(
          cursor === undefined ? { limit: VERIFY_PAGE } : { limit: VERIFY_PAGE, cursor },
        );
        for (const event of page.items) {
          const reason = checkEvent(event, count + 1, prevHash);
          if (reason !== null) {
            return { ok: false, count, brokenAt: reason === 'seq_gap' ? count + 1 : event.seq, reason };
          }
          prevHash = event.hash;
          count += 1;
        }
        cursor = page.items.length === 0 ? undefined : page.cursor;
      } while (cursor !== undefined);
      return { ok: true, count, headHash: prevHash };
    },
  } satisfies AuditView);
}
