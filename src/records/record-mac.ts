/**
 * The record MAC: every stored record carries `mac`, an HMAC-SHA256 under a key derived from the
 * store pepper (label `keywarden/record-mac/v1`) over the canonical JSON of the whole record
 * except `mac` itself. A store writer without the master key cannot recompute it, so a record
 * whose name, tenant, environment, status, expiry, scopes, credits, versions (states, hashes,
 * sealed values) or any other field was changed is refused with `ERR_INTEGRITY`.
 *
 * Left out, and only these ({@link MAC_EXCLUDED_FIELDS}): `revision` (the compare-and-swap counter:
 * changing it only makes writes conflict), `dueAt` (an index hint for the rotator, recomputed from
 * the authenticated fields on every write; verification checks `expiresAt` and each version's
 * `retireAt` itself), and the usage bookkeeping the usage tracker writes in batches, possibly
 * through a plain adapter (`keywarden/usage`): `data.lastUsedAt`, `versions[].data.uses` and
 * `versions[].data.lastUsedAt`. A store writer who edits those can make `lastUsedAt` and use counts
 * wrong, and move an `idleRetireAfter` retirement earlier (a denial, like deleting the record) or
 * back to the version's `retireAt`; never accept a token, a value or a key that is not accepted
 * without the edit.
 *
 * The keyed HMAC state is computed once; each MAC is one clone, one update, one digest.
 * The format marker (meta `store.format`) says whether records without a MAC are still accepted
 * (a store of keywarden 0.1, until `km.upgrade()`); it is authenticated with the same key.
 * @internal
 * @module
 */
import { KeywardenError } from '../errors.js';
import { constantTimeEqualString, toBase64Url, utf8Encode } from '../internal/bytes.js';
import { canonicalJson } from '../internal/canonical-json.js';
import { cryptoBackend } from '../internal/crypto-backend.js';
import type { JsonValue } from '../ports/json.js';
import type { StoredRecord } from '../ports/storage.js';

/**
 * HKDF label of the record MAC key.
 *
 * @example
 * ```ts
 * const key = deriveStoreSubkey(pepper, RECORD_MAC_LABEL);
 * ```
 */
export const RECORD_MAC_LABEL = 'keywarden/record-mac/v1';

/**
 * HKDF label of the audit checkpoint key.
 *
 * @example
 * ```ts
 * const key = deriveStoreSubkey(pepper, AUDIT_CHECKPOINT_LABEL);
 * ```
 */
export const AUDIT_CHECKPOINT_LABEL = 'keywarden/audit-checkpoint/v1';

/**
 * Meta key of the store format marker.
 *
 * @example
 * ```ts
 * await storage.getMeta(META_STORE_FORMAT);
 * ```
 */
export const META_STORE_FORMAT = 'store.format';

/**
 * The store formats: `0.1-pending` (a store of keywarden 0.1: records without a MAC are still
 * accepted and get one on their next write), `0.2` (every record must carry a valid MAC).
 */
export type StoreFormat = '0.1-pending' | '0.2';

/** Computes and checks record MACs under one store's key. */
export interface RecordMac {
  /** The MAC (base64url) of any text under this key. */
  tag(text: string): string;
  /** The MAC of `record` (its `mac` field is ignored). Throws `ERR_INTEGRITY` for a non-JSON record. */
  compute(record: StoredRecord): string;
  /** `record` with a fresh `mac`. */
  seal(record: StoredRecord): StoredRecord;
  /** Whether `record.mac` is the MAC of the record (constant-time). False when absent. */
  valid(record: StoredRecord): boolean;
  /** The authenticated meta value of a format marker. */
  sealFormat(storeId: string, format: StoreFormat): string;
  /** The format a marker value says, or null when it is not one authenticated for `storeId`. */
  openFormat(storeId: string, raw: string): StoreFormat | null;
  /** Wipes the keyed state; later calls throw. Idempotent. */
  destroy(): void;
}

/**
 * The fields the record MAC leaves out (see the module comment), as paths.
 *
 * @example
 * ```ts
 * MAC_EXCLUDED_FIELDS.includes('revision'); // true
 * ```
 */
export const MAC_EXCLUDED_FIELDS = Object.freeze([
  'mac',
  'revision',
  'dueAt',
  'data.lastUsedAt',
  'versions[].data.uses',
  'versions[].data.lastUsedAt',
] as const);

function withoutUsage(data: unknown, keys: readonly string[]): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const copy: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const k of keys) delete copy[k];
  return copy;
}

function recordText(record: StoredRecord): string {
  const { mac: _mac, revision: _revision, dueAt: _dueAt, ...rest } = record;
  const body = {
    ...rest,
    data: withoutUsage(rest.data, ['lastUsedAt']),
    versions: Array.isArray(rest.versions)
      ? rest.versions.map((v) =>
          typeof v === 'object' && v !== null
            ? { ...v, data: withoutUsage(v.data, ['uses', 'lastUsedAt']) }
            : v,
        )
      : rest.versions,
  };
  try {
    return canonicalJson(body as unknown as JsonValue);
  } catch {
    throw new KeywardenError(
      'ERR_INTEGRITY',
      `stored record ${printableId(record.id)} is not JSON; it was not used`,
    );
  }
}

const PRINTABLE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The record id when it is safe to print (a stored id is attacker-writable).
 *
 * @example
 * ```ts
 * printableId('k3yId000000a'); // 'k3yId000000a'
 * ```
 * @throws never
 */
export function printableId(id: unknown): string {
  return typeof id === 'string' && PRINTABLE_ID.test(id) ? id : '(unprintable id)';
}

function formatText(storeId: string, format: StoreFormat): string {
  return canonicalJson({ marker: 'keywarden/store-format/v1', storeId, format });
}

/**
 * Creates the record MAC for one store key (the bytes are not kept: only the keyed HMAC state,
 * which `destroy()` wipes; the caller zeroes `key`).
 *
 * @example
 * ```ts
 * declare const closedError: () => Error;
 * const mac = createRecordMac(deriveStoreSubkey(pepper, RECORD_MAC_LABEL), closedError);
 * const sealed = mac.seal(record);
 * mac.valid(sealed); // true
 * ```
 * @throws TypeError for an empty key; the methods throw `closedError()` after `destroy()`.
 */
export function createRecordMac(key: Uint8Array, closedError: () => Error): RecordMac {
  if (!(key instanceof Uint8Array) || key.length === 0) throw new TypeError('key must be non-empty bytes');
  const keyed = cryptoBackend().keyedSha256(key, closedError);
  const tag = (text: string): string => {
    if (keyed.macText !== undefined) return keyed.macText(text, 'base64url');
    const out = keyed.mac(utf8Encode(text));
    const result = toBase64Url(out);
    out.fill(0);
    return result;
  };
  const mac: RecordMac = {
    tag,
    compute: (record) => tag(recordText(record)),
    seal: (record) => ({ ...record, mac: tag(recordText(record)) }),
    valid(record) {
      if (typeof record.mac !== 'string') return false;
      return constantTimeEqualString(record.mac, tag(recordText(record)));
    },
    sealFormat: (storeId, format) => JSON.stringify({ format, mac: tag(formatText(storeId, format)) }),
    openFormat(storeId, raw) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        return null;
      }
      if (typeof parsed !== 'object' || parsed === null) return null;
      const { format, mac: m } = parsed as { format?: unknown; mac?: unknown };
      if ((format !== '0.1-pending' && format !== '0.2') || typeof m !== 'string') return null;
      return constantTimeEqualString(m, tag(formatText(storeId, format))) ? format : null;
    },
    destroy() {
      keyed.destroy();
    },
  };
  return mac;
}
