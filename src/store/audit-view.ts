/**
 * `km.audit`: list the hash-chained audit log and verify it end to end.
 * @module
 */
import * as z from 'zod/mini';
import { KeywardenError } from '../errors.js';
import { iteratePages } from '../internal/iterate.js';
import { lazy } from '../internal/lazy.js';
import { parseObject } from '../internal/parse-object.js';
import type { AuditEvent, AuditEventType, Page } from '../ports/storage.js';
import type { StoreContext } from '../records/context.js';
import { idLikeSchema, timestampSchema } from '../records/schemas.js';
import type { AuditCheckpoint, AuditListQuery, AuditVerifyResult, AuditView } from './api-key-types.js';
import { checkAgainstCheckpoint, checkpointText, parseCheckpoint } from './audit-checkpoint.js';
import { type AuditExportOptions, exportAudit } from './audit-export.js';
import { verifyAuditChain } from './audit-verify.js';

const listSchema = lazy(() =>
  z.strictObject({
    recordId: z.optional(idLikeSchema),
    keyId: z.optional(idLikeSchema),
    type: z.optional(z.string().check(z.regex(/^[a-z_]+\.[a-z_]+$/))),
    since: z.optional(timestampSchema),
    until: z.optional(timestampSchema),
    limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
    cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
  }),
);
const LIST_KEYS: () => ReadonlySet<string> = lazy(() => new Set(Object.keys(listSchema().shape)));

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
 * - `verify()`: reads the whole chain, page by page, recomputing every keyed digest (HMAC under a
 *   key derived from the store pepper) and chain hash from the genesis hash; returns
 *   `{ ok: true, count, headHash }` or the first break `{ ok: false, count, brokenAt, reason }`
 *   (`count` = events that checked out before it; a malformed row is `malformed_event` at its seq).
 *   Keep `headHash` somewhere else to detect a truncated tail later (see docs/threat-model.md).
 * - `export({ format: 'csv' | 'jsonl', from?, to?, keyId?, type? })`: the log as streamed text
 *   chunks (`src/store/audit-export.ts`).
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
  const view: AuditView = Object.freeze({
    async list(query: AuditListQuery = {}): Promise<Page<AuditEvent & { readonly recordId: string | null }>> {
      await ctx.ready();
      const q = parseObject(listSchema(), LIST_KEYS(), query, 'query');
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

    iterate: (query) => iteratePages((q) => view.list(q), query),

    export: (options: AuditExportOptions): AsyncIterable<string> => exportAudit(ctx, options),

    async verify(options?: { checkpoint?: AuditCheckpoint }): Promise<AuditVerifyResult> {
      const state = await ctx.ready();
      const given = options?.checkpoint === undefined ? null : parseCheckpoint(options.checkpoint);
      const chain = await verifyAuditChain(ctx.storage, state.auditSigner, state.storeId);
      if (given === null) return chain;
      const expected = state.checkpointTag(checkpointText(state.storeId, given));
      return checkAgainstCheckpoint(ctx.storage, chain, given, expected);
    },

    async checkpoint(): Promise<AuditCheckpoint> {
      const state = await ctx.ready();
      const chain = await verifyAuditChain(ctx.storage, state.auditSigner, state.storeId);
      if (!chain.ok) {
        throw new KeywardenError(
          'ERR_AUDIT_CHAIN',
          `the audit chain is broken at seq ${chain.brokenAt} (${chain.reason}): no checkpoint taken`,
        );
      }
      const body = { seq: chain.count, hash: chain.headHash, at: ctx.clock.now() };
      return { ...body, signature: state.checkpointTag(checkpointText(state.storeId, body)) };
    },
  } satisfies AuditView);
  return view;
}
