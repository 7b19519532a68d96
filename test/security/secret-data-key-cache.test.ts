/**
 * A store writer against a warm data-key cache (secrets.get's `keyCache`). Both secrets were read
 * (their data keys are cached) before the attacker edits the records straight in the adapter:
 * swapping the wrapped data keys, the whole sealed values, or the labels of two secrets, or
 * flipping a ciphertext byte. With the MAC kept the read is ERR_INTEGRITY; with the MAC recomputed
 * (standing for any way past it) the cache misses or the value's own AES-GCM open refuses it
 * (ERR_DECRYPT). Never the other secret's value, never the old value.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { capabilityContext } from '../../src/extension/index.js';
import { createKeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { SealedValue, StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import type { StoreState } from '../../src/records/context.js';

const VALUE = { x: 'secret-value-of-x', y: 'secret-value-of-y' };

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    return `value:${JSON.stringify(await p)}`;
  } catch (e) {
    return isKeywardenError(e) ? e.code : `untyped ${String(e)}`;
  }
}

type Edit = (x: StoredRecord, y: StoredRecord) => [StoredRecord, StoredRecord];

const sealedOf = (r: StoredRecord): SealedValue => r.versions[0]?.sealed as SealedValue;
const withSealed = (r: StoredRecord, sealed: SealedValue): StoredRecord => ({
  ...r,
  versions: r.versions.map((v, i) => (i === 0 ? { ...v, sealed } : v)),
});

const EDITS: Record<string, Edit> = {
  'wrapped data keys swapped': (x, y) => [
    withSealed(x, { ...sealedOf(x), dek: sealedOf(y).dek }),
    withSealed(y, { ...sealedOf(y), dek: sealedOf(x).dek }),
  ],
  'sealed values swapped': (x, y) => [withSealed(x, sealedOf(y)), withSealed(y, sealedOf(x))],
  'names swapped': (x, y) => [
    { ...x, name: y.name },
    { ...y, name: x.name },
  ],
  'ciphertext of x changed, its wrapped data key kept': (x, y) => {
    const s = sealedOf(x);
    const last = s.ct.at(-1) === 'A' ? 'B' : 'A';
    return [withSealed(x, { ...s, ct: `${s.ct.slice(0, -1)}${last}` }), y];
  },
};

async function attack(edit: Edit, remac: boolean): Promise<Record<'x' | 'y', string>> {
  const storage: StorageAdapter = memoryStorage();
  const km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }), usage: false });
  const ids = {
    x: (await km.secrets.set('X', VALUE.x)).id,
    y: (await km.secrets.set('Y', VALUE.y)).id,
  };
  // warm: both data keys are in the cache
  expect(await km.secrets.get('X')).toBe(VALUE.x);
  expect(await km.secrets.get('Y')).toBe(VALUE.y);
  const state = (await capabilityContext(km).ready()) as StoreState;
  const copy = async (id: string) => JSON.parse(JSON.stringify(await storage.get(id))) as StoredRecord;
  const [x, y] = edit(await copy(ids.x), await copy(ids.y));
  // through a temporary name, as name uniqueness demands
  const write = async (r: StoredRecord, name = r.name) => {
    const cur = (await storage.get(r.id)) as StoredRecord;
    let next: StoredRecord = { ...r, name, revision: cur.revision + 1 };
    if (remac) next = state.recordMac.seal(next); // else it keeps its old MAC (the attacker cannot compute one)
    await storage.update(next, { expectedRevision: cur.revision });
  };
  await write(x, `${x.name}-tmp`);
  await write(y);
  await write(x);
  const got = {
    x: await outcome(km.secrets.get(x.name === 'Y' ? 'Y' : 'X')),
    y: await outcome(km.secrets.get(y.name === 'X' ? 'X' : 'Y')),
  };
  await km.close();
  return got;
}

describe('a store writer against a warm data-key cache', () => {
  for (const [what, edit] of Object.entries(EDITS)) {
    it(`${what}, MAC kept: ERR_INTEGRITY`, async () => {
      const got = await attack(edit, false);
      const touched = what.startsWith('ciphertext') ? [got.x] : [got.x, got.y];
      for (const g of touched) expect(g).toBe('ERR_INTEGRITY');
    });
    it(`${what}, MAC recomputed: ERR_DECRYPT, never a value`, async () => {
      const got = await attack(edit, true);
      expect(got.x).toBe('ERR_DECRYPT');
      if (what.startsWith('ciphertext')) expect(got.y).toBe(`value:${JSON.stringify(VALUE.y)}`);
      else expect(got.y).toBe('ERR_DECRYPT');
      expect(JSON.stringify(got)).not.toContain(what.startsWith('ciphertext') ? VALUE.x : 'secret-value');
    });
  }
});
