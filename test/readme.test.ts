/**
 * The README's API tour, run as written (with a test manager instead of file storage), so the
 * README stays true to the code.
 */
import { describe, expect, it } from 'vitest';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { createTestKeyManager } from '../src/testing/index.js';

describe('README API tour', () => {
  it('API keys, secrets, keys, rotation, audit and backup work as the README shows', async () => {
    const masterKey = generateMasterKey();
    const { km } = createTestKeyManager({ kms: localKms({ masterKey }) });
    const { token, key } = await km.apiKeys.create({
      name: 'billing service',
      prefix: 'sk_live',
      ownerId: 'user_1',
      tenantId: 'acme',
      environment: 'production',
      scopes: ['invoices:*', 'customers:read'],
      tags: ['billing'],
      meta: { plan: 'pro' },
      expiresIn: '90d',
      remaining: 1000,
      refill: { amount: 1000, every: '30d' },
      rateLimit: { limit: 100, window: '1m' },
    });
    expect(token.startsWith('sk_live_')).toBe(true);
    const r = await km.apiKeys.verify(token, {
      scopes: ['invoices:create'],
      cost: 1,
      tenantId: 'acme',
      context: { ip: '203.0.113.7', userAgent: 'curl/8' },
    });
    expect(r.valid && r.remaining).toBe(999);
    expect((await km.apiKeys.get(key.id)).name).toBe('billing service');
    expect((await km.apiKeys.list({ tenantId: 'acme', status: 'active', limit: 50 })).items).toHaveLength(1);
    await km.apiKeys.update(key.id, { scopes: ['invoices:read'] });
    expect(await km.apiKeys.createMany([{ name: 'a' }, { name: 'b' }])).toHaveLength(2);

    await km.secrets.set('OPENAI_API_KEY', 'sk-1', { environment: 'production', provider: 'openai' });
    await km.secrets.set('OPENAI_API_KEY', 'sk-2', { environment: 'production', provider: 'openai' });
    expect(await km.secrets.get('OPENAI_API_KEY', { environment: 'production' })).toBe('sk-2');
    expect(await km.secrets.get('OPENAI_API_KEY', { environment: 'production', version: 1 })).toBe('sk-1');
    expect(await km.secrets.versions('OPENAI_API_KEY', { environment: 'production' })).toHaveLength(2);
    await km.secrets.rollback('OPENAI_API_KEY', { environment: 'production' });
    expect((await km.secrets.list({ environment: 'production' })).items).toHaveLength(1);
    expect(await km.secrets.toEnv({ environment: 'production' })).toEqual({ OPENAI_API_KEY: 'sk-1' });

    await km.keys.create({ name: 'jwt', type: 'ecdsa', algorithm: 'ES256' });
    const payloadBytes = new TextEncoder().encode('payload');
    const sig = await km.keys.sign('jwt', payloadBytes);
    expect(await km.keys.verify('jwt', payloadBytes, sig)).toBe(true);
    const jwks = await km.keys.jwks('jwt');
    expect(Object.keys(jwks.keys[0] ?? {}).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(Object.keys(await km.keys.export('jwt'))).not.toContain('d');
    const jwt = await km.keys.signJwt('jwt', { sub: 'user_1' }, { expiresIn: '15m', audience: 'api' });
    const checked = await km.keys.verifyJwt('jwt', jwt, { audience: 'api' });
    expect(checked.valid && checked.payload['sub']).toBe('user_1');

    await km.rotator.setPolicy(key.id, {
      every: '30d',
      strategy: 'overlap',
      overlap: '7d',
      notifyBefore: '7d',
    });
    const { version, token: next } = await km.rotator.rotate(key.id, { strategy: 'gradual' });
    expect(version).toBe(2);
    expect((await km.apiKeys.verify(next as string)).valid).toBe(true);
    await km.rotator.rollback(key.id); // a gradual rotation's pending version is discarded
    expect((await km.apiKeys.verify(next as string)).valid).toBe(false);
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    expect((await km.rotator.runDue()).failed).toEqual([]);

    expect((await km.audit.list({ keyId: key.id, limit: 100 })).items.length).toBeGreaterThan(0);
    expect((await km.audit.verify()).ok).toBe(true);
    const written: string[] = [];
    const out = {
      write(chunk: string): void {
        written.push(chunk);
      },
    };
    for await (const chunk of km.audit.export({ format: 'csv', from: Date.parse('2026-01-01') }))
      out.write(chunk);
    expect(written.join('').split('\r\n').length).toBeGreaterThan(2);

    const bundle = await km.backup.export();
    const other = createTestKeyManager({ kms: localKms({ masterKey }) }).km; // same master key
    await other.backup.import(bundle, { onConflict: 'fail' });
    expect((await other.apiKeys.verify(token)).valid).toBe(true); // v1 is current again after the rollback
    expect(await other.secrets.get('OPENAI_API_KEY', { environment: 'production' })).toBe('sk-1');
    await other.close();

    await km.apiKeys.revoke(key.id, { reason: 'leaked' });
    expect(await km.apiKeys.verify(token)).toMatchObject({ valid: false, code: 'REVOKED' });
    await km.apiKeys.delete(key.id);
    expect(await km.secrets.delete('OPENAI_API_KEY', { environment: 'production' })).toBe(true);
    await km.close();
  });
});
