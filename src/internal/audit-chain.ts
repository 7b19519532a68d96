/**
 * The audit hash chain, shared by the manager (digests, verification) and every adapter (chaining).
 *
 * - `digest = hex(SHA-256(canonicalJson(event without digest)))`, computed by the manager.
 * - `hash = hex(SHA-256(prevHash + "\n" + seq + "\n" + digest))`, computed by the adapter when it
 *   assigns `seq`; `prevHash` of seq 1 is {@link GENESIS_HASH}. SQL adapters compute the same with
 *   `encode(sha256(convert_to(prev || E'\n' || seq::text || E'\n' || digest, 'UTF8')), 'hex')`.
 * @internal
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { JsonObject } from '../ports/json.js';
import type { AuditEvent, AuditEventInput } from '../ports/storage.js';
import { toHex, utf8Encode } from './bytes.js';
import { canonicalJson } from './canonical-json.js';

/**
 * prevHash of the first event.
 *
 * @example
 * ```ts
 * GENESIS_HASH; // '0'.repeat(64)
 * ```
 */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The digest of an event's content (every field but `digest`, `seq`, `prevHash`, `hash`).
 *
 * @example
 * ```ts
 * const digest = auditDigest({ id, at, type: 'key.created', keyId, kind: 'key', version: 1, tenantId: null, actor: null, context: {}, data: {} });
 * ```
 * @throws TypeError from canonicalJson for a non-JSON field (callers pass JSON).
 */
export function auditDigest(event: Omit<AuditEventInput, 'digest'>): string {
  const body: JsonObject = {
    id: event.id,
    at: event.at,
    type: event.type,
    keyId: event.keyId,
    kind: event.kind,
    version: event.version,
    tenantId: event.tenantId,
    actor: event.actor,
    context: event.context,
    data: event.data,
  };
  return toHex(sha256(utf8Encode(canonicalJson(body))));
}

/**
 * The chain hash of the event at `seq` with the given digest.
 *
 * @example
 * ```ts
 * const hash = chainHash(GENESIS_HASH, 1, event.digest);
 * ```
 * @throws never
 */
export function chainHash(prevHash: string, seq: number, digest: string): string {
  return toHex(sha256(utf8Encode(`${prevHash}\n${seq}\n${digest}`)));
}

/**
 * Chains `events` after `prev` (null: the chain is empty). For JS adapters.
 *
 * @example
 * ```ts
 * const chained = chainEvents(last ? { seq: last.seq, hash: last.hash } : null, inputs);
 * ```
 * @throws never
 */
export function chainEvents(
  prev: { seq: number; hash: string } | null,
  events: readonly AuditEventInput[],
): AuditEvent[] {
  let seq = prev ? prev.seq : 0;
  let prevHash = prev ? prev.hash : GENESIS_HASH;
  const out: AuditEvent[] = [];
  for (const e of events) {
    seq += 1;
    const hash = chainHash(prevHash, seq, e.digest);
    out.push({ ...e, seq, prevHash, hash });
    prevHash = hash;
  }
  return out;
}
