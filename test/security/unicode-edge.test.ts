import { describe, expect, it } from 'vitest';
import { isWellFormedString } from '../../src/internal/validate.js';
import type { KeyManager } from '../../src/manager/key-manager.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { expectValidationWithoutWrites, untyped, type ValidationCase } from '../support/store-context.js';

// Lone surrogates reach a database as U+FFFD, so 't\uD800' and 't\uFFFD' would name one tenant.
const HIGH = 'x\uD800';
const LOW = '\uDC00x';
const REVERSED = 'a\uDC00\uD800b';

const api = (km: KeyManager) => untyped(km.apiKeys);
const secrets = (km: KeyManager) => untyped(km.secrets);
const keys = (km: KeyManager) => untyped(km.keys);
const noSeed = async (km: KeyManager): Promise<void> => {
  await km.ready();
};

const CASES: ValidationCase[] = [
  ['apiKeys.create name', 'name', (km) => api(km).create!({ name: HIGH })],
  ['apiKeys.create tenantId', 'tenantId', (km) => api(km).create!({ name: 'n', tenantId: LOW })],
  ['apiKeys.create ownerId', 'ownerId', (km) => api(km).create!({ name: 'n', ownerId: REVERSED })],
  ['apiKeys.verify tenantId', 'options.tenantId', (km) => api(km).verify!('kw_x', { tenantId: HIGH })],
  ['apiKeys.list tenantId', 'tenantId', (km) => api(km).list!({ tenantId: HIGH })],
  ['secrets.set name', 'name', (km) => secrets(km).set!(`s${HIGH}`, 'v')],
  ['secrets.set tenantId', 'options.tenantId', (km) => secrets(km).set!('s', 'v', { tenantId: `t${HIGH}` })],
  [
    'secrets.set description',
    'options.description',
    (km) => secrets(km).set!('s', 'v', { description: LOW }),
  ],
  ['secrets.get name', 'name', (km) => secrets(km).get!(`s${LOW}`)],
  ['secrets.get tenantId', 'options.tenantId', (km) => secrets(km).get!('s', { tenantId: `t${HIGH}` })],
  ['keys.create name', 'options.name', (km) => keys(km).create!({ name: HIGH, type: 'hmac' })],
  [
    'keys.create tenantId',
    'options.tenantId',
    (km) => keys(km).create!({ name: 'k', type: 'hmac', tenantId: REVERSED }),
  ],
];

describe('lone surrogates are refused at the edge with ERR_VALIDATION, nothing written', () => {
  for (const [label, field, run] of CASES) {
    it(label, async () => {
      await expectValidationWithoutWrites(noSeed, field, run);
    });
  }

  it('the 0.1 aliasing: t\\uFFFD does not reach the secret of t\\uD800 (the latter cannot be written)', async () => {
    const { km } = createTestKeyManager();
    await expect(km.secrets.set('x', 'for-t-ufffd', { tenantId: 't\uFFFD' })).resolves.toBeDefined();
    await expect(km.secrets.set('x', 'for-t-ud800', { tenantId: 't\uD800' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      field: 'options.tenantId',
    });
    expect(await km.secrets.get('x', { tenantId: 't\uFFFD' })).toBe('for-t-ufffd');
    await km.close();
  });

  it('paired surrogates (emoji) and U+FFFD itself are accepted', async () => {
    const { km } = createTestKeyManager();
    await km.secrets.set('emoji-\u{1F511}', 'v', { tenantId: 'tenant-\u{1F600}' });
    expect(await km.secrets.get('emoji-\u{1F511}', { tenantId: 'tenant-\u{1F600}' })).toBe('v');
    await km.close();
  });
});

describe('isWellFormedString', () => {
  it('matches String.prototype.isWellFormed on edge cases', () => {
    const samples = [
      '',
      'abc',
      '\u{1F600}',
      '\uD800',
      '\uDC00',
      '\uD800\uDC00',
      '\uDC00\uD800',
      'a\uD800',
      '\uDBFF\uDFFF',
      '\uFFFD',
    ];
    for (const s of samples) {
      const native = (s as unknown as { isWellFormed(): boolean }).isWellFormed();
      expect(isWellFormedString(s)).toBe(native);
    }
  });
});
