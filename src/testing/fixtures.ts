/**
 * Builders for storage records and audit events, for contract suites and tests. Every builder
 * returns a fresh, fully populated, valid object; pass overrides for the fields a test cares about.
 * @module
 */

import { auditDigest } from '../internal/audit-chain.js';
import { randomBytes } from '../internal/bytes.js';
import type { AuditEventInput, StoredRecord, StoredVersion } from '../ports/storage.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Default timestamp of built records and events: 2030-01-01T00:00:00Z.
 *
 * @example
 * ```ts
 * FIXTURE_TIME; // Date.UTC(2030, 0, 1)
 * ```
 */
export const FIXTURE_TIME = Date.UTC(2030, 0, 1);

/**
 * A random base62 string (uniform: rejection sampling), as used for record and event ids.
 *
 * @example
 * ```ts
 * const id = randomId(); // 12 chars, e.g. 'a8Xk2PqZ0bLm'
 * ```
 * @throws RangeError when `length` is not an integer from 1 to 1024.
 */
export function randomId(length = 12): string {
  if (!Number.isInteger(length) || length < 1 || length > 1024) {
    throw new RangeError('length must be an integer from 1 to 1024');
  }
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248) out += BASE62[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/**
 * A {@link StoredVersion} (version 1, `current`, an API-key style hash) with `overrides` applied.
 *
 * @example
 * ```ts
 * const v2 = makeVersion({ version: 2, state: 'pending', activatedAt: null });
 * ```
 * @throws never
 */
export function makeVersion(overrides: Partial<StoredVersion> = {}): StoredVersion {
  return {
    version: 1,
    state: 'current',
    createdAt: FIXTURE_TIME,
    activatedAt: FIXTURE_TIME,
    promoteAt: null,
    retireAt: null,
    retiredAt: null,
    kid: null,
    hash: `h_${randomId(43)}`,
    sealed: null,
    publicJwk: null,
    destroyedAt: null,
    data: {},
    ...overrides,
  };
}

/**
 * A valid {@link StoredRecord} (an active API key with one version, revision 1, a random id and a
 * random name) with `overrides` applied. Use it to seed a storage adapter in tests.
 *
 * @example
 * ```ts
 * await storage.create(makeRecord({ kind: 'secret', name: 'OPENAI_API_KEY', uniqueName: true }));
 * ```
 * @throws never
 */
export function makeRecord(overrides: Partial<StoredRecord> = {}): StoredRecord {
  return {
    id: randomId(),
    kind: 'api_key',
    name: `record-${randomId(8)}`,
    uniqueName: false,
    tenantId: null,
    environment: 'default',
    ownerId: null,
    status: 'active',
    revision: 1,
    createdAt: FIXTURE_TIME,
    updatedAt: FIXTURE_TIME,
    expiresAt: null,
    dueAt: null,
    tags: [],
    provider: null,
    data: {},
    meta: {},
    rotation: null,
    versions: [makeVersion()],
    ...overrides,
  };
}

/**
 * A record that exercises every corner of JSON storage: unicode (emoji, combining marks, RTL,
 * control characters other than NUL, U+2028), awkward numbers (0.1, 1e21, -5,
 * `Number.MAX_SAFE_INTEGER`), empty and nested arrays and objects, and every {@link StoredVersion}
 * field populated, including `sealed` and `publicJwk`.
 *
 * @example
 * ```ts
 * import { expect } from 'vitest';
 * const r = makeComplexRecord();
 * await storage.create(r);
 * expect(await storage.get(r.id)).toStrictEqual(JSON.parse(JSON.stringify(r)));
 * ```
 * @throws never
 */
export function makeComplexRecord(overrides: Partial<StoredRecord> = {}): StoredRecord {
  const t = FIXTURE_TIME;
  return makeRecord({
    kind: 'key',
    name: `sïgning 🔑 ключ مفتاح e\u0301 ${randomId(6)}`,
    uniqueName: true,
    tenantId: 'tenant-ü-😀',
    environment: 'prod\u00a0eu',
    ownerId: 'owner \u0001\u001f\u007f tab\there',
    status: 'disabled',
    revision: 1,
    createdAt: t,
    updatedAt: t + 1,
    expiresAt: t + 86_400_000,
    dueAt: t + 3_600_000,
    tags: ['a', 'ß', '🏷️', 'line\u2028sep', ''],
    provider: 'provider/ø',
    data: {
      type: 'ed25519',
      numbers: [0, 0.1, 1e21, -5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1.5e-7, 123.456],
      flags: { on: true, off: false, none: null },
      emptyArray: [],
      emptyObject: {},
      nested: { deeper: { deepest: [[], [{}], [1, 'two', null, false, { 'k\u0007': 'v' }]] } },
      quote: 'she said "hi" \\ back\\slash / slash',
    },
    meta: { '': 'empty key', 'key with spaces': 'x', 'emoji🙂': { list: ['😀', 'e\u0301'] } },
    rotation: { every: 2_592_000_000, strategy: 'gradual', overlap: 86_400_000, promoteAfter: 600_000 },
    versions: [
      makeVersion({
        version: 1,
        state: 'previous',
        createdAt: t - 1000,
        activatedAt: t - 900,
        promoteAt: t - 950,
        retireAt: t + 5000,
        retiredAt: t + 6000,
        kid: 'kid-1',
        hash: null,
        sealed: {
          alg: 'A256GCM',
          nonce: 'AAECAwQFBgcICQoL',
          ct: 'c2VhbGVkLWNpcGhlcnRleHQtd2l0aC10YWc',
          dek: { kms: 'local', keyId: 'mk_1', alg: 'A256GCM', data: 'd3JhcHBlZC1kZWs' },
        },
        publicJwk: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' },
        destroyedAt: t + 7000,
        data: { slot: 'blue', steps: ['create', 'set'], attempt: 0 },
      }),
      makeVersion({
        version: 2,
        state: 'current',
        createdAt: t,
        activatedAt: t,
        promoteAt: null,
        retireAt: null,
        retiredAt: null,
        kid: 'kid-2',
        hash: null,
        sealed: {
          alg: 'A256GCM',
          nonce: 'DA0ODxAREhMUFRYX',
          ct: 'YW5vdGhlci1jaXBoZXJ0ZXh0',
          dek: { kms: 'local', keyId: 'mk_2', alg: 'A256GCM', data: 'YW5vdGhlci1kZWs' },
        },
        publicJwk: { kty: 'EC', crv: 'P-256', x: 'eA', y: 'eQ', use: 'sig' },
        destroyedAt: null,
        data: {},
      }),
    ],
    ...overrides,
  });
}

/**
 * An {@link AuditEventInput} (`key.created`, random id) with `overrides` applied and a correct
 * `digest` computed with `auditDigest` over the final content.
 *
 * @example
 * ```ts
 * await storage.appendAudit([makeAuditEvent({ type: 'key.revoked', keyId: record.id })]);
 * ```
 * @throws TypeError when an override holds a non-JSON value (e.g. `NaN`), which cannot be digested.
 */
export function makeAuditEvent(overrides: Partial<Omit<AuditEventInput, 'digest'>> = {}): AuditEventInput {
  const body: Omit<AuditEventInput, 'digest'> = {
    id: randomId(16),
    at: FIXTURE_TIME,
    type: 'key.created',
    keyId: null,
    kind: null,
    version: null,
    tenantId: null,
    actor: null,
    context: {},
    data: {},
    ...overrides,
  };
  return { ...body, digest: auditDigest(body) };
}
