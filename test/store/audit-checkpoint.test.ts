/**
 * Audit checkpoints: a signed head of the chain kept outside the store shows a log cut below it
 * (which a keyed chain alone cannot: the shorter chain still verifies) or rewritten at it; a forged
 * checkpoint is ERR_INTEGRITY.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { createKeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { AuditEvent, StorageAdapter } from '../../src/ports/storage.js';
import { delegateStorage } from '../support/store-context.js';

/** A store whose audit log can be cut: rows above `keep` are hidden, as if deleted. */
function cuttable() {
  const inner = memoryStorage();
  const state = { keep: Number.POSITIVE_INFINITY };
  const storage: StorageAdapter = delegateStorage(inner, {
    listAudit: async (q) => {
      const page = await inner.listAudit(q);
      const items = page.items.filter((e: AuditEvent) => e.seq <= state.keep);
      return items.length < page.items.length ? { items } : page;
    },
  });
  return { storage, state };
}

describe('km.audit.checkpoint()', () => {
  it('a cut of the last events (a revocation) is reported as truncated; the chain alone still verifies', async () => {
    const { storage, state } = cuttable();
    const km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }) });
    const { key } = await km.apiKeys.create({ name: 'k' });
    const beforeRevoke = await km.audit.checkpoint();
    await km.apiKeys.revoke(key.id, { reason: 'leaked' });
    const checkpoint = await km.audit.checkpoint();
    expect(checkpoint).toMatchObject({ seq: beforeRevoke.seq + 1 });
    expect(checkpoint.signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await km.audit.verify({ checkpoint })).toMatchObject({ ok: true, count: checkpoint.seq });

    state.keep = beforeRevoke.seq; // the attacker deletes the key.revoked row
    expect(await km.audit.verify()).toMatchObject({ ok: true }); // the shorter chain is valid ...
    expect(await km.audit.verify({ checkpoint })).toEqual({
      ok: false,
      count: beforeRevoke.seq,
      brokenAt: beforeRevoke.seq + 1,
      reason: 'truncated',
    }); // ... but it no longer reaches the checkpoint
    await km.close();
  });

  it('a forged or foreign checkpoint is ERR_INTEGRITY; a malformed one ERR_VALIDATION', async () => {
    const masterKey = generateMasterKey();
    const km = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey }) });
    const other = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey }) });
    await km.apiKeys.create({ name: 'k' });
    const c = await km.audit.checkpoint();
    await expect(km.audit.verify({ checkpoint: { ...c, seq: c.seq - 1 } })).rejects.toMatchObject({
      code: 'ERR_INTEGRITY',
      field: 'checkpoint.signature',
    });
    await expect(km.audit.verify({ checkpoint: { ...c, at: c.at + 1 } })).rejects.toMatchObject({
      code: 'ERR_INTEGRITY',
    });
    await expect(other.audit.verify({ checkpoint: c })).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    await expect(km.audit.verify({ checkpoint: { seq: 'x' } as never })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await km.close();
    await other.close();
  });
});
