/**
 * `km.keys`: HMAC, AES, Ed25519, ECDSA and RSA keys, versioned, each version with a `kid`; private
 * and symmetric material sealed with envelope encryption, public JWKs stored in the clear.
 * See docs/secrets-and-keys.md.
 * @module
 */
import { isKeywardenError } from '../errors.js';
import { parseInput } from '../internal/validate.js';
import type { ListQuery, StoredRecord } from '../ports/storage.js';
import type { StoreContext } from './context.js';
import { computeDueAt } from './due.js';
import type { CreateKeyOptions, KeyInfo, KeyList, KeysView, ListKeysOptions } from './key-types.js';
import { toKeyInfo } from './keys/info.js';
import { newKeyVersion } from './keys/material.js';
import {
  decryptWithKey,
  encryptWithKey,
  exportKey,
  keyJwks,
  signWithKey,
  verifyWithKey,
} from './keys/ops.js';
import {
  createOptionsSchema,
  keyNameSchema,
  keyScopeSchema,
  listKeysSchema,
  resolveKeySpec,
} from './keys/schemas.js';
import { eventBase, loadByName } from './records.js';
import { auditMutation } from './secrets/audited.js';
import { resolveScope } from './secrets/scope.js';

export type * from './key-types.js';
export {
  createKeyVersionMaterial,
  type KeyVersionMaterial,
  newKeyVersion,
  openKeyJwk,
} from './keys/material.js';

/**
 * Builds `km.keys` over a store context. The manager calls it; you use `km.keys`.
 *
 * @example
 * ```ts
 * await km.keys.create({ name: 'webhooks', type: 'hmac', algorithm: 'HS256' });
 * const sig = await km.keys.sign('webhooks', body);
 * await km.keys.verify('webhooks', body, sig); // true
 * await km.keys.create({ name: 'jwt', type: 'ed25519' });
 * const jwks = await km.keys.jwks('jwt'); // { keys: [{ kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' }] }
 * ```
 * @throws never itself; its methods throw `ERR_VALIDATION` (naming the field, nothing written),
 *   `ERR_ALREADY_EXISTS`, `ERR_NOT_FOUND`, `ERR_INVALID_STATE`, `ERR_DECRYPT`, `ERR_KMS`, `ERR_AUDIT`, `ERR_STORAGE`.
 */
export function createKeysView(ctx: StoreContext): KeysView {
  async function load(name: unknown, options: unknown): Promise<StoredRecord> {
    const n = parseInput(keyNameSchema, name, 'name');
    const o = parseInput(keyScopeSchema, options ?? {}, 'options');
    const { environment, tenantId } = resolveScope(o);
    await ctx.ready();
    return loadByName(ctx, 'key', n, environment, tenantId);
  }

  return {
    async create(options: CreateKeyOptions): Promise<KeyInfo> {
      const o = parseInput(createOptionsSchema, options, 'options');
      const spec = resolveKeySpec(o.type, o.algorithm, o.modulusLength);
      const { environment, tenantId } = resolveScope(o);
      const state = await ctx.ready();
      const now = ctx.clock.now();
      const id = ctx.newId();
      const data = { type: spec.type, alg: spec.alg, curve: spec.curve, modulusLength: spec.modulusLength };
      const version = await newKeyVersion(ctx, state, { id, data }, { version: 1, state: 'current', now });
      const record: StoredRecord = {
        id,
        kind: 'key',
        name: o.name,
        uniqueName: true,
        tenantId,
        environment,
        ownerId: null,
        status: 'active',
        revision: 1,
        createdAt: now,
        updatedAt: now,
        expiresAt: o.expiresIn == null ? null : now + o.expiresIn,
        dueAt: null,
        tags: o.tags ? [...o.tags] : [],
        provider: null,
        data,
        meta: o.meta ?? {},
        rotation: null,
        versions: [version],
      };
      record.dueAt = computeDueAt(record);
      await ctx.storage.create(record);
      await auditMutation(ctx, null, record, {
        type: 'key.created',
        keyId: id,
        kind: 'key',
        version: 1,
        tenantId,
        data: { type: spec.type, algorithm: spec.alg },
      });
      ctx.notify({ ...eventBase(record, now, 1), type: 'key.created' });
      return toKeyInfo(record);
    },

    async info(name, options) {
      return toKeyInfo(await load(name, options));
    },

    async list(options?: ListKeysOptions): Promise<KeyList> {
      const o = parseInput(listKeysSchema, options ?? {}, 'options');
      await ctx.ready();
      const query: ListQuery = { kind: 'key', limit: o.limit ?? 100 };
      if (o.environment !== undefined) query.environment = o.environment;
      if (o.tenantId !== undefined) query.tenantId = o.tenantId;
      if (o.tag !== undefined) query.tag = o.tag;
      if (o.cursor !== undefined) query.cursor = o.cursor;
      const page = await ctx.storage.list(query);
      const out: KeyList = { items: page.items.map(toKeyInfo) };
      if (page.cursor !== undefined) out.cursor = page.cursor;
      return out;
    },

    sign: (name, data, options) => signWithKey(ctx, name, data, options),
    verify: (name, data, signature, options) => verifyWithKey(ctx, name, data, signature, options),
    jwks: (name, options) => keyJwks(ctx, name, options),
    export: (name, options) => exportKey(ctx, name, options),
    encrypt: (name, plaintext, options) => encryptWithKey(ctx, name, plaintext, options),
    decrypt: (name, ciphertext, options) => decryptWithKey(ctx, name, ciphertext, options),

    async delete(name, options) {
      const n = parseInput(keyNameSchema, name, 'name');
      const o = parseInput(keyScopeSchema, options ?? {}, 'options');
      const { environment, tenantId } = resolveScope(o);
      await ctx.ready();
      for (let attempt = 1; ; attempt++) {
        const record = await ctx.storage.findByName(n, { kind: 'key', environment, tenantId });
        if (!record) return false;
        try {
          if (!(await ctx.storage.delete(record.id, { expectedRevision: record.revision }))) return false;
        } catch (error) {
          if (isKeywardenError(error, 'ERR_CONFLICT') && attempt < 10) continue;
          throw error;
        }
        await auditMutation(ctx, record, null, {
          type: 'key.deleted',
          keyId: record.id,
          kind: 'key',
          tenantId: record.tenantId,
        });
        return true;
      }
    },
  };
}
