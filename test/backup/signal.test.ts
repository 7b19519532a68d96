/**
 * `signal` on backup export and import: an aborted export rejects with the reason and returns no
 * bundle; an import aborted before the first write writes nothing, one aborted while writing stops
 * between records (`interrupted`, audited), and importing again with `onConflict: 'skip'` finishes.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { dump, open } from './helpers.js';

async function source(n: number) {
  const masterKey = generateMasterKey();
  const storage = memoryStorage();
  const { km, backup } = open(storage, masterKey);
  for (let i = 0; i < n; i++) await km.secrets.set(`S${i}`, `value-${i}`);
  return { km, backup, masterKey };
}

describe('backup signal', () => {
  it('export: an abort between records rejects with its reason; progress stops there', async () => {
    const { backup } = await source(5);
    const controller = new AbortController();
    const reason = new Error('stop export');
    const seen: number[] = [];
    const run = backup.export({
      signal: controller.signal,
      onProgress: (done) => {
        seen.push(done);
        if (done === 2) controller.abort(reason);
      },
    });
    await expect(run).rejects.toBe(reason);
    expect(seen).toEqual([1, 2]);
    await expect(backup.export({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const full = await backup.export({ signal: new AbortController().signal });
    expect(full.records).toHaveLength(5);
  });

  it('import: aborted before the first write writes nothing', async () => {
    const { backup, masterKey } = await source(3);
    const bundle = await backup.export();
    const target = memoryStorage();
    const reason = new Error('stop import');
    const { backup: into } = open(target, masterKey);
    await expect(into.import(bundle, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(await dump(target)).toEqual([]);
  });

  it('import: aborted while writing stops between records, audits it, and a skip import finishes', async () => {
    const { backup, masterKey } = await source(5);
    const bundle = await backup.export();
    const target = memoryStorage();
    const { km, backup: into } = open(target, masterKey);
    await km.ready();
    const controller = new AbortController();
    const first = await into.import(bundle, {
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 2) controller.abort();
      },
    });
    expect(first).toMatchObject({ created: 2, interrupted: true });
    expect(await dump(target)).toHaveLength(2);
    const event = (await km.audit.list({ type: 'backup.imported', limit: 10 })).items.at(-1);
    expect(event?.data).toMatchObject({ created: 2, interrupted: true });
    const second = await into.import(bundle, { onConflict: 'skip' });
    expect(second).toMatchObject({ created: 3, skipped: 2, interrupted: false });
    for (let i = 0; i < 5; i++) expect(await km.secrets.get(`S${i}`)).toBe(`value-${i}`);
  });

  it('a signal that is not an AbortSignal is ERR_VALIDATION (options.signal)', async () => {
    const { backup } = await source(1);
    const e = await backup.export({ signal: 'stop' as never }).catch((x: unknown) => x);
    expect(isKeywardenError(e, 'ERR_VALIDATION') && e.field).toBe('options.signal');
    const bundle = await backup.export();
    const i = await backup.import(bundle, { signal: {} as never }).catch((x: unknown) => x);
    expect(isKeywardenError(i, 'ERR_VALIDATION') && i.field).toBe('options.signal');
  });
});
