/**
 * Shared fixtures of the management API tests: a real memory-store key manager, operator keys of
 * every scope, and a helper that sends one request through a handler and reads the answer.
 */
import { memoryStorage } from '../../src/adapters/memory.js';
import { type ManagementApiOptions, managementApi } from '../../src/http/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';

/** A manager, operator keys of each scope, and the API over them. */
export async function fixture(options: ManagementApiOptions = {}) {
  const { km, clock } = createTestKeyManager();
  const mk = async (name: string, scopes: string[], extra: { ownerId?: string; tenantId?: string } = {}) =>
    (await km.apiKeys.create({ name, scopes, ...extra })).token;
  const tokens = {
    admin: await mk('admin', ['keywarden:admin'], { ownerId: 'alice' }),
    read: await mk('reader', ['keywarden:read'], { ownerId: 'rita' }),
    write: await mk('writer', ['keywarden:read', 'keywarden:write'], { ownerId: 'wes' }),
    approve: await mk('approver', ['keywarden:read', 'keywarden:approve'], { ownerId: 'bob' }),
    reveal: await mk('revealer', ['keywarden:reveal'], { ownerId: 'rae' }),
    viewer: await mk('viewer', ['invoices:read'], { ownerId: 'vic' }),
    star: await mk('star', ['*']),
    tenant: await mk('tenant-admin', ['keywarden:admin'], { tenantId: 'acme' }),
  };
  const api = managementApi(km, options);
  return { km, clock, api, tokens };
}

export type Fixture = Awaited<ReturnType<typeof fixture>>;

/** What {@link call} returns. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
  json: any;
}

/** Options of {@link call}. */
export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  base?: string;
}

/** Sends one request through a fetch handler. */
export async function call(
  api: (r: Request) => Promise<Response>,
  method: string,
  path: string,
  o: CallOptions = {},
): Promise<Answer> {
  const headers = new Headers(o.headers);
  if (o.token !== undefined) headers.set('authorization', `Bearer ${o.token}`);
  let body: string | undefined;
  if (o.body !== undefined) {
    body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body;
  const res = await api(new Request(`${o.base ?? 'http://localhost'}${path}`, init));
  return read(res);
}

/** Reads a response as text and, when it parses, JSON. */
export async function read(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Every header of an answer as one string, for leak checks. */
export function headerText(headers: Headers): string {
  const out: string[] = [];
  headers.forEach((v, k) => {
    out.push(`${k}: ${v}`);
  });
  return out.join('\n');
}

/** A test key manager. */
export type Km = ReturnType<typeof createTestKeyManager>['km'];

/**
 * A manager whose storage, once armed, lets `meanwhile` (run by a second manager on the same
 * store) change the record named `target` right after the route's next read of it (reads of other
 * records, such as the operator's own API key, do not fire it).
 */
export async function racing() {
  const inner = memoryStorage();
  const masterKey = generateMasterKey();
  const state: { target: string; meanwhile: ((other: Km) => Promise<unknown>) | null } = {
    target: '',
    meanwhile: null,
  };
  let other: Km | null = null;
  const fire = async (record: { name: string } | null) => {
    const run = state.meanwhile;
    if (run !== null && other !== null && record?.name === state.target) {
      state.meanwhile = null; // once: the second manager's own reads go straight to `inner`
      await run(other);
    }
  };
  const storage: StorageAdapter = {
    ...inner,
    async get(id) {
      const record = await inner.get(id);
      await fire(record);
      return record;
    },
    async findByName(...args) {
      const record = await inner.findByName(...args);
      await fire(record);
      return record;
    },
  };
  const { km } = createTestKeyManager({ storage, kms: localKms({ masterKey }) });
  other = createTestKeyManager({ storage: inner, kms: localKms({ masterKey }) }).km;
  const api = managementApi(km);
  const admin = (await km.apiKeys.create({ name: 'admin', scopes: ['keywarden:admin'], ownerId: 'alice' }))
    .token;
  const close = async () => {
    await km.close();
    await other?.close();
  };
  return { km, api, admin, state, close };
}
