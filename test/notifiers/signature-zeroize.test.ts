import { describe, expect, it, vi } from 'vitest';

const copies: Uint8Array[] = [];
vi.mock('../../src/notifiers/secret.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/notifiers/secret.js')>();
  return {
    ...actual,
    parseWebhookSecrets: (value: unknown, field: string) => {
      const keys = actual.parseWebhookSecrets(value, field);
      copies.push(...keys);
      return keys;
    },
  };
});

const { signWebhookPayload, verifyWebhookSignature } = await import('../../src/notifiers/signature.js');

const secret = 'whsec_0123456789abcdef';
const allZero = (b: Uint8Array) => b.every((x) => x === 0);

describe('webhook signature helpers wipe their copies of the secret', () => {
  it('signWebhookPayload zeroes the key bytes after signing, and after a bad timestamp', () => {
    copies.length = 0;
    const header = signWebhookPayload({ payload: 'body', secret: [secret, `${secret}-2`], timestamp: 1 });
    expect(header.startsWith('t=1,v1=')).toBe(true);
    expect(() => signWebhookPayload({ payload: 'body', secret, timestamp: -1 })).toThrow(/timestamp/);
    expect(copies).toHaveLength(3);
    expect(copies.every(allZero)).toBe(true);
  });

  it('verifyWebhookSignature zeroes the key bytes whatever the outcome', () => {
    const header = signWebhookPayload({ payload: 'body', secret, timestamp: 1000 });
    copies.length = 0;
    expect(verifyWebhookSignature({ payload: 'body', header, secret, now: 1_000_000 })).toBe(true);
    expect(verifyWebhookSignature({ payload: 'other', header, secret, now: 1_000_000 })).toBe(false);
    expect(() => verifyWebhookSignature({ payload: 'body', header, secret, now: Number.NaN })).toThrow(/now/);
    expect(copies).toHaveLength(3);
    expect(copies.every(allZero)).toBe(true);
  });

  it('a caller-owned Uint8Array secret is left untouched', () => {
    const mine = new Uint8Array(32).fill(7);
    const header = signWebhookPayload({ payload: 'body', secret: mine, timestamp: 1000 });
    expect(verifyWebhookSignature({ payload: 'body', header, secret: mine, now: 1_000_000 })).toBe(true);
    expect(mine.every((x) => x === 7)).toBe(true);
  });
});
