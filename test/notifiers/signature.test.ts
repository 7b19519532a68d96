import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKeywardenError, type KeywardenError } from '../../src/errors.js';
import { signWebhookPayload, verifyWebhookSignature } from '../../src/notifiers/signature.js';

const SECRET = 'whsec_test_0123456789abcdef';
const OTHER = 'whsec_other_fedcba9876543210';
const T = 1_893_456_000; // 2030-01-01T00:00:00Z in seconds
const NOW = T * 1000;
const BODY = '{"type":"key.rotated","keyId":"a1B2c3D4e5F6","version":3}';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(isKeywardenError(e, 'ERR_VALIDATION')).toBe(true);
    return (e as KeywardenError).field;
  }
  throw new Error('expected ERR_VALIDATION');
}

describe('signWebhookPayload', () => {
  it('produces t=<seconds>,v1=<hex HMAC-SHA256(secret, t.body)> (checked against node:crypto)', () => {
    const header = signWebhookPayload({ payload: BODY, secret: SECRET, timestamp: T });
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    expect(header).toBe(`t=${T},v1=${expected}`);
  });

  it('signs bytes and the equivalent string alike, and Uint8Array secrets as raw bytes', () => {
    const key = new Uint8Array(32).map((_, i) => i);
    const a = signWebhookPayload({ payload: new TextEncoder().encode(BODY), secret: key, timestamp: T });
    const b = signWebhookPayload({ payload: BODY, secret: key, timestamp: T });
    expect(a).toBe(b);
    expect(a).toBe(`t=${T},v1=${createHmac('sha256', key).update(`${T}.${BODY}`).digest('hex')}`);
  });

  it('emits one v1 per secret when given several', () => {
    const header = signWebhookPayload({ payload: BODY, secret: [SECRET, OTHER], timestamp: T });
    expect(header.split(',').filter((p) => p.startsWith('v1='))).toHaveLength(2);
  });

  it('defaults the timestamp to now (seconds)', () => {
    const before = Math.floor(Date.now() / 1000);
    const header = signWebhookPayload({ payload: BODY, secret: SECRET });
    const t = Number(/^t=(\d+),/.exec(header)?.[1]);
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(before + 5);
  });

  it('validates payload, secret and timestamp (milliseconds are refused)', () => {
    expect(fieldOf(() => signWebhookPayload({ payload: 42 as never, secret: SECRET, timestamp: T }))).toBe(
      'payload',
    );
    expect(fieldOf(() => signWebhookPayload({ payload: BODY, secret: 'short', timestamp: T }))).toBe(
      'secret',
    );
    expect(
      fieldOf(() => signWebhookPayload({ payload: BODY, secret: new Uint8Array(15), timestamp: T })),
    ).toBe('secret');
    expect(fieldOf(() => signWebhookPayload({ payload: BODY, secret: [SECRET, 'x'], timestamp: T }))).toBe(
      'secret.1',
    );
    expect(fieldOf(() => signWebhookPayload({ payload: BODY, secret: [], timestamp: T }))).toBe('secret');
    expect(fieldOf(() => signWebhookPayload({ payload: BODY, secret: SECRET, timestamp: Date.now() }))).toBe(
      'timestamp',
    );
    expect(fieldOf(() => signWebhookPayload({ payload: BODY, secret: SECRET, timestamp: 1.5 }))).toBe(
      'timestamp',
    );
    expect(fieldOf(() => signWebhookPayload({ payload: BODY, secret: SECRET, timestamp: -1 }))).toBe(
      'timestamp',
    );
  });

  it('never echoes a too-short secret in the error', () => {
    try {
      signWebhookPayload({ payload: BODY, secret: 'tinysecretvalue', timestamp: T });
    } catch (e) {
      expect(String(e)).not.toContain('tinysecretvalue');
      expect(JSON.stringify(e)).not.toContain('tinysecretvalue');
      return;
    }
    throw new Error('expected a throw');
  });
});

describe('verifyWebhookSignature', () => {
  const header = signWebhookPayload({ payload: BODY, secret: SECRET, timestamp: T });
  const verify = (over: Partial<Parameters<typeof verifyWebhookSignature>[0]> = {}) =>
    verifyWebhookSignature({ payload: BODY, header, secret: SECRET, now: NOW, ...over });

  it('accepts a good signature (string or bytes payload)', () => {
    expect(verify()).toBe(true);
    expect(verify({ payload: new TextEncoder().encode(BODY) })).toBe(true);
    expect(verify({ secret: new TextEncoder().encode(SECRET) })).toBe(true);
  });

  it('rejects a tampered payload', () => {
    expect(verify({ payload: BODY.replace('3', '4') })).toBe(false);
    expect(verify({ payload: `${BODY} ` })).toBe(false);
    expect(verify({ payload: '' })).toBe(false);
  });

  it('rejects the wrong secret', () => {
    expect(verify({ secret: OTHER })).toBe(false);
  });

  it('rejects a tampered timestamp (the signature covers it)', () => {
    expect(verify({ header: header.replace(`t=${T}`, `t=${T + 1}`) })).toBe(false);
  });

  it('rejects stale and future timestamps beyond the tolerance, accepts within', () => {
    expect(verify({ now: NOW + 5 * 60_000 })).toBe(true); // exactly at the 5 min default
    expect(verify({ now: NOW + 5 * 60_000 + 1 })).toBe(false); // stale
    expect(verify({ now: NOW - 5 * 60_000 - 1 })).toBe(false); // from the future
    expect(verify({ now: NOW - 5 * 60_000 })).toBe(true);
    expect(verify({ now: NOW + 3_600_000, tolerance: '2h' })).toBe(true);
    expect(verify({ now: NOW + 1001, tolerance: 1000 })).toBe(false);
    expect(verify({ now: NOW + 999, tolerance: '1s' })).toBe(true);
  });

  it('accepts when any of several v1 values matches (sender rotating secrets)', () => {
    const both = signWebhookPayload({ payload: BODY, secret: [OTHER, SECRET], timestamp: T });
    expect(verify({ header: both })).toBe(true);
    expect(verify({ header: both, secret: OTHER })).toBe(true);
    const junkFirst = `t=${T},v1=${'0'.repeat(64)},${header.split(',')[1]}`;
    expect(verify({ header: junkFirst })).toBe(true);
    expect(verify({ header: `t=${T},v1=${'0'.repeat(64)},v1=${'f'.repeat(64)}` })).toBe(false);
  });

  it('accepts when any of several receiver secrets matches (receiver rotating secrets)', () => {
    expect(verify({ secret: [OTHER, SECRET] })).toBe(true);
    expect(verify({ secret: [OTHER, 'yet-another-secret-value'] })).toBe(false);
  });

  it('accepts the header as a one-element array (node header shape)', () => {
    expect(verify({ header: [header] })).toBe(true);
  });

  it('tolerates spaces, uppercase hex and unknown schemes; ignores order', () => {
    const v1 = header.split(',')[1]?.slice(3) as string;
    expect(verify({ header: ` v1=${v1.toUpperCase()} , v0=abc, t=${T} ` })).toBe(true);
  });

  it('returns false for malformed headers', () => {
    const v1 = header.split(',')[1]?.slice(3) as string;
    const bad: unknown[] = [
      undefined,
      null,
      '',
      'garbage',
      `t=${T}`,
      `v1=${v1}`,
      `t=,v1=${v1}`,
      `t=abc,v1=${v1}`,
      `t=${T},t=${T},v1=${v1}`,
      `t=-${T},v1=${v1}`,
      `t=${T}.5,v1=${v1}`,
      `t=${T},v1=${v1.slice(2)}`,
      `t=${T},v1=${v1}00`,
      `t=${T},v1=${v1.replace(/^./, 'g')}`,
      `t=${T},,v1=${v1}`,
      `t=${T};v1=${v1}`,
      `=${T},v1=${v1}`,
      `t=${T},v1=${v1},${'x'.repeat(5000)}`,
      `t=${T},${Array.from({ length: 17 }, () => `v1=${v1}`).join(',')}`,
      `t=${'9'.repeat(30)},v1=${v1}`,
      `t=0${T},v1=${v1}`,
      `t=0${T},v1=${createHmac('sha256', SECRET).update(`0${T}.${BODY}`).digest('hex')}`,
      42,
      [header, header],
      [],
      { toString: () => header },
    ];
    for (const h of bad) expect(verify({ header: h as string })).toBe(false);
  });

  it('returns false for a payload that is neither string nor bytes', () => {
    expect(verify({ payload: { type: 'key.rotated' } as never })).toBe(false);
    expect(verify({ payload: undefined as never })).toBe(false);
  });

  it('never throws for random headers and payloads (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.oneof(fc.string(), fc.uint8Array()), (h, payload) => {
        expect(verifyWebhookSignature({ payload, header: h, secret: SECRET, now: NOW })).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws for near-miss headers built from valid parts (property)', () => {
    const part = fc.oneof(
      fc.constant(`t=${T}`),
      fc.constant(header.split(',')[1] as string),
      fc.string({ maxLength: 80 }),
      fc.stringMatching(/^v1=[0-9a-f]{0,70}$/),
      fc.stringMatching(/^t=[0-9]{0,14}$/),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 6 }), fc.string(), (parts, sep) => {
        const h = parts.join(sep.length > 0 && sep.length < 3 ? sep : ',');
        const result = verifyWebhookSignature({ payload: BODY, header: h, secret: SECRET, now: NOW });
        expect(typeof result).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('throws ERR_VALIDATION only for its own bad options: secret, tolerance, now', () => {
    expect(fieldOf(() => verify({ secret: 'short' }))).toBe('secret');
    expect(fieldOf(() => verify({ secret: 123 as never }))).toBe('secret');
    expect(fieldOf(() => verify({ tolerance: -1 }))).toBe('tolerance');
    expect(fieldOf(() => verify({ tolerance: '5 minutes' }))).toBe('tolerance');
    expect(fieldOf(() => verify({ now: Number.NaN }))).toBe('now');
    expect(fieldOf(() => verifyWebhookSignature(null as never))).toBe('options');
  });
});
