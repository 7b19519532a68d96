/**
 * Leak test: secret values and private key material appear in no audit event, no stored record,
 * no store metadata, no notifier event, no error message, and no JSON.stringify / util.inspect of
 * anything the secrets and keys views return (other than `get`/`toEnv` and a private export).
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import { allAudit, allRecords } from '../support/store-context.js';

const SECRETS = ['sk-live-LEAKCANARY-0001', 'pässwörd-LEAKCANARY-✓-0002', 'LEAKCANARY-0003'];

function forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [value, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), 'LEAKCANARY'];
}

describe('leak: secrets and keys', () => {
  it('no value or private key material escapes', async () => {
    const storage = memoryStorage();
    const events: KeyEvent[] = [];
    const km = createKeyManager({
      storage,
      kms: localKms({ masterKey: generateMasterKey() }),
      notifier: { notify: async (e) => void events.push(e) },
    });
    const outputs: unknown[] = [];
    const errors: unknown[] = [];
    const attempt = async (p: Promise<unknown>) => {
      try {
        outputs.push(await p);
      } catch (e) {
        errors.push(e);
      }
    };

    // secrets: set, rotate, read, list, versions, rollback, toEnv, delete
    outputs.push(await km.secrets.set('openai', SECRETS[0] as string, { provider: 'openai', tags: ['ai'] }));
    outputs.push(await km.secrets.set('openai', SECRETS[1] as string));
    outputs.push(await km.secrets.set('db', SECRETS[2] as string, { environment: 'production' }));
    expect(await km.secrets.get('openai')).toBe(SECRETS[1]);
    expect(await km.secrets.get('openai', { version: 1 })).toBe(SECRETS[0]);
    outputs.push(await km.secrets.info('openai'));
    outputs.push(await km.secrets.list());
    outputs.push(await km.secrets.versions('openai'));
    outputs.push(await km.secrets.rollback('openai'));
    expect(Object.values(await km.secrets.toEnv())).toEqual([SECRETS[0]]);
    outputs.push(await km.secrets.delete('db', { environment: 'production' }));

    // failing calls whose inputs carry secret values
    await attempt(km.secrets.set('', SECRETS[0] as string));
    await attempt(km.secrets.set('x', `${SECRETS[0]}${'x'.repeat(70_000)}`));
    await attempt(km.secrets.set('x', SECRETS[0] as string, { envVar: SECRETS[0] as string }));
    await attempt(km.secrets.set('x', SECRETS[0] as string, { tags: [SECRETS[1] as string] }));
    await attempt(km.secrets.get(SECRETS[2] as string));
    await attempt(km.secrets.get('openai', { version: 99 }));
    await attempt(km.keys.verify('missing', 'data', SECRETS[0] as string));

    // keys of every type: create, sign, verify, jwks, public export
    const material: string[] = [];
    for (const opts of [
      { type: 'hmac' },
      { type: 'aes' },
      { type: 'ed25519' },
      { type: 'ecdsa', algorithm: 'ES256K' },
      { type: 'rsa', algorithm: 'PS256' },
    ] as const) {
      const name = `key-${opts.type}`;
      outputs.push(await km.keys.create({ name, ...opts }));
      if (opts.type === 'aes') {
        const ct = await km.keys.encrypt(name, SECRETS[0] as string);
        expect(Buffer.from(await km.keys.decrypt(name, ct)).toString()).toBe(SECRETS[0]);
        await attempt(km.keys.jwks(name));
      } else {
        const sig = await km.keys.sign(name, 'data');
        outputs.push(await km.keys.verify(name, 'data', sig));
        if (opts.type !== 'hmac') {
          outputs.push(await km.keys.jwks(name));
          outputs.push(await km.keys.export(name));
        } else {
          await attempt(km.keys.export(name));
        }
      }
      outputs.push(await km.keys.info(name));
      const priv = (await km.keys.export(name, { includePrivate: true })) as unknown as Record<
        string,
        unknown
      >;
      for (const m of ['d', 'k', 'p', 'q', 'dp', 'dq', 'qi']) {
        if (typeof priv[m] === 'string') material.push(priv[m] as string);
      }
    }
    outputs.push(await km.keys.list());
    outputs.push(km);
    expect(material.length).toBeGreaterThanOrEqual(5);

    const needles = [...SECRETS.flatMap(forms), ...material];
    const haystacks: [string, string][] = [
      ['audit', JSON.stringify(await allAudit(storage))],
      ['records', JSON.stringify(await allRecords(storage))],
      ['meta', JSON.stringify([await storage.getMeta('store.id'), await storage.getMeta('store.pepper')])],
      ['notifier', JSON.stringify(events)],
      ['outputs JSON', JSON.stringify(outputs)],
      ['outputs inspect', inspect(outputs, { depth: 20, showHidden: true, getters: true })],
      [
        'errors',
        errors.map((e) => `${String(e)} ${JSON.stringify(e)} ${inspect(e, { depth: 5 })}`).join('\n'),
      ],
    ];
    expect(errors.length).toBeGreaterThanOrEqual(8);
    for (const [where, text] of haystacks) {
      for (const needle of needles) {
        if (text.includes(needle)) throw new Error(`secret material found in ${where}`);
      }
    }
    // the records do hold sealed versions for every secret and private key
    const records = await allRecords(storage);
    expect(
      records.filter((r) => r.kind !== 'api_key').every((r) => r.versions.every((v) => v.sealed !== null)),
    ).toBe(true);
  });
});
