import { describe, expect, it } from 'vitest';
import { isKeywardenError, type KeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';

describe('generateMasterKey', () => {
  it('returns 32 random bytes as base64url by default', () => {
    const key = generateMasterKey();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Uint8Array(Buffer.from(key, 'base64url'))).toHaveLength(32);
    expect(new Set(Array.from({ length: 100 }, () => generateMasterKey())).size).toBe(100);
  });

  it('returns hex, padded standard base64, or bytes on request', () => {
    const hex: string = generateMasterKey({ encoding: 'hex' });
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    const b64: string = generateMasterKey({ encoding: 'base64' });
    expect(b64).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(b64, 'base64')).toHaveLength(32);
    const bytes: Uint8Array = generateMasterKey({ encoding: 'bytes' });
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes).toHaveLength(32);
    expect(bytes.some((b) => b !== 0)).toBe(true);
    expect(generateMasterKey({})).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('every encoding it produces is accepted by localKms as the same key', () => {
    const bytes = generateMasterKey({ encoding: 'bytes' });
    const b64url = Buffer.from(bytes).toString('base64url');
    const b64 = Buffer.from(bytes).toString('base64');
    const hex = Buffer.from(bytes).toString('hex');
    const ids = new Set([bytes, b64url, b64, hex].map((masterKey) => localKms({ masterKey }).keyId));
    expect(ids.size).toBe(1);
    for (const encoding of ['base64url', 'hex', 'base64'] as const) {
      expect(localKms({ masterKey: generateMasterKey({ encoding }) }).keyId).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('rejects an unknown encoding or bad options with ERR_VALIDATION', () => {
    for (const [options, field] of [
      [{ encoding: 'base32' }, 'encoding'],
      [{ encoding: 42 }, 'encoding'],
      ['hex', 'options'],
      [null, 'options'],
    ] as const) {
      let caught: unknown;
      try {
        generateMasterKey(options as never);
      } catch (error) {
        caught = error;
      }
      expect(isKeywardenError(caught, 'ERR_VALIDATION')).toBe(true);
      expect((caught as KeywardenError).field).toBe(field);
    }
  });
});
