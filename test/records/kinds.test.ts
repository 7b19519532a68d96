import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { capabilityContext } from '../../src/extension/index.js';
import { AUDIT_EVENT_TYPES, RECORD_KINDS } from '../../src/index.js';
import { isRecordKind, kindDescriptor, RECORD_KIND_DESCRIPTORS } from '../../src/records/kinds.js';
import { addPendingVersion } from '../../src/rotation/material.js';
import { createTestKeyManager } from '../../src/testing/index.js';

describe('record kinds table', () => {
  it('has one descriptor per kind, naming its own kind', () => {
    expect(Object.keys(RECORD_KIND_DESCRIPTORS).sort()).toEqual([...RECORD_KINDS].sort());
    for (const kind of RECORD_KINDS) expect(kindDescriptor(kind).kind).toBe(kind);
    expect(kindDescriptor('api_key').label).toBe('API key');
    expect(kindDescriptor('secret').keepsRetiredVersions).toBe(true);
  });

  it('refuses an unknown kind instead of defaulting', () => {
    for (const bad of ['token', '', null, undefined, 42, '__proto__', 'toString']) {
      expect(isRecordKind(bad)).toBe(false);
      expect(() => kindDescriptor(bad)).toThrowError(
        expect.objectContaining({ code: 'ERR_INVALID_STATE', field: 'kind' }),
      );
    }
  });

  it('lists every audit event type once', () => {
    expect(new Set(AUDIT_EVENT_TYPES).size).toBe(AUDIT_EVENT_TYPES.length);
    expect(AUDIT_EVENT_TYPES).toContain('key.created');
    expect(Object.isFrozen(AUDIT_EVENT_TYPES)).toBe(true);
    expect(Object.isFrozen(RECORD_KINDS)).toBe(true);
  });

  it('a rotation of a record of an unknown kind fails instead of minting a crypto key', async () => {
    const { km } = createTestKeyManager();
    const ctx = capabilityContext(km);
    const state = await ctx.ready();
    const { key } = await km.apiKeys.create({ name: 'k' });
    const record = await ctx.storage.get(key.id);
    const forged = { ...record!, kind: 'bogus' as never };
    await expect(addPendingVersion(ctx, state, forged, ctx.clock.now())).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      field: 'kind',
    });
    await km.close();
  });

  it('the memory adapter accepts exactly the listed kinds', async () => {
    const { km } = createTestKeyManager();
    const ctx = capabilityContext(km);
    await ctx.ready();
    const { key } = await km.apiKeys.create({ name: 'k' });
    const record = (await ctx.storage.get(key.id))!;
    const storage = memoryStorage();
    await expect(storage.create({ ...record, kind: 'bogus' as never })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await storage.create(record);
    expect((await storage.get(record.id))?.kind).toBe('api_key');
    await km.close();
  });
});
