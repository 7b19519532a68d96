/**
 * `keywarden/http`: the management API of a key manager as a portable fetch handler, its route
 * table and its OpenAPI 3.1 document. Node's `http` and Express mount it through
 * `keywarden/http/node`. Portable: no node:*.
 *
 * @example
 * ```ts
 * import { managementApi } from 'keywarden/http';
 * const api = managementApi(km, { basePath: '/admin' });
 * export default { fetch: api }; // Bun, Deno, Workers
 * ```
 * @module
 */
export type { AccessLike, AccessRequestLike, ListResult } from './access-types.js';
export { grantsOperatorPower, hasOperatorScope } from './auth.js';
export { type ManagementApi, type ManagementApiOptions, managementApi } from './handler.js';
export type { IdempotencyOptions } from './idempotency.js';
export { type OpenApiOptions, openApiDocument } from './openapi.js';
export { HttpProblem, type ProblemBody, type ProblemCode, STATUS_BY_ERROR_CODE } from './problem.js';
export {
  OPERATOR_SCOPES,
  type Operator,
  type OperatorScope,
  type Route,
  type RouteCall,
  type RouteContext,
  type RouteResult,
} from './route.js';
export { ROUTES } from './table.js';
