import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeywardenError } from '../../src/errors.js';
import type { KeyManager } from '../../src/manager/key-manager.js';
import {
  expectValidationWithoutWrites,
  makeHarness,
  untyped,
  type ValidationCase,
} from '../support/store-context.js';

type Call = ValidationCase;

const s = (km: KeyManager) => untyped(km.secrets);

const CASES: Call[] = [
  ['set: name missing', 'name', (km) => s(km).set!(undefined, 'v')],
  ['set: name empty', 'name', (km) => s(km).set!('', 'v')],
  ['set: name too long', 'name', (km) => s(km).set!('n'.repeat(129), 'v')],
  ['set: name with control char', 'name', (km) => s(km).set!('a\nb', 'v')],
  ['set: name not a string', 'name', (km) => s(km).set!(42, 'v')],
  ['set: value missing', 'value', (km) => s(km).set!('n', undefined)],
  ['set: value empty', 'value', (km) => s(km).set!('n', '')],
  ['set: value empty bytes', 'value', (km) => s(km).set!('n', new Uint8Array(0))],
  ['set: value too big', 'value', (km) => s(km).set!('n', 'x'.repeat(65_537))],
  ['set: value multibyte too big', 'value', (km) => s(km).set!('n', 'é'.repeat(32_769))],
  ['set: value not UTF-8', 'value', (km) => s(km).set!('n', new Uint8Array([0xff, 0xfe]))],
  ['set: value lone surrogate', 'value', (km) => s(km).set!('n', 'a\ud800b')],
  ['set: value a number', 'value', (km) => s(km).set!('n', 1234)],
  ['set: value an object', 'value', (km) => s(km).set!('n', { v: 1 })],
  ['set: options not an object', 'options', (km) => s(km).set!('n', 'v', 'production')],
  ['set: unknown option', 'options', (km) => s(km).set!('n', 'v', { enviroment: 'x' })],
  ['set: bad environment', 'options.environment', (km) => s(km).set!('n', 'v', { environment: 'a b' })],
  ['set: empty environment', 'options.environment', (km) => s(km).set!('n', 'v', { environment: '' })],
  ['set: bad tenant', 'options.tenantId', (km) => s(km).set!('n', 'v', { tenantId: '' })],
  ['set: bad envVar', 'options.envVar', (km) => s(km).set!('n', 'v', { envVar: '1ABC' })],
  ['set: envVar with dash', 'options.envVar', (km) => s(km).set!('n', 'v', { envVar: 'A-B' })],
  ['set: bad provider', 'options.provider', (km) => s(km).set!('n', 'v', { provider: 'a b' })],
  ['set: bad tags', 'options.tags', (km) => s(km).set!('n', 'v', { tags: 'x' })],
  ['set: bad tag', 'options.tags.0', (km) => s(km).set!('n', 'v', { tags: ['a b'] })],
  ['set: repeated tag', 'options.tags', (km) => s(km).set!('n', 'v', { tags: ['a', 'a'] })],
  ['set: meta array', 'options.meta', (km) => s(km).set!('n', 'v', { meta: [1] })],
  ['set: meta with function', 'options.meta', (km) => s(km).set!('n', 'v', { meta: { f: () => 1 } })],
  ['set: expiresAt string', 'options.expiresAt', (km) => s(km).set!('n', 'v', { expiresAt: 'tomorrow' })],
  ['set: expiresAt negative', 'options.expiresAt', (km) => s(km).set!('n', 'v', { expiresAt: -1 })],
  [
    'set: expiresAt invalid date',
    'options.expiresAt',
    (km) => s(km).set!('n', 'v', { expiresAt: new Date(Number.NaN) }),
  ],
  [
    'set: description too long',
    'options.description',
    (km) => s(km).set!('n', 'v', { description: 'd'.repeat(1025) }),
  ],
  [
    'set: description control',
    'options.description',
    (km) => s(km).set!('n', 'v', { description: 'a\u0007' }),
  ],
  ['get: bad name', 'name', (km) => s(km).get!('')],
  ['get: bad version', 'options.version', (km) => s(km).get!('n', { version: 0 })],
  ['get: fractional version', 'options.version', (km) => s(km).get!('n', { version: 1.5 })],
  ['get: version string', 'options.version', (km) => s(km).get!('n', { version: '1' })],
  ['get: unknown option', 'options', (km) => s(km).get!('n', { versoin: 1 })],
  ['info: bad name', 'name', (km) => s(km).info!(null)],
  ['info: bad env', 'options.environment', (km) => s(km).info!('n', { environment: '-x' })],
  ['list: bad limit', 'options.limit', (km) => s(km).list!({ limit: 0 })],
  ['list: big limit', 'options.limit', (km) => s(km).list!({ limit: 1001 })],
  ['list: bad tag', 'options.tag', (km) => s(km).list!({ tag: '' })],
  ['list: bad cursor', 'options.cursor', (km) => s(km).list!({ cursor: 5 })],
  ['list: unknown', 'options', (km) => s(km).list!({ name: 'x' })],
  ['versions: bad name', 'name', (km) => s(km).versions!('x'.repeat(200))],
  ['rollback: bad to', 'options.to', (km) => s(km).rollback!('n', { to: -1 })],
  ['rollback: bad name', 'name', (km) => s(km).rollback!(undefined)],
  ['delete: bad name', 'name', (km) => s(km).delete!('')],
  ['delete: bad options', 'options', (km) => s(km).delete!('n', { force: true })],
  ['toEnv: bad env', 'options.environment', (km) => s(km).toEnv!({ environment: '' })],
  ['toEnv: unknown', 'options', (km) => s(km).toEnv!({ prefix: 'X' })],
];

describe('km.secrets: bad input', () => {
  it.each(CASES)('%s → ERR_VALIDATION naming %s, nothing written', (_label, field, run) =>
    expectValidationWithoutWrites((km) => km.secrets.set('n', 'existing', { tags: ['t'] }), field, run),
  );

  it('never echoes a rejected value in the error', async () => {
    const { km } = makeHarness();
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 65_537, maxLength: 65_600 }), async (value) => {
        const marker = `SECRET${value.slice(0, 20)}`;
        try {
          await km.secrets.set('n', marker + value);
          throw new Error('accepted');
        } catch (e) {
          expect(isKeywardenError(e, 'ERR_VALIDATION')).toBe(true);
          expect(String((e as Error).message)).not.toContain(marker);
        }
      }),
      { numRuns: 5 },
    );
  });

  it('accepts any valid name, environment and tenant', async () => {
    const { km } = makeHarness();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 128 }).filter((n) => !/\p{Cc}/u.test(n)),
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/),
        async (name, environment) => {
          await km.secrets.set(name, 'value', { environment, tenantId: 'tenant' });
          expect(await km.secrets.get(name, { environment, tenantId: 'tenant' })).toBe('value');
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('bad input on a fresh store', () => {
  it('does not even initialize the store', async () => {
    const { km, hooks } = makeHarness();
    const calls: (() => Promise<unknown>)[] = [
      () => km.secrets.set('n', ''),
      () => km.secrets.set('n', 'v', { expiresAt: 1 }),
      () => km.secrets.get(''),
      () => km.secrets.toEnv({ environment: '' }),
      () => km.keys.create({ name: 'k', type: 'hmac', algorithm: 'ES256' }),
      () => km.keys.sign('k', 5 as never),
    ];
    for (const call of calls) {
      let caught: unknown;
      try {
        await call();
      } catch (e) {
        caught = e;
      }
      expect(isKeywardenError(caught, 'ERR_VALIDATION')).toBe(true);
    }
    expect(hooks.writes).toBe(0);
  });
});
