/**
 * The shape of one management route: method, path, the operator scope it needs, the zod schemas
 * of its path parameters, query and body (which both validate requests and generate the OpenAPI
 * document), its response schema and its handler. Portable: no node:*.
 * @module
 */
import type * as z from 'zod/mini';
import type { KeyManager } from '../manager/key-manager.js';
import type { AccessLike } from './access-types.js';

/** Scopes of operator keys. `keywarden:admin` (or `keywarden:*`) implies every other one. */
export const OPERATOR_SCOPES = [
  'keywarden:read',
  'keywarden:write',
  'keywarden:approve',
  'keywarden:reveal',
  'keywarden:admin',
] as const;

/** One operator scope. */
export type OperatorScope = (typeof OPERATOR_SCOPES)[number];

/** The authenticated caller of a management route. Never holds its token. */
export interface Operator {
  /** The identity recorded as actor and approver: the key's `ownerId`, else the key id. */
  id: string;
  /** The operator key's id. */
  keyId: string;
  /** The operator key's `ownerId`. */
  ownerId: string | null;
  /** True when the key holds `keywarden:admin` (or `keywarden:*`). */
  admin: boolean;
}

/** What every handler can reach. */
export interface RouteContext {
  /** The key manager the API serves. */
  km: KeyManager;
  /** The agent-access service, when the API was built with one. */
  access: AccessLike | undefined;
}

/** One call of a handler: the validated inputs and the operator. */
export interface RouteCall<P, Q, B> {
  /** Path parameters (`{id}`, `{name}`), validated by the route's `params` schema. */
  params: P;
  /** Query parameters, validated by the route's `query` schema. */
  query: Q;
  /** The JSON body, validated by the route's `body` schema (undefined when it has none). */
  body: B;
  /** The authenticated operator (its API key) making the call. */
  operator: Operator;
  /** The raw `If-Match` header, or null. */
  ifMatch: string | null;
}

/** What a handler answers. */
export interface RouteResult {
  /** HTTP status to answer with (the route's declared `status` on success). */
  status: number;
  /** JSON body (absent for 204). */
  body?: unknown;
  /** A strong ETag for the resource (e.g. from its revision); GETs without one get a weak one. */
  etag?: string;
}

type Out<S> = S extends z.ZodMiniType ? z.output<S> : undefined;

/** A route definition (see {@link defineRoute}). */
export interface RouteSpec<
  P extends z.ZodMiniType | undefined,
  Q extends z.ZodMiniType | undefined,
  B extends z.ZodMiniType | undefined,
> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI-style path template, e.g. `/api-keys/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  /** OpenAPI tag (the resource family). */
  tag: string;
  scope: OperatorScope;
  params?: P;
  query?: Q;
  body?: B;
  /** Status of a successful answer. */
  status: number;
  /** Schema of the successful answer's body (absent for 204). */
  response?: z.ZodMiniType;
  /** Accepts `Idempotency-Key` (creates). */
  idempotent?: boolean;
  /** Honours `If-Match` (compared with the resource's current ETag). */
  ifMatch?: boolean;
  /** The answer holds a token or secret value (documented; every answer is `no-store` anyway). */
  sensitive?: boolean;
  handler(ctx: RouteContext, call: RouteCall<Out<P>, Out<Q>, Out<B>>): Promise<RouteResult>;
}

/** A route of the table, with its types erased. */
// biome-ignore lint/suspicious/noExplicitAny: the table holds routes of many input types
export type Route = RouteSpec<any, any, any>;

/**
 * Defines a route, inferring the handler's input types from its schemas.
 *
 * @example
 * ```ts
 * const getKey = defineRoute({
 *   method: 'GET', path: '/api-keys/{id}', operationId: 'getApiKey', summary: 'Get an API key',
 *   tag: 'api-keys', scope: 'keywarden:read', params: z.object({ id: z.string() }), status: 200,
 *   handler: async ({ km }, { params }) => ({ status: 200, body: await km.apiKeys.get(params.id) }),
 * });
 * ```
 * @throws never
 */
export function defineRoute<
  P extends z.ZodMiniType | undefined = undefined,
  Q extends z.ZodMiniType | undefined = undefined,
  B extends z.ZodMiniType | undefined = undefined,
>(spec: RouteSpec<P, Q, B>): Route {
  return spec as Route;
}
