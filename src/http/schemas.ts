/**
 * The zod schemas of the management API: path parameters, queries, request bodies and answers.
 * They validate requests (shape and types; the library then checks every value in depth) and
 * are the only source of the OpenAPI document. Portable: no node:*.
 * @module
 */
import * as z from 'zod/mini';

// ---- shared pieces ----------------------------------------------------------------------------

/** A duration: milliseconds or a string such as `'90d'`, `'12h'`, `'15m'`. */
export const durationSchema = z.union([
  z.string().check(z.minLength(1), z.maxLength(32)),
  z.number().check(z.int(), z.nonnegative()),
]);
const epochMs = z.number().check(z.int(), z.describe('epoch milliseconds'));
const jsonObject = z.record(z.string(), z.unknown());
const status = z.enum(['active', 'disabled', 'revoked', 'expired']);
const versionState = z.enum(['pending', 'current', 'previous', 'retired']);
const strategy = z.enum(['immediate', 'overlap', 'gradual', 'blue-green']);
const idParam = z.string().check(z.minLength(1), z.maxLength(256));

/** `limit` and `cursor` of every list. */
const pageQuery = {
  limit: z
    .optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(1000)))
    .check(z.describe('1-1000, default 100')),
  cursor: z
    .optional(z.string().check(z.minLength(1), z.maxLength(2048)))
    .check(z.describe('opaque cursor from the previous page')),
};
/** `environment` and `tenantId` of named records. */
const scopeQuery = {
  environment: z
    .optional(z.string().check(z.minLength(1), z.maxLength(64)))
    .check(z.describe("default 'default'")),
  tenantId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
};

/** Path `{id}`. */
export const idParams = z.strictObject({ id: idParam });
/** Path `{name}`. */
export const nameParams = z.strictObject({ name: z.string().check(z.minLength(1), z.maxLength(128)) });
/** Query of routes on one named record. */
export const scopeQuerySchema = z.strictObject(scopeQuery);

/** A rotation policy (as `km.rotator.setPolicy` takes it). */
export const rotationPolicySchema = z.strictObject({
  every: z.optional(durationSchema),
  cron: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  strategy: z.optional(strategy),
  overlap: z.optional(durationSchema),
  promoteAfter: z.optional(durationSchema),
  notifyBefore: z.optional(durationSchema),
  idleRetireAfter: z.optional(durationSchema),
});

const refill = z.strictObject({ amount: z.number().check(z.int(), z.positive()), every: durationSchema });
const rateLimit = z.strictObject({ limit: z.number().check(z.int(), z.positive()), window: durationSchema });

// ---- API keys ---------------------------------------------------------------------------------

/** Query of `GET /api-keys`. */
export const listApiKeysQuery = z.strictObject({
  ownerId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  tenantId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  environment: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  status: z.optional(status),
  tag: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  ...pageQuery,
});

/** Body of `POST /api-keys`. */
export const createApiKeyBody = z.strictObject({
  name: z.string().check(z.minLength(1), z.maxLength(128)),
  prefix: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
  ownerId: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(128)))),
  tenantId: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(128)))),
  environment: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  scopes: z.optional(z.array(z.string()).check(z.maxLength(64))),
  tags: z.optional(z.array(z.string()).check(z.maxLength(32))),
  meta: z.optional(jsonObject),
  expiresIn: z.optional(z.nullable(durationSchema)),
  expiresAt: z.optional(z.nullable(epochMs)),
  remaining: z.optional(z.nullable(z.number().check(z.int(), z.nonnegative()))),
  refill: z.optional(z.nullable(refill)),
  rateLimit: z.optional(z.nullable(rateLimit)),
  rotation: z.optional(z.nullable(rotationPolicySchema)),
});

/** Body of `PATCH /api-keys/{id}`. */
export const updateApiKeyBody = z.strictObject({
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  scopes: z.optional(z.array(z.string()).check(z.maxLength(64))),
  tags: z.optional(z.array(z.string()).check(z.maxLength(32))),
  meta: z.optional(jsonObject),
  ownerId: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(128)))),
  expiresAt: z.optional(z.nullable(epochMs)),
  remaining: z.optional(z.nullable(z.number().check(z.int(), z.nonnegative()))),
  refill: z.optional(z.nullable(refill)),
  rateLimit: z.optional(z.nullable(rateLimit)),
  status: z.optional(z.enum(['active', 'disabled'])),
});

/** Body of `POST /api-keys/{id}/revoke`. */
export const revokeBody = z.strictObject({
  reason: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

/** Body of rotate routes. */
export const rotateBody = z.strictObject({
  strategy: z.optional(strategy),
  overlap: z.optional(durationSchema),
});

/** Body of `POST /api-keys/verify`. */
export const verifyApiKeyBody = z.strictObject({
  token: z.string().check(z.minLength(1), z.maxLength(4096)),
  scopes: z.optional(z.array(z.string()).check(z.maxLength(64))),
  cost: z.optional(z.number().check(z.int(), z.nonnegative())),
  tenantId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
});

/** `ApiKeyInfo`: never the token or its hash. */
export const apiKeyInfo = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  start: z.string(),
  ownerId: z.nullable(z.string()),
  tenantId: z.nullable(z.string()),
  environment: z.string(),
  status,
  scopes: z.array(z.string()),
  tags: z.array(z.string()),
  meta: jsonObject,
  createdAt: epochMs,
  updatedAt: epochMs,
  expiresAt: z.nullable(epochMs),
  revokedAt: z.nullable(epochMs),
  revokeReason: z.nullable(z.string()),
  lastUsedAt: z.nullable(epochMs),
  remaining: z.nullable(z.number()),
  refill: z.nullable(z.object({ amount: z.number(), every: z.number(), lastRefillAt: epochMs })),
  rateLimit: z.nullable(z.object({ limit: z.number(), window: z.number() })),
  version: z.number().check(z.int()),
  revision: z.number().check(z.int()),
});

/** A page of API keys. */
export const apiKeyPage = z.object({ items: z.array(apiKeyInfo), cursor: z.optional(z.string()) });

/** Answer of `POST /api-keys`: the token, shown once. */
export const createdApiKey = z.object({
  token: z.string().check(z.describe('the full token; shown once, never again')),
  key: apiKeyInfo,
});

/** Answer of `POST /api-keys/{id}/rotate`. */
export const rotatedApiKey = z.object({
  version: z.number().check(z.int()),
  state: z.enum(['current', 'pending']),
  previousVersion: z.nullable(z.number().check(z.int())),
  token: z.string().check(z.describe('the new token; shown once, never again')),
});

const rateLimitState = z.object({ limit: z.number(), remaining: z.number(), reset: epochMs });

/** Answer of `POST /api-keys/verify` (never the token). */
export const verifyResult = z.object({
  valid: z.boolean(),
  code: z.optional(
    z.enum([
      'MALFORMED',
      'NOT_FOUND',
      'REVOKED',
      'DISABLED',
      'EXPIRED',
      'INSUFFICIENT_SCOPE',
      'RATE_LIMITED',
      'USAGE_EXCEEDED',
      'WRONG_ENVIRONMENT',
    ]),
  ),
  key: z.optional(apiKeyInfo),
  version: z.optional(z.number().check(z.int())),
  remaining: z.optional(z.number()),
  rateLimit: z.optional(rateLimitState),
});

// ---- secrets ----------------------------------------------------------------------------------

/** Query of `GET /secrets`. */
export const listSecretsQuery = z.strictObject({
  ...scopeQuery,
  tag: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  provider: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  ...pageQuery,
});

/** Body of `PUT /secrets/{name}`. */
export const setSecretBody = z.strictObject({
  value: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(65_536),
      z.describe('the secret value; never returned except by reveal'),
    ),
  provider: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(128)))),
  envVar: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(128)))),
  tags: z.optional(z.array(z.string()).check(z.maxLength(32))),
  meta: z.optional(jsonObject),
  expiresAt: z.optional(z.nullable(epochMs)),
  description: z.optional(z.nullable(z.string().check(z.maxLength(1024)))),
  rotation: z.optional(z.nullable(rotationPolicySchema)),
});

/** Body of `POST /secrets/{name}/rollback`. */
export const rollbackSecretBody = z.strictObject({ to: z.optional(z.number().check(z.int(), z.positive())) });

/** Body of `POST /secrets/{name}/reveal`. */
export const revealSecretBody = z.strictObject({
  version: z.optional(z.number().check(z.int(), z.positive())),
});

/** `SecretInfo`: never the value. */
export const secretInfo = z.object({
  id: z.string(),
  name: z.string(),
  environment: z.string(),
  tenantId: z.nullable(z.string()),
  status,
  provider: z.nullable(z.string()),
  envVar: z.string(),
  description: z.nullable(z.string()),
  tags: z.array(z.string()),
  meta: jsonObject,
  createdAt: epochMs,
  updatedAt: epochMs,
  expiresAt: z.nullable(epochMs),
  version: z.nullable(z.number().check(z.int())),
  versionCount: z.number().check(z.int()),
  /** Compare-and-swap revision of the record (the library's `expectedRevision`). */
  revision: z.number().check(z.int()),
});

/** A page of secrets. */
export const secretPage = z.object({ items: z.array(secretInfo), cursor: z.optional(z.string()) });

/** The versions of a secret (no values). */
export const secretVersions = z.object({
  items: z.array(
    z.object({
      version: z.number().check(z.int()),
      state: versionState,
      createdAt: epochMs,
      activatedAt: z.nullable(epochMs),
      retiredAt: z.nullable(epochMs),
      hasValue: z.boolean(),
      destroyedAt: z.nullable(epochMs),
    }),
  ),
});

/** Answer of `POST /secrets/{name}/rollback`. */
export const secretRollback = z.object({
  secret: secretInfo,
  version: z.number().check(z.int()),
  fromVersion: z.nullable(z.number().check(z.int())),
});

/** Answer of `POST /secrets/{name}/reveal`: the only answer that holds a secret value. */
export const revealedSecret = z.object({
  name: z.string(),
  environment: z.string(),
  version: z.nullable(z.number().check(z.int())),
  value: z.string(),
});

// ---- signing keys -----------------------------------------------------------------------------

/** Query of `GET /signing-keys`. */
export const listKeysQuery = z.strictObject({
  ...scopeQuery,
  tag: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  ...pageQuery,
});

/** Body of `POST /signing-keys`. */
export const createKeyBody = z.strictObject({
  name: z.string().check(z.minLength(1), z.maxLength(128)),
  type: z.enum(['hmac', 'aes', 'ed25519', 'ecdsa', 'rsa']),
  algorithm: z.optional(z.string().check(z.minLength(1), z.maxLength(16))),
  modulusLength: z.optional(z.union([z.literal(2048), z.literal(3072), z.literal(4096)])),
  environment: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  tenantId: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(128)))),
  tags: z.optional(z.array(z.string()).check(z.maxLength(32))),
  meta: z.optional(jsonObject),
  expiresIn: z.optional(z.nullable(durationSchema)),
  rotation: z.optional(z.nullable(rotationPolicySchema)),
});

/** `KeyInfo`: versions and kids, never key material. */
export const keyInfo = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(['hmac', 'aes', 'ed25519', 'ecdsa', 'rsa']),
  algorithm: z.string(),
  curve: z.nullable(z.string()),
  modulusLength: z.nullable(z.number().check(z.int())),
  environment: z.string(),
  tenantId: z.nullable(z.string()),
  status,
  tags: z.array(z.string()),
  meta: jsonObject,
  createdAt: epochMs,
  updatedAt: epochMs,
  expiresAt: z.nullable(epochMs),
  version: z.nullable(z.number().check(z.int())),
  kid: z.nullable(z.string()),
  /** Compare-and-swap revision of the record (the library's `expectedRevision`). */
  revision: z.number().check(z.int()),
  versions: z.array(
    z.object({
      version: z.number().check(z.int()),
      state: versionState,
      kid: z.string(),
      createdAt: epochMs,
      activatedAt: z.nullable(epochMs),
      retireAt: z.nullable(epochMs),
      retiredAt: z.nullable(epochMs),
    }),
  ),
});

/** A page of signing keys. */
export const keyPage = z.object({ items: z.array(keyInfo), cursor: z.optional(z.string()) });

/** A public JWKS (RFC 7517). */
export const jwks = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') })),
});

/** Answer of rotate routes without a token. */
export const rotated = z.object({
  version: z.number().check(z.int()),
  state: z.enum(['current', 'pending']),
  previousVersion: z.nullable(z.number().check(z.int())),
});

// ---- rotation ---------------------------------------------------------------------------------

/** Query of `GET /rotation/due`. */
export const dueQuery = z.strictObject({
  within: z
    .optional(z.string().check(z.minLength(1), z.maxLength(32)))
    .check(z.describe("look-ahead duration, e.g. '7d'")),
  limit: pageQuery.limit,
});

const dueItem = z.object({
  id: z.string(),
  kind: z.enum(['api_key', 'secret', 'key']),
  name: z.string(),
  environment: z.string(),
  tenantId: z.nullable(z.string()),
  dueAt: z.nullable(epochMs),
  actions: z.array(z.looseObject({ type: z.string(), at: epochMs })),
});

/** Answer of `GET /rotation/due`. */
export const dueList = z.object({ items: z.array(dueItem) });

/** Body of `POST /rotation/run`. */
export const runDueBody = z.strictObject({
  dryRun: z.optional(z.boolean()),
  limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(10_000))),
});

const idVersion = z.object({ id: z.string(), version: z.number().check(z.int()) });

/** Answer of `POST /rotation/run` (new API-key tokens are never in it). */
export const runDueReport = z.object({
  rotated: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['api_key', 'secret', 'key']),
      version: z.number().check(z.int()),
      previousVersion: z.nullable(z.number().check(z.int())),
      strategy,
    }),
  ),
  promoted: z.array(idVersion),
  retired: z.array(idVersion),
  expired: z.array(z.object({ id: z.string() })),
  notified: z.array(z.object({ id: z.string(), version: z.number().check(z.int()), reason: z.string() })),
  failed: z.array(z.object({ id: z.string(), code: z.string(), message: z.string() })),
  skipped: z.array(z.object({ id: z.string(), reason: z.string() })),
  planned: z.array(dueItem),
});

/** A stored policy. */
export const policyInfo = z.object({
  every: z.nullable(z.number()),
  schedule: z.nullable(z.string()),
  cron: z.nullable(z.string()),
  strategy,
  overlap: z.number(),
  promoteAfter: z.number(),
  notifyBefore: z.nullable(z.number()),
  idleRetireAfter: z.nullable(z.number()),
  nextRotationAt: z.nullable(epochMs),
  nextNoticeAt: z.nullable(epochMs),
  lastRotatedAt: z.nullable(epochMs),
  retryAt: z.nullable(epochMs),
  attempts: z.number().check(z.int()),
});

// ---- audit ------------------------------------------------------------------------------------

/** Query of `GET /audit`. */
export const auditQuery = z.strictObject({
  keyId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  type: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  since: z.optional(z.coerce.number().check(z.int())).check(z.describe('inclusive, epoch ms')),
  until: z.optional(z.coerce.number().check(z.int())).check(z.describe('exclusive, epoch ms')),
  ...pageQuery,
});

/** One audit event (never a secret). */
export const auditEvent = z.looseObject({
  seq: z.number().check(z.int()),
  type: z.string(),
  at: epochMs,
  keyId: z.optional(z.nullable(z.string())),
  actor: z.optional(z.nullable(z.string())),
  prevHash: z.string(),
  hash: z.string(),
});

/** A page of audit events. */
export const auditPage = z.object({ items: z.array(auditEvent), cursor: z.optional(z.string()) });

/** Answer of `GET /audit/verify`. */
export const auditVerify = z.looseObject({
  ok: z.boolean(),
  count: z.number().check(z.int()),
  headHash: z.optional(z.string()),
  brokenAt: z.optional(z.number().check(z.int())),
  reason: z.optional(z.string()),
});

/** Answer of `POST /audit/checkpoint`. */
export const auditCheckpoint = z.looseObject({
  seq: z.number().check(z.int()),
  hash: z.string(),
  at: epochMs,
  signature: z.string(),
});

// ---- agent access -----------------------------------------------------------------------------

/** Body of `POST /access/tools` (checked in depth by the access service). */
export const registerToolBody = z.looseObject({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  name: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  secret: z.string().check(z.minLength(1), z.maxLength(128)),
  environment: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  upstream: z.looseObject({
    origin: z.string().check(z.minLength(1), z.maxLength(2048)),
    auth: z.optional(jsonObject),
  }),
  methods: z.optional(z.array(z.string())),
  paths: z.optional(z.array(z.string())),
  risk: z.optional(z.string()),
  approval: z.optional(z.enum(['required', 'auto'])),
  approvals: z.optional(z.number().check(z.int(), z.positive())),
  maxDuration: z.optional(durationSchema),
  maxCalls: z.optional(z.number().check(z.int(), z.positive())),
});

/** Query of `GET /access/requests`. */
export const accessRequestsQuery = z.strictObject({
  status: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
  toolId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  ...pageQuery,
});

/** Query of `GET /access/sessions`. */
export const accessSessionsQuery = z.strictObject({
  status: z.optional(z.string().check(z.minLength(1), z.maxLength(32))),
  ...pageQuery,
});

/** Body of `POST /access/requests/{id}/approve`. */
export const approveBody = z.strictObject({
  duration: z.optional(durationSchema).check(z.describe('narrows the requested duration; never widens it')),
});

/** Body of `POST /access/requests/{id}/deny`. */
export const denyBody = z.strictObject({ reason: z.string().check(z.minLength(1), z.maxLength(512)) });

/** Body of `POST /access/sessions/{id}/revoke`. */
export const revokeSessionBody = z.strictObject({
  reason: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
});

/** A tool, request or session of the access service (never a secret value or token). */
export const accessObject = z.looseObject({ id: z.string() });

/** A list of access objects. */
export const accessPage = z.object({ items: z.array(accessObject), cursor: z.optional(z.string()) });

// ---- errors -----------------------------------------------------------------------------------

/** RFC 9457 problem details with the stable `code`. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().check(z.int()),
  detail: z.string(),
  code: z.string(),
  field: z.optional(z.string()),
});
