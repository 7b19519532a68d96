import { describe, expect, it } from 'vitest';
import {
  generateHmacKey,
  generateId,
  generateIds,
  generateSymmetricKey,
  isBase62,
  keyGenerator,
} from '../../src/crypto/index.js';
import { validationField } from './helpers.js';

describe('ids', () => {
  it('generateId defaults to 12 base62 characters', () => {
    const id = generateId();
    expect(id).toHaveLength(12);
    expect(isBase62(id)).toBe(true);
    expect(generateId(20)).toHaveLength(20);
  });

  it('generateIds makes count distinct ids', () => {
    const ids = generateIds(5000);
    expect(ids).toHaveLength(5000);
    expect(new Set(ids).size).toBe(5000);
    expect(generateIds(3, 16).every((id) => id.length === 16 && isBase62(id))).toBe(true);
  });

  it('rejects bad lengths and counts', () => {
    for (const bad of [0, 7, 65, 1.5, Number.NaN, '12']) {
      expect(validationField(() => generateId(bad as number))).toBe('length');
    }
    for (const bad of [0, -1, 10_001, 2.5, Number.POSITIVE_INFINITY]) {
      expect(validationField(() => generateIds(bad))).toBe('count');
    }
    expect(validationField(() => generateIds(2, 4))).toBe('length');
  });
});

describe('symmetric keys', () => {
  it('generateSymmetricKey makes 16- or 32-byte random keys', () => {
    expect(generateSymmetricKey()).toHaveLength(32);
    expect(generateSymmetricKey(128)).toHaveLength(16);
    expect(generateSymmetricKey(256)).not.toEqual(generateSymmetricKey(256));
  });

  it('generateHmacKey sizes the key to the hash output', () => {
    expect(generateHmacKey()).toHaveLength(32);
    expect(generateHmacKey('SHA-384')).toHaveLength(48);
    expect(generateHmacKey('SHA-512')).toHaveLength(64);
  });

  it('rejects other sizes and hashes', () => {
    for (const bad of [192, 512, 0, '256']) {
      expect(validationField(() => generateSymmetricKey(bad as 256))).toBe('bits');
    }
    for (const bad of ['SHA-1', 'sha256', 256]) {
      expect(validationField(() => generateHmacKey(bad as 'SHA-256'))).toBe('hash');
    }
  });
});

describe('keyGenerator bundle', () => {
  it('is frozen and exposes the generator functions', () => {
    expect(Object.isFrozen(keyGenerator)).toBe(true);
    for (const name of [
      'generateApiToken',
      'generateApiTokens',
      'checkApiToken',
      'parseApiToken',
      'generateId',
      'generateIds',
      'generateSymmetricKey',
      'generateHmacKey',
      'generateKeyPair',
      'jwkThumbprint',
      'toPublicJwk',
      'symmetricJwk',
      'validateJwk',
      'signWithJwk',
      'verifyWithJwk',
      'defaultAlgorithm',
      'deriveKey',
    ] as const) {
      expect(typeof keyGenerator[name]).toBe('function');
    }
    const { token } = keyGenerator.generateApiToken({ prefix: 'kw' });
    expect(keyGenerator.checkApiToken(token).ok).toBe(true);
  });
});
