import { describe, expect, it } from 'vitest';
import { capabilityContext } from '../../src/extension/index.js';
import { createTestKeyManager } from '../../src/testing/index.js';

describe('capabilityContext', () => {
  it('returns the services of a manager built by createKeyManager', async () => {
    const { km, clock, storage } = createTestKeyManager();
    const ctx = capabilityContext(km);
    clock.advance('1h');
    expect(ctx.clock.now()).toBe(clock.now());
    const state = await ctx.ready();
    expect(state.storeId).toMatch(/^[0-9A-Za-z]{16}$/);
    await ctx.audit({ type: 'key.updated', keyId: null, kind: null, actor: 'extension-test' });
    const { items } = await km.audit.list({});
    expect(items.at(-1)?.actor).toBe('extension-test');
    const { items: raw } = await storage.listAudit({ limit: 100 });
    expect(raw.at(-1)?.actor).toBe('extension-test');
    await km.close();
  });

  it('refuses anything that is not a manager, naming the field', () => {
    for (const bad of [null, undefined, {}, { apiKeys: {} }, 'km', 42]) {
      expect(() => capabilityContext(bad)).toThrowError(
        expect.objectContaining({ code: 'ERR_VALIDATION', field: 'km' }),
      );
    }
  });
});
