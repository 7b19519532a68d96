/**
 * zod schemas of the agent access inputs. Fields are named without a root (`upstream.origin`,
 * `duration`), as in the other views.
 * @internal
 * @module
 */
import { z } from 'zod';
import {
  durationSchema,
  environmentSchema,
  idLikeSchema,
  metaSchema,
  nameSchema,
} from '../records/schemas.js';
import { METHOD_PATTERN, patternProblem } from './paths.js';
import { MAX_SECRET_CACHE_TTL } from './secret-cache.js';

const NO_CONTROL = /^[^\p{Cc}]*$/u;

/**
 * A tool id: 1-64 of `[a-z0-9_-]`, starting with a letter or digit (it is a URL path segment).
 *
 * @example
 * ```ts
 * const value = parseInput(toolIdSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const toolIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_-]*$/);

/**
 * A record id (request or session): 12 base62 characters.
 *
 * @example
 * ```ts
 * const value = parseInput(recordIdSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const recordIdSchema = z.string().regex(/^[0-9A-Za-z]{12}$/);

/**
 * An actor, agent or approver name: 1-128 characters, no control characters.
 *
 * @example
 * ```ts
 * const value = parseInput(actorSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const actorSchema = idLikeSchema;

/** An HTTP header name (RFC 9110 token), stored in lower case. */
const headerNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/)
  .transform((v) => v.toLowerCase())
  .refine(
    (v) => !['host', 'content-length', 'transfer-encoding', 'connection', 'cookie', 'upgrade'].includes(v),
    'must not be a hop-by-hop, framing, host or cookie header',
  );

/** `upstream.auth`. */
const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bearer') }),
  z.strictObject({ type: z.literal('header'), name: headerNameSchema }),
  z.strictObject({ type: z.literal('basic') }),
]);

/** An origin `https://host[:port]` (or `http:` with `allowPrivateNetwork`); output: `URL.origin`. */
const originSchema = z
  .string()
  .min(1)
  .max(2048)
  .superRefine((v, ctx) => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'must be an absolute URL origin like https://api.example.com',
      });
      return;
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: 'must use https (or http)' });
    } else if (u.username !== '' || u.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'must not contain credentials' });
    } else if (
      (u.pathname !== '/' && u.pathname !== '') ||
      u.search !== '' ||
      u.hash !== '' ||
      v.includes('?')
    ) {
      ctx.addIssue({ code: 'custom', message: 'must be an origin only (no path, query or fragment)' });
    }
  })
  .transform((v) => new URL(v).origin);

const upstreamSchema = z
  .strictObject({
    origin: originSchema,
    auth: authSchema,
    allowPrivateNetwork: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    if (v.origin.startsWith('http:') && v.allowPrivateNetwork !== true) {
      ctx.addIssue({
        code: 'custom',
        path: ['origin'],
        message: 'must use https (http only with allowPrivateNetwork: true)',
      });
    }
  });

/**
 * Methods: 1-16 upper-case HTTP tokens, no repeats.
 *
 * @example
 * ```ts
 * const value = parseInput(methodsSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const methodsSchema = z
  .array(
    z
      .string()
      .transform((m) => m.toUpperCase())
      .pipe(z.string().regex(METHOD_PATTERN)),
  )
  .min(1)
  .max(16)
  .refine((a) => new Set(a).size === a.length, 'must not repeat a method');

/**
 * Path patterns: 1-64, each checked by {@link patternProblem}.
 *
 * @example
 * ```ts
 * const value = parseInput(pathsSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const pathsSchema = z
  .array(
    z.string().superRefine((p, ctx) => {
      const problem = patternProblem(p);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    }),
  )
  .min(1)
  .max(64)
  .refine((a) => new Set(a).size === a.length, 'must not repeat a path');

const positiveDuration = durationSchema.refine((ms) => ms >= 1000, 'must be at least 1 second');
const callsSchema = z.number().int().min(1).max(1_000_000_000);

/**
 * Input of `tools.register`.
 *
 * @example
 * ```ts
 * const value = parseInput(registerToolSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const registerToolSchema = z.strictObject({
  id: toolIdSchema,
  name: nameSchema.optional(),
  description: z.string().max(1000).regex(NO_CONTROL).optional(),
  secret: nameSchema,
  environment: environmentSchema.optional(),
  upstream: upstreamSchema,
  methods: methodsSchema.optional(),
  paths: pathsSchema.optional(),
  risk: z.enum(['low', 'medium', 'high']).optional(),
  approval: z.enum(['required', 'auto']).optional(),
  approvals: z.number().int().min(1).max(10).optional(),
  maxDuration: positiveDuration.optional(),
  maxCalls: callsSchema.nullable().optional(),
  actor: actorSchema.optional(),
});
export type RegisterToolParsed = z.output<typeof registerToolSchema>;

/**
 * Input of `requests.create`.
 *
 * @example
 * ```ts
 * const value = parseInput(createRequestSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const createRequestSchema = z.strictObject({
  toolId: toolIdSchema,
  agentId: actorSchema,
  onBehalfOf: actorSchema.optional(),
  justification: z
    .string()
    .min(1)
    .max(1000)
    .regex(/^(?:[^\p{Cc}]|[\t\n\r])*$/u),
  context: metaSchema.optional(),
  duration: positiveDuration.optional(),
  maxCalls: callsSchema.optional(),
});
export type CreateRequestParsed = z.output<typeof createRequestSchema>;

/**
 * Options of `requests.approve`.
 *
 * @example
 * ```ts
 * const value = parseInput(approveSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const approveSchema = z.strictObject({
  approver: actorSchema,
  duration: positiveDuration.optional(),
  maxCalls: callsSchema.optional(),
  methods: methodsSchema.optional(),
  paths: pathsSchema.optional(),
  note: z.string().max(1000).regex(NO_CONTROL).optional(),
});
export type ApproveParsed = z.output<typeof approveSchema>;

/**
 * Options of `requests.deny`.
 *
 * @example
 * ```ts
 * const value = parseInput(denySchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const denySchema = z.strictObject({
  approver: actorSchema,
  reason: z.string().min(1).max(1000).regex(NO_CONTROL),
});

/**
 * Options of `requests.cancel` and `tools.remove`.
 *
 * @example
 * ```ts
 * const value = parseInput(actorOptionsSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const actorOptionsSchema = z.strictObject({ actor: actorSchema.optional() });

/**
 * Options of `sessions.revoke`.
 *
 * @example
 * ```ts
 * const value = parseInput(revokeSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const revokeSchema = z.strictObject({
  reason: z.string().min(1).max(1000).regex(NO_CONTROL).optional(),
  actor: actorSchema.optional(),
});

const pageShape = {
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).max(1024).optional(),
};

/**
 * Query of `tools.list`.
 *
 * @example
 * ```ts
 * const value = parseInput(toolListSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const toolListSchema = z.strictObject(pageShape);

/**
 * Query of `requests.list`.
 *
 * @example
 * ```ts
 * const value = parseInput(requestListSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const requestListSchema = z.strictObject({
  ...pageShape,
  status: z.enum(['pending', 'approved', 'active', 'ended', 'denied', 'expired', 'cancelled']).optional(),
  toolId: toolIdSchema.optional(),
  agentId: actorSchema.optional(),
});

/**
 * Query of `sessions.list`.
 *
 * @example
 * ```ts
 * const value = parseInput(sessionListSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const sessionListSchema = z.strictObject({
  ...pageShape,
  status: z.enum(['active', 'expired', 'revoked', 'exhausted']).optional(),
  toolId: toolIdSchema.optional(),
  agentId: actorSchema.optional(),
});

/**
 * Options of `access.verify`.
 *
 * @example
 * ```ts
 * const value = parseInput(verifyOptionsSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const verifyOptionsSchema = z.strictObject({
  toolId: z.string().max(64).optional(),
  method: z.string().max(16).optional(),
  path: z.string().max(4096).optional(),
});

/**
 * Options of `agentAccess(km, options)`.
 *
 * @example
 * ```ts
 * const value = parseInput(accessOptionsSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const accessOptionsSchema = z.strictObject({
  pendingTtl: positiveDuration.optional(),
  maxSessionDuration: positiveDuration.optional(),
  tenantId: idLikeSchema.nullable().optional(),
  auditCalls: z.boolean().optional(),
  secretCacheTtl: durationSchema
    .refine((ms) => ms <= MAX_SECRET_CACHE_TTL, 'must be at most 1 minute (0 turns the cache off)')
    .optional(),
  violationThrottle: z
    .union([
      z.literal(false),
      z.strictObject({
        window: positiveDuration.optional(),
        maxUnattributed: z.number().int().min(1).max(1_000_000).optional(),
      }),
    ])
    .optional(),
});

/**
 * Options of `access.sweep`.
 *
 * @example
 * ```ts
 * const value = parseInput(sweepSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const sweepSchema = z.strictObject({ limit: z.number().int().min(1).max(100_000).optional() });

/**
 * Options of `access.reportViolation`.
 *
 * @example
 * ```ts
 * const value = parseInput(violationSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const violationSchema = z.strictObject({
  toolId: toolIdSchema.nullable().optional(),
  sessionId: recordIdSchema.nullable().optional(),
  reason: z.string().min(1).max(1000).regex(NO_CONTROL),
  context: z
    .strictObject({
      ip: z.string().max(64).regex(NO_CONTROL).optional(),
      userAgent: z.string().max(512).regex(NO_CONTROL).optional(),
    })
    .optional(),
});
