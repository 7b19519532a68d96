import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError, type KeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { onlyKeywardenErrors } from './fuzz-helpers.js';

const anything = fc.anything({
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withNullPrototype: true,
  withSparseArray: true,
  withBoxedValues: true,
});

describe('public methods fuzzed with arbitrary input throw only KeywardenError', () => {
  const { km } = createTestKeyManager();
  const setup = (async () => {
    const { token } = await km.apiKeys.create({ name: 'fuzz' });
    await km.secrets.set('FUZZ', 'v');
    await km.keys.create({ name: 'fz', type: 'ed25519' });
    await km.keys.create({ name: 'fzh', type: 'hmac' });
    return token;
  })();
  const runs = { numRuns: 300 };

  it('apiKeys', async () => {
    await setup;
    await fc.assert(
      fc.asyncProperty(anything, anything, async (a, b) => {
        await onlyKeywardenErrors(() => km.apiKeys.create(a as never));
        await onlyKeywardenErrors(() => km.apiKeys.update(a as never, b as never));
        await onlyKeywardenErrors(() => km.apiKeys.list(a as never));
        await onlyKeywardenErrors(() => km.apiKeys.get(a as never));
        await onlyKeywardenErrors(() => km.apiKeys.revoke(a as never, b as never));
        await onlyKeywardenErrors(() => km.apiKeys.createMany(a as never));
      }),
      runs,
    );
  });

  it('createMany rejects a sparse array with ERR_VALIDATION naming the hole (regression)', async () => {
    await setup;
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const sparse = [{ name: 'a' }, , { name: 'b' }];
    await expect(km.apiKeys.createMany(sparse as never)).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      field: '1',
    });
  });

  it('verify never throws for any token', async () => {
    const token = await setup;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anything,
          fc.string(),
          fc.constant(token),
          fc.string().map((s) => token + s),
        ),
        async (t) => {
          const r = await km.apiKeys.verify(t as never);
          expect(r.valid === false || t === token).toBe(true);
        },
      ),
      runs,
    );
    await fc.assert(
      fc.asyncProperty(anything, async (o) => {
        await onlyKeywardenErrors(() => km.apiKeys.verify(token, o as never));
      }),
      runs,
    );
  });

  it('secrets', async () => {
    await setup;
    await fc.assert(
      fc.asyncProperty(anything, anything, anything, async (a, b, c) => {
        await onlyKeywardenErrors(() => km.secrets.set(a as never, b as never, c as never));
        await onlyKeywardenErrors(() => km.secrets.set('FUZZ2', b as never, c as never));
        await onlyKeywardenErrors(() => km.secrets.get(a as never, b as never));
        await onlyKeywardenErrors(() => km.secrets.get('FUZZ', b as never));
        await onlyKeywardenErrors(() => km.secrets.list(a as never));
        await onlyKeywardenErrors(() => km.secrets.versions('FUZZ', b as never));
        await onlyKeywardenErrors(() => km.secrets.toEnv(a as never));
      }),
      runs,
    );
  });

  it('keys', async () => {
    await setup;
    await fc.assert(
      fc.asyncProperty(anything, anything, anything, async (a, b, c) => {
        await onlyKeywardenErrors(() => km.keys.create(a as never));
        for (const name of ['fz', 'fzh', a]) {
          await onlyKeywardenErrors(() => km.keys.sign(name as never, b as never, c as never));
          await onlyKeywardenErrors(() => km.keys.verify(name as never, a as never, b as never, c as never));
          await onlyKeywardenErrors(() => km.keys.export(name as never, b as never));
          await onlyKeywardenErrors(() => km.keys.jwks(name as never, b as never));
          await onlyKeywardenErrors(() => km.keys.encrypt(name as never, b as never, c as never));
          await onlyKeywardenErrors(() => km.keys.decrypt(name as never, b as never, c as never));
        }
      }),
      runs,
    );
  });

  /** Objects whose keys are the real option names and whose values are anything. */
  const optionsOf = (...keys: string[]) => fc.dictionary(fc.constantFrom(...keys), anything, { maxKeys: 4 });

  it('known option names with arbitrary values', async () => {
    await setup;
    const apiKeyOptions = optionsOf(
      'name',
      'prefix',
      'ownerId',
      'tenantId',
      'environment',
      'scopes',
      'tags',
      'meta',
      'expiresIn',
      'expiresAt',
      'remaining',
      'refill',
      'rateLimit',
      'actor',
      'status',
      'cursor',
      'limit',
      'tag',
      'cost',
      'context',
      'reason',
    );
    const secretOptions = optionsOf(
      'environment',
      'tenantId',
      'provider',
      'envVar',
      'tags',
      'meta',
      'expiresAt',
      'description',
      'version',
      'tag',
      'limit',
      'cursor',
    );
    const keyOptions = optionsOf(
      'name',
      'type',
      'algorithm',
      'modulusLength',
      'environment',
      'tenantId',
      'tags',
      'meta',
      'expiresIn',
      'version',
      'format',
      'includePrivate',
      'aad',
      'tag',
      'limit',
      'cursor',
    );
    await fc.assert(
      fc.asyncProperty(apiKeyOptions, secretOptions, keyOptions, async (a, s, k) => {
        await onlyKeywardenErrors(() => km.apiKeys.create({ name: 'n', ...a } as never));
        await onlyKeywardenErrors(() => km.apiKeys.list(a as never));
        await onlyKeywardenErrors(() => km.apiKeys.createMany([{ name: 'n', ...a }] as never));
        await onlyKeywardenErrors(() => km.secrets.set('FUZZ3', 'v', s as never));
        await onlyKeywardenErrors(() => km.secrets.get('FUZZ', s as never));
        await onlyKeywardenErrors(() => km.secrets.list(s as never));
        await onlyKeywardenErrors(() => km.keys.create({ name: 'k2', type: 'hmac', ...k } as never));
        await onlyKeywardenErrors(() => km.keys.export('fz', k as never));
        await onlyKeywardenErrors(() => km.keys.sign('fzh', 'd', k as never));
        await onlyKeywardenErrors(() => km.keys.list(k as never));
        await onlyKeywardenErrors(() =>
          createKeyManager({
            storage: memoryStorage(),
            kms: localKms({ masterKey: generateMasterKey() }),
            ...a,
          } as never).ready(),
        );
      }),
      runs,
    );
    const { token } = await km.apiKeys.create({ name: 'v' });
    await fc.assert(
      fc.asyncProperty(apiKeyOptions, async (o) => {
        await onlyKeywardenErrors(() => km.apiKeys.verify(token, o as never));
        await onlyKeywardenErrors(async () => {
          const [first] = (await km.apiKeys.list({ limit: 1 })).items;
          if (first) await km.apiKeys.update(first.id, o as never);
        });
      }),
      runs,
    );
  });

  it('createKeyManager options', async () => {
    await fc.assert(
      fc.asyncProperty(anything, async (o) => {
        await onlyKeywardenErrors(() => localKms(o as never));
        await onlyKeywardenErrors(async () => {
          const m = createKeyManager(o as never);
          await m.ready();
        });
      }),
      runs,
    );
  });
});

describe('unknown option keys in error messages', () => {
  const { km } = createTestKeyManager();

  it('names an identifier-like unknown key (a typo) but never quotes other key text', async () => {
    await expect(km.secrets.set('n', 'v', { enviroment: 'x' } as never)).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      field: 'options',
      message: expect.stringContaining('enviroment'),
    });
    const secretKey = 'sk-live-0123456789abcdef\nInjected: yes';
    const error = await km.secrets
      .set('n', 'v', { [secretKey]: 1, enviroment: 'x' } as never)
      .catch((e) => e);
    expect(isKeywardenError(error, 'ERR_VALIDATION')).toBe(true);
    expect(error.message).toContain('2 unknown keys');
    expect(error.message).toContain('enviroment');
    expect(error.message).not.toContain('sk-live');
    expect(error.message).not.toContain('\n');
    const only = await km.apiKeys.verify('kw_x', { [secretKey]: true } as never).catch((e) => e);
    expect(isKeywardenError(only, 'ERR_VALIDATION')).toBe(true);
    expect(only.message).not.toContain('sk-live');
  });
});

describe('unknown keys of other option objects', () => {
  const { km } = createTestKeyManager();
  const secretKey = 'sk-live-0123456789abcdef\nInjected: yes';

  it('verify context rejects inherited names such as constructor (regression: was accepted, unbounded)', async () => {
    const { token } = await km.apiKeys.create({ name: 'ctx' });
    for (const k of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      await expect(
        km.apiKeys.verify(token, { context: { [k]: 'x'.repeat(100_000) } } as never),
      ).rejects.toMatchObject({ code: 'ERR_VALIDATION', field: `options.context.${k}` });
    }
    expect((await km.apiKeys.verify(token, { context: { ip: '10.0.0.1' } })).valid).toBe(true);
  });

  it('names typo keys in the field but never quotes other key text', async () => {
    const cases: [run: () => unknown, typoField: string, weirdField: string][] = [
      [() => km.apiKeys.verify('kw_x', { scope: [] } as never), 'options.scope', 'options'],
      [() => km.apiKeys.create({ name: 'n', scope: [] } as never), 'scope', 'input'],
      [
        () => localKms({ masterKey: generateMasterKey(), masterkey: 'x' } as never),
        'options.masterkey',
        'options',
      ],
    ];
    for (const [run, typoField] of cases) {
      const e = await Promise.resolve()
        .then(run)
        .catch((x) => x);
      expect(e).toMatchObject({ code: 'ERR_VALIDATION', field: typoField });
    }
    const weird: [() => unknown, string][] = [
      [() => km.apiKeys.verify('kw_x', { [secretKey]: 1 } as never), 'options'],
      [() => km.apiKeys.verify('kw_x', { context: { [secretKey]: 'x' } } as never), 'options.context'],
      [() => km.apiKeys.create({ name: 'n', [secretKey]: 1 } as never), 'input'],
      [() => km.apiKeys.createMany([{ name: 'n', [secretKey]: 1 }] as never), '0'],
      [() => localKms({ masterKey: generateMasterKey(), [secretKey]: 1 } as never), 'options'],
    ];
    for (const [run, field] of weird) {
      const e = (await Promise.resolve()
        .then(run)
        .catch((x: unknown) => x)) as KeywardenError;
      expect(e).toMatchObject({ code: 'ERR_VALIDATION', field });
      expect(`${e.message} ${e.field}`).not.toContain('sk-live');
      expect(e.message).not.toContain('\n');
    }
  });
});
