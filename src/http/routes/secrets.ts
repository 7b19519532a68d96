/**
 * Routes for secrets: list, metadata, set (new version), versions, rollback, delete, and the
 * only route that returns a value, `POST /secrets/{name}/reveal` (scope `keywarden:reveal`,
 * audited by the library as `secret.read` with the operator as its actor). `GET /secrets/{name}`
 * answers a strong ETag from the record's revision; `PUT`, `DELETE` and rollback honour `If-Match`
 * with it as a compare-and-swap (a change landing in between is 412, never overwritten).
 * Portable: no node:*.
 * @module
 */
import { isKeywardenError } from '../../errors.js';
import type { KeyManager } from '../../manager/key-manager.js';
import type { SecretInfo, SecretScope, SetSecretOptions } from '../../store/secret-types.js';
import { assertIfMatch, recordEtag } from '../etag.js';
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
import { compact, expectedUnder, preconditionFailed } from './util.js';

/** The strong ETag of a secret's metadata. */
function secretEtag(info: SecretInfo): string {
  return recordEtag(info.revision, JSON.stringify(info));
}

/**
 * Under `If-Match`, reads the secret's metadata and checks the header against its ETag (a secret
 * that does not exist fails the precondition: 412). Without the header, no read, null.
 */
async function loadForChange(
  km: KeyManager,
  name: string,
  scope: SecretScope,
  ifMatch: string | null,
): Promise<SecretInfo | null> {
  if (ifMatch === null) return null;
  const info = await km.secrets.info(name, scope).catch((error: unknown) => {
    if (isKeywardenError(error, 'ERR_NOT_FOUND')) {
      throw new HttpProblem(412, 'ERR_PRECONDITION_FAILED', 'If-Match names a secret that does not exist');
    }
    throw error;
  });
  assertIfMatch(ifMatch, secretEtag(info));
  return info;
}

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
    handler: async ({ km }, { params, query }) => {
      const info = await km.secrets.info(params.name, compact(query));
      return { status: 200, body: info, etag: secretEtag(info) };
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/secrets/{name}',
    operationId: 'setSecret',
    summary:
      'Set a secret (a new current version when it exists; If-Match with its ETag); answers its metadata',
    tag: 'secrets',
    scope: 'keywarden:write',
    params: nameParams,
    query: scopeQuerySchema,
    body: setSecretBody,
    status: 200,
    response: secretInfo,
    idempotent: true,
    ifMatch: true,
    handler: async ({ km }, { params, query, body, ifMatch }) => {
      const { value, ...options } = body;
      const loaded = await loadForChange(km, params.name, compact(query), ifMatch);
      const info = await km.secrets
        .set(params.name, value, {
          ...compact(options),
          ...compact(query),
          ...expectedUnder(ifMatch, loaded),
        } as SetSecretOptions)
        .catch(preconditionFailed(ifMatch, 'secret'));
      return { status: 200, body: info, etag: secretEtag(info) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/secrets/{name}',
    operationId: 'deleteSecret',
    summary: 'Delete a secret and every version (If-Match with its ETag)',
    tag: 'secrets',
    scope: 'keywarden:write',
    params: nameParams,
    query: scopeQuerySchema,
    status: 204,
    ifMatch: true,
    handler: async ({ km }, { params, query, ifMatch }) => {
      const loaded = await loadForChange(km, params.name, compact(query), ifMatch);
      const deleted = await km.secrets
        .delete(params.name, { ...compact(query), ...expectedUnder(ifMatch, loaded) })
        .catch(preconditionFailed(ifMatch, 'secret'));
      if (!deleted) {
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
    summary: "Make an earlier version current again (If-Match with the secret's ETag)",
    tag: 'secrets',
    scope: 'keywarden:write',
    params: nameParams,
    query: scopeQuerySchema,
    body: rollbackSecretBody,
    status: 200,
    response: secretRollback,
    ifMatch: true,
    handler: async ({ km }, { params, query, body, ifMatch }) => {
      const loaded = await loadForChange(km, params.name, compact(query), ifMatch);
      const rolled = await km.secrets
        .rollback(params.name, { ...compact(query), ...compact(body), ...expectedUnder(ifMatch, loaded) })
        .catch(preconditionFailed(ifMatch, 'secret'));
      return { status: 200, body: rolled };
    },
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
