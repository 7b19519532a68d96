/**
 * New version material per kind, built inside a CAS mutation (so a retry regenerates it under the
 * right version number): API keys get a fresh token (only its keyed hash is stored), secrets a
 * sealed value (from a provider, or random), keys a fresh key pair or symmetric key.
 * @internal
 * @module
 */

import { generateApiToken } from '../crypto/tokens.js';
import { KeywardenError } from '../errors.js';
import { randomBytes, toBase64Url, utf8Encode, zeroize } from '../internal/bytes.js';
import type { JsonObject } from '../ports/json.js';
import type { StoredRecord } from '../ports/storage.js';
import type { StoreContext, StoreState } from '../records/context.js';
import { kindDescriptor } from '../records/kinds.js';
import { makeVersion, nextVersionNumber } from '../records/record.js';
import { createKeyVersionMaterial } from '../store/keys/material.js';
import { appendSecretVersion } from '../store/secrets/versions.js';

/** Bytes of a generated secret value (base64url encoded: 43 characters). */
export const GENERATED_SECRET_BYTES = 32;

/** A record with a new pending version appended. */
export interface AddedVersion {
  record: StoredRecord;
  /** The new version number. */
  version: number;
  /** API keys: the new token. Never stored, logged or audited. */
  token?: string;
}

/**
 * Appends a new `pending` version with fresh material to `record` (not written).
 * `value`: for secrets, the new value (provider rotations); a random 32-byte base64url value
 * otherwise. The caller zeroes `value`.
 *
 * @example
 * ```ts
 * const { record: next, version, token } = await addPendingVersion(ctx, state, record, now);
 * ```
 * @throws KeywardenError `ERR_KMS` (wrapping), `ERR_UNSUPPORTED` (RSA without WebCrypto),
 *   `ERR_INVALID_STATE` (field `kind`) for an unknown kind or a kind without versioned material.
 */
export async function addPendingVersion(
  ctx: Pick<StoreContext, 'kms' | 'clock'>,
  state: StoreState,
  record: StoredRecord,
  now: number,
  options: { value?: Uint8Array; data?: JsonObject } = {},
): Promise<AddedVersion> {
  const version = nextVersionNumber(record);
  const data: JsonObject = { ...(options.data ?? {}) };
  const { material } = kindDescriptor(record.kind);
  if (material === 'token-hash') {
    const prefix = typeof record.data['prefix'] === 'string' ? record.data['prefix'] : prefixOf(record);
    const { token } = generateApiToken({ prefix, id: record.id });
    const added = makeVersion({
      version,
      state: 'pending',
      createdAt: now,
      hash: state.hashToken(token),
      data,
    });
    return { record: { ...record, versions: [...record.versions, added] }, version, token };
  }
  if (material === 'sealed-value') {
    let bytes = options.value;
    let generated: Uint8Array | null = null;
    if (bytes === undefined) {
      const raw = randomBytes(GENERATED_SECRET_BYTES);
      generated = utf8Encode(toBase64Url(raw));
      zeroize(raw);
      bytes = generated;
    }
    try {
      const next = await appendSecretVersion(ctx, state, record, bytes, { state: 'pending', now, data });
      return { record: next, version };
    } finally {
      zeroize(generated);
    }
  }
  if (material === 'key-material') {
    const keyMaterial = await createKeyVersionMaterial(ctx, state, record, version);
    const added = makeVersion({ version, state: 'pending', createdAt: now, ...keyMaterial, data });
    return { record: { ...record, versions: [...record.versions, added] }, version };
  }
  throw new KeywardenError('ERR_INVALID_STATE', `a record of kind ${record.kind} has no versions to rotate`, {
    field: 'kind',
  });
}

/** The token prefix stored in `start` (`prefix_id`) when `prefix` itself is missing. */
function prefixOf(record: StoredRecord): string {
  const start = record.data['start'];
  if (typeof start === 'string' && start.endsWith(`_${record.id}`))
    return start.slice(0, -record.id.length - 1);
  return 'kw';
}
