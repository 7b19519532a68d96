/**
 * Routes for secrets: list, metadata, set (new version), versions, rollback, delete, and the
 * only route that returns a value, `POST /secrets/{name}/reveal` (scope `keywarden:reveal`,
 * audited by the library as `secret.read` with the operator as its actor). Portable: no node:*.
 * @module
 */
import type { SetSecretOptions } from '../../store/secret-types.js';
import { HttpProblem } from '../problem.js';
import { defineRoute, type Route } from '../route.js';
import {
  listSecretsQuery,
  nameParams,
  revealedSecret,
  revealSecretBody,
  rollbackSecretBody,
  scopeQuerySchema,
  secretInfo,
  secretPage,
  secretRollback,
  secretVersions,
  setSecretBody,
} from '../schemas.js';
import { compact } from './util.js';

/** The secret routes. */
export const secretRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/secrets',
    operationId: 'listSecrets',
    summary: 'List secrets (metadata only, cursor pagination)',
    tag: 'secrets',
    scope: 'keywarden:read',
    query: listSecretsQuery,
    status: 200,
    response: secretPage,
    handler: async ({ km }, { query }) => ({ status: 200, body: await km.secrets.list(compact(query)) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/secrets/{name}',
    operationId: 'getSecret',
    summary: 'Get the metadata of a secret (never its value)',
    tag: 'secrets',
    scope: 'keywarden:read',
    params: nameParams,
    query: scopeQuerySchema,
    status: 200,
    response: secretInfo,
    handler: async ({ km }, { params, query }) => ({
      status: 200,
      body: await km.secrets.info(params.name, compact(query)),
    }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/secrets/{name}',
    operationId: 'setSecret',
    summary: 'Set a secret (a new current version when it exists); answers its metadata',
    tag: 'secrets',
    scope: 'keywarden:write',
    params: nameParams,
    query: scopeQuerySchema,
    body: setSecretBody,
    status: 200,
    response: secretInfo,
    idempotent: true,
    handler: async ({ km }, { params, query, body }) => {
      const { value, ...options } = body;
      const info = await km.secrets.set(params.name, value, {
        ...compact(options),
        ...compact(query),
      } as SetSecretOptions);
      return { status: 200, body: info };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/secrets/{name}',
    operationId: 'deleteSecret',
    summary: 'Delete a secret and every version',
    tag: 'secrets',
    scope: 'keywarden:write',
    params: nameParams,
    query: scopeQuerySchema,
    status: 204,
    handler: async ({ km }, { params, query }) => {
      if (!(await km.secrets.delete(params.name, compact(query)))) {
        throw new HttpProblem(404, 'ERR_NOT_FOUND', 'secret not found', { field: 'params.name' });
      }
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/secrets/{name}/versions',
    operationId: 'listSecretVersions',
    summary: 'List the versions of a secret (no values)',
    tag: 'secrets',
    scope: 'keywarden:read',
    params: nameParams,
    query: scopeQuerySchema,
    status: 200,
    response: secretVersions,
    handler: async ({ km }, { params, query }) => ({
      status: 200,
      body: { items: await km.secrets.versions(params.name, compact(query)) },
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/secrets/{name}/rollback',
    operationId: 'rollbackSecret',
    summary: 'Make an earlier version current again',
    tag: 'secrets',
    scope: 'keywarden:write',
    params: nameParams,
    query: scopeQuerySchema,
    body: rollbackSecretBody,
    status: 200,
    response: secretRollback,
    handler: async ({ km }, { params, query, body }) => ({
      status: 200,
      body: await km.secrets.rollback(params.name, { ...compact(query), ...compact(body) }),
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/secrets/{name}/reveal',
    operationId: 'revealSecret',
    summary: 'Reveal the value of a secret (audited as secret.read; the only route that returns one)',
    tag: 'secrets',
    scope: 'keywarden:reveal',
    params: nameParams,
    query: scopeQuerySchema,
    body: revealSecretBody,
    status: 200,
    response: revealedSecret,
    sensitive: true,
    handler: async ({ km }, { params, query, body, operator }) => {
      // the secret.read audit event names the operator who revealed it
      const value = await km.secrets.get(params.name, {
        ...compact(query),
        ...compact(body),
        actor: operator.id,
      });
      return {
        status: 200,
        body: {
          name: params.name,
          environment: query.environment ?? 'default',
          version: body.version ?? null,
          value,
        },
      };
    },
  }),
];
