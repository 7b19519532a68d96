/**
 * The zod schemas of the management API: path parameters, queries, request bodies and answers.
 * They validate requests (shape and types; the library then checks every value in depth) and
 * are the only source of the OpenAPI document. Portable: no node:*.
 * @module
 */
import { z } from 'zod';

// ---- shared pieces ----------------------------------------------------------------------------

/** A duration: milliseconds or a string such as `'90d'`, `'12h'`, `'15m'`. */
export const durationSchema = z.union([z.string().min(1).max(32), z.number().int().nonnegative()]);
const epochMs = z.number().int().describe('epoch milliseconds');
const jsonObject = z.record(z.string(), z.unknown());
const status = z.enum(['active', 'disabled', 'revoked', 'expired']);
const versionState = z.enum(['pending', 'current', 'previous', 'retired']);
const strategy = z.enum(['immediate', 'overlap', 'gradual', 'blue-green']);
const idParam = z.string().min(1).max(256);

/** `limit` and `cursor` of every list. */
const pageQuery = {
  limit: z.coerce.number().int().min(1).max(1000).optional().describe('1-1000, default 100'),
  cursor: z.string().min(1).max(2048).optional().describe('opaque cursor from the previous page'),
};
/** `environment` and `tenantId` of named records. */
const scopeQuery = {
  environment: z.string().min(1).max(64).optional().describe("default 'default'"),
  tenantId: z.string().min(1).max(128).optional(),
};

/** Path `{id}`. */
export const idParams = z.strictObject({ id: idParam });
/** Path `{name}`. */
export const nameParams = z.strictObject({ name: z.string().min(1).max(128) });
/** Query of routes on one named record. */
export const scopeQuerySchema = z.strictObject(scopeQuery);

/** A rotation policy (as `km.rotator.setPolicy` takes it). */
export const rotationPolicySchema = z.strictObject({
  every: durationSchema.optional(),
  cron: z.string().min(1).max(256).optional(),
  strategy: strategy.optional(),
  overlap: durationSchema.optional(),
  promoteAfter: durationSchema.optional(),
  notifyBefore: durationSchema.optional(),
  idleRetireAfter: durationSchema.optional(),
});

const refill = z.strictObject({ amount: z.number().int().positive(), every: durationSchema });
const rateLimit = z.strictObject({ limit: z.number().int().positive(), window: durationSchema });

// ---- API keys ---------------------------------------------------------------------------------

/** Query of `GET /api-keys`. */
export const listApiKeysQuery = z.strictObject({
  ownerId: z.string().min(1).max(128).optional(),
  tenantId: z.string().min(1).max(128).optional(),
  environment: z.string().min(1).max(64).optional(),
  status: status.optional(),
  tag: z.string().min(1).max(64).optional(),
  ...pageQuery,
});

/** Body of `POST /api-keys`. */
export const createApiKeyBody = z.strictObject({
  name: z.string().min(1).max(128),
  prefix: z.string().min(1).max(32).optional(),
  ownerId: z.string().min(1).max(128).nullable().optional(),
  tenantId: z.string().min(1).max(128).nullable().optional(),
  environment: z.string().min(1).max(64).optional(),
  scopes: z.array(z.string()).max(64).optional(),
  tags: z.array(z.string()).max(32).optional(),
  meta: jsonObject.optional(),
  expiresIn: durationSchema.nullable().optional(),
  expiresAt: epochMs.nullable().optional(),
  remaining: z.number().int().nonnegative().nullable().optional(),
  refill: refill.nullable().optional(),
  rateLimit: rateLimit.nullable().optional(),
  rotation: rotationPolicySchema.nullable().optional(),
});

/** Body of `PATCH /api-keys/{id}`. */
export const updateApiKeyBody = z.strictObject({
  name: z.string().min(1).max(128).optional(),
  scopes: z.array(z.string()).max(64).optional(),
  tags: z.array(z.string()).max(32).optional(),
  meta: jsonObject.optional(),
  ownerId: z.string().min(1).max(128).nullable().optional(),
  expiresAt: epochMs.nullable().optional(),
  remaining: z.number().int().nonnegative().nullable().optional(),
  refill: refill.nullable().optional(),
  rateLimit: rateLimit.nullable().optional(),
  status: z.enum(['active', 'disabled']).optional(),
});

/** Body of `POST /api-keys/{id}/revoke`. */
export const revokeBody = z.strictObject({ reason: z.string().min(1).max(512).optional() });

/** Body of rotate routes. */
export const rotateBody = z.strictObject({
  strategy: strategy.optional(),
  overlap: durationSchema.optional(),
});

/** Body of `POST /api-keys/verify`. */
export const verifyApiKeyBody = z.strictObject({
  token: z.string().min(1).max(4096),
  scopes: z.array(z.string()).max(64).optional(),
  cost: z.number().int().nonnegative().optional(),
  tenantId: z.string().min(1).max(128).optional(),
});

/** `ApiKeyInfo`: never the token or its hash. */
export const apiKeyInfo = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  start: z.string(),
  ownerId: z.string().nullable(),
  tenantId: z.string().nullable(),
  environment: z.string(),
  status,
  scopes: z.array(z.string()),
  tags: z.array(z.string()),
  meta: jsonObject,
  createdAt: epochMs,
  updatedAt: epochMs,
  expiresAt: epochMs.nullable(),
  revokedAt: epochMs.nullable(),
  revokeReason: z.string().nullable(),
  lastUsedAt: epochMs.nullable(),
  remaining: z.number().nullable(),
  refill: z.object({ amount: z.number(), every: z.number(), lastRefillAt: epochMs }).nullable(),
  rateLimit: z.object({ limit: z.number(), window: z.number() }).nullable(),
  version: z.number().int(),
  revision: z.number().int(),
});

/** A page of API keys. */
export const apiKeyPage = z.object({ items: z.array(apiKeyInfo), cursor: z.string().optional() });

/** Answer of `POST /api-keys`: the token, shown once. */
export const createdApiKey = z.object({
  token: z.string().describe('the full token; shown once, never again'),
  key: apiKeyInfo,
});

/** Answer of `POST /api-keys/{id}/rotate`. */
export const rotatedApiKey = z.object({
  version: z.number().int(),
  state: z.enum(['current', 'pending']),
  previousVersion: z.number().int().nullable(),
  token: z.string().describe('the new token; shown once, never again'),
});

const rateLimitState = z.object({ limit: z.number(), remaining: z.number(), reset: epochMs });

/** Answer of `POST /api-keys/verify` (never the token). */
export const verifyResult = z.object({
  valid: z.boolean(),
  code: z
    .enum([
      'MALFORMED',
      'NOT_FOUND',
      'REVOKED',
      'DISABLED',
      'EXPIRED',
      'INSUFFICIENT_SCOPE',
      'RATE_LIMITED',
      'USAGE_EXCEEDED',
      'WRONG_ENVIRONMENT',
    ])
    .optional(),
  key: apiKeyInfo.optional(),
  version: z.number().int().optional(),
  remaining: z.number().optional(),
  rateLimit: rateLimitState.optional(),
});

// ---- secrets ----------------------------------------------------------------------------------

/** Query of `GET /secrets`. */
export const listSecretsQuery = z.strictObject({
  ...scopeQuery,
  tag: z.string().min(1).max(64).optional(),
  provider: z.string().min(1).max(128).optional(),
  ...pageQuery,
});

/** Body of `PUT /secrets/{name}`. */
export const setSecretBody = z.strictObject({
  value: z.string().min(1).max(65_536).describe('the secret value; never returned except by reveal'),
  provider: z.string().min(1).max(128).nullable().optional(),
  envVar: z.string().min(1).max(128).nullable().optional(),
  tags: z.array(z.string()).max(32).optional(),
  meta: jsonObject.optional(),
  expiresAt: epochMs.nullable().optional(),
  description: z.string().max(1024).nullable().optional(),
  rotation: rotationPolicySchema.nullable().optional(),
});

/** Body of `POST /secrets/{name}/rollback`. */
export const rollbackSecretBody = z.strictObject({ to: z.number().int().positive().optional() });

/** Body of `POST /secrets/{name}/reveal`. */
export const revealSecretBody = z.strictObject({ version: z.number().int().positive().optional() });

/** `SecretInfo`: never the value. */
export const secretInfo = z.object({
  id: z.string(),
  name: z.string(),
  environment: z.string(),
  tenantId: z.string().nullable(),
  status,
  provider: z.string().nullable(),
  envVar: z.string(),
  description: z.string().nullable(),
  tags: z.array(z.string()),
  meta: jsonObject,
  createdAt: epochMs,
  updatedAt: epochMs,
  expiresAt: epochMs.nullable(),
  version: z.number().int().nullable(),
  versionCount: z.number().int(),
});

/** A page of secrets. */
export const secretPage = z.object({ items: z.array(secretInfo), cursor: z.string().optional() });

/** The versions of a secret (no values). */
export const secretVersions = z.object({
  items: z.array(
    z.object({
      version: z.number().int(),
      state: versionState,
      createdAt: epochMs,
      activatedAt: epochMs.nullable(),
      retiredAt: epochMs.nullable(),
      hasValue: z.boolean(),
      destroyedAt: epochMs.nullable(),
    }),
  ),
});

/** Answer of `POST /secrets/{name}/rollback`. */
export const secretRollback = z.object({
  secret: secretInfo,
  version: z.number().int(),
  fromVersion: z.number().int().nullable(),
});

/** Answer of `POST /secrets/{name}/reveal`: the only answer that holds a secret value. */
export const revealedSecret = z.object({
  name: z.string(),
  environment: z.string(),
  version: z.number().int().nullable(),
  value: z.string(),
});

// ---- signing keys -----------------------------------------------------------------------------

/** Query of `GET /signing-keys`. */
export const listKeysQuery = z.strictObject({
  ...scopeQuery,
  tag: z.string().min(1).max(64).optional(),
  ...pageQuery,
});

/** Body of `POST /signing-keys`. */
export const createKeyBody = z.strictObject({
  name: z.string().min(1).max(128),
  type: z.enum(['hmac', 'aes', 'ed25519', 'ecdsa', 'rsa']),
  algorithm: z.string().min(1).max(16).optional(),
  modulusLength: z.union([z.literal(2048), z.literal(3072), z.literal(4096)]).optional(),
  environment: z.string().min(1).max(64).optional(),
  tenantId: z.string().min(1).max(128).nullable().optional(),
  tags: z.array(z.string()).max(32).optional(),
  meta: jsonObject.optional(),
  expiresIn: durationSchema.nullable().optional(),
  rotation: rotationPolicySchema.nullable().optional(),
});

/** `KeyInfo`: versions and kids, never key material. */
export const keyInfo = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(['hmac', 'aes', 'ed25519', 'ecdsa', 'rsa']),
  algorithm: z.string(),
  curve: z.string().nullable(),
  modulusLength: z.number().int().nullable(),
  environment: z.string(),
  tenantId: z.string().nullable(),
  status,
  tags: z.array(z.string()),
  meta: jsonObject,
  createdAt: epochMs,
  updatedAt: epochMs,
  expiresAt: epochMs.nullable(),
  version: z.number().int().nullable(),
  kid: z.string().nullable(),
  versions: z.array(
    z.object({
      version: z.number().int(),
      state: versionState,
      kid: z.string(),
      createdAt: epochMs,
      activatedAt: epochMs.nullable(),
      retireAt: epochMs.nullable(),
      retiredAt: epochMs.nullable(),
    }),
  ),
});

/** A page of signing keys. */
export const keyPage = z.object({ items: z.array(keyInfo), cursor: z.string().optional() });

/** A public JWKS (RFC 7517). */
export const jwks = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') })),
});

/** Answer of rotate routes without a token. */
export const rotated = z.object({
  version: z.number().int(),
  state: z.enum(['current', 'pending']),
  previousVersion: z.number().int().nullable(),
});

// ---- rotation ---------------------------------------------------------------------------------

/** Query of `GET /rotation/due`. */
export const dueQuery = z.strictObject({
  within: z.string().min(1).max(32).optional().describe("look-ahead duration, e.g. '7d'"),
  limit: pageQuery.limit,
});

const dueItem = z.object({
  id: z.string(),
  kind: z.enum(['api_key', 'secret', 'key']),
  name: z.string(),
  environment: z.string(),
  tenantId: z.string().nullable(),
  dueAt: epochMs.nullable(),
  actions: z.array(z.looseObject({ type: z.string(), at: epochMs })),
});

/** Answer of `GET /rotation/due`. */
export const dueList = z.object({ items: z.array(dueItem) });

/** Body of `POST /rotation/run`. */
export const runDueBody = z.strictObject({
  dryRun: z.boolean().optional(),
  limit: z.number().int().min(1).max(10_000).optional(),
});

const idVersion = z.object({ id: z.string(), version: z.number().int() });

/** Answer of `POST /rotation/run` (new API-key tokens are never in it). */
export const runDueReport = z.object({
  rotated: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['api_key', 'secret', 'key']),
      version: z.number().int(),
      previousVersion: z.number().int().nullable(),
      strategy,
    }),
  ),
  promoted: z.array(idVersion),
  retired: z.array(idVersion),
  expired: z.array(z.object({ id: z.string() })),
  notified: z.array(z.object({ id: z.string(), version: z.number().int(), reason: z.string() })),
  failed: z.array(z.object({ id: z.string(), code: z.string(), message: z.string() })),
  skipped: z.array(z.object({ id: z.string(), reason: z.string() })),
  planned: z.array(dueItem),
});

/** A stored policy. */
export const policyInfo = z.object({
  every: z.number().nullable(),
  schedule: z.string().nullable(),
  cron: z.string().nullable(),
  strategy,
  overlap: z.number(),
  promoteAfter: z.number(),
  notifyBefore: z.number().nullable(),
  idleRetireAfter: z.number().nullable(),
  nextRotationAt: epochMs.nullable(),
  nextNoticeAt: epochMs.nullable(),
  lastRotatedAt: epochMs.nullable(),
  retryAt: epochMs.nullable(),
  attempts: z.number().int(),
});

// ---- audit ------------------------------------------------------------------------------------

/** Query of `GET /audit`. */
export const auditQuery = z.strictObject({
  keyId: z.string().min(1).max(128).optional(),
  type: z.string().min(1).max(64).optional(),
  since: z.coerce.number().int().optional().describe('inclusive, epoch ms'),
  until: z.coerce.number().int().optional().describe('exclusive, epoch ms'),
  ...pageQuery,
});

/** One audit event (never a secret). */
export const auditEvent = z.looseObject({
  seq: z.number().int(),
  type: z.string(),
  at: epochMs,
  keyId: z.string().nullable().optional(),
  actor: z.string().nullable().optional(),
  prevHash: z.string(),
  hash: z.string(),
});

/** A page of audit events. */
export const auditPage = z.object({ items: z.array(auditEvent), cursor: z.string().optional() });

/** Answer of `GET /audit/verify`. */
export const auditVerify = z.looseObject({
  ok: z.boolean(),
  count: z.number().int(),
  headHash: z.string().optional(),
  brokenAt: z.number().int().optional(),
  reason: z.string().optional(),
});

/** Answer of `POST /audit/checkpoint`. */
export const auditCheckpoint = z.looseObject({
  seq: z.number().int(),
  hash: z.string(),
  at: epochMs,
  signature: z.string(),
});

// ---- agent access -----------------------------------------------------------------------------

/** Body of `POST /access/tools` (checked in depth by the access service). */
export const registerToolBody = z.looseObject({
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(128).optional(),
  secret: z.string().min(1).max(128),
  environment: z.string().min(1).max(64).optional(),
  upstream: z.looseObject({ origin: z.string().min(1).max(2048), auth: jsonObject.optional() }),
  methods: z.array(z.string()).optional(),
  paths: z.array(z.string()).optional(),
  risk: z.string().optional(),
  approval: z.enum(['required', 'auto']).optional(),
  approvals: z.number().int().positive().optional(),
  maxDuration: durationSchema.optional(),
  maxCalls: z.number().int().positive().optional(),
});

/** Query of `GET /access/requests`. */
export const accessRequestsQuery = z.strictObject({
  status: z.string().min(1).max(32).optional(),
  toolId: z.string().min(1).max(128).optional(),
  ...pageQuery,
});

/** Query of `GET /access/sessions`. */
export const accessSessionsQuery = z.strictObject({
  status: z.string().min(1).max(32).optional(),
  ...pageQuery,
});

/** Body of `POST /access/requests/{id}/approve`. */
export const approveBody = z.strictObject({
  duration: durationSchema.optional().describe('narrows the requested duration; never widens it'),
});

/** Body of `POST /access/requests/{id}/deny`. */
export const denyBody = z.strictObject({ reason: z.string().min(1).max(512) });

/** Body of `POST /access/sessions/{id}/revoke`. */
export const revokeSessionBody = z.strictObject({ reason: z.string().min(1).max(512).optional() });

/** A tool, request or session of the access service (never a secret value or token). */
export const accessObject = z.looseObject({ id: z.string() });

/** A list of access objects. */
export const accessPage = z.object({ items: z.array(accessObject), cursor: z.string().optional() });

// ---- errors -----------------------------------------------------------------------------------

/** RFC 9457 problem details with the stable `code`. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  field: z.string().optional(),
});
