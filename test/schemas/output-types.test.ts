/**
 * What each `keywarden/schemas` export parses to can be passed to the method it describes, as is,
 * under `exactOptionalPropertyTypes` (this repository's tsconfig has it on, the strictest setting a
 * user may have). zod's output of an optional field is `T | undefined` (a key given as `undefined`
 * stays in the output), so every method input accepts `undefined` wherever it accepts an absent
 * field, and treats the two alike. The `expectTypeOf` checks run in `npm run typecheck`; the calls
 * below pass `result.value` without a cast, so they are type-checked too, and they run.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { RotationPolicyInput } from '../../src/records/rotation-types.js';
import * as schemas from '../../src/schemas.js';
import type {
  CreateApiKeyInput,
  ListApiKeysQuery,
  UpdateApiKeyPatch,
  UpdateOptions,
} from '../../src/store/api-key-types.js';
import type { CreateKeyOptions, ListKeysOptions } from '../../src/store/key-types.js';
import type { GetSecretOptions, ListSecretsOptions, SetSecretOptions } from '../../src/store/secret-types.js';

/** What a Standard Schema user gets: `~standard.types.output`, not a zod-specific helper. */
interface StandardLike<O> {
  '~standard': {
    types?: { output: O } | undefined;
    validate(value: unknown): unknown;
  };
}
type Output<S extends StandardLike<unknown>> = NonNullable<S['~standard']['types']>['output'];

/** Validates through `~standard` as a library that knows nothing of zod would; throws on issues. */
async function parsed<S extends StandardLike<unknown>>(schema: S, value: unknown): Promise<Output<S>> {
  const r = (await schema['~standard'].validate(value)) as { value?: unknown; issues?: readonly unknown[] };
  if (r.issues) throw new Error(`unexpected issues: ${JSON.stringify(r.issues)}`);
  return r.value as Output<S>;
}

const u = undefined;

describe('schema outputs are method inputs (exactOptionalPropertyTypes)', () => {
  it('each output type extends the input type of its method', () => {
    expectTypeOf<Output<typeof schemas.apiKeyCreateSchema>>().toExtend<CreateApiKeyInput>();
    expectTypeOf<Output<typeof schemas.apiKeyUpdateSchema>>().toExtend<UpdateApiKeyPatch>();
    expectTypeOf<Output<typeof schemas.apiKeyRevokeSchema>>().toExtend<
      { reason?: string | undefined } & UpdateOptions
    >();
    expectTypeOf<Output<typeof schemas.apiKeyListSchema>>().toExtend<ListApiKeysQuery>();
    expectTypeOf<Output<typeof schemas.secretSetSchema>>().toExtend<SetSecretOptions>();
    expectTypeOf<Output<typeof schemas.secretGetSchema>>().toExtend<GetSecretOptions>();
    expectTypeOf<Output<typeof schemas.secretListSchema>>().toExtend<ListSecretsOptions>();
    expectTypeOf<Output<typeof schemas.keyCreateSchema>>().toExtend<CreateKeyOptions>();
    expectTypeOf<Output<typeof schemas.keyListSchema>>().toExtend<ListKeysOptions>();
    expectTypeOf<Output<typeof schemas.rotationPolicySchema>>().toExtend<RotationPolicyInput>();
    // the method parameters themselves, not only the named types
    type Km = ReturnType<typeof createKeyManager>;
    expectTypeOf<Output<typeof schemas.apiKeyCreateSchema>>().toExtend<
      Parameters<Km['apiKeys']['create']>[0]
    >();
    expectTypeOf<Output<typeof schemas.apiKeyRevokeSchema>>().toExtend<
      NonNullable<Parameters<Km['apiKeys']['revoke']>[1]>
    >();
    expectTypeOf<Output<typeof schemas.rotationPolicySchema>>().toExtend<
      NonNullable<Parameters<Km['rotator']['setPolicy']>[1]>
    >();
  });

  it('the parsed values, undefined fields included, go to the methods as they are', async () => {
    const km = createKeyManager({
      storage: memoryStorage(),
      kms: localKms({ masterKey: generateMasterKey() }),
    });
    try {
      const create = await parsed(schemas.apiKeyCreateSchema, {
        name: 'ci',
        ownerId: 'acme',
        prefix: u,
        expiresIn: '30d',
        rotation: { every: '30d', overlap: '1d', notifyBefore: u },
      });
      expect(Object.hasOwn(create, 'prefix')).toBe(true); // why the types must allow undefined
      const { key } = await km.apiKeys.create(create);
      expect(key.expiresAt! - key.createdAt).toBe(30 * 86_400_000);

      const patch = await parsed(schemas.apiKeyUpdateSchema, { name: 'ci-2', ownerId: u, refill: u });
      const updated = await km.apiKeys.update(key.id, patch);
      expect([updated.name, updated.ownerId]).toStrictEqual(['ci-2', 'acme']); // undefined kept the owner
      expect(
        (await km.apiKeys.list(await parsed(schemas.apiKeyListSchema, { ownerId: 'acme', cursor: u }))).items,
      ).toHaveLength(1);

      await km.secrets.set('S', 'v1', { provider: 'openai', description: 'kept' });
      const set = await parsed(schemas.secretSetSchema, { provider: u, description: u, expiresAt: u });
      const info = await km.secrets.set('S', 'v2', set);
      expect([info.provider, info.description]).toStrictEqual(['openai', 'kept']);
      expect(await km.secrets.get('S', await parsed(schemas.secretGetSchema, { version: 1, actor: u }))).toBe(
        'v1',
      );
      expect((await km.secrets.list(await parsed(schemas.secretListSchema, { tag: u }))).items).toHaveLength(
        1,
      );

      const signing = await km.keys.create(
        await parsed(schemas.keyCreateSchema, {
          name: 'jwt',
          type: 'ecdsa',
          algorithm: 'P-384',
          expiresIn: u,
        }),
      );
      expect([signing.algorithm, signing.expiresAt]).toStrictEqual(['ES384', null]);
      expect(
        (await km.keys.list(await parsed(schemas.keyListSchema, { limit: 10, tag: u }))).items,
      ).toHaveLength(1);
      const policy = await km.rotator.setPolicy(
        signing.id,
        await parsed(schemas.rotationPolicySchema, { every: 'weekly', strategy: u, overlap: '2h' }),
      );
      expect([policy?.schedule, policy?.strategy, policy?.overlap]).toStrictEqual([
        'weekly',
        'overlap',
        7_200_000,
      ]);

      const revoked = await km.apiKeys.revoke(
        key.id,
        await parsed(schemas.apiKeyRevokeSchema, { reason: 'done', actor: u }),
      );
      expect([revoked.status, revoked.revokeReason]).toStrictEqual(['revoked', 'done']);
    } finally {
      await km.close();
    }
  });

  it('an update patch whose fields are all undefined changes nothing, like {}', async () => {
    const km = createKeyManager({
      storage: memoryStorage(),
      kms: localKms({ masterKey: generateMasterKey() }),
    });
    try {
      const { key } = await km.apiKeys.create({ name: 'a', ownerId: 'acme' });
      for (const patch of [{}, { ownerId: u }, { name: u, status: u }]) {
        const error = await km.apiKeys.update(key.id, patch).catch((e: unknown) => e);
        expect(isKeywardenError(error, 'ERR_VALIDATION') && error.field, JSON.stringify(patch)).toBe('patch');
        expect((await schemas.apiKeyUpdateSchema['~standard'].validate(patch)).issues).toBeDefined();
      }
      const after = await km.apiKeys.update(key.id, { scopes: ['read'], ownerId: u, meta: u });
      expect(after.revision).toBe(key.revision + 1);
      const events = (await km.audit.list({ recordId: key.id, type: 'key.updated' })).items;
      expect(events.map((e) => e.data)).toStrictEqual([{ fields: ['scopes'], status: 'active' }]);
    } finally {
      await km.close();
    }
  });
});
