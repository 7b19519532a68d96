/**
 * The keyed audit chain: the marker that says from which `seq` digests are keyed, and the
 * verification of the whole chain. Shared by `km.audit.verify()` and the store context.
 *
 * Digests are `HMAC-SHA256(auditKey, canonical event)`. A store written by keywarden 0.1 holds
 * unkeyed digests; the first keyed `ready()` writes the marker `audit.keyed` in meta:
 * `{ v: 1, fromSeq, prevHash, foreign, mac }`, `mac` keyed with the audit key over the store id and
 * those fields. Rows before `fromSeq` must carry the unkeyed digest of their content (or, when
 * `foreign`, rows written under the key of a store identity replaced by a backup import, are held
 * only by the chain), and the chain must reach `fromSeq` through exactly `prevHash`, so no earlier
 * row can be changed, added or removed. Rows from `fromSeq` on must carry the keyed digest. Without
 * a marker every row must be keyed: deleting or forging the marker makes verification stricter,
 * never weaker.
 * @internal
 * @module
 */
import { type AuditSigner, auditDigest, chainHash, GENESIS_HASH } from '../internal/audit-chain.js';
import { constantTimeEqualString } from '../internal/bytes.js';
import { canonicalJson } from '../internal/canonical-json.js';
import type { AuditEvent, StorageAdapter } from '../ports/storage.js';
import type { AuditBreakReason, AuditVerifyResult } from './api-key-types.js';

/**
 * Meta key of the keyed-chain marker.
 *
 * @example
 * ```ts
 * await storage.getMeta(META_AUDIT_KEYED);
 * ```
 */
export const META_AUDIT_KEYED = 'audit.keyed';

/** Where the keyed part of the chain starts. */
export interface AuditMarker {
  /** First seq whose digest must be keyed. */
  fromSeq: number;
  /** The chain hash of `fromSeq - 1` (GENESIS for 1). */
  prevHash: string;
  /** Rows before `fromSeq` were keyed under a replaced store identity (backup import). */
  foreign: boolean;
}

const HEX64 = /^[0-9a-f]{64}$/;
const PAGE = 1000;

function markerText(storeId: string, m: AuditMarker): string {
  return canonicalJson({
    marker: 'keywarden/audit-keyed/v1',
    storeId,
    fromSeq: m.fromSeq,
    prevHash: m.prevHash,
    foreign: m.foreign,
  });
}

/**
 * The meta value of a marker, authenticated with the audit key.
 *
 * @example
 * ```ts
 * await storage.setMeta(META_AUDIT_KEYED, sealMarker(signer, storeId, { fromSeq: 1, prevHash: GENESIS_HASH, foreign: false }), { expected: null });
 * ```
 * @throws TypeError after the signer was destroyed.
 */
export function sealMarker(signer: AuditSigner, storeId: string, m: AuditMarker): string {
  return JSON.stringify({ v: 1, ...m, mac: signer.mac(markerText(storeId, m)) });
}

/**
 * Reads a marker value; null when it is malformed or its MAC is not this store's.
 *
 * @example
 * ```ts
 * const marker = openMarker(signer, storeId, raw);
 * ```
 * @throws TypeError after the signer was destroyed.
 */
export function openMarker(signer: AuditSigner, storeId: string, raw: string): AuditMarker | null {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (
    o['v'] !== 1 ||
    !Number.isSafeInteger(o['fromSeq']) ||
    (o['fromSeq'] as number) < 1 ||
    typeof o['prevHash'] !== 'string' ||
    !HEX64.test(o['prevHash']) ||
    typeof o['foreign'] !== 'boolean' ||
    typeof o['mac'] !== 'string'
  ) {
    return null;
  }
  const m: AuditMarker = { fromSeq: o['fromSeq'] as number, prevHash: o['prevHash'], foreign: o['foreign'] };
  return constantTimeEqualString(signer.mac(markerText(storeId, m)), o['mac']) ? m : null;
}

/** True when `e` has the shape of a stored audit event (what verification reads). */
function wellFormed(e: unknown): e is AuditEvent {
  if (typeof e !== 'object' || e === null) return false;
  const o = e as Record<string, unknown>;
  return (
    Number.isSafeInteger(o['seq']) &&
    typeof o['id'] === 'string' &&
    typeof o['at'] === 'number' &&
    typeof o['type'] === 'string' &&
    typeof o['digest'] === 'string' &&
    typeof o['prevHash'] === 'string' &&
    typeof o['hash'] === 'string' &&
    (o['keyId'] === null || typeof o['keyId'] === 'string') &&
    (o['tenantId'] === null || typeof o['tenantId'] === 'string') &&
    (o['actor'] === null || typeof o['actor'] === 'string') &&
    (o['kind'] === null || typeof o['kind'] === 'string') &&
    (o['version'] === null || typeof o['version'] === 'number') &&
    typeof o['context'] === 'object' &&
    o['context'] !== null &&
    typeof o['data'] === 'object' &&
    o['data'] !== null
  );
}

function digestOk(expected: () => string, actual: string): boolean {
  try {
    return constantTimeEqualString(expected(), actual);
  } catch {
    return false;
  }
}

/**
 * True when `e` carries the keyed digest of its content.
 *
 * @example
 * ```ts
 * declare const event: AuditEvent;
 * const keyed = isKeyed(signer, event);
 * ```
 * @throws TypeError after the signer was destroyed.
 */
export function isKeyed(signer: AuditSigner, e: unknown): boolean {
  return wellFormed(e) && digestOk(() => signer.digest(e), e.digest);
}

/**
 * Reads the whole chain page by page and checks it: seq continuity, links, digests (keyed from the
 * marker's `fromSeq`, or from 1 without a marker), chain hashes, and that the chain reaches the
 * marker through its pinned hash. Returns the first break.
 *
 * @example
 * ```ts
 * const r = await verifyAuditChain(storage, signer, storeId);
 * ```
 * @throws KeywardenError from the storage (`ERR_STORAGE`).
 */
export async function verifyAuditChain(
  storage: StorageAdapter,
  signer: AuditSigner,
  storeId: string,
): Promise<AuditVerifyResult> {
  const raw = await storage.getMeta(META_AUDIT_KEYED);
  const marker = raw === null ? null : openMarker(signer, storeId, raw);
  if (raw !== null && marker === null) return { ok: false, count: 0, brokenAt: 1, reason: 'digest_mismatch' };
  const fromSeq = marker?.fromSeq ?? 1;
  let count = 0;
  let prevHash = GENESIS_HASH;
  let cursor: string | undefined;
  const fail = (brokenAt: number, reason: AuditBreakReason): AuditVerifyResult => ({
    ok: false,
    count,
    brokenAt,
    reason,
  });
  do {
    const page = await storage.listAudit(cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor });
    for (const event of page.items as unknown[]) {
      const expected = count + 1;
      if (!wellFormed(event)) {
        const seq = (event as { seq?: unknown } | null)?.seq;
        return fail(Number.isSafeInteger(seq) ? (seq as number) : expected, 'malformed_event');
      }
      if (event.seq !== expected) return fail(expected, 'seq_gap');
      if (!constantTimeEqualString(event.prevHash, prevHash)) return fail(event.seq, 'prev_hash_mismatch');
      if (marker !== null && event.seq === fromSeq && !constantTimeEqualString(prevHash, marker.prevHash)) {
        return fail(event.seq, 'prev_hash_mismatch');
      }
      let ok: boolean;
      if (event.seq >= fromSeq) ok = digestOk(() => signer.digest(event), event.digest);
      else if (marker?.foreign === true) ok = HEX64.test(event.digest);
      else ok = digestOk(() => auditDigest(event), event.digest);
      if (!ok) return fail(event.seq, 'digest_mismatch');
      if (!constantTimeEqualString(chainHash(prevHash, event.seq, event.digest), event.hash)) {
        return fail(event.seq, 'hash_mismatch');
      }
      prevHash = event.hash;
      count += 1;
    }
    cursor = page.items.length === 0 ? undefined : page.cursor;
  } while (cursor !== undefined);
  if (marker !== null) {
    // rows before the marker were removed (or the pinned hash does not match the last of them)
    if (count < fromSeq - 1) return fail(count + 1, 'seq_gap');
    if (count === fromSeq - 1 && !constantTimeEqualString(prevHash, marker.prevHash)) {
      return fail(count, 'prev_hash_mismatch');
    }
  }
  return { ok: true, count, headHash: prevHash };
}

/**
 * The last seq and hash of the chain, and whether any row carries a keyed digest (a store that was
 * keyed already). Used before writing a marker.
 *
 * @example
 * ```ts
 * const { last, keyedSeen } = await scanChain(storage, signer);
 * ```
 * @throws KeywardenError from the storage.
 */
export async function scanChain(
  storage: StorageAdapter,
  signer: AuditSigner,
): Promise<{ last: { seq: number; hash: string }; keyedSeen: boolean }> {
  let last = { seq: 0, hash: GENESIS_HASH };
  let keyedSeen = false;
  let cursor: string | undefined;
  do {
    const page = await storage.listAudit(cursor === undefined ? { limit: PAGE } : { limit: PAGE, cursor });
    for (const event of page.items as unknown[]) {
      if (isKeyed(signer, event)) keyedSeen = true;
      const e = event as { seq?: unknown; hash?: unknown } | null;
      if (e && Number.isSafeInteger(e.seq) && typeof e.hash === 'string') {
        last = { seq: e.seq as number, hash: e.hash };
      }
    }
    cursor = page.items.length === 0 ? undefined : page.cursor;
  } while (cursor !== undefined);
  return { last, keyedSeen };
}
