/**
 * Routes for signing keys: list, create, get (strong ETag from the record's revision), public
 * JWKS and rotate (`If-Match` with that ETag: a compare-and-swap). No route returns key material.
 * Portable: no node:*.
 * @module
 */
import type { CreateKeyOptions, KeyInfo } from '../../store/key-types.js';
import { assertIfMatch, recordEtag } from '../etag.js';
import { defineRoute, type Route } from '../route.js';
import {
  createKeyBody,
  jwks,
  keyInfo,
  keyPage,
  listKeysQuery,
  nameParams,
  rotateBody,
  rotated,
  scopeQuerySchema,
} from '../schemas.js';
import { compact, expectedUnder, preconditionFailed } from './util.js';

/** The strong ETag of a signing key's metadata. */
function keyEtag(key: KeyInfo): string {
  return recordEtag(key.revision, JSON.stringify(key));
}

/** The signing-key routes. */
export const signingKeyRoutes: Route[] = [
  defineRoute({
    method: 'GET',
    path: '/signing-keys',
    operationId: 'listSigningKeys',
    summary: 'List signing keys (cursor pagination)',
    tag: 'signing-keys',
    scope: 'keywarden:read',
    query: listKeysQuery,
    status: 200,
    response: keyPage,
    handler: async ({ km }, { query }) => ({ status: 200, body: await km.keys.list(compact(query)) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/signing-keys',
    operationId: 'createSigningKey',
    summary: 'Create a signing (or encryption) key',
    tag: 'signing-keys',
    scope: 'keywarden:write',
    body: createKeyBody,
    status: 201,
    response: keyInfo,
    idempotent: true,
    handler: async ({ km }, { body }) => ({
      status: 201,
      body: await km.keys.create(compact(body) as CreateKeyOptions),
    }),
  }),
  defineRoute({
    method: 'GET',
    path: '/signing-keys/{name}',
    operationId: 'getSigningKey',
    summary: 'Get a signing key (versions and kids, never material)',
    tag: 'signing-keys',
    scope: 'keywarden:read',
    params: nameParams,
    query: scopeQuerySchema,
    status: 200,
    response: keyInfo,
    handler: async ({ km }, { params, query }) => {
      const key = await km.keys.info(params.name, compact(query));
      return { status: 200, body: key, etag: keyEtag(key) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/signing-keys/{name}/jwks',
    operationId: 'getSigningKeyJwks',
    summary: 'The public JWKS of a key (pending, current and previous versions)',
    tag: 'signing-keys',
    scope: 'keywarden:read',
    params: nameParams,
    query: scopeQuerySchema,
    status: 200,
    response: jwks,
    handler: async ({ km }, { params, query }) => ({
      status: 200,
      body: await km.keys.jwks(params.name, compact(query)),
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/signing-keys/{name}/rotate',
    operationId: 'rotateSigningKey',
    summary: 'Rotate a signing key (If-Match with its ETag)',
    tag: 'signing-keys',
    scope: 'keywarden:write',
    params: nameParams,
    query: scopeQuerySchema,
    body: rotateBody,
    status: 201,
    response: rotated,
    idempotent: true,
    ifMatch: true,
    handler: async ({ km }, { params, query, body, operator, ifMatch }) => {
      const key = await km.keys.info(params.name, compact(query));
      assertIfMatch(ifMatch, keyEtag(key));
      const r = await km.rotator
        .rotate(key.id, { ...compact(body), actor: operator.id, ...expectedUnder(ifMatch, key) })
        .catch(preconditionFailed(ifMatch, 'signing key'));
      return {
        status: 201,
        body: { version: r.version, state: r.state, previousVersion: r.previousVersion },
      };
    },
  }),
];
