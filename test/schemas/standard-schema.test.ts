/**
 * `keywarden/schemas`: the option schemas implement Standard Schema v1 (used here only through
 * `~standard`, as a library that knows nothing of zod would), and they agree with the manager:
 * what the schema refuses the manager refuses with `ERR_VALIDATION` naming the same field, and what
 * it accepts the manager accepts.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import * as schemas from '../../src/schemas.js';

interface StandardResult {
  value?: unknown;
  issues?: readonly { message: string; path?: readonly (PropertyKey | { key: PropertyKey })[] }[];
}
interface StandardSchemaLike {
  '~standard': {
    version: number;
    vendor: string;
    validate(value: unknown): StandardResult | Promise<StandardResult>;
  };
}

const validate = async (schema: unknown, value: unknown) =>
  await (schema as StandardSchemaLike)['~standard'].validate(value);
const pathOf = (r: StandardResult) =>
  (r.issues?.[0]?.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');

async function managerError(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    if (isKeywardenError(error, 'ERR_VALIDATION')) return error.field;
    throw error;
  }
}

describe('keywarden/schemas', () => {
  it('every export is a Standard Schema v1', () => {
    const names = Object.keys(schemas);
    expect(names.length).toBe(10);
    for (const name of names) {
      const standard = (schemas as Record<string, StandardSchemaLike>)[name]!['~standard'];
      expect(standard.version, name).toBe(1);
      expect(standard.vendor, name).toBe('zod');
      expect(typeof standard.validate, name).toBe('function');
    }
  });

  it('gives the parsed output (durations in ms) and the failing field', async () => {
    const ok = await validate(schemas.apiKeyCreateSchema, {
      name: 'ci',
      scopes: ['deploy:*'],
      expiresIn: '30d',
    });
    expect(ok.issues).toBeUndefined();
    expect(ok.value).toMatchObject({ name: 'ci', expiresIn: 30 * 86_400_000 });
    const bad = await validate(schemas.apiKeyCreateSchema, {
      name: 'ci',
      rateLimit: { limit: 0, window: '1m' },
    });
    expect(pathOf(bad)).toBe('rateLimit.limit');
    const both = await validate(schemas.apiKeyCreateSchema, { name: 'ci', expiresIn: '1d', expiresAt: 1 });
    expect(pathOf(both)).toBe('expiresAt');
    const policy = await validate(schemas.rotationPolicySchema, { every: '30d', strategy: 'sometimes' });
    expect(pathOf(policy)).toBe('strategy');
  });

  it('agrees with the manager on what it refuses and accepts, field for field', async () => {
    const km = createKeyManager({
      storage: memoryStorage(),
      kms: localKms({ masterKey: generateMasterKey() }),
    });
    const cases: { schema: unknown; value: Record<string, unknown>; call: (v: never) => Promise<unknown> }[] =
      [
        { schema: schemas.apiKeyCreateSchema, value: { name: '' }, call: (v) => km.apiKeys.create(v) },
        {
          schema: schemas.apiKeyCreateSchema,
          value: { name: 'a', scopes: [''] },
          call: (v) => km.apiKeys.create(v),
        },
        { schema: schemas.apiKeyListSchema, value: { limit: 0 }, call: (v) => km.apiKeys.list(v) },
        {
          schema: schemas.secretSetSchema,
          value: { environment: '' },
          call: (v) => km.secrets.set('S', 'x', v),
        },
        { schema: schemas.secretListSchema, value: { environment: 7 }, call: (v) => km.secrets.list(v) },
        {
          schema: schemas.keyCreateSchema,
          value: { name: 'k', type: 'ecdsa', algorithm: 'HS1' },
          call: (v) => km.keys.create(v),
        },
        { schema: schemas.keyListSchema, value: { tag: '' }, call: (v) => km.keys.list(v) },
      ];
    for (const { schema, value, call } of cases) {
      const r = await validate(schema, value);
      expect(r.issues, JSON.stringify(value)).toBeDefined();
      const field = await managerError(() => call(value as never));
      expect(field, JSON.stringify(value)).toMatch(new RegExp(`(^|\\.)${pathOf(r).replaceAll('.', '\\.')}$`));
    }
    const good = {
      name: 'billing',
      scopes: ['invoices:*'],
      expiresIn: '90d',
      rateLimit: { limit: 5, window: '1m' },
    };
    expect((await validate(schemas.apiKeyCreateSchema, good)).issues).toBeUndefined();
    expect((await km.apiKeys.create(good)).key.name).toBe('billing');
    await km.close();
  });
});
