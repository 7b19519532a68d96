import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { BACKUP_FORMAT, type BackupBundle, parseBackupBundle } from '../../src/backup/index.js';
import { isKeywardenError } from '../../src/errors.js';
import { generateMasterKey, passphraseKms } from '../../src/kms/index.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { dump, open, openWith, tempFileStorage } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function seed(storage: StorageAdapter, masterKey: string) {
  const { km, backup } = open(storage, masterKey);
  const live = await km.apiKeys.create({ name: 'billing', scopes: ['invoices:read'], tags: ['prod'] });
  const dead = await km.apiKeys.create({ name: 'old' });
  await km.apiKeys.revoke(dead.key.id, { reason: 'leaked' });
  await km.secrets.set('OPENAI_API_KEY', 'sk-first');
  await km.secrets.set('OPENAI_API_KEY', 'sk-second');
  await km.secrets.set('DB_URL', 'postgres://u:p@h/db', { environment: 'production' });
  await km.keys.create({ name: 'jwt', type: 'ed25519' });
  await km.keys.create({ name: 'mac', type: 'hmac' });
  const signature = await km.keys.sign('jwt', 'payload');
  return { km, backup, token: live.token, revoked: dead.token, signature };
}

async function expectBackupError(p: Promise<unknown>, field?: string): Promise<void> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isKeywardenError(error, 'ERR_BACKUP')).toBe(true);
  if (field !== undefined) expect((error as { field?: string }).field).toBe(field);
}

describe('backup round trip', () => {
  it('moves a store memory -> file -> memory identical record for record, and it still works', async () => {
    const masterKey = generateMasterKey();
    const source = memoryStorage();
    const s = await seed(source, masterKey);
    const original = await dump(source);
    expect(original).toHaveLength(6);

    const bundle1 = await s.backup.export();
    expect(bundle1.format).toBe(BACKUP_FORMAT);
    expect(bundle1.plaintext).toBe(false);
    // sealed: no value in the clear
    expect(JSON.stringify(bundle1)).not.toContain('sk-second');
    expect(JSON.stringify(bundle1)).not.toContain(s.token);

    const file = await tempFileStorage();
    cleanups.push(file.cleanup);
    const f = open(file.storage, masterKey);
    const r1 = await f.backup.import(JSON.parse(JSON.stringify(bundle1)));
    expect(r1).toMatchObject({ created: 6, overwritten: 0, skipped: 0, adoptedIdentity: true });
    expect(await dump(file.storage)).toEqual(original);

    const f2 = open(file.storage, masterKey);
    const bundle2 = await f2.backup.export();
    const target = memoryStorage();
    const t = open(target, masterKey);
    await t.backup.import(bundle2, { onConflict: 'fail' });
    expect(await dump(target)).toEqual(original);

    // a fresh manager over the destination: everything verifies and opens
    const { km } = open(target, masterKey);
    expect((await km.apiKeys.verify(s.token)).valid).toBe(true);
    expect(await km.apiKeys.verify(s.revoked)).toMatchObject({ valid: false, code: 'REVOKED' });
    expect(await km.secrets.get('OPENAI_API_KEY')).toBe('sk-second');
    expect(await km.secrets.get('OPENAI_API_KEY', { version: 1 })).toBe('sk-first');
    expect(await km.secrets.get('DB_URL', { environment: 'production' })).toBe('postgres://u:p@h/db');
    expect(await km.keys.verify('jwt', 'payload', s.signature)).toBe(true);
    const types = (await km.audit.list({ limit: 1000 })).items.map((e) => e.type);
    expect(types).toContain('backup.imported');
  });

  it('plaintext export opens every value, is audited, and imports under another master key', async () => {
    const source = memoryStorage();
    const s = await seed(source, generateMasterKey());
    const bundle = await s.backup.export({ plaintext: true });
    expect(bundle.plaintext).toBe(true);
    expect(bundle.values?.length).toBe(5); // 2 + 1 secret versions, 2 keys
    expect(JSON.stringify(bundle)).not.toContain('sk-second'); // values are base64url, not raw text
    const exported = await s.km.audit.list({ type: 'backup.exported', limit: 10 });
    expect(exported.items[0]?.data).toMatchObject({ plaintext: true, records: 6 });

    const target = memoryStorage();
    const otherKey = generateMasterKey();
    const t = open(target, otherKey);
    const report = await t.backup.import(bundle);
    expect(report).toMatchObject({ created: 6, adoptedPepper: true, adoptedIdentity: false });
    const { km } = open(target, otherKey);
    expect((await km.apiKeys.verify(s.token)).valid).toBe(true);
    expect(await km.secrets.get('OPENAI_API_KEY')).toBe('sk-second');
    expect(await km.keys.verify('jwt', 'payload', s.signature)).toBe(true);
  });

  it('re-seals into a store that already has records under the same master key', async () => {
    const masterKey = generateMasterKey();
    const source = memoryStorage();
    const s = await seed(source, masterKey);
    const secretsOnly = await s.backup.export();
    secretsOnly.records = secretsOnly.records.filter((r) => r.kind !== 'api_key');

    const target = memoryStorage();
    const t = open(target, masterKey);
    await t.km.secrets.set('LOCAL', 'mine');
    const report = await t.backup.import(secretsOnly);
    expect(report).toMatchObject({ created: 4, adoptedIdentity: false });
    expect(await t.km.secrets.get('OPENAI_API_KEY')).toBe('sk-second');
    expect(await t.km.secrets.get('LOCAL')).toBe('mine');
  });
});

describe('passphrase stores', () => {
  it('a sealed bundle does not open under another salt; a plaintext one does', async () => {
    const kms = () => passphraseKms({ passphrase: 'correct horse battery staple', scrypt: { N: 2 ** 14 } });
    const s = openWith(memoryStorage(), kms);
    await s.km.secrets.set('P', 'pv');
    const sealed = await s.backup.export();
    expect(sealed.meta.kmsParams).toContain('scrypt');
    const plain = await s.backup.export({ plaintext: true });

    const targetStorage = memoryStorage();
    const t = openWith(targetStorage, kms);
    await expectBackupError(t.backup.import(sealed), 'bundle.meta.pepper');
    expect(await dump(targetStorage)).toEqual([]);
    expect(await t.backup.import(plain)).toMatchObject({ created: 1 });
    const { km } = openWith(targetStorage, kms);
    expect(await km.secrets.get('P')).toBe('pv');
  });
});

describe('backup import refuses before writing', () => {
  let bundle: BackupBundle;
  let masterKey: string;

  async function fresh() {
    masterKey = generateMasterKey();
    const s = await seed(memoryStorage(), masterKey);
    bundle = await s.backup.export();
    return s;
  }

  it('names the path of the first invalid field and writes nothing', async () => {
    await fresh();
    const bad = structuredClone(bundle) as unknown as { records: { versions: { state: string }[] }[] };
    (bad.records[1]?.versions[0] as { state: string }).state = 'bogus';
    const target = memoryStorage();
    const t = open(target, masterKey);
    await expectBackupError(t.backup.import(bad), 'bundle.records.1.versions.0.state');
    expect(await dump(target)).toEqual([]);
    expect(() => parseBackupBundle({ ...bundle, format: 'other' })).toThrow(/keywarden-backup/);
    expect(() => parseBackupBundle({ ...bundle, version: 2 })).toThrow(/not supported/);
    expect(() => parseBackupBundle([])).toThrow(/JSON object/);
    const dup = { ...bundle, records: [...bundle.records, bundle.records[0]] };
    expect(() => parseBackupBundle(dup)).toThrow(/repeats/);
    const secret = bundle.records.find((r) => r.kind === 'secret');
    const twin = { ...bundle, records: [...bundle.records, { ...secret, id: 'ZZZZZZZZZZZZ' }] };
    expect(() => parseBackupBundle(twin)).toThrow(/name repeats/);
  });

  it('refuses a sealed bundle under another master key', async () => {
    await fresh();
    const target = memoryStorage();
    const t = open(target, generateMasterKey());
    await expectBackupError(t.backup.import(bundle), 'bundle.meta.pepper');
    expect(await dump(target)).toEqual([]);
  });

  it('applies onConflict: fail writes nothing, skip keeps, overwrite replaces', async () => {
    const s = await fresh();
    const before = await s.km.apiKeys.list({ limit: 100 });
    await expectBackupError(s.backup.import(bundle), 'onConflict');
    expect((await s.km.apiKeys.list({ limit: 100 })).items).toEqual(before.items);
    expect(await s.backup.import(bundle, { onConflict: 'skip' })).toMatchObject({ created: 0, skipped: 6 });
    await s.km.secrets.set('OPENAI_API_KEY', 'sk-third');
    const r = await s.backup.import(bundle, { onConflict: 'overwrite' });
    expect(r).toMatchObject({ created: 0, overwritten: 6 });
    expect(await s.km.secrets.get('OPENAI_API_KEY')).toBe('sk-second');
  });

  it('refuses API keys hashed under another pepper when the target already has records', async () => {
    await fresh();
    const target = memoryStorage();
    const t = open(target, masterKey);
    await t.km.apiKeys.create({ name: 'local' });
    await expectBackupError(t.backup.import(bundle, { onConflict: 'skip' }), 'bundle.meta.pepper');
    expect(await dump(target)).toHaveLength(1);
  });
});
