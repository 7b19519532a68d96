/**
 * `km.rewrap({ signal, onProgress })`: progress counts every record of the store (done of total),
 * an abort stops between records with `interrupted` (pepper left for the next run, the summary
 * event says so), and the next run finishes; bad options are ERR_VALIDATION naming the field.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import { expectKw } from './api-keys-helpers.js';

async function oldStore(n: number) {
  const a = generateMasterKey();
  const storage = memoryStorage();
  const old = createKeyManager({ storage, kms: localKms({ masterKey: a }) });
  for (let i = 0; i < n; i++) await old.secrets.set(`S${i}`, `value-${i}`);
  await old.apiKeys.create({ name: 'ci' }); // a record with nothing sealed: counted, not rewrapped
  await old.close();
  const km = createKeyManager({
    storage,
    kms: localKms({ masterKey: generateMasterKey(), previousKeys: [a] }),
  });
  return { km, storage };
}

describe('km.rewrap options', () => {
  it('onProgress counts every record of the store, done of total, ending at total', async () => {
    const { km } = await oldStore(4);
    const progress: [number, number][] = [];
    const report = await km.rewrap({ onProgress: (done, total) => progress.push([done, total]) });
    expect(progress).toEqual([1, 2, 3, 4, 5].map((d) => [d, 5]));
    expect(report).toMatchObject({ records: 4, versions: 4, pepper: true, interrupted: false });
  });

  it('an abort stops between records; the pepper waits; the next run finishes the rest', async () => {
    const { km } = await oldStore(5);
    const controller = new AbortController();
    const first = await km.rewrap({
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 2) controller.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    expect(first.pepper).toBe(false);
    expect(first.records).toBeLessThanOrEqual(2);
    const summary = (await km.audit.list({ type: 'kms.rewrapped', limit: 1000 })).items.at(-1);
    expect(summary?.data).toMatchObject({ interrupted: true, records: first.records });
    const second = await km.rewrap();
    expect(second.interrupted).toBe(false);
    expect(second.pepper).toBe(true);
    expect(first.records + second.records).toBe(5);
    for (let i = 0; i < 5; i++) expect(await km.secrets.get(`S${i}`)).toBe(`value-${i}`);
    expect(await km.rewrap()).toMatchObject({ records: 0, versions: 0, pepper: false });
  });

  it('bad options are ERR_VALIDATION naming the field', async () => {
    const { km } = await oldStore(1);
    await expectKw(() => km.rewrap({ signal: 'x' as never }), 'ERR_VALIDATION', 'options.signal');
    await expectKw(() => km.rewrap({ onProgress: 1 as never }), 'ERR_VALIDATION', 'options.onProgress');
    await expectKw(() => km.rewrap({ force: true } as never), 'ERR_VALIDATION', 'options.force');
    await expectKw(() => km.rewrap('all' as never), 'ERR_VALIDATION', 'options');
    expect((await km.rewrap()).records).toBe(1);
  });
});
