/**
 * Routes for API keys: create (token shown once), list, get (ETag from the revision), update
 * (`If-Match`), revoke, delete, rotate (new token shown once) and verify. Keys with `keywarden:`
 * scopes can only be managed by a `keywarden:admin` operator. Portable: no node:*.
 * @module
 */

import type { KeyManager } from '../../manager/key-manager.js';
import type { ApiKeyInfo, CreateApiKeyInput, UpdateApiKeyPatch } from '../../store/api-key-types.js';
import { assertMayManage } from '../auth.js';
import { assertIfMatch, recordEtag } from '../etag.js';
import { defineRoute, type Operator, type Route } from '../route.js';
import {
  apiKeyInfo,
  apiKeyPage,
  createApiKeyBody,
  createdApiKey,
  idParams,
  listApiKeysQuery,
  revokeBody,
  rotateBody,
  rotatedApiKey,
  updateApiKeyBody,
  verifyApiKeyBody,
  verifyResult,
} from '../schemas.js';
import { compact, expectedUnder, preconditionFailed } from './util.js';

/** The strong ETag of an API key's representation. */
function keyEtag(key: ApiKeyInfo): string {
  return recordEtag(key.revision, JSON.stringify(key));
}

/** Loads a key, checks `If-Match` against its revision and the operator's right to touch it. */
async function loadForChange(km: KeyManager, id: string, operator: Operator, ifMatch: string | null) {
  const key = await km.apiKeys.get(id);
  assertIfMatch(ifMatch, keyEtag(key));
  assertMayManage(operator, key.scopes);
  return key;
}

/** The API-key routes. */
export const apiKeyRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/api-keys',
    operationId: 'listApiKeys',
    summary: 'List API keys (cursor pagination)',
    tag: 'api-keys',
    scope: 'keywarden:read',
    query: listApiKeysQuery,
    status: 200,
    response: apiKeyPage,
    handler: async ({ km }, { query }) => ({ status: 200, body: await km.apiKeys.list(compact(query)) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api-keys',
    operationId: 'createApiKey',
    summary: 'Create an API key; the token is in this answer only',
    tag: 'api-keys',
    scope: 'keywarden:write',
    body: createApiKeyBody,
    status: 201,
    response: createdApiKey,
    idempotent: true,
    sensitive: true,
    handler: async ({ km }, { body, operator }) => {
      assertMayManage(operator, body.scopes);
      const input = { ...compact(body), actor: operator.id } as CreateApiKeyInput;
      const { token, key } = await km.apiKeys.create(input);
      return { status: 201, body: { token, key }, etag: keyEtag(key) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api-keys/verify',
    operationId: 'verifyApiKey',
    summary: 'Verify a token (the answer never holds it)',
    tag: 'api-keys',
    scope: 'keywarden:read',
    body: verifyApiKeyBody,
    status: 200,
    response: verifyResult,
    handler: async ({ km }, { body }) => {
      const { token, ...options } = body;
      return { status: 200, body: await km.apiKeys.verify(token, compact(options)) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api-keys/{id}',
    operationId: 'getApiKey',
    summary: 'Get an API key (ETag from its revision)',
    tag: 'api-keys',
    scope: 'keywarden:read',
    params: idParams,
    status: 200,
    response: apiKeyInfo,
    handler: async ({ km }, { params }) => {
      const key = await km.apiKeys.get(params.id);
      return { status: 200, body: key, etag: keyEtag(key) };
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api-keys/{id}',
    operationId: 'updateApiKey',
    summary: 'Update an API key (If-Match with its ETag)',
    tag: 'api-keys',
    scope: 'keywarden:write',
    params: idParams,
    body: updateApiKeyBody,
    status: 200,
    response: apiKeyInfo,
    ifMatch: true,
    handler: async ({ km }, { params, body, operator, ifMatch }) => {
      const loaded = await loadForChange(km, params.id, operator, ifMatch);
      assertMayManage(operator, body.scopes);
      const key = await km.apiKeys
        .update(params.id, compact(body) as UpdateApiKeyPatch, {
          actor: operator.id,
          ...expectedUnder(ifMatch, loaded),
        })
        .catch(preconditionFailed(ifMatch, 'API key'));
      return { status: 200, body: key, etag: keyEtag(key) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api-keys/{id}',
    operationId: 'deleteApiKey',
    summary: 'Delete an API key',
    tag: 'api-keys',
    scope: 'keywarden:write',
    params: idParams,
    status: 204,
    ifMatch: true,
    handler: async ({ km }, { params, operator, ifMatch }) => {
      const loaded = await loadForChange(km, params.id, operator, ifMatch);
      await km.apiKeys
        .delete(params.id, { actor: operator.id, ...expectedUnder(ifMatch, loaded) })
        .catch(preconditionFailed(ifMatch, 'API key'));
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api-keys/{id}/revoke',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    tag: 'api-keys',
    scope: 'keywarden:write',
    params: idParams,
    body: revokeBody,
    status: 200,
    response: apiKeyInfo,
    ifMatch: true,
    handler: async ({ km }, { params, body, operator, ifMatch }) => {
      const loaded = await loadForChange(km, params.id, operator, ifMatch);
      const key = await km.apiKeys
        .revoke(params.id, { ...compact(body), actor: operator.id, ...expectedUnder(ifMatch, loaded) })
        .catch(preconditionFailed(ifMatch, 'API key'));
      return { status: 200, body: key, etag: keyEtag(key) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api-keys/{id}/rotate',
    operationId: 'rotateApiKey',
    summary: 'Rotate an API key; the new token is in this answer only',
    tag: 'api-keys',
    scope: 'keywarden:write',
    params: idParams,
    body: rotateBody,
    status: 201,
    response: rotatedApiKey,
    idempotent: true,
    ifMatch: true,
    sensitive: true,
    handler: async ({ km }, { params, body, operator, ifMatch }) => {
      const loaded = await loadForChange(km, params.id, operator, ifMatch);
      const r = await km.rotator
        .rotate(params.id, { ...compact(body), actor: operator.id, ...expectedUnder(ifMatch, loaded) })
        .catch(preconditionFailed(ifMatch, 'API key'));
      return {
        status: 201,
        body: { version: r.version, state: r.state, previousVersion: r.previousVersion, token: r.token },
      };
    },
  }),
];
