import { describe, expect, it } from 'vitest';
import { capabilityContext } from '../../src/extension/index.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import { createTestKeyManager } from '../../src/testing/index.js';

describe('recordId, the generic name of the record an event is about', () => {
  it('notifier events carry recordId, with keyId as its deprecated alias', async () => {
    const events: KeyEvent[] = [];
    const { km } = createTestKeyManager({ notifier: { notify: async (e) => void events.push(e) } });
    const { key } = await km.apiKeys.create({ name: 'k' });
    const secret = await km.secrets.set('S', 'v');
    await km.apiKeys.revoke(key.id);
    expect(events.map((e) => [e.type, e.recordId, e.keyId])).toEqual([
      ['key.created', key.id, key.id],
      ['key.created', secret.id, secret.id],
      ['key.revoked', key.id, key.id],
    ]);
    await km.close();
  });

  it('audit events answer recordId and can be listed by it; keyId still works', async () => {
    const { km } = createTestKeyManager();
    const { key } = await km.apiKeys.create({ name: 'k' });
    await km.apiKeys.create({ name: 'other' });
    const byRecord = await km.audit.list({ recordId: key.id });
    const byKey = await km.audit.list({ keyId: key.id });
    expect(byRecord.items.map((e) => e.seq)).toEqual(byKey.items.map((e) => e.seq));
    expect(byRecord.items.map((e) => e.type)).toEqual(['key.created']);
    expect(byRecord.items[0]?.recordId).toBe(key.id);
    // the alias is not part of the stored event: its JSON (and digest input) are unchanged
    expect(JSON.parse(JSON.stringify(byRecord.items[0]))).not.toHaveProperty('recordId');
    await expect(km.audit.list({ recordId: key.id, keyId: 'AAAAAAAAAAAA' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      field: 'query.recordId',
    });
    expect((await km.audit.verify()).ok).toBe(true);
    await km.close();
  });

  it('a capability writes audit drafts with recordId', async () => {
    const { km } = createTestKeyManager();
    const { key } = await km.apiKeys.create({ name: 'k' });
    const ctx = capabilityContext(km);
    await ctx.audit({ type: 'key.updated', recordId: key.id, kind: 'api_key' });
    await ctx.audit({ type: 'key.updated', keyId: key.id, kind: 'api_key' });
    const { items } = await km.audit.list({ recordId: key.id, type: 'key.updated' });
    expect(items.map((e) => e.keyId)).toEqual([key.id, key.id]);
    expect((await km.audit.verify()).ok).toBe(true);
    await km.close();
  });
});
