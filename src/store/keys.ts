/**
 * `km.keys`: HMAC, AES, Ed25519, ECDSA and RSA keys, versioned, each version with a `kid`; private
 * and symmetric material sealed with envelope encryption, public JWKs stored in the clear.
 * See docs/secrets-and-keys.md.
 * @module
 */
import { parseInput } from '../internal/validate.js';
import type { AuditDraft, StoreContext } from '../records/context.js';
import { computeDueAt } from '../records/due.js';
import { deleteNamed, listNamed, loadNamed, newNamedRecord } from '../records/named.js';
import { applyInitialPolicy, policySetDraft } from '../records/policy.js';
import { eventBase } from '../records/record.js';
import { resolveScope } from '../records/scope.js';
import { createRecords } from '../records/write.js';
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
import { createOptionsSchema, listKeysSchema, resolveKeySpec } from './keys/schemas.js';

export type * from './key-types.js';
export {
  createKeyVersionMaterial,
  type KeyVersionMaterial,
  newKeyVersion,
  openKeyJwk,
} from './keys/material.js';

import { iteratePages } from '../internal/iterate.js';
import { signJwt, verifyJwt } from './keys/jwt.js';

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
  const view: KeysView = {
    async create(options: CreateKeyOptions): Promise<KeyInfo> {
      const o = parseInput(createOptionsSchema(), options, 'options');
      const spec = resolveKeySpec(o.type, o.algorithm, o.modulusLength);
      const { environment, tenantId } = resolveScope(o);
      const state = await ctx.ready();
      const now = ctx.clock.now();
      const id = ctx.newId();
      const data = { type: spec.type, alg: spec.alg, curve: spec.curve, modulusLength: spec.modulusLength };
      const version = await newKeyVersion(
        ctx,
        state,
        { id, data, name: o.name, tenantId, environment },
        { version: 1, state: 'current', now },
      );
      const base = newNamedRecord(
        {
          id,
          kind: 'key',
          name: o.name,
          tenantId,
          environment,
          data,
          expiresAt: o.expiresIn == null ? null : now + o.expiresIn,
          tags: o.tags ? [...o.tags] : [],
          meta: o.meta ?? {},
          versions: [version],
        },
        now,
      );
      const record = applyInitialPolicy(base, o.rotation, now);
      record.dueAt = computeDueAt(record);
      const created: AuditDraft = {
        type: 'key.created',
        recordId: id,
        kind: 'key',
        version: 1,
        tenantId,
        data: { type: spec.type, algorithm: spec.alg },
      };
      const policy = policySetDraft(record);
      await createRecords(ctx, [record], { audit: policy ? [created, policy] : created });
      ctx.notify({ ...eventBase(record, now, 1), type: 'key.created' });
      return toKeyInfo(record);
    },

    async info(name, options) {
      return toKeyInfo(await loadNamed(ctx, 'key', name, options));
    },

    async list(options?: ListKeysOptions): Promise<KeyList> {
      const o = parseInput(listKeysSchema(), options ?? {}, 'options');
      return listNamed(ctx, 'key', o, toKeyInfo);
    },

    iterate: (options) => iteratePages((o) => view.list(o), options, 'options'),

    sign: (name, data, options) => signWithKey(ctx, name, data, options),
    verify: (name, data, signature, options) => verifyWithKey(ctx, name, data, signature, options),
    signJwt: (name, claims, options) => signJwt(ctx, view, name, claims, options),
    verifyJwt: (name, token, options) => verifyJwt(ctx, view, name, token, options),
    jwks: (name, options) => keyJwks(ctx, name, options),
    export: (name, options) => exportKey(ctx, name, options),
    encrypt: (name, plaintext, options) => encryptWithKey(ctx, name, plaintext, options),
    decrypt: (name, ciphertext, options) => decryptWithKey(ctx, name, ciphertext, options),
    delete: (name, options) => deleteNamed(ctx, 'key', name, options, 'key.deleted'),
  };
  return view;
}
