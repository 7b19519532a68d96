/**
 * zod schemas of the agent access inputs. Fields are named without a root (`upstream.origin`,
 * `duration`), as in the other views.
 * @internal
 * @module
 */
import * as z from 'zod/mini';
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
  .check(z.minLength(1), z.maxLength(64), z.regex(/^[a-z0-9][a-z0-9_-]*$/));

/**
 * A record id (request or session): 12 base62 characters.
 *
 * @example
 * ```ts
 * const value = parseInput(recordIdSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const recordIdSchema = z.string().check(z.regex(/^[0-9A-Za-z]{12}$/));

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
  .pipe(
    z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/)),
    z.transform((v) => v.toLowerCase()),
  )
  .check(
    z.refine(
      (v) => !['host', 'content-length', 'transfer-encoding', 'connection', 'cookie', 'upgrade'].includes(v),
      'must not be a hop-by-hop, framing, host or cookie header',
    ),
  );

/** `upstream.auth`. */
const authSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bearer') }),
  z.strictObject({ type: z.literal('header'), name: headerNameSchema }),
  z.strictObject({ type: z.literal('basic') }),
]);

/** An origin `https://host[:port]` (or `http:` with `allowPrivateNetwork`); output: `URL.origin`. */
const originSchema = z.pipe(
  z.string().check(
    z.minLength(1),
    z.maxLength(2048),
    z.superRefine((v, ctx) => {
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
    }),
  ),
  z.transform((v) => new URL(v).origin),
);

const upstreamSchema = z
  .strictObject({
    origin: originSchema,
    auth: authSchema,
    allowPrivateNetwork: z.optional(z.boolean()),
  })
  .check(
    z.superRefine((v, ctx) => {
      if (v.origin.startsWith('http:') && v.allowPrivateNetwork !== true) {
        ctx.addIssue({
          code: 'custom',
          path: ['origin'],
          message: 'must use https (http only with allowPrivateNetwork: true)',
        });
      }
    }),
  );

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
    z.pipe(
      z.pipe(
        z.string(),
        z.transform((m) => m.toUpperCase()),
      ),
      z.string().check(z.regex(METHOD_PATTERN)),
    ),
  )
  .check(
    z.minLength(1),
    z.maxLength(16),
    z.refine((a) => new Set(a).size === a.length, 'must not repeat a method'),
  );

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
    z.string().check(
      z.superRefine((p, ctx) => {
        const problem = patternProblem(p);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
      }),
    ),
  )
  .check(
    z.minLength(1),
    z.maxLength(64),
    z.refine((a) => new Set(a).size === a.length, 'must not repeat a path'),
  );

const positiveDuration = durationSchema.check(z.refine((ms) => ms >= 1000, 'must be at least 1 second'));
const callsSchema = z.number().check(z.int(), z.gte(1), z.lte(1_000_000_000));

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
  name: z.optional(nameSchema),
  description: z.optional(z.string().check(z.maxLength(1000), z.regex(NO_CONTROL))),
  secret: nameSchema,
  environment: z.optional(environmentSchema),
  upstream: upstreamSchema,
  methods: z.optional(methodsSchema),
  paths: z.optional(pathsSchema),
  risk: z.optional(z.enum(['low', 'medium', 'high'])),
  approval: z.optional(z.enum(['required', 'auto'])),
  approvals: z.optional(z.number().check(z.int(), z.gte(1), z.lte(10))),
  maxDuration: z.optional(positiveDuration),
  maxCalls: z.optional(z.nullable(callsSchema)),
  actor: z.optional(actorSchema),
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
  onBehalfOf: z.optional(actorSchema),
  justification: z.string().check(z.minLength(1), z.maxLength(1000), z.regex(/^(?:[^\p{Cc}]|[\t\n\r])*$/u)),
  context: z.optional(metaSchema),
  duration: z.optional(positiveDuration),
  maxCalls: z.optional(callsSchema),
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
  duration: z.optional(positiveDuration),
  maxCalls: z.optional(callsSchema),
  methods: z.optional(methodsSchema),
  paths: z.optional(pathsSchema),
  note: z.optional(z.string().check(z.maxLength(1000), z.regex(NO_CONTROL))),
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
  reason: z.string().check(z.minLength(1), z.maxLength(1000), z.regex(NO_CONTROL)),
});

/**
 * Options of `requests.cancel` and `tools.remove`.
 *
 * @example
 * ```ts
 * const value = parseInput(actorOptionsSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const actorOptionsSchema = z.strictObject({ actor: z.optional(actorSchema) });

/**
 * Options of `sessions.revoke`.
 *
 * @example
 * ```ts
 * const value = parseInput(revokeSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const revokeSchema = z.strictObject({
  reason: z.optional(z.string().check(z.minLength(1), z.maxLength(1000), z.regex(NO_CONTROL))),
  actor: z.optional(actorSchema),
});

const pageShape = {
  limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
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
  status: z.optional(z.enum(['pending', 'approved', 'active', 'ended', 'denied', 'expired', 'cancelled'])),
  toolId: z.optional(toolIdSchema),
  agentId: z.optional(actorSchema),
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
  status: z.optional(z.enum(['active', 'expired', 'revoked', 'exhausted'])),
  toolId: z.optional(toolIdSchema),
  agentId: z.optional(actorSchema),
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
  toolId: z.optional(z.string().check(z.maxLength(64))),
  method: z.optional(z.string().check(z.maxLength(16))),
  path: z.optional(z.string().check(z.maxLength(4096))),
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
  pendingTtl: z.optional(positiveDuration),
  maxSessionDuration: z.optional(positiveDuration),
  tenantId: z.optional(z.nullable(idLikeSchema)),
  auditCalls: z.optional(z.boolean()),
  secretCacheTtl: z.optional(
    durationSchema.check(
      z.refine((ms) => ms <= MAX_SECRET_CACHE_TTL, 'must be at most 1 minute (0 turns the cache off)'),
    ),
  ),
  violationThrottle: z.optional(
    z.union([
      z.literal(false),
      z.strictObject({
        window: z.optional(positiveDuration),
        maxUnattributed: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1_000_000))),
      }),
    ]),
  ),
  auditBatch: z.optional(
    z.union([
      z.literal(false),
      z.strictObject({
        window: z.optional(
          durationSchema.check(z.refine((ms) => ms >= 1 && ms <= 10_000, 'must be from 1 ms to 10 seconds')),
        ),
        maxRows: z.optional(z.number().check(z.int(), z.gte(1), z.lte(100_000))),
      }),
    ]),
  ),
});

/**
 * Options of `access.sweep`.
 *
 * @example
 * ```ts
 * const value = parseInput(sweepSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const sweepSchema = z.strictObject({
  limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(100_000))),
});

/**
 * Options of `access.reportViolation`.
 *
 * @example
 * ```ts
 * const value = parseInput(violationSchema, input, 'input'); // ERR_VALIDATION naming the field
 * ```
 */
export const violationSchema = z.strictObject({
  toolId: z.optional(z.nullable(toolIdSchema)),
  sessionId: z.optional(z.nullable(recordIdSchema)),
  reason: z.string().check(z.minLength(1), z.maxLength(1000), z.regex(NO_CONTROL)),
  context: z.optional(
    z.strictObject({
      ip: z.optional(z.string().check(z.maxLength(64), z.regex(NO_CONTROL))),
      userAgent: z.optional(z.string().check(z.maxLength(512), z.regex(NO_CONTROL))),
    }),
  ),
});
