import { describe, expect, it } from 'vitest';
import { auditDigest } from '../../src/internal/audit-chain.js';
import {
  FIXTURE_TIME,
  makeAuditEvent,
  makeComplexRecord,
  makeRecord,
  makeVersion,
  randomId,
} from '../../src/testing/fixtures.js';

describe('fixtures', () => {
  it('randomId gives base62 strings of the asked length, and rejects bad lengths', () => {
    expect(randomId()).toMatch(/^[0-9A-Za-z]{12}$/);
    expect(randomId(1)).toMatch(/^[0-9A-Za-z]$/);
    expect(randomId(200)).toMatch(/^[0-9A-Za-z]{200}$/);
    expect(new Set(Array.from({ length: 500 }, () => randomId())).size).toBe(500);
    for (const bad of [0, -1, 1.5, 1025, Number.NaN]) expect(() => randomId(bad)).toThrow(RangeError);
  });

  it('makeRecord builds a valid default record with fresh ids and applies overrides', () => {
    const a = makeRecord();
    const b = makeRecord();
    expect(a.id).not.toBe(b.id);
    expect(a.name).not.toBe(b.name);
    expect(a).toMatchObject({
      kind: 'api_key',
      revision: 1,
      status: 'active',
      createdAt: FIXTURE_TIME,
      uniqueName: false,
    });
    expect(a.versions).toHaveLength(1);
    expect(a.versions[0]).toMatchObject({ version: 1, state: 'current' });
    const c = makeRecord({ kind: 'secret', name: 'X', tags: ['t'], versions: [] });
    expect(c).toMatchObject({ kind: 'secret', name: 'X', tags: ['t'], versions: [] });
    // fresh nested objects each time
    a.tags.push('x');
    expect(makeRecord().tags).toStrictEqual([]);
  });

  it('makeVersion applies overrides', () => {
    expect(makeVersion({ version: 3, state: 'pending', activatedAt: null })).toMatchObject({
      version: 3,
      state: 'pending',
      activatedAt: null,
    });
  });

  it('makeComplexRecord populates every version field and survives JSON unchanged', () => {
    const r = makeComplexRecord();
    for (const v of r.versions) for (const value of Object.values(v)) expect(value).toBeDefined();
    const v1 = r.versions[0]!;
    for (const key of Object.keys(v1) as (keyof typeof v1)[]) {
      if (key !== 'hash') expect(v1[key]).not.toBeNull();
    }
    expect(JSON.parse(JSON.stringify(r))).toStrictEqual(r);
  });

  it('makeAuditEvent computes the digest over the final content', () => {
    const e = makeAuditEvent({ type: 'key.revoked', keyId: 'k', data: { reason: 'x' } });
    const { digest, ...body } = e;
    expect(digest).toBe(auditDigest(body));
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(
      makeAuditEvent({ id: e.id, type: 'key.revoked', keyId: 'k', data: { reason: 'y' } }).digest,
    ).not.toBe(digest);
    expect(() => makeAuditEvent({ at: Number.NaN })).toThrow(TypeError);
  });
});
