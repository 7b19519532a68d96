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
import { canonicalJson, flatText } from '../../src/internal/canonical-json.js';
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

describe('rows that repeat (frozen context and data) are digested from a byte template, same digests', () => {
  const key = new Uint8Array(randomBytes(32));
  const signer = createAuditSigner(key);
  const check = (event: Body) =>
    expect(signer.digest(event)).toBe(keyedHex(key, canonicalJson({ ...event } as unknown as JsonObject)));

  it('the same frozen data and context over many rows, with every field the template holds changing', () => {
    const data = Object.freeze({
      agentId: 'agent-7',
      method: 'POST',
      path: '/v1/x',
      remaining: null,
      toolId: 'é✓',
    });
    const context = Object.freeze({ ip: '10.0.0.1', userAgent: 'agent/1 "quoted" \\ ✓' });
    const other = Object.freeze({ ip: '10.0.0.2' });
    flatText(data);
    flatText(context);
    flatText(other);
    const row: Body = {
      ...base,
      type: 'access.call',
      kind: 'access_session',
      actor: 'agent-7',
      context,
      data,
    };
    for (let i = 0; i < 50; i++)
      check({ ...row, at: 1_764_000_000_000 + i * 7, id: `id${i}abcdefGHIJ0123`.slice(0, 16) });
    // anything the template holds, changed: a new template, still the same text as canonicalJson
    check({ ...row, context: other });
    check({ ...row, actor: 'agent-8' });
    check({ ...row, keyId: null });
    check({ ...row, kind: 'secret' });
    check({ ...row, tenantId: 't"1' });
    check({ ...row, type: 'secret.read' });
    check({ ...row, version: 2 });
    check(row);
    // what the template cannot write takes the text path: a fractional or negative time, an id
    // that JSON escapes or that is not base62, an unfrozen context, a data too long for the scratch
    check({ ...row, at: 1.5 });
    check({ ...row, at: -3 });
    check({ ...row, id: 'a"b\\c' });
    check({ ...row, id: 'abc-def_✓' });
    check({ ...row, context: { ip: '10.0.0.1' } });
    const long = Object.freeze({ a: 'x'.repeat(3000) });
    flatText(long);
    check({ ...row, data: long });
  });
});
