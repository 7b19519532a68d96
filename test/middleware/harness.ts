/**
 * Shared fixtures of the middleware tests: a test key manager over a storage that can be made
 * to fail, a set of keys in every state, and a loopback server helper.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryStorage } from '../../src/adapters/memory.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';

/** A memory storage whose `get` throws while `broken.on` is true (a database outage). */
export function breakableStorage(): { storage: StorageAdapter; broken: { on: boolean } } {
  const inner = memoryStorage();
  const broken = { on: false };
  const storage: StorageAdapter = Object.assign(Object.create(inner) as StorageAdapter, {
    name: 'breakable',
    get: (id: string) => {
      if (broken.on) return Promise.reject(new Error('connection refused (db.internal:5432)'));
      return inner.get(id);
    },
  });
  return { storage, broken };
}

/** A manager and one key in each interesting state. */
export async function fixture() {
  const { storage, broken } = breakableStorage();
  const { km, clock } = createTestKeyManager({ storage });
  const good = await km.apiKeys.create({ name: 'good', scopes: ['invoices:read'], ownerId: 'acme' });
  const other = await km.apiKeys.create({ name: 'other', scopes: ['files:read'] });
  const revoked = await km.apiKeys.create({ name: 'revoked', scopes: ['invoices:read'] });
  await km.apiKeys.revoke(revoked.key.id, { reason: 'leaked' });
  const limited = await km.apiKeys.create({
    name: 'limited',
    scopes: ['invoices:read'],
    rateLimit: { limit: 2, window: '1m' },
  });
  const credits = await km.apiKeys.create({
    name: 'credits',
    scopes: ['invoices:read'],
    remaining: 1,
    refill: { amount: 1, every: '1h' },
  });
  return {
    km,
    clock,
    broken,
    tokens: {
      good: good.token,
      other: other.token,
      revoked: revoked.token,
      limited: limited.token,
      credits: credits.token,
    },
    ids: { good: good.key.id },
  };
}

export type Fixture = Awaited<ReturnType<typeof fixture>>;

/** Starts `server` on 127.0.0.1, port 0; returns its base URL and a closer. */
export async function listen(server: Server): Promise<{ base: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** Reads a response as text and JSON, for assertions on both. */
export async function read(res: Response): Promise<{ status: number; text: string; json: unknown }> {
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, text, json };
}
