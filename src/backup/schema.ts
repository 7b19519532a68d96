/**
 * The backup bundle format (version 1) and its validation. A bundle is plain JSON, so it survives
 * JSON and YAML files alike; everything in it is checked before an import writes anything.
 * @module
 */

import { z } from 'zod';
import { KeywardenError } from '../errors.js';
import { parseInput } from '../internal/validate.js';
import type { JsonObject } from '../ports/json.js';
import type { WrappedKey } from '../ports/kms.js';
import type { AuditEvent, StoredRecord } from '../ports/storage.js';
import { kindDescriptor, RECORD_KINDS } from '../records/kinds.js';
import { wellFormedString } from '../records/schemas.js';

/** The `format` marker of every bundle. */
export const BACKUP_FORMAT = 'keywarden-backup';
/** The bundle version this library writes and reads. */
export const BACKUP_VERSION = 1;

/** A plaintext value carried by a `plaintext: true` bundle (the record version's `sealed` is null). */
export interface BackupValue {
  recordId: string;
  version: number;
  /** base64url of the value's bytes. */
  value: string;
}

/** Store identity carried by a bundle. */
export interface BackupMeta {
  /** The KMS adapter id of the source store (`'local'`, `'passphrase'`...). */
  kms: string;
  /** The source's KMS parameters in store meta (passphraseKms: salt and scrypt costs), or null. */
  kmsParams: string | null;
  /** The source's pepper: wrapped by its KMS (sealed bundle) or base64url (plaintext bundle). */
  pepper: { wrapped: WrappedKey } | { plaintext: string };
}

/** A backup bundle (format version 1). */
export interface BackupBundle {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  /** Epoch ms. */
  createdAt: number;
  /** The source store's id (bound into every sealed value). */
  storeId: string;
  /** True when values and the pepper are in the clear. */
  plaintext: boolean;
  meta: BackupMeta;
  /** Every record, oldest first. */
  records: StoredRecord[];
  /** Plaintext bundles only: the opened values. */
  values?: BackupValue[];
  /** The source's audit log, for the archive (an import does not replay it). */
  audit?: AuditEvent[];
}

const b64 = z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be base64url');
const json = z.json();
const jsonObject = z.record(z.string(), json) as unknown as z.ZodType<JsonObject>;
const nullableTime = z.number().int().min(0).nullable();
const time = z.number().int().min(0);

const wrappedKeySchema = z.strictObject({
  kms: z.string().min(1).max(64),
  keyId: z.string().min(1).max(256),
  alg: z.string().min(1).max(64),
  data: b64.min(1),
});

const sealedSchema = z.strictObject({
  alg: z.literal('A256GCM'),
  f: z.literal(2).optional(),
  nonce: b64,
  ct: b64,
  dek: wrappedKeySchema,
});

const versionSchema = z.strictObject({
  version: z.number().int().min(1),
  state: z.enum(['pending', 'current', 'previous', 'retired']),
  createdAt: time,
  activatedAt: nullableTime,
  promoteAt: nullableTime,
  retireAt: nullableTime,
  retiredAt: nullableTime,
  kid: z.string().min(1).nullable(),
  hash: b64.min(1).nullable(),
  sealed: sealedSchema.nullable(),
  publicJwk: jsonObject.nullable(),
  destroyedAt: nullableTime,
  data: jsonObject,
});

const recordSchema = z.strictObject({
  id: z.string().regex(/^[0-9A-Za-z]{1,64}$/, 'must be a base62 id'),
  kind: z.enum(RECORD_KINDS),
  name: wellFormedString().min(1).max(128),
  uniqueName: z.boolean(),
  tenantId: wellFormedString().min(1).nullable(),
  environment: wellFormedString().min(1).max(64),
  ownerId: wellFormedString().min(1).nullable(),
  status: z.enum(['active', 'disabled', 'revoked', 'expired']),
  revision: z.number().int().min(1),
  createdAt: time,
  updatedAt: time,
  expiresAt: nullableTime,
  dueAt: nullableTime,
  tags: z.array(wellFormedString()),
  provider: wellFormedString().min(1).nullable(),
  data: jsonObject,
  meta: jsonObject,
  rotation: jsonObject.nullable(),
  versions: z.array(versionSchema),
  // the record MAC of the exported store; recomputed on import (a bundle is trusted input)
  mac: z.string().max(64).optional(),
});

const auditSchema = z.strictObject({
  id: z.string().min(1),
  at: time,
  type: z.string().regex(/^[a-z_]+\.[a-z_]+$/),
  keyId: z.string().nullable(),
  kind: z.enum(RECORD_KINDS).nullable(),
  version: z.number().int().nullable(),
  tenantId: z.string().nullable(),
  actor: z.string().nullable(),
  context: jsonObject,
  data: jsonObject,
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  seq: z.number().int().min(1),
  prevHash: z.string().regex(/^[0-9a-f]{64}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});

const bundleSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(BACKUP_VERSION),
  createdAt: time,
  storeId: z.string().min(1).max(64),
  plaintext: z.boolean(),
  meta: z.strictObject({
    kms: z.string().min(1).max(64),
    kmsParams: z.string().min(1).nullable(),
    pepper: z.union([
      z.strictObject({ wrapped: wrappedKeySchema }),
      z.strictObject({ plaintext: b64.length(43) }),
    ]),
  }),
  records: z.array(recordSchema),
  values: z
    .array(z.strictObject({ recordId: z.string().min(1), version: z.number().int().min(1), value: b64 }))
    .optional(),
  audit: z.array(auditSchema).optional(),
});

/**
 * Whether `value` is a well-formed stored record of a known kind (what a backup bundle accepts).
 *
 * @example
 * ```ts
 * isStoredRecord(await storage.get(id)); // true for a record written by keywarden
 * ```
 * @throws never
 */
export function isStoredRecord(value: unknown): value is StoredRecord {
  return recordSchema.safeParse(value).success;
}

function backupError(message: string, field: string, cause?: unknown): KeywardenError {
  return new KeywardenError('ERR_BACKUP', `invalid backup: ${message}`, { field, cause });
}

/**
 * Validates a whole bundle (shape, then cross-references) and returns a fresh copy of it.
 * Nothing from the input object is kept, so later changes by the caller do not reach the store.
 *
 * @example
 * ```ts
 * const bundle = parseBackupBundle(JSON.parse(await readFile('backup.json', 'utf8')));
 * ```
 * @throws KeywardenError `ERR_BACKUP` whose `field` is the dotted path of the first problem
 *   (`bundle.records.3.versions.0.state`).
 */
export function parseBackupBundle(input: unknown): BackupBundle {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw backupError('bundle must be a JSON object', 'bundle');
  }
  const marker = (input as { format?: unknown }).format;
  if (marker !== BACKUP_FORMAT) {
    throw backupError(
      `bundle.format must be "${BACKUP_FORMAT}" (is this a keywarden backup?)`,
      'bundle.format',
    );
  }
  const version = (input as { version?: unknown }).version;
  if (version !== BACKUP_VERSION) {
    throw backupError(
      `bundle.version ${JSON.stringify(version ?? null)} is not supported (this keywarden reads version ${BACKUP_VERSION})`,
      'bundle.version',
    );
  }
  let parsed: z.output<typeof bundleSchema>;
  try {
    parsed = parseInput(bundleSchema, input, 'bundle');
  } catch (error) {
    const e = error as KeywardenError;
    throw backupError(e.message, e.field ?? 'bundle');
  }
  const bundle = parsed as BackupBundle;
  checkReferences(bundle);
  return bundle;
}

function checkReferences(bundle: BackupBundle): void {
  const plain = 'plaintext' in bundle.meta.pepper;
  if (plain !== bundle.plaintext) {
    throw backupError('bundle.meta.pepper must match bundle.plaintext', 'bundle.meta.pepper');
  }
  if (!bundle.plaintext && bundle.values !== undefined && bundle.values.length > 0) {
    throw backupError('bundle.values is only allowed in a plaintext bundle', 'bundle.values');
  }
  const ids = new Map<string, StoredRecord>();
  const names = new Set<string>();
  bundle.records.forEach((r, i) => {
    const at = `bundle.records.${i}`;
    if (ids.has(r.id)) throw backupError(`${at}.id repeats another record's id`, `${at}.id`);
    ids.set(r.id, r);
    if (r.uniqueName) {
      const key = JSON.stringify([r.kind, r.tenantId, r.environment, r.name]);
      if (names.has(key)) throw backupError(`${at}.name repeats another ${r.kind}'s name`, `${at}.name`);
      names.add(key);
    }
    const seen = new Set<number>();
    r.versions.forEach((v, j) => {
      if (seen.has(v.version)) {
        throw backupError(`${at}.versions.${j}.version repeats`, `${at}.versions.${j}.version`);
      }
      seen.add(v.version);
      if (kindDescriptor(r.kind).material === 'token-hash' && v.sealed !== null) {
        throw backupError(
          `${at}.versions.${j}.sealed must be null for an API key`,
          `${at}.versions.${j}.sealed`,
        );
      }
      if (bundle.plaintext && v.sealed !== null) {
        throw backupError(
          `${at}.versions.${j}.sealed must be null in a plaintext bundle`,
          `${at}.versions.${j}.sealed`,
        );
      }
    });
  });
  const taken = new Set<string>();
  (bundle.values ?? []).forEach((entry, i) => {
    const at = `bundle.values.${i}`;
    const record = ids.get(entry.recordId);
    if (!record || kindDescriptor(record.kind).material === 'token-hash') {
      throw backupError(`${at}.recordId names no secret or key in the bundle`, `${at}.recordId`);
    }
    const version = record.versions.find((v) => v.version === entry.version);
    if (!version || version.destroyedAt !== null) {
      throw backupError(`${at}.version names no live version of that record`, `${at}.version`);
    }
    const key = `${entry.recordId}/${entry.version}`;
    if (taken.has(key)) throw backupError(`${at} repeats a value`, at);
    taken.add(key);
  });
}
