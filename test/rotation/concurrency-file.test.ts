/**
 * The two-runner exactly-once test on the file adapter: two `fileStorage` instances on one
 * directory (as two processes would open it), each with its own manager, running `runDue` at once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/adapters/file.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { fakeClock } from '../../src/testing/fake-clock.js';
import { harness } from './harness.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('two runners on one file store', () => {
  it('rotate each of 60 due records exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kw-rot-'));
    dirs.push(dir);
    const masterKey = generateMasterKey();
    const clock = fakeClock();
    const sa = fileStorage({ dir, create: true, fsync: false });
    const sb = fileStorage({ dir, create: true, fsync: false });
    const a = harness({ storage: sa, masterKey, clock });
    const b = harness({ storage: sb, masterKey, clock });
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const { key } = await a.apiKeys.create({ name: `k${i}`, expiresIn: null });
      await a.rotator.setPolicy(key.id, { every: '30d', strategy: i % 2 === 0 ? 'overlap' : 'immediate' });
      ids.push(key.id);
    }
    clock.advance('30d');
    const [ra, rb] = await Promise.all([a.rotator.runDue({ limit: 500 }), b.rotator.runDue({ limit: 500 })]);
    expect([...ra.failed, ...rb.failed]).toEqual([]);
    const rotated = [...ra.rotated, ...rb.rotated].map((r) => r.id);
    expect(rotated).toHaveLength(60);
    expect(new Set(rotated)).toEqual(new Set(ids));
    for (const id of ids) expect((await sb.get(id))?.versions.map((v) => v.version)).toEqual([1, 2]);
    const audited = (await sa.listAudit({ type: 'key.rotated', limit: 1000 })).items.map((e) => e.keyId);
    expect(audited).toHaveLength(60);
    expect(new Set(audited).size).toBe(60);
    expect([...a.ofType('key.rotated'), ...b.ofType('key.rotated')]).toHaveLength(60);
    await sa.close();
    await sb.close();
  });
});
