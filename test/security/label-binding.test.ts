/**
 * Issue 10, labels in the associated data: a store writer swaps the name, the tenant or the
 * environment of two secrets (or two signing keys) straight in a real file store and in the memory
 * store, then the application reads by the old labels. It gets ERR_INTEGRITY (the record MAC) or
 * ERR_DECRYPT (the envelope's associated data binds the labels), never the other plaintext and
 * never a signature under the other key. The MAC is taken out of the way twice, to show that the
 * envelope holds on its own: with the MAC recomputed (a store writer who somehow had the MAC key),
 * and on a 0.1 store whose upgrade is pending (records without a MAC are accepted there, so the
 * attacker simply strips it). The format tag cannot be edited into a downgrade.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/adapters/file.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { capabilityContext } from '../../src/extension/index.js';
import { createKeyManager, type KeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import type { StoreState } from '../../src/records/context.js';
import { seedLegacyStore } from '../support/legacy-store.js';

type Label = 'name' | 'tenantId' | 'environment';
/** How the attacker gets past the record MAC: not at all, by recomputing it, or by stripping it (0.1 store). */
type MacMode = 'kept' | 'recomputed' | 'stripped';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface Store {
  /** An adapter on the store (a new one per phase for the file store, as separate processes would). */
  open(): StorageAdapter;
}

async function newStore(kind: 'memory' | 'file'): Promise<Store> {
  if (kind === 'memory') {
    const s = memoryStorage();
    return { open: () => s };
  }
  const dir = await mkdtemp(join(tmpdir(), 'kw-labels-'));
  dirs.push(dir);
  let first = true;
  return {
    open() {
      const create = first;
      first = false;
      return fileStorage({ dir, create, fsync: false });
    },
  };
}

const scopeOf = (label: Label, side: 'x' | 'y') => ({
  tenantId: label === 'tenantId' ? `tenant-${side}` : 'acme',
  environment: label === 'environment' ? `env-${side}` : 'production',
});
const nameOf = (label: Label, side: 'x' | 'y') => (label === 'name' ? `NAME_${side.toUpperCase()}` : 'SAME');

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    return `value:${JSON.stringify(await p)}`;
  } catch (e) {
    return isKeywardenError(e) ? e.code : `untyped ${String(e)}`;
  }
}

const manager = (storage: StorageAdapter, masterKey: string): KeyManager =>
  createKeyManager({ storage, kms: localKms({ masterKey }), usage: false });

/**
 * The attacker's swap of `label` between records `a` and `b`, written straight into the adapter
 * (through a temporary value, as uniqueness demands), with the MAC kept, recomputed or stripped.
 */
async function swap(
  storage: StorageAdapter,
  a: string,
  b: string,
  label: Label,
  mode: MacMode,
  remac: ((r: StoredRecord) => StoredRecord) | null,
): Promise<void> {
  const write = async (id: string, value: string | null) => {
    const r = (await storage.get(id)) as StoredRecord;
    let next = { ...(JSON.parse(JSON.stringify(r)) as StoredRecord), [label]: value };
    if (mode === 'stripped') delete next.mac;
    if (mode === 'recomputed' && remac !== null) next = remac(next);
    await storage.update({ ...next, revision: r.revision + 1 }, { expectedRevision: r.revision });
  };
  const ra = (await storage.get(a)) as StoredRecord;
  const rb = (await storage.get(b)) as StoredRecord;
  await write(a, `${String(ra[label])}-tmp`);
  await write(b, ra[label]);
  await write(a, rb[label]);
}

const VALUE = { x: 'secret-value-of-x', y: 'secret-value-of-y' };
const DATA = 'payload to sign';

async function runAttack(kind: 'memory' | 'file', label: Label, mode: MacMode): Promise<void> {
  const store = await newStore(kind);
  const masterKey = generateMasterKey();
  const writer = store.open();
  if (mode === 'stripped') await seedLegacyStore(writer, localKms({ masterKey }), 1); // a 0.1 store
  const km = manager(writer, masterKey);
  const ids: Record<'secret' | 'key', Record<'x' | 'y', string>> = {
    secret: { x: '', y: '' },
    key: { x: '', y: '' },
  };
  const honestSig: Record<'x' | 'y', string> = { x: '', y: '' };
  for (const side of ['x', 'y'] as const) {
    const scope = scopeOf(label, side);
    ids.secret[side] = (await km.secrets.set(nameOf(label, side), VALUE[side], scope)).id;
    ids.key[side] = (await km.keys.create({ name: nameOf(label, side), type: 'hmac', ...scope })).id;
    honestSig[side] = Buffer.from(await km.keys.sign(nameOf(label, side), DATA, scope)).toString('hex');
  }
  if (mode === 'stripped') expect((await km.check()).format).toBe('0.1-pending');
  if (kind === 'file') await km.close(); // the file store is edited while no manager runs

  const attacker = kind === 'file' ? store.open() : writer;
  // 'recomputed': the MAC key, taken from a manager on the attacker's adapter (what no real store
  // writer has: it stands for any way past the MAC)
  const keyHolder = kind === 'file' ? manager(attacker, masterKey) : km;
  const state = (await capabilityContext(keyHolder).ready()) as StoreState;
  const remac = (r: StoredRecord) => state.recordMac.seal(r);
  await swap(attacker, ids.secret.x, ids.secret.y, label, mode, remac);
  await swap(attacker, ids.key.x, ids.key.y, label, mode, remac);
  if (kind === 'file') await keyHolder.close(); // closes the attacker's adapter too

  const reader = kind === 'file' ? manager(store.open(), masterKey) : km;
  const expected = mode === 'kept' ? 'ERR_INTEGRITY' : 'ERR_DECRYPT';
  for (const side of ['x', 'y'] as const) {
    const scope = scopeOf(label, side);
    const got = await outcome(reader.secrets.get(nameOf(label, side), scope));
    expect(got).not.toContain(VALUE.x);
    expect(got).not.toContain(VALUE.y);
    expect(got).toBe(expected);
    const sig = await outcome(
      reader.keys.sign(nameOf(label, side), DATA, scope).then((s) => Buffer.from(s).toString('hex')),
    );
    expect(sig).not.toContain(honestSig.x);
    expect(sig).not.toContain(honestSig.y);
    expect(sig).toBe(expected);
  }
  await reader.close();
  if (kind === 'memory') return;
  await km.close();
}

describe('swapping name, tenant or environment of two secrets and two signing keys', () => {
  for (const kind of ['memory', 'file'] as const) {
    for (const label of ['name', 'tenantId', 'environment'] as const) {
      it(`${kind} store, ${label}: the record MAC refuses it (ERR_INTEGRITY)`, async () => {
        await runAttack(kind, label, 'kept');
      });
      it(`${kind} store, ${label}, MAC recomputed: the envelope refuses it (ERR_DECRYPT)`, async () => {
        await runAttack(kind, label, 'recomputed');
      });
      it(`${kind} store, ${label}, 0.1 store pending its upgrade, MAC stripped: ERR_DECRYPT`, async () => {
        await runAttack(kind, label, 'stripped');
      });
    }
  }
});

describe('the envelope format tag', () => {
  it('removing `f` from a new value (a downgrade to the 0.1 associated data) fails, also while pending', async () => {
    const storage = memoryStorage();
    const masterKey = generateMasterKey();
    await seedLegacyStore(storage, localKms({ masterKey }), 1);
    const km = manager(storage, masterKey);
    const s = await km.secrets.set('DB_URL', 'new-value');
    expect((await km.check()).format).toBe('0.1-pending'); // format-1 values are still accepted here
    const r = (await storage.get(s.id)) as StoredRecord;
    const { mac: _mac, ...rest } = JSON.parse(JSON.stringify(r)) as StoredRecord;
    const versions = rest.versions.map((v) => {
      const { f: _f, ...untagged } = v.sealed as NonNullable<typeof v.sealed>;
      return { ...v, sealed: untagged };
    });
    await storage.update({ ...rest, versions, revision: r.revision + 1 }, { expectedRevision: r.revision });
    expect(await outcome(km.secrets.get('DB_URL'))).toBe('ERR_DECRYPT');
    await km.close();
  });
});
