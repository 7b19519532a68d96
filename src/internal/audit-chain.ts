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
import { canonicalJson, flatAndSorted, flatText, isJsonScalar as scalar } from './canonical-json.js';
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

/** A plain object whose `JSON.stringify` text is its canonical text (see {@link flatAndSorted}). */
const flatObject = (v: unknown): boolean => typeof v === 'object' && v !== null && flatAndSorted(v);

/** The (remembered) canonical text of a frozen flat object, null for anything else (see flatText). */
const frozenText = (v: unknown): string | null =>
  typeof v === 'object' && v !== null && Object.isFrozen(v) ? flatText(v) : null;

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
    // the usual row (scalar fields, flat `context` and `data` with sorted keys): JSON.stringify of
    // the fields in sorted order is already the canonical text, in one step
    if (
      scalar(actor) &&
      scalar(at) &&
      scalar(id) &&
      scalar(keyId) &&
      scalar(kind) &&
      scalar(tenantId) &&
      scalar(type) &&
      scalar(version) &&
      flatObject(context) &&
      flatObject(data)
    ) {
      return JSON.stringify({ actor, at, context, data, id, keyId, kind, tenantId, type, version });
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
  const macHex = keyed.macHex?.bind(keyed);
  const templates = new WeakMap<object, RowTemplate>();
  const scratch = new Uint8Array(TEMPLATE_SCRATCH_BYTES);
  return {
    digest: (event) => {
      // only a frozen `data` can have a template (a fresh one, most rows, goes straight to the text)
      if (macHex !== undefined && Object.isFrozen(event.data)) {
        const n = fromTemplate(templates, event, scratch);
        if (n > 0) return macHex(scratch.subarray(0, n));
      }
      return run(auditBody(event));
    },
    mac: (text) => run(text),
    destroy() {
      keyed.destroy();
    },
  };
}

/**
 * The canonical text of rows that repeat (the calls of one agent session: same actor, record,
 * kind, tenant, type, version, frozen `context` and frozen `data`) as bytes with two holes: the
 * text before `at`'s digits, between them and the id's characters, and after the id. Kept per
 * frozen `data` object (which can never change; see `flatText`).
 */
interface RowTemplate {
  readonly context: object;
  readonly actor: unknown;
  readonly keyId: unknown;
  readonly kind: unknown;
  readonly tenantId: unknown;
  readonly type: unknown;
  readonly version: unknown;
  /** `{"actor":…,"at":` */
  readonly head: Uint8Array;
  /** `,"context":…,"data":…,"id":"` */
  readonly mid: Uint8Array;
  /** `","keyId":…,"kind":…,"tenantId":…,"type":…,"version":…}` */
  readonly tail: Uint8Array;
}

/** Bytes of a row written from a template; a longer row takes the text path. */
const TEMPLATE_SCRATCH_BYTES = 2048;

/**
 * Writes the canonical text of `event` into `out` from its template (made on the first row of a
 * frozen `data` object with a frozen `context`) and answers its length, or 0 when the
 * row has no template or does not fit one: then the digest takes the text path. Same bytes as
 * `auditBody` (whose fast path gives the same text for the same parts: test/internal/audit-body.test.ts).
 */
function fromTemplate(
  templates: WeakMap<object, RowTemplate>,
  event: Omit<AuditEventInput, 'digest'>,
  out: Uint8Array,
): number {
  const { actor, at, context, data, id, keyId, kind, tenantId, type, version } = event;
  if (typeof data !== 'object' || data === null || typeof id !== 'string') return 0;
  if (!Number.isSafeInteger(at) || at < 0) return 0;
  let t = templates.get(data);
  if (
    t === undefined ||
    t.context !== context ||
    t.actor !== actor ||
    t.keyId !== keyId ||
    t.kind !== kind ||
    t.tenantId !== tenantId ||
    t.type !== type ||
    t.version !== version
  ) {
    const dataText = frozenText(data);
    const contextText = frozenText(context);
    if (dataText === null || contextText === null || typeof context !== 'object' || context === null)
      return 0;
    if (
      !(scalar(actor) && scalar(keyId) && scalar(kind) && scalar(tenantId) && scalar(type) && scalar(version))
    )
      return 0;
    const j = JSON.stringify;
    t = {
      context,
      actor,
      keyId,
      kind,
      tenantId,
      type,
      version,
      head: utf8Encode(`{"actor":${j(actor)},"at":`),
      mid: utf8Encode(`,"context":${contextText},"data":${dataText},"id":"`),
      tail: utf8Encode(
        `","keyId":${j(keyId)},"kind":${j(kind)},"tenantId":${j(tenantId)},"type":${j(type)},"version":${j(version)}}`,
      ),
    };
    templates.set(data, t);
  }
  const digits = String(at);
  const n = t.head.length + digits.length + t.mid.length + id.length + t.tail.length;
  if (n > out.length) return 0;
  let o = 0;
  out.set(t.head, o);
  o += t.head.length;
  for (let i = 0; i < digits.length; i++) out[o++] = digits.charCodeAt(i);
  out.set(t.mid, o);
  o += t.mid.length;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    // an id whose JSON text is not `"` + itself + `"` (base62 ids always are): the text path
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a))) return 0;
    out[o++] = c;
  }
  out.set(t.tail, o);
  return n;
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
