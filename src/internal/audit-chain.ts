/**
 * The audit hash chain, shared by the manager (digests, verification) and every adapter (chaining).
 *
 * - `digest = hex(HMAC-SHA256(auditKey, canonicalJson(event without digest)))`, computed by the
 *   manager ({@link createAuditSigner}); `auditKey` is derived from the store pepper
 *   (`deriveStoreSubkey(pepper, AUDIT_DIGEST_LABEL)`), so nobody without the master key can write
 *   a row that verifies. Stores of keywarden 0.1 hold rows with the unkeyed
 *   `hex(SHA-256(canonicalJson(...)))` ({@link auditDigest}) before their keyed marker.
 * - `hash = hex(SHA-256(prevHash + "\n" + seq + "\n" + digest))`, computed by the adapter when it
 *   assigns `seq`; `prevHash` of seq 1 is {@link GENESIS_HASH}. SQL adapters compute the same with
 *   `encode(sha256(convert_to(prev || E'\n' || seq::text || E'\n' || digest, 'UTF8')), 'hex')`.
 * @internal
 * @module
 */

import type { JsonObject } from '../ports/json.js';
import type { AuditEvent, AuditEventInput } from '../ports/storage.js';
import { toHex, utf8Encode } from './bytes.js';
import { canonicalJson, flatText, isJsonScalar as scalar } from './canonical-json.js';
import { cryptoBackend } from './crypto-backend.js';

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
 * The canonical text of an event's content (every field but `digest`, `seq`, `prevHash`, `hash`):
 * `canonicalJson` of the ten fields. Written out field by field in their sorted order (this runs
 * on every audited call); the generic path when a field is absent (canonical JSON leaves it out).
 */
function auditBody(event: Omit<AuditEventInput, 'digest'>): string {
  const { actor, at, context, data, id, keyId, kind, tenantId, type, version } = event;
  if (
    actor !== undefined &&
    at !== undefined &&
    context !== undefined &&
    data !== undefined &&
    id !== undefined &&
    keyId !== undefined &&
    kind !== undefined &&
    tenantId !== undefined &&
    type !== undefined &&
    version !== undefined
  ) {
    // the usual row (scalar fields, flat `context` and `data` with sorted keys): each part's
    // JSON.stringify text is its canonical text, written in sorted order (the text of a frozen
    // `context` or `data` reused from an earlier row is remembered: see flatText)
    if (
      scalar(actor) &&
      scalar(at) &&
      scalar(id) &&
      scalar(keyId) &&
      scalar(kind) &&
      scalar(tenantId) &&
      scalar(type) &&
      scalar(version)
    ) {
      const contextText = flatText(context);
      const dataText = contextText === null ? null : flatText(data);
      if (contextText !== null && dataText !== null) {
        const j = JSON.stringify;
        return `{"actor":${j(actor)},"at":${j(at)},"context":${contextText},"data":${dataText},"id":${j(id)},"keyId":${j(keyId)},"kind":${j(kind)},"tenantId":${j(tenantId)},"type":${j(type)},"version":${j(version)}}`;
      }
    }
    const c = canonicalJson;
    return `{"actor":${c(actor)},"at":${c(at)},"context":${c(context)},"data":${c(data)},"id":${c(id)},"keyId":${c(keyId)},"kind":${c(kind)},"tenantId":${c(tenantId)},"type":${c(type)},"version":${c(version)}}`;
  }
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
  return canonicalJson(body);
}

/**
 * The unkeyed digest of an event's content, `hex(SHA-256(canonical JSON))`: what keywarden 0.1
 * stored, and what adapters and their test fixtures may use as an opaque digest. Anyone can compute
 * it, so the manager writes and verifies keyed digests ({@link createAuditSigner}).
 *
 * @example
 * ```ts
 * declare const at: number;
 * declare const keyId: string | null;
 * const digest = auditDigest({ id, at, type: 'key.created', keyId, kind: 'key', version: 1, tenantId: null, actor: null, context: {}, data: {} });
 * ```
 * @throws TypeError from canonicalJson for a non-JSON field (callers pass JSON).
 */
export function auditDigest(event: Omit<AuditEventInput, 'digest'>): string {
  return cryptoBackend().sha256Hex(auditBody(event));
}

/** Keyed digests of one store (see {@link createAuditSigner}). */
export interface AuditSigner {
  /** `hex(HMAC-SHA256(key, canonical JSON of the event content))`. Throws after `destroy()`. */
  digest(event: Omit<AuditEventInput, 'digest'>): string;
  /** `hex(HMAC-SHA256(key, text))`, for records about the chain (the keyed marker). */
  mac(text: string): string;
  /** Wipes the keyed state. Idempotent. */
  destroy(): void;
}

/**
 * A signer keyed with `key` (32 bytes, e.g. `deriveStoreSubkey(pepper, AUDIT_DIGEST_LABEL)`); the
 * bytes are not kept, only noble's keyed HMAC state, which `destroy()` wipes. The caller zeroes `key`.
 *
 * @example
 * ```ts
 * declare const key: Uint8Array;
 * const signer = createAuditSigner(key);
 * declare const input: AuditEventInput;
 * const digest = signer.digest(input);
 * ```
 * @throws TypeError for an empty key; `digest`/`mac` throw after `destroy()`.
 */
export function createAuditSigner(key: Uint8Array): AuditSigner {
  if (!(key instanceof Uint8Array) || key.length === 0) throw new TypeError('key must be non-empty bytes');
  const keyed = cryptoBackend().keyedSha256(key, () => new TypeError('the audit signer was destroyed'));
  const run = (text: string): string => {
    if (keyed.macText !== undefined) return keyed.macText(text, 'hex');
    const out = keyed.mac(utf8Encode(text));
    const hex = toHex(out);
    out.fill(0);
    return hex;
  };
  return {
    digest: (event) => run(auditBody(event)),
    mac: (text) => run(text),
    destroy() {
      keyed.destroy();
    },
  };
}

/**
 * The chain hash of the event at `seq` with the given digest.
 *
 * @example
 * ```ts
 * declare const event: AuditEvent;
 * const hash = chainHash(GENESIS_HASH, 1, event.digest);
 * ```
 * @throws never
 */
export function chainHash(prevHash: string, seq: number, digest: string): string {
  return cryptoBackend().sha256Hex(`${prevHash}\n${seq}\n${digest}`);
}

/**
 * Chains `events` after `prev` (null: the chain is empty). For JS adapters.
 *
 * @example
 * ```ts
 * declare const inputs: readonly AuditEventInput[];
 * declare const last: AuditEvent | undefined; // the adapter's newest event
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
    // one literal (the fields of AuditEvent, in its order) instead of a spread of the input
    out.push({
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
      seq,
      prevHash,
      hash,
    });
    prevHash = hash;
  }
  return out;
}
