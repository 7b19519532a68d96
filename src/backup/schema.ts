/**
 * The backup bundle format (version 1) and its validation. A bundle is plain JSON, so it survives
 * JSON and YAML files alike; everything in it is checked before an import writes anything.
 * @module
 */

import * as z from 'zod/mini';
import { KeywardenError } from '../errors.js';
import { jsonRecordSchema } from '../internal/json-record.js';
import { lazy } from '../internal/lazy.js';
import { parseInput } from '../internal/validate.js';
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
  /** Always `'keywarden-backup'`: marks the JSON as a keywarden bundle. */
  format: typeof BACKUP_FORMAT;
  /** Bundle format version (1); an import refuses any other. */
  version: typeof BACKUP_VERSION;
  /** Epoch ms. */
  createdAt: number;
  /** The source store's id (bound into every sealed value). */
  storeId: string;
  /** True when values and the pepper are in the clear. */
  plaintext: boolean;
  /** The source's KMS id and parameters, and its pepper (wrapped, or in the clear for plaintext bundles). */
  meta: BackupMeta;
  /** Every record, oldest first. */
  records: StoredRecord[];
  /** Plaintext bundles only: the opened values. */
  values?: BackupValue[];
  /** The source's audit log, for the archive (an import does not replay it). */
  audit?: AuditEvent[];
}

/**
 * The bundle schemas, built on first use: only `isStoredRecord` and an import parse with them, and
 * ~180 zod objects at import were a tenth of the manager's module evaluation (issue 16, cold start).
 */
const schemas = lazy(() => {
  const b64 = z.string().check(z.regex(/^[A-Za-z0-9_-]*$/, 'must be base64url'));
  const jsonObject = jsonRecordSchema();
  const nullableTime = z.nullable(z.number().check(z.int(), z.gte(0)));
  const time = z.number().check(z.int(), z.gte(0));

  const wrappedKeySchema = z.strictObject({
    kms: z.string().check(z.minLength(1), z.maxLength(64)),
    keyId: z.string().check(z.minLength(1), z.maxLength(256)),
    alg: z.string().check(z.minLength(1), z.maxLength(64)),
    data: b64.check(z.minLength(1)),
  });

  const sealedSchema = z.strictObject({
    alg: z.literal('A256GCM'),
    f: z.optional(z.literal(2)),
    nonce: b64,
    ct: b64,
    dek: wrappedKeySchema,
  });

  const versionSchema = z.strictObject({
    version: z.number().check(z.int(), z.gte(1)),
    state: z.enum(['pending', 'current', 'previous', 'retired']),
    createdAt: time,
    activatedAt: nullableTime,
    promoteAt: nullableTime,
    retireAt: nullableTime,
    retiredAt: nullableTime,
    kid: z.nullable(z.string().check(z.minLength(1))),
    hash: z.nullable(b64.check(z.minLength(1))),
    sealed: z.nullable(sealedSchema),
    publicJwk: z.nullable(jsonObject),
    destroyedAt: nullableTime,
    data: jsonObject,
  });

  const recordSchema = z.strictObject({
    id: z.string().check(z.regex(/^[0-9A-Za-z]{1,64}$/, 'must be a base62 id')),
    kind: z.enum(RECORD_KINDS),
    name: wellFormedString().check(z.minLength(1), z.maxLength(128)),
    uniqueName: z.boolean(),
    tenantId: z.nullable(wellFormedString().check(z.minLength(1))),
    environment: wellFormedString().check(z.minLength(1), z.maxLength(64)),
    ownerId: z.nullable(wellFormedString().check(z.minLength(1))),
    status: z.enum(['active', 'disabled', 'revoked', 'expired']),
    revision: z.number().check(z.int(), z.gte(1)),
    createdAt: time,
    updatedAt: time,
    expiresAt: nullableTime,
    dueAt: nullableTime,
    tags: z.array(wellFormedString()),
    provider: z.nullable(wellFormedString().check(z.minLength(1))),
    data: jsonObject,
    meta: jsonObject,
    rotation: z.nullable(jsonObject),
    versions: z.array(versionSchema),
    // the record MAC of the exported store; recomputed on import (a bundle is trusted input)
    mac: z.optional(z.string().check(z.maxLength(64))),
  });

  const auditSchema = z.strictObject({
    id: z.string().check(z.minLength(1)),
    at: time,
    type: z.string().check(z.regex(/^[a-z_]+\.[a-z_]+$/)),
    keyId: z.nullable(z.string()),
    kind: z.nullable(z.enum(RECORD_KINDS)),
    version: z.nullable(z.number().check(z.int())),
    tenantId: z.nullable(z.string()),
    actor: z.nullable(z.string()),
    context: jsonObject,
    data: jsonObject,
    digest: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
    seq: z.number().check(z.int(), z.gte(1)),
    prevHash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
    hash: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  });

  const bundleSchema = z.strictObject({
    format: z.literal(BACKUP_FORMAT),
    version: z.literal(BACKUP_VERSION),
    createdAt: time,
    storeId: z.string().check(z.minLength(1), z.maxLength(64)),
    plaintext: z.boolean(),
    meta: z.strictObject({
      kms: z.string().check(z.minLength(1), z.maxLength(64)),
      kmsParams: z.nullable(z.string().check(z.minLength(1))),
      pepper: z.union([
        z.strictObject({ wrapped: wrappedKeySchema }),
        z.strictObject({ plaintext: b64.check(z.minLength(43), z.maxLength(43)) }),
      ]),
    }),
    records: z.array(recordSchema),
    values: z.optional(
      z.array(
        z.strictObject({
          recordId: z.string().check(z.minLength(1)),
          version: z.number().check(z.int(), z.gte(1)),
          value: b64,
        }),
      ),
    ),
    audit: z.optional(z.array(auditSchema)),
  });
  return { recordSchema, bundleSchema };
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
  return schemas().recordSchema.safeParse(value).success;
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
 * import { readFile } from 'node:fs/promises';
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
  let parsed: z.output<ReturnType<typeof schemas>['bundleSchema']>;
  try {
    parsed = parseInput(schemas().bundleSchema, input, 'bundle');
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
