/**
 * Audit checkpoints: `{ seq, hash, at, signature }`, the head of the verified chain signed with a
 * key derived from the pepper (label `keywarden/audit-checkpoint/v1`) over canonical
 * `{ storeId, seq, hash, at }`. Kept outside the store, a checkpoint shows a log cut below it
 * (`truncated`) or rewritten at it (`checkpoint_mismatch`), which the keyed chain alone cannot:
 * removing the last rows leaves a valid, shorter chain.
 * @internal
 * @module
 */
import { KeywardenError } from '../errors.js';
import { constantTimeEqualString } from '../internal/bytes.js';
import { canonicalJson } from '../internal/canonical-json.js';
import type { StorageAdapter } from '../ports/storage.js';
import type { AuditCheckpoint, AuditVerifyResult } from './api-key-types.js';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The text a checkpoint signature covers.
 *
 * @example
 * ```ts
 * declare const hash: string;
 * declare const at: number;
 * state.checkpointTag(checkpointText(storeId, { seq: 12, hash, at }));
 * ```
 * @throws never
 */
export function checkpointText(storeId: string, c: Pick<AuditCheckpoint, 'seq' | 'hash' | 'at'>): string {
  return canonicalJson({
    checkpoint: 'keywarden/audit-checkpoint/v1',
    storeId,
    seq: c.seq,
    hash: c.hash,
    at: c.at,
  });
}

/**
 * A checkpoint given by the caller, checked for shape.
 *
 * @example
 * ```ts
 * declare const text: string;
 * const c = parseCheckpoint(JSON.parse(text));
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `checkpoint`) when it is not one.
 */
export function parseCheckpoint(value: unknown): AuditCheckpoint {
  const c = value as Partial<AuditCheckpoint> | null;
  const ok =
    typeof c === 'object' &&
    c !== null &&
    Number.isSafeInteger(c.seq) &&
    (c.seq as number) >= 0 &&
    typeof c.hash === 'string' &&
    HEX64.test(c.hash) &&
    Number.isSafeInteger(c.at) &&
    typeof c.signature === 'string' &&
    c.signature.length <= 64;
  if (!ok)
    throw new KeywardenError('ERR_VALIDATION', 'checkpoint: not an audit checkpoint', {
      field: 'checkpoint',
    });
  return {
    seq: c.seq as number,
    hash: c.hash as string,
    at: c.at as number,
    signature: c.signature as string,
  };
}

/**
 * Checks `checkpoint`'s signature (ERR_INTEGRITY when it fails), then that the verified chain
 * `chain` still reaches its seq with its hash there.
 *
 * @example
 * ```ts
 * declare const chain: AuditVerifyResult;
 * declare const checkpoint: AuditCheckpoint;
 * declare const expectedSignature: string;
 * const r = await checkAgainstCheckpoint(storage, chain, checkpoint, expectedSignature);
 * ```
 * @throws KeywardenError `ERR_INTEGRITY` (field `checkpoint.signature`), `ERR_STORAGE`.
 */
export async function checkAgainstCheckpoint(
  storage: StorageAdapter,
  chain: AuditVerifyResult,
  checkpoint: AuditCheckpoint,
  expectedSignature: string,
): Promise<AuditVerifyResult> {
  if (!constantTimeEqualString(checkpoint.signature, expectedSignature)) {
    throw new KeywardenError(
      'ERR_INTEGRITY',
      'the audit checkpoint signature does not verify (altered, or from another store)',
      { field: 'checkpoint.signature' },
    );
  }
  if (!chain.ok) return chain;
  if (checkpoint.seq === 0) return chain;
  if (chain.count < checkpoint.seq) {
    return { ok: false, count: chain.count, brokenAt: chain.count + 1, reason: 'truncated' };
  }
  const page = await storage.listAudit({ afterSeq: checkpoint.seq - 1, limit: 1 });
  const row = page.items[0];
  if (!row || row.seq !== checkpoint.seq || !constantTimeEqualString(row.hash, checkpoint.hash)) {
    return { ok: false, count: chain.count, brokenAt: checkpoint.seq, reason: 'checkpoint_mismatch' };
  }
  return chain;
}
