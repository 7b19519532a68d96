import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import type { CreateApiKeyInput } from '../../src/store/api-key-types.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { expectKw, snapshot, wrapStorage } from './api-keys-helpers.js';

type Bad = [label: string, input: unknown, field: string];

const BAD_CREATE: Bad[] = [
  ['input not an object', 'name', 'input'],
  ['input null', null, 'input'],
  ['input array', [], 'input'],
  ['missing name', {}, 'name'],
  ['name not a string', { name: 12 }, 'name'],
  ['empty name', { name: '' }, 'name'],
  ['oversized name', { name: 'n'.repeat(129) }, 'name'],
  ['control character in name', { name: 'a\u0000b' }, 'name'],
  ['prefix uppercase', { name: 'k', prefix: 'A' }, 'prefix'],
  ['prefix leading _', { name: 'k', prefix: '_x' }, 'prefix'],
  ['prefix trailing _', { name: 'k', prefix: 'x_' }, 'prefix'],
  ['prefix 33 chars', { name: 'k', prefix: 'a'.repeat(33) }, 'prefix'],
  ['prefix with -', { name: 'k', prefix: 'a-b' }, 'prefix'],
  ['prefix empty', { name: 'k', prefix: '' }, 'prefix'],
  ['prefix not a string', { name: 'k', prefix: 5 }, 'prefix'],
  ['expiresIn negative', { name: 'k', expiresIn: -5 }, 'expiresIn'],
  ['expiresIn garbage', { name: 'k', expiresIn: 'soon' }, 'expiresIn'],
  ['expiresIn unknown unit', { name: 'k', expiresIn: '10x' }, 'expiresIn'],
  ['expiresIn fractional', { name: 'k', expiresIn: 1.5 }, 'expiresIn'],
  ['expiresIn empty', { name: 'k', expiresIn: '' }, 'expiresIn'],
  ['expiresIn zero', { name: 'k', expiresIn: 0 }, 'expiresIn'],
  ['expiresIn too long', { name: 'k', expiresIn: '1001y' }, 'expiresIn'],
  ['expiresAt in the past', { name: 'k', expiresAt: 1 }, 'expiresAt'],
  ['expiresAt a string', { name: 'k', expiresAt: '2031-01-01' }, 'expiresAt'],
  ['expiresAt invalid Date', { name: 'k', expiresAt: new Date('nope') }, 'expiresAt'],
  ['expiresIn and expiresAt', { name: 'k', expiresIn: '1d', expiresAt: Date.UTC(2031, 0, 1) }, 'expiresAt'],
  ['scopes not an array', { name: 'k', scopes: 'read' }, 'scopes'],
  ['scope with space', { name: 'k', scopes: ['ok', 'bad scope'] }, 'scopes.1'],
  ['scope empty', { name: 'k', scopes: [''] }, 'scopes.0'],
  ['scope wildcard in the middle', { name: 'k', scopes: ['a:*:b'] }, 'scopes.0'],
  ['too many scopes', { name: 'k', scopes: Array.from({ length: 257 }, (_, i) => `s${i}`) }, 'scopes'],
  ['duplicate tags', { name: 'k', tags: ['a', 'a'] }, 'tags'],
  ['bad tag', { name: 'k', tags: ['has space'] }, 'tags.0'],
  ['meta not an object', { name: 'k', meta: [1] }, 'meta'],
  ['meta with a function', { name: 'k', meta: { f: () => 1 } }, 'meta'],
  ['meta too big', { name: 'k', meta: { big: 'x'.repeat(20_000) } }, 'meta'],
  ['negative credits', { name: 'k', remaining: -1 }, 'remaining'],
  ['fractional credits', { name: 'k', remaining: 1.5 }, 'remaining'],
  ['credits as string', { name: 'k', remaining: '10' }, 'remaining'],
  ['refill amount 0', { name: 'k', refill: { amount: 0, every: '1d' } }, 'refill.amount'],
  ['refill every too short', { name: 'k', refill: { amount: 1, every: 10 } }, 'refill.every'],
  ['refill bad duration', { name: 'k', refill: { amount: 1, every: 'daily' } }, 'refill.every'],
  ['refill extra key', { name: 'k', refill: { amount: 1, every: '1d', at: 1 } }, 'refill'],
  [
    'refill with null credits',
    { name: 'k', remaining: null, refill: { amount: 1, every: '1d' } },
    'remaining',
  ],
  ['rateLimit limit 0', { name: 'k', rateLimit: { limit: 0, window: '1s' } }, 'rateLimit.limit'],
  ['rateLimit window 0', { name: 'k', rateLimit: { limit: 1, window: 0 } }, 'rateLimit.window'],
  ['rateLimit window garbage', { name: 'k', rateLimit: { limit: 1, window: '1 sec' } }, 'rateLimit.window'],
  ['environment with space', { name: 'k', environment: 'prod env' }, 'environment'],
  ['tenantId empty', { name: 'k', tenantId: '' }, 'tenantId'],
  ['ownerId too long', { name: 'k', ownerId: 'o'.repeat(129) }, 'ownerId'],
  ['rotation not an object', { name: 'k', rotation: '30d' }, 'rotation'],
  ['rotation every garbage', { name: 'k', rotation: { every: 'soon' } }, 'rotation.every'],
  ['rotation every under a minute', { name: 'k', rotation: { every: '30s' } }, 'rotation.every'],
  ['rotation every and cron', { name: 'k', rotation: { every: '1d', cron: '0 0 * * *' } }, 'rotation.cron'],
  ['rotation cron garbage', { name: 'k', rotation: { cron: 'every day' } }, 'rotation.cron'],
  ['rotation strategy unknown', { name: 'k', rotation: { strategy: 'random' } }, 'rotation.strategy'],
  ['rotation overlap negative', { name: 'k', rotation: { overlap: -1 } }, 'rotation.overlap'],
  [
    'rotation idleRetireAfter without gradual',
    { name: 'k', rotation: { idleRetireAfter: '1d' } },
    'rotation.idleRetireAfter',
  ],
  ['rotation unknown key', { name: 'k', rotation: { evry: '30d' } }, 'rotation'],
  ['unknown option', { name: 'k', hash: 'x' }, 'hash'],
];

describe('apiKeys.create rejects bad input and writes nothing', () => {
  it.each(BAD_CREATE)('%s', async (_label, input, field) => {
    const { km, storage } = createTestKeyManager();
    await km.ready();
    const before = await snapshot(storage);
    const error = await expectKw(
      () => km.apiKeys.create(input as CreateApiKeyInput),
      'ERR_VALIDATION',
      field,
    );
    expect(error.message.length).toBeGreaterThan(0);
    expect(await snapshot(storage)).toBe(before);
  });

  it('rejects bad manager defaults at construction', async () => {
    for (const prefix of ['A', '_x', 'x_', 'a'.repeat(33), 'a-b', '']) {
      await expectKw(
        async () => createTestKeyManager({ defaults: { apiKeyPrefix: prefix } }),
        'ERR_VALIDATION',
        'defaults.apiKeyPrefix',
      );
    }
    for (const expiresIn of ['-1d', 'abc', -1, 1.5, '']) {
      await expectKw(
        async () => createTestKeyManager({ defaults: { expiresIn } }),
        'ERR_VALIDATION',
        'defaults.expiresIn',
      );
    }
  });
});

describe('apiKeys.verify with bad tokens is MALFORMED, never throws, reads nothing', () => {
  it('rejects wrong checksum, length, alphabet and non-strings', async () => {
    let reads = 0;
    const { km, storage } = createTestKeyManager();
    const { token } = await km.apiKeys.create({ name: 'v' });
    const get = storage.get.bind(storage);
    storage.get = async (id) => {
      reads++;
      return get(id);
    };
    const last = token.at(-1) === '0' ? '1' : '0';
    const cases: unknown[] = [
      `${token.slice(0, -1)}${last}`, // checksum
      token.slice(0, -1), // length
      `${token}0`,
      token.replace('_', '-'), // layout
      `${token.slice(0, 20)}!${token.slice(21)}`, // alphabet
      token.toUpperCase(),
      ` ${token}`,
      '',
      'kw_',
      'x'.repeat(10_000),
      undefined,
      null,
      42,
      {},
      [token],
      { toString: () => token },
      new String(token),
      Symbol('t'),
      () => token,
    ];
    for (const t of cases) {
      expect(await km.apiKeys.verify(t)).toEqual({ valid: false, code: 'MALFORMED' });
    }
    expect(reads).toBe(0);
  });

  it('does not even initialize the store for a malformed token', async () => {
    const inner = memoryStorage();
    const calls: string[] = [];
    const counted = Object.fromEntries(
      Object.entries(wrapStorage(inner, {})).map(([k, v]) => [
        k,
        typeof v === 'function'
          ? (...args: unknown[]) => {
              calls.push(k);
              return (v as (...a: unknown[]) => unknown)(...args);
            }
          : v,
      ]),
    ) as unknown as StorageAdapter;
    const { km } = createTestKeyManager({ storage: counted });
    expect(await km.apiKeys.verify('kw_garbage')).toEqual({ valid: false, code: 'MALFORMED' });
    expect(await km.apiKeys.verify(undefined)).toEqual({ valid: false, code: 'MALFORMED' });
    expect(calls).toEqual([]);
    await km.ready();
    expect(calls.length).toBeGreaterThan(0);
  });

  it('property: arbitrary input never throws and never validates', async () => {
    const { km } = createTestKeyManager();
    await km.apiKeys.create({ name: 'p' });
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 100 }), fc.anything()), async (input) => {
        const r = await km.apiKeys.verify(input);
        expect(r.valid).toBe(false);
        if (!r.valid) expect(['MALFORMED', 'NOT_FOUND']).toContain(r.code);
      }),
      { numRuns: 300 },
    );
  });

  it('property: a mutated valid token never validates', async () => {
    const { km } = createTestKeyManager();
    const { token } = await km.apiKeys.create({ name: 'm' });
    await fc.assert(
      fc.asyncProperty(fc.nat(token.length - 1), fc.constantFrom(...'0aZ_-x9'), async (i, c) => {
        fc.pre(token[i] !== c);
        const t = token.slice(0, i) + c + token.slice(i + 1);
        const r = await km.apiKeys.verify(t);
        expect(r.valid).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects bad verify options with ERR_VALIDATION naming the option', async () => {
    const { km } = createTestKeyManager();
    const { token } = await km.apiKeys.create({ name: 'o' });
    const bad: [unknown, string][] = [
      ['x', 'options'],
      [{ scopes: 'a' }, 'options.scopes'],
      [{ scopes: ['ok', 'not ok'] }, 'options.scopes.1'],
      [{ cost: -1 }, 'options.cost'],
      [{ cost: 1.5 }, 'options.cost'],
      [{ cost: '1' }, 'options.cost'],
      [{ tenantId: '' }, 'options.tenantId'],
      [{ tenantId: 3 }, 'options.tenantId'],
      [{ context: { ip: 'x'.repeat(65) } }, 'options.context.ip'],
      [{ context: { cookie: 'x' } }, 'options.context.cookie'],
      [{ context: 'ip' }, 'options.context'],
      [{ extra: true }, 'options.extra'],
    ];
    for (const [options, field] of bad) {
      await expectKw(() => km.apiKeys.verify(token, options as object), 'ERR_VALIDATION', field);
    }
  });

  it('a frozen scope list is checked like any other, each time it is bad, and decides the same once cached', async () => {
    const { km } = createTestKeyManager();
    const { token } = await km.apiKeys.create({ name: 'f', scopes: ['files:read'] });
    const bad = Object.freeze(['files:read', 'not ok']) as string[]; // verify's option type is mutable
    for (let i = 0; i < 2; i++) {
      await expectKw(() => km.apiKeys.verify(token, { scopes: bad }), 'ERR_VALIDATION', 'options.scopes.1');
    }
    const granted = Object.freeze(['files:read']) as string[];
    const denied = Object.freeze(['files:write']) as string[];
    for (let i = 0; i < 3; i++) {
      // the second and later calls reuse the checked frozen list: same answers as the first
      expect((await km.apiKeys.verify(token, { scopes: granted })).valid).toBe(true);
      expect(await km.apiKeys.verify(token, { scopes: denied })).toMatchObject({
        valid: false,
        code: 'INSUFFICIENT_SCOPE',
      });
    }
    // a mutable list is still copied: changing it afterwards changes nothing already decided
    const mutable = ['files:read'];
    const pending = km.apiKeys.verify(token, { scopes: mutable });
    mutable[0] = 'files:write';
    expect((await pending).valid).toBe(true);
  });
});
