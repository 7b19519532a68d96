/**
 * `keywarden/schemas`: the schemas that validate the manager's option objects, for checking input
 * before it reaches keywarden (a form, a config file, an HTTP body) with the same rules and the same
 * field paths. Each is a `zod/mini` schema and so implements Standard Schema v1: any library that
 * takes a Standard Schema (tRPC, Hono's validator, TanStack Form, Valibot-agnostic code...) can use
 * it through `schema['~standard'].validate(value)`, and zod users can compose it.
 *
 * These are the same schema objects the manager parses with, so they cannot drift from it. The
 * output is the parsed form (durations such as `'30d'` become milliseconds), and its type is the
 * method's input type: pass `result.value` on as it is (also under `exactOptionalPropertyTypes`:
 * an optional field may be `undefined`, which the manager treats as absent). What they do not
 * check: positional arguments (names, ids, secret values, checked by each method) and the plain-
 * object rule (the manager also refuses class instances).
 *
 * @example
 * ```ts
 * import { apiKeyCreateSchema } from 'keywarden/schemas';
 *
 * const input: unknown = { name: 'billing', expiresIn: '30d' }; // a form, a config file, a body
 * const result = await apiKeyCreateSchema['~standard'].validate(input);
 * if (result.issues) console.log(result.issues[0]?.path); // which field is wrong
 * else await km.apiKeys.create(result.value); // typed: the input of create
 * ```
 * @module
 */
import { rotationPolicySchema as policySchema } from './records/policy-schema.js';
import {
  createInputSchema,
  listQuerySchema,
  revokeOptionsSchema,
  updatePatchSchema,
} from './store/api-keys/schemas.js';
import { createOptionsSchema, listKeysSchema } from './store/keys/schemas.js';
import { getOptionsSchema, listOptionsSchema, setOptionsSchema } from './store/secrets/schemas.js';

export type { RotationStrategyEnum } from './records/policy-schema.js';
export type { ApiKeyStatusEnum } from './store/api-keys/schemas.js';
export type { KeyAlgorithmEnum, KeyTypeEnum } from './store/keys/schemas.js';

/**
 * The input of `km.apiKeys.create(input)`.
 *
 * @example
 * ```ts
 * const r = apiKeyCreateSchema['~standard'].validate({ name: 'ci', scopes: ['deploy:*'], expiresIn: '30d' });
 * ```
 */
export const apiKeyCreateSchema = createInputSchema;

/**
 * The patch of `km.apiKeys.update(id, patch)`.
 *
 * @example
 * ```ts
 * const r = apiKeyUpdateSchema['~standard'].validate({ scopes: ['invoices:read'] });
 * ```
 */
export const apiKeyUpdateSchema = updatePatchSchema;

/**
 * The options of `km.apiKeys.revoke(id, options)`.
 *
 * @example
 * ```ts
 * const r = apiKeyRevokeSchema['~standard'].validate({ reason: 'leaked' });
 * ```
 */
export const apiKeyRevokeSchema = revokeOptionsSchema;

/**
 * The query of `km.apiKeys.list(query)`.
 *
 * @example
 * ```ts
 * const r = apiKeyListSchema['~standard'].validate({ status: 'active', limit: 50 });
 * ```
 */
export const apiKeyListSchema = listQuerySchema;

/**
 * The options of `km.secrets.set(name, value, options)`.
 *
 * @example
 * ```ts
 * const r = secretSetSchema['~standard'].validate({ environment: 'production', provider: 'openai' });
 * ```
 */
export const secretSetSchema = setOptionsSchema();

/**
 * The options of `km.secrets.get(name, options)`.
 *
 * @example
 * ```ts
 * const r = secretGetSchema['~standard'].validate({ environment: 'production', version: 2 });
 * ```
 */
export const secretGetSchema = getOptionsSchema();

/**
 * The options of `km.secrets.list(options)`.
 *
 * @example
 * ```ts
 * const r = secretListSchema['~standard'].validate({ environment: 'production' });
 * ```
 */
export const secretListSchema = listOptionsSchema();

/**
 * The options of `km.keys.create(options)`.
 *
 * @example
 * ```ts
 * const r = keyCreateSchema['~standard'].validate({ name: 'jwt', type: 'ecdsa', algorithm: 'ES256' });
 * ```
 */
export const keyCreateSchema = createOptionsSchema();

/**
 * The options of `km.keys.list(options)`.
 *
 * @example
 * ```ts
 * const r = keyListSchema['~standard'].validate({ tag: 'auth' });
 * ```
 */
export const keyListSchema = listKeysSchema();

/**
 * A rotation policy: `km.rotator.setPolicy(id, policy)` and the `rotation` option of every create.
 *
 * @example
 * ```ts
 * const r = rotationPolicySchema['~standard'].validate({ every: '30d', strategy: 'overlap', overlap: '7d' });
 * ```
 */
export const rotationPolicySchema = policySchema;
