/**
 * No plaintext API token (nor its secret part, nor its stored hash) may appear in audit events,
 * stored records or metadata, error messages, or the JSON / util.inspect output of anything the
 * API returns.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkApiToken, generateApiToken } from '../../src/crypto/index.js';
import { KeywardenError } from '../../src/errors.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { allAudit, snapshot } from '../store/api-keys-helpers.js';

describe('API key material never leaks', () => {
  it('through storage, audit, errors, JSON or inspect', async () => {
    const { km, clock, storage } = createTestKeyManager({ audit: { verifications: 'all' } });
    const returned: unknown[] = [];
    const errors: unknown[] = [];
    const keep = <T>(v: T): T => {
      returned.push(v);
      return v;
    };
    const expectError = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
        return;
      }
      throw new Error('expected an error');
    };

    const a = keep(
      await km.apiKeys.create({ name: 'alpha', scopes: ['files:*'], remaining: 2, tenantId: 'T1' }),
    );
    const b = keep(
      await km.apiKeys.create({ name: 'beta', prefix: 'sk_live', rateLimit: { limit: 1, window: '1m' } }),
    );
    const many = keep(
      await km.apiKeys.createMany([{ name: 'c1' }, { name: 'c2', refill: { amount: 1, every: '1h' } }]),
    );
    const tokens = [a.token, b.token, ...many.map((m) => m.token)];

    // good and bad verifications of every kind
    keep(
      await km.apiKeys.verify(a.token, {
        scopes: ['files:read'],
        context: { ip: '10.1.1.1', userAgent: 'curl' },
      }),
    );
    keep(await km.apiKeys.verify(a.token, { scopes: ['mail:send'] }));
    keep(await km.apiKeys.verify(a.token, { tenantId: 'T2' }));
    keep(await km.apiKeys.verify(a.token, { cost: 5 }));
    keep(await km.apiKeys.verify(b.token));
    keep(await km.apiKeys.verify(b.token));
    keep(await km.apiKeys.verify(`${a.token.slice(0, -1)}x`));
    keep(await km.apiKeys.verify(generateApiToken({ prefix: 'kw', id: a.key.id }).token));
    keep(await km.apiKeys.verify(a.token.toUpperCase()));
    keep(await km.apiKeys.update(a.key.id, { name: 'alpha-2', scopes: ['files:read'] }));
    keep(await km.apiKeys.revoke(b.key.id, { reason: 'rotated out' }));
    keep(await km.apiKeys.verify(b.token));
    clock.advance('91d');
    keep(await km.apiKeys.verify(many[0]?.token));
    keep(await km.apiKeys.get(a.key.id));
    keep(await km.apiKeys.list());
    keep(await km.audit.list({ limit: 1000 }));
    keep(await km.audit.verify());
    await km.apiKeys.delete((many[1] as (typeof many)[0]).key.id);

    // errors caused by token-bearing input
    await expectError(() => km.apiKeys.get(a.token));
    await expectError(() => km.apiKeys.create({ name: `${a.token}\u0000` }));
    await expectError(() => km.apiKeys.create({ name: 'x', prefix: a.token }));
    await expectError(() => km.apiKeys.update(a.token, { name: 'x' }));
    await expectError(() => km.apiKeys.revoke(a.token));
    await expectError(() => km.apiKeys.verify(a.token, { tenantId: `${a.token}\n` }));
    await expectError(() => km.apiKeys.verify(a.token, { context: { ip: a.token.repeat(2) } }));
    await expectError(() =>
      km.apiKeys.create({ name: 'x', meta: { token: a.token }, extra: a.token } as never),
    );
    expect(errors).toHaveLength(8);
    for (const e of errors) expect(e).toBeInstanceOf(KeywardenError);

    const secrets: string[] = [];
    for (const t of tokens) {
      const parsed = checkApiToken(t);
      if (!parsed.ok) throw new Error('bad token');
      secrets.push(t, parsed.secret);
    }
    const records = await Promise.all([a, b, ...many].map((c) => storage.get(c.key.id)));
    const hashes = records
      .flatMap((r) => r?.versions.map((v) => v.hash) ?? [])
      .filter((h): h is string => !!h);
    expect(hashes.length).toBeGreaterThan(0);

    const stored = await snapshot(storage);
    const events = JSON.stringify(await allAudit(storage));
    const outputs = returned.flatMap((v) => [
      JSON.stringify(v),
      inspect(v, { depth: 10 }),
      inspect(v, { showHidden: true, depth: 10 }),
    ]);
    const errorTexts = errors.flatMap((e) => [
      (e as Error).message,
      JSON.stringify(e),
      String(e),
      inspect(e, { depth: 10 }),
    ]);
    for (const s of secrets) {
      expect(stored).not.toContain(s);
      expect(events).not.toContain(s);
      for (const o of outputs) expect(o).not.toContain(s);
      for (const t of errorTexts) expect(t).not.toContain(s);
    }
    for (const h of hashes) {
      expect(events).not.toContain(h);
      for (const o of outputs) expect(o).not.toContain(h);
    }
    // sanity: the checks above can see things (the start/id is present, it is not secret)
    expect(events).toContain(a.key.id);
    expect(outputs.join('')).toContain(a.key.start);
  });
});
