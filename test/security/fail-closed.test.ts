/**
 * Fail closed where it used to fail open: a verification refused with ERR_AUDIT spends no credit
 * and no rate-limit unit; `rewrap()` never leaves a rewrapped record without its `kms.rewrapped`
 * event; a provider whose `test` hook resolves `false` fails the rotation exactly like a throw.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { storageRateLimiter } from '../../src/rate-limit/index.js';
import type { RotationProvider } from '../../src/records/rotation-types.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { harness } from '../rotation/harness.js';
import { allAudit, expectKw, wrapStorage } from '../store/api-keys-helpers.js';

/** A real memory store whose audit writes fail while `state.broken` (or after `state.allow` more). */
function breakable(inner: StorageAdapter = memoryStorage()) {
  const state = { broken: false, allow: Number.POSITIVE_INFINITY };
  const storage = wrapStorage(inner, {
    appendAudit: async (events) => {
      if (state.broken || state.allow <= 0) throw new Error('audit disk full');
      state.allow -= 1;
      return inner.appendAudit(events);
    },
  });
  return { inner, storage, state };
}

describe("verify with verifications: 'all' and an audit log that cannot be written", () => {
  for (const limiter of ['memory', 'storage'] as const) {
    it(`spends no credit and no rate-limit unit (${limiter} rate limiter)`, async () => {
      const { storage, state } = breakable();
      const { km } = createTestKeyManager({
        storage,
        audit: { verifications: 'all' },
        ...(limiter === 'storage' ? { rateLimiter: storageRateLimiter(storage) } : {}),
      });
      const { token, key } = await km.apiKeys.create({
        name: 'metered',
        remaining: 3,
        rateLimit: { limit: 2, window: '1h' },
      });
      state.broken = true;
      for (let i = 0; i < 5; i++) await expectKw(() => km.apiKeys.verify(token, { cost: 1 }), 'ERR_AUDIT');
      state.broken = false;
      expect((await km.apiKeys.get(key.id)).remaining).toBe(3);
      const first = await km.apiKeys.verify(token);
      expect(first).toMatchObject({ valid: true, remaining: 2, rateLimit: { limit: 2, remaining: 1 } });
      const second = await km.apiKeys.verify(token);
      expect(second).toMatchObject({ valid: true, remaining: 1, rateLimit: { remaining: 0 } });
      expect(await km.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'RATE_LIMITED' });
      await km.close();
    });
  }
});

describe('km.rewrap() fails closed', () => {
  it('every rewrapped record has its kms.rewrapped event; the one whose event failed is put back', async () => {
    const a = generateMasterKey();
    const b = generateMasterKey();
    const { inner, storage, state } = breakable();
    const before = createKeyManager({ storage, kms: localKms({ masterKey: a }) });
    for (const name of ['S1', 'S2', 'S3', 'S4']) await before.secrets.set(name, `value-of-${name}`);
    await before.close();

    const ring = localKms({ masterKey: b, previousKeys: [a] });
    const km = createKeyManager({ storage, kms: ring });
    await km.ready();
    state.allow = 2; // two more audit writes succeed, the third fails
    await expectKw(() => km.rewrap(), 'ERR_AUDIT');

    const records = (await inner.list({ limit: 100 })).items.filter((r) => r.kind === 'secret');
    const rewrapped = records.filter((r) =>
      r.versions.every((v) => !v.sealed || !ring.needsRewrap(v.sealed.dek)),
    );
    const events = (await allAudit(inner)).filter((e) => e.type === 'kms.rewrapped' && e.keyId !== null);
    // nothing rewrapped without its event, nothing audited that was not rewrapped
    expect(rewrapped.map((r) => r.id).sort()).toEqual(events.map((e) => e.keyId).sort());
    expect(rewrapped).toHaveLength(2);

    // once the audit log works again, a second run finishes the rest and reports success
    state.allow = Number.POSITIVE_INFINITY;
    const report = await km.rewrap();
    expect(report).toMatchObject({ records: 2, versions: 2, pepper: true, failed: [] });
    const all = await allAudit(inner);
    expect(all.filter((e) => e.type === 'kms.rewrapped' && e.keyId !== null)).toHaveLength(4);
    expect(all.at(-1)).toMatchObject({
      type: 'kms.rewrapped',
      keyId: null,
      data: { records: 2, pepper: true },
    });
    await km.close();

    const onlyB = createKeyManager({ storage: inner, kms: localKms({ masterKey: b }) });
    for (const name of ['S1', 'S2', 'S3', 'S4'])
      expect(await onlyB.secrets.get(name)).toBe(`value-of-${name}`);
    await onlyB.close();
  });
});

describe('a provider test hook that resolves false', () => {
  for (const verdict of [false, 'no', null, 0] as const) {
    it(`fails the rotation exactly like a throw (test resolves ${JSON.stringify(verdict)})`, async () => {
      const h = harness();
      const revoked: string[] = [];
      let n = 0;
      const provider: RotationProvider = {
        create: async () => `candidate-${++n}`,
        test: async () => verdict as unknown as boolean,
        finish: async () => {
          throw new Error('finish must not run after a rejected test');
        },
        revoke: async (c) => {
          revoked.push(c.value ?? '');
        },
      };
      h.rotator.registerProvider('acme', provider);
      const info = await h.secrets.set('ACME_KEY', 'working-value', { provider: 'acme' });
      await h.rotator.setPolicy(info.id, { every: '30d' });
      h.clock.advance('30d');
      const report = await h.rotator.runDue();
      expect(report.rotated).toEqual([]);
      expect(report.failed).toEqual([
        { id: info.id, code: 'ERR_ROTATION', message: "the provider's test hook rejected the new value" },
      ]);
      expect(await h.secrets.get('ACME_KEY')).toBe('working-value');
      const record = await h.storage.get(info.id);
      expect(record?.versions.find((v) => v.version === 2)).toMatchObject({ state: 'retired', sealed: null });
      expect(h.ofType('rotation.failed')).toHaveLength(1);
      expect(h.ofType('key.rotated')).toHaveLength(0);
      await new Promise((r) => setTimeout(r, 0)); // revoke is best effort, not awaited
      expect(revoked).toEqual(['candidate-1']);
    });
  }

  it('true (or nothing) still accepts the value', async () => {
    for (const verdict of [true, undefined]) {
      const h = harness();
      h.rotator.registerProvider('acme', { create: async () => 'accepted', test: async () => verdict });
      const info = await h.secrets.set('K', 'old', { provider: 'acme' });
      await h.rotator.setPolicy(info.id, { every: '30d' });
      h.clock.advance('30d');
      expect((await h.rotator.runDue()).rotated).toHaveLength(1);
      expect(await h.secrets.get('K')).toBe('accepted');
    }
  });
});
