import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as g from '../../src/crypto/index.js';
import { onlyKeywardenErrors } from './fuzz-helpers.js';

const anything = fc.anything({
  withBigInt: true,
  withTypedArray: true,
  withNullPrototype: true,
  withSparseArray: true,
});
const jwkLike = fc.dictionary(
  fc.constantFrom(
    'kty',
    'crv',
    'x',
    'y',
    'd',
    'n',
    'e',
    'p',
    'q',
    'dp',
    'dq',
    'qi',
    'k',
    'alg',
    'kid',
    'use',
    'key_ops',
    'ext',
  ),
  fc.oneof(
    anything,
    fc.constantFrom('oct', 'OKP', 'EC', 'RSA', 'Ed25519', 'P-256', 'P-384', 'secp256k1', 'AQAB'),
    fc.base64String(),
  ),
  { maxKeys: 8 },
);

describe('generator functions fuzzed with arbitrary input throw only KeywardenError', () => {
  it('tokens, ids, base62, symmetric, derive', async () => {
    await fc.assert(
      fc.asyncProperty(anything, anything, async (a, b) => {
        await onlyKeywardenErrors(() => g.generateApiToken(a as never));
        await onlyKeywardenErrors(() => g.generateApiTokens(a as never, b as never));
        await onlyKeywardenErrors(() => g.parseApiToken(a as never));
        g.checkApiToken(a); // never throws
        await onlyKeywardenErrors(() => g.isApiTokenPrefix(a as never));
        await onlyKeywardenErrors(() => g.generateId(a as never));
        await onlyKeywardenErrors(() => g.generateIds(a as never, b as never));
        await onlyKeywardenErrors(() => g.randomBase62(a as never));
        await onlyKeywardenErrors(() => g.encodeBase62Uint32(a as never, b as never));
        await onlyKeywardenErrors(() => g.isBase62(a as never));
        await onlyKeywardenErrors(() => g.generateSymmetricKey(a as never));
        await onlyKeywardenErrors(() => g.generateHmacKey(a as never));
        await onlyKeywardenErrors(() => g.deriveKey(a as never));
        await onlyKeywardenErrors(() => g.generateKeyPair(a as never));
        await onlyKeywardenErrors(() => g.symmetricJwk(a as never, b as never));
      }),
      { numRuns: 300 },
    );
  });

  it('symmetricJwk rejects an alg object without toString with ERR_VALIDATION (regression)', () => {
    expect(() => g.symmetricJwk(new Uint8Array(32), Object.create(null) as never)).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'alg' }),
    );
  });

  it('JWK functions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anything, jwkLike), anything, anything, async (jwk, alg, data) => {
        await onlyKeywardenErrors(() => g.validateJwk(jwk as never, 'jwk'));
        await onlyKeywardenErrors(() => g.jwkThumbprint(jwk as never));
        await onlyKeywardenErrors(() => g.toPublicJwk(jwk as never));
        await onlyKeywardenErrors(() => g.importJwk(jwk as never));
        await onlyKeywardenErrors(() => g.defaultAlgorithm(jwk as never));
        await onlyKeywardenErrors(() => g.signWithJwk(jwk as never, alg as never, data as never));
        await onlyKeywardenErrors(() =>
          g.verifyWithJwk(jwk as never, alg as never, data as never, data as never),
        );
      }),
      { numRuns: 500 },
    );
  });
});
