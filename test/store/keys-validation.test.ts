import { describe, it } from 'vitest';
import type { KeyManager } from '../../src/manager/key-manager.js';
import { expectValidationWithoutWrites, untyped, type ValidationCase } from '../support/store-context.js';

type Call = ValidationCase;
const k = (km: KeyManager) => untyped(km.keys);

const CASES: Call[] = [
  ['create: no options', 'options', (km) => k(km).create!(undefined)],
  ['create: options a string', 'options', (km) => k(km).create!('k')],
  ['create: name missing', 'options.name', (km) => k(km).create!({ type: 'hmac' })],
  ['create: name empty', 'options.name', (km) => k(km).create!({ name: '', type: 'hmac' })],
  ['create: name too long', 'options.name', (km) => k(km).create!({ name: 'x'.repeat(129), type: 'hmac' })],
  ['create: type missing', 'options.type', (km) => k(km).create!({ name: 'n' })],
  ['create: type unknown', 'options.type', (km) => k(km).create!({ name: 'n', type: 'dsa' })],
  [
    'create: alg unknown',
    'options.algorithm',
    (km) => k(km).create!({ name: 'n', type: 'hmac', algorithm: 'HS1' }),
  ],
  [
    'create: alg of another type',
    'options.algorithm',
    (km) => k(km).create!({ name: 'n', type: 'hmac', algorithm: 'ES256' }),
  ],
  [
    'create: curve for rsa',
    'options.algorithm',
    (km) => k(km).create!({ name: 'n', type: 'rsa', algorithm: 'P-256' }),
  ],
  [
    'create: EdDSA for ecdsa',
    'options.algorithm',
    (km) => k(km).create!({ name: 'n', type: 'ecdsa', algorithm: 'EdDSA' }),
  ],
  [
    'create: bad modulus',
    'options.modulusLength',
    (km) => k(km).create!({ name: 'n', type: 'rsa', modulusLength: 1024 }),
  ],
  [
    'create: modulus on ecdsa',
    'options.modulusLength',
    (km) => k(km).create!({ name: 'n', type: 'ecdsa', modulusLength: 2048 }),
  ],
  [
    'create: bad env',
    'options.environment',
    (km) => k(km).create!({ name: 'n', type: 'hmac', environment: ' ' }),
  ],
  ['create: bad tenant', 'options.tenantId', (km) => k(km).create!({ name: 'n', type: 'hmac', tenantId: 3 })],
  ['create: bad tags', 'options.tags.0', (km) => k(km).create!({ name: 'n', type: 'hmac', tags: [''] })],
  ['create: bad meta', 'options.meta', (km) => k(km).create!({ name: 'n', type: 'hmac', meta: 'x' })],
  [
    'create: bad expiresIn',
    'options.expiresIn',
    (km) => k(km).create!({ name: 'n', type: 'hmac', expiresIn: '3 days' }),
  ],
  [
    'create: negative expiresIn',
    'options.expiresIn',
    (km) => k(km).create!({ name: 'n', type: 'hmac', expiresIn: -5 }),
  ],
  ['create: unknown option', 'options', (km) => k(km).create!({ name: 'n', type: 'hmac', size: 256 })],
  ['sign: bad name', 'name', (km) => k(km).sign!('', 'x')],
  ['sign: data a number', 'data', (km) => k(km).sign!('k', 42)],
  ['sign: data missing', 'data', (km) => k(km).sign!('k')],
  ['sign: bad options', 'options', (km) => k(km).sign!('k', 'x', { kid: 'a' })],
  ['verify: data an object', 'data', (km) => k(km).verify!('k', {}, new Uint8Array(64))],
  ['verify: signature a number', 'signature', (km) => k(km).verify!('k', 'x', 5)],
  ['verify: signature missing', 'signature', (km) => k(km).verify!('k', 'x')],
  ['verify: bad name', 'name', (km) => k(km).verify!(null, 'x', new Uint8Array(64))],
  ['jwks: bad name', 'name', (km) => k(km).jwks!('')],
  ['jwks: bad env', 'options.environment', (km) => k(km).jwks!('k', { environment: '' })],
  ['export: bad format', 'options.format', (km) => k(km).export!('k', { format: 'pem' })],
  [
    'export: includePrivate string',
    'options.includePrivate',
    (km) => k(km).export!('k', { includePrivate: 'yes' }),
  ],
  ['export: bad version', 'options.version', (km) => k(km).export!('k', { version: 0 })],
  ['encrypt: plaintext number', 'plaintext', (km) => k(km).encrypt!('k', 5)],
  ['encrypt: bad aad', 'options.aad', (km) => k(km).encrypt!('k', 'x', { aad: 5 })],
  ['decrypt: ciphertext string', 'ciphertext', (km) => k(km).decrypt!('k', 'abc')],
  ['list: bad limit', 'options.limit', (km) => k(km).list!({ limit: -1 })],
  ['info: bad name', 'name', (km) => k(km).info!(5)],
  ['delete: bad name', 'name', (km) => k(km).delete!('')],
];

describe('km.keys: bad input', () => {
  it.each(CASES)('%s → ERR_VALIDATION naming %s, nothing written', (_label, field, run) =>
    expectValidationWithoutWrites((km) => km.keys.create({ name: 'k', type: 'ed25519' }), field, run),
  );
});
