/**
 * The audit digest is HMAC-SHA256 over the canonical JSON of the event's ten content fields. The
 * signer writes that text out field by field (it runs on every audited call); it must be the very
 * text `canonicalJson` gives for the same object, or rows written before would stop verifying.
 * Checked against an independent HMAC (node:crypto) of `canonicalJson(...)`, over events with
 * every kind of field value, absent fields, and the two event shapes chainEvents produces.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditDigest, chainEvents, createAuditSigner } from '../../src/internal/audit-chain.js';
import { canonicalJson } from '../../src/internal/canonical-json.js';
import type { JsonObject } from '../../src/ports/json.js';
import type { AuditEventInput } from '../../src/ports/storage.js';

type Body = Omit<AuditEventInput, 'digest'>;

const base: Body = {
  id: 'evt_0123456789abcdef',
  at: 1_764_000_000_123,
  type: 'secret.read',
  keyId: 'rec_abc',
  kind: 'secret',
  version: 3,
  tenantId: null,
  actor: null,
  context: {},
  data: {},
};

const variants: Body[] = [
  base,
  { ...base, tenantId: 'acme', actor: 'ci-bot', version: null, kind: null, keyId: null },
  { ...base, type: 'key.created', context: { ip: '10.0.0.1', ua: 'curl/8', z: 1, a: [1, 'x', null] } },
  { ...base, data: { b: { y: 2, x: [true, false] }, a: 'é', '\u2028': 'line\nsep', '': -0.5 } },
  { ...base, actor: 'ünïcödé "quoted" \\ back', tenantId: '\u0001ctrl', id: '😀' },
  { ...base, at: 0, version: 1e21 },
  // flat, sorted context and data (the one-step path): escapes, -0, integer-like and odd keys
  {
    ...base,
    context: { ip: '::1', userAgent: 'a"b\\c\u0007\ud800' },
    data: { '': -0, '10': 1.5, '9': 'nine', a: null, b: true, path: '/v1/\u2028x', z: 'é😀' },
  },
  { ...base, context: { b: 1, a: 2 }, data: { toolId: 't', agentId: 'x', remaining: null } }, // unsorted
  { ...base, data: { a: 'x', b: Number.MAX_SAFE_INTEGER, c: 1e-7 } },
];

const keyedHex = (key: Uint8Array, text: string): string =>
  createHmac('sha256', key).update(text, 'utf8').digest('hex');

describe('the audit signer digests exactly canonicalJson of the event content', () => {
  const key = new Uint8Array(randomBytes(32));
  const signer = createAuditSigner(key);

  for (const [i, event] of variants.entries()) {
    it(`variant ${i}`, () => {
      const body: JsonObject = { ...event } as unknown as JsonObject;
      expect(signer.digest(event)).toBe(keyedHex(key, canonicalJson(body)));
      // an input that also carries its (ignored) digest, as the manager passes it
      expect(signer.digest({ ...event, digest: 'x'.repeat(64) } as AuditEventInput)).toBe(
        keyedHex(key, canonicalJson(body)),
      );
    });
  }

  it('an absent field is left out, as canonical JSON does', () => {
    const { actor: _a, ...noActor } = base;
    const text = canonicalJson(noActor as unknown as JsonObject);
    expect(text).not.toContain('actor');
    expect(signer.digest(noActor as Body)).toBe(keyedHex(key, text));
    expect(signer.digest(noActor as Body)).not.toBe(signer.digest(base));
  });

  it('a chained event digests like its input (the unkeyed digest too)', () => {
    const input: AuditEventInput = {
      ...variants[3],
      digest: auditDigest(variants[3] as Body),
    } as AuditEventInput;
    const [chained] = chainEvents(null, [input]);
    expect(chained?.digest).toBe(input.digest);
    expect(auditDigest(chained as AuditEventInput)).toBe(input.digest);
    expect(signer.digest(chained as AuditEventInput)).toBe(signer.digest(input));
  });

  it('a non-JSON number is refused as before', () => {
    expect(() => signer.digest({ ...base, at: Number.NaN })).toThrow(TypeError);
  });
});
