/**
 * `km.apiKeys`: issue API keys (token shown once, stored as a peppered HMAC), verify them, and
 * manage their lifecycle. See docs/api-keys.md.
 * @module
 */

import { iteratePages } from '../internal/iterate.js';
import type { StoreContext } from '../records/context.js';
import type { ApiKeysView } from './api-key-types.js';
import { createApiKey, createManyApiKeys } from './api-keys/create.js';
import {
  apiKeyUsage,
  deleteApiKey,
  getApiKey,
  listApiKeys,
  revokeApiKey,
  updateApiKey,
} from './api-keys/manage.js';
import { createVerifier } from './api-keys/verify.js';

/**
 * Builds the API-key view over a store context.
 *
 * @example
 * ```ts
 * const apiKeys = createApiKeysView(ctx);
 * const { token, key } = await apiKeys.create({ name: 'ci', scopes: ['deploy:*'] });
 * const r = await apiKeys.verify(token, { scopes: ['deploy:prod'] }); // r.valid === true
 * ```
 * @throws never itself; each method documents its errors (`ERR_VALIDATION`, `ERR_NOT_FOUND`,
 *   `ERR_AUDIT`, `ERR_STORAGE`, `ERR_CLOSED`...).
 */
export function createApiKeysView(ctx: StoreContext): ApiKeysView {
  const verify = createVerifier(ctx);
  return Object.freeze({
    create: (input) => createApiKey(ctx, input),
    createMany: (inputs) => createManyApiKeys(ctx, inputs),
    verify,
    get: (id) => getApiKey(ctx, id),
    list: (query) => listApiKeys(ctx, query),
    iterate: (query) => iteratePages((q) => listApiKeys(ctx, q), query),
    update: (id, patch, options) => updateApiKey(ctx, id, patch, options),
    revoke: (id, options) => revokeApiKey(ctx, id, options),
    delete: (id, options) => deleteApiKey(ctx, id, options),
    usage: (id, options) => apiKeyUsage(ctx, id, options),
  } satisfies ApiKeysView);
}
