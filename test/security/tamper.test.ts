/**
 * Tampering with a sealed secret: changing any single character of any stored field of `sealed`
 * either leaves `get` returning the right value or makes it throw ERR_DECRYPT; never another value,
 * never an untyped error. Exhaustive over positions and a substitution alphabet. These tests play
 * a store writer who could forge record MACs (`bypassRecordMac`), to test the AEAD behind them;
 * without that, every change here is `ERR_INTEGRITY` first (test/security/integrity-attacks.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { SealedValue, StoredRecord } from '../../src/ports/storage.js';
import {
  bypassRecordMac,
  copyRecord,
  type Harness,
  makeHarness,
  storedByName,
} from '../support/store-context.js';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const EXTRA = ['=', '+', '/', ' ', '.', '\u0000', 'é', '€', '\u{1F600}'];
const ALPHABET = [...B64URL, ...EXTRA];

type Path = readonly ['alg' | 'nonce' | 'ct'] | readonly ['dek', 'kms' | 'keyId' | 'alg' | 'data'];
const PATHS: Path[] = [
  ['alg'],
  ['nonce'],
  ['ct'],
  ['dek', 'kms'],
  ['dek', 'keyId'],
  ['dek', 'alg'],
  ['dek', 'data'],
];

function getField(sealed: SealedValue, path: Path): string {
  return path.length === 1 ? (sealed[path[0]] as string) : sealed.dek[path[1]];
}

function withField(record: StoredRecord, version: number, path: Path, value: unknown): StoredRecord {
  const copy = copyRecord(record);
  const v = copy.versions.find((x) => x.version === version);
  const sealed = v?.sealed as unknown as Record<string, Record<string, unknown> | unknown>;
  if (path.length === 1) sealed[path[0]] = value;
  else (sealed['dek'] as Record<string, unknown>)[path[1]] = value;
  return copy;
}

async function outcome(p: Promise<string>, expected: string): Promise<'same' | 'ERR_DECRYPT' | string> {
  try {
    const got = await p;
    return got === expected ? 'same' : `WRONG VALUE ${JSON.stringify(got)}`;
  } catch (e) {
    if (isKeywardenError(e)) return e.code;
    return `untyped ${String(e)}`;
  }
}

async function setup(): Promise<{ h: Harness; record: StoredRecord }> {
  const h = makeHarness();
  await bypassRecordMac(h);
  await h.km.secrets.set('target', 'the-right-value');
  await h.km.secrets.set('other', 'another-value');
  const record = await storedByName(h.inner, 'secret', 'target');
  return { h, record };
}

describe('tamper: sealed secrets', () => {
  it.each(PATHS.map((p) => [p.join('.'), p] as const))(
    'every single-character change of sealed.%s gives the right value or ERR_DECRYPT',
    async (_label, path) => {
      const { h, record } = await setup();
      const original = getField(record.versions[0]?.sealed as SealedValue, path);
      const seen = new Map<string, number>();
      for (let i = 0; i < original.length; i++) {
        for (const c of ALPHABET) {
          if (original[i] === c) continue;
          const mutated = original.slice(0, i) + c + original.slice(i + 1);
          const bad = withField(record, 1, path, mutated);
          h.hooks.transform = (r) => (r.id === record.id ? bad : r);
          const result = await outcome(h.km.secrets.get('target'), 'the-right-value');
          seen.set(result, (seen.get(result) ?? 0) + 1);
        }
      }
      h.hooks.transform = null;
      for (const key of seen.keys()) expect(['same', 'ERR_DECRYPT']).toContain(key);
      expect(seen.get('ERR_DECRYPT')).toBeGreaterThan(0);
      expect(await h.km.secrets.get('target')).toBe('the-right-value');
    },
  );

  it('deleting, truncating, extending or retyping any field gives ERR_DECRYPT', async () => {
    const { h, record } = await setup();
    for (const path of PATHS) {
      const original = getField(record.versions[0]?.sealed as SealedValue, path);
      for (const value of [
        undefined,
        null,
        0,
        true,
        [],
        {},
        '',
        original.slice(1),
        original.slice(0, -1),
        `${original}A`,
        `A${original}`,
      ]) {
        const bad = withField(record, 1, path, value);
        h.hooks.transform = (r) => (r.id === record.id ? bad : r);
        expect(await outcome(h.km.secrets.get('target'), 'the-right-value')).toBe('ERR_DECRYPT');
      }
    }
    for (const sealed of [null, 'x', 5, {}]) {
      const copy = copyRecord(record);
      (copy.versions[0] as unknown as Record<string, unknown>)['sealed'] = sealed;
      h.hooks.transform = (r) => (r.id === record.id ? copy : r);
      const r = await outcome(h.km.secrets.get('target'), 'the-right-value');
      // sealed: null is a destroyed version (a clear state error); anything else is ERR_DECRYPT
      expect(r).toBe(sealed === null ? 'ERR_INVALID_STATE' : 'ERR_DECRYPT');
    }
  });

  it('a sealed value moved to another record or another version fails with ERR_DECRYPT', async () => {
    const { h, record } = await setup();
    const other = await storedByName(h.inner, 'secret', 'other');
    const moved = copyRecord(other);
    (moved.versions[0] as { sealed: unknown }).sealed = record.versions[0]?.sealed;
    h.hooks.transform = (r) => (r.id === other.id ? moved : r);
    expect(await outcome(h.km.secrets.get('other'), 'another-value')).toBe('ERR_DECRYPT');
    h.hooks.transform = null;

    await h.km.secrets.set('target', 'second-value');
    const two = (await h.inner.get(record.id)) as StoredRecord;
    const swapped = copyRecord(two);
    const [v1, v2] = swapped.versions;
    const s1 = v1?.sealed;
    (v1 as { sealed: unknown }).sealed = v2?.sealed;
    (v2 as { sealed: unknown }).sealed = s1;
    h.hooks.transform = (r) => (r.id === record.id ? swapped : r);
    expect(await outcome(h.km.secrets.get('target'), 'second-value')).toBe('ERR_DECRYPT');
    expect(await outcome(h.km.secrets.get('target', { version: 1 }), 'the-right-value')).toBe('ERR_DECRYPT');
    // renumbering a version is moving it too
    const renumbered = copyRecord(two);
    (renumbered.versions[1] as { version: number }).version = 7;
    h.hooks.transform = (r) => (r.id === record.id ? renumbered : r);
    expect(await outcome(h.km.secrets.get('target'), 'second-value')).toBe('ERR_DECRYPT');
  });

  it('a sealed value moved to another store fails with ERR_DECRYPT', async () => {
    const masterKey = generateMasterKey();
    const a = makeHarness({ masterKey });
    const b = makeHarness({ masterKey });
    await bypassRecordMac(b);
    await a.km.secrets.set('s', 'from-a');
    await b.km.secrets.set('s', 'from-b');
    const ra = await storedByName(a.inner, 'secret', 's');
    const rb = copyRecord(await storedByName(b.inner, 'secret', 's'));
    (rb.versions[0] as { sealed: unknown }).sealed = ra.versions[0]?.sealed;
    b.hooks.transform = () => rb;
    expect(await outcome(b.km.secrets.get('s'), 'from-b')).toBe('ERR_DECRYPT');
  });

  it('a tampered private key does not sign (ERR_DECRYPT)', async () => {
    const h = makeHarness();
    await bypassRecordMac(h);
    await h.km.keys.create({ name: 'k', type: 'ed25519' });
    const record = await storedByName(h.inner, 'key', 'k');
    const data = record.versions[0]?.sealed?.ct as string;
    for (let i = 0; i < data.length; i += 7) {
      const c = data[i] === 'A' ? 'B' : 'A';
      const bad = withField(record, 1, ['ct'], data.slice(0, i) + c + data.slice(i + 1));
      h.hooks.transform = (r) => (r.id === record.id ? bad : r);
      let code = 'ok';
      try {
        await h.km.keys.sign('k', 'x');
      } catch (e) {
        code = isKeywardenError(e) ? e.code : 'untyped';
      }
      expect(code).toBe('ERR_DECRYPT');
    }
  });
});

describe('tamper: master key', () => {
  it('opening a store with another master key fails ready() with ERR_MASTER_KEY_MISMATCH', async () => {
    const storage = memoryStorage();
    const km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }) });
    await km.secrets.set('s', 'v');
    const wrong = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }) });
    let code = 'ok';
    try {
      await wrong.ready();
    } catch (e) {
      code = isKeywardenError(e) ? e.code : 'untyped';
    }
    expect(code).toBe('ERR_MASTER_KEY_MISMATCH');
    let getCode = 'ok';
    try {
      await wrong.secrets.get('s');
    } catch (e) {
      getCode = isKeywardenError(e) ? e.code : 'untyped';
    }
    expect(getCode).toBe('ERR_MASTER_KEY_MISMATCH');
  });
});

describe('tamper: random rewrites (fast-check)', () => {
  it('any string written into any sealed field gives the right value or ERR_DECRYPT', async () => {
    const { h, record } = await setup();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATHS), fc.string({ maxLength: 120 }), async (path, value) => {
        const bad = withField(record, 1, path, value);
        h.hooks.transform = (r) => (r.id === record.id ? bad : r);
        const result = await outcome(h.km.secrets.get('target'), 'the-right-value');
        expect(['same', 'ERR_DECRYPT']).toContain(result);
      }),
      { numRuns: 300 },
    );
    h.hooks.transform = null;
  });

  it('any bit flip in the decoded nonce, ciphertext or wrapped key gives ERR_DECRYPT', async () => {
    const { h, record } = await setup();
    const sealed = record.versions[0]?.sealed as SealedValue;
    const fields: Path[] = [['nonce'], ['ct'], ['dek', 'data']];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fields),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        async (path, at, bit) => {
          const bytes = Buffer.from(getField(sealed, path), 'base64url');
          const i = at % bytes.length;
          bytes[i] = (bytes[i] as number) ^ (1 << bit);
          const bad = withField(record, 1, path, bytes.toString('base64url'));
          h.hooks.transform = (r) => (r.id === record.id ? bad : r);
          expect(await outcome(h.km.secrets.get('target'), 'the-right-value')).toBe('ERR_DECRYPT');
        },
      ),
      { numRuns: 300 },
    );
    h.hooks.transform = null;
  });
});
