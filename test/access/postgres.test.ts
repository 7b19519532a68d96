import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { postgresStorage } from '../../src/adapters/postgres.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';
import { createTestKeyManager } from '../../src/testing/test-key-manager.js';
import { TSX } from '../cli/harness.js';
import { type PgHarness, startPostgres } from '../support/pg-harness.js';
import { runAccessScenario } from './scenario.js';

let pg: PgHarness;
let upstream: Server;
let origin: string;
let hits = 0;
const CHILD = join(import.meta.dirname, 'support/pg-gateway-child.ts');
let lastAuthorization: string | undefined;

beforeAll(async () => {
  pg = await startPostgres();
  upstream = createServer((req, res) => {
    hits++;
    lastAuthorization = req.headers.authorization;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, path: req.url }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => upstream?.close(() => resolve()));
  await pg?.stop();
});

describe('agent access on PostgreSQL', () => {
  it('runs the access scenario', async () => {
    const schema = pg.newSchema();
    const storage = postgresStorage({ sql: pg.sql, schema });
    const { km, clock } = createTestKeyManager({ storage });
    await runAccessScenario(km, clock, storage);
    await km.close();
    await pg.dropSchema(schema);
  });

  it('two managers with separate pools on one store: maxCalls exact across both, a revoke through one is refused by the other', async () => {
    const schema = pg.newSchema();
    const masterKey = generateMasterKey();
    const manager = () =>
      createKeyManager({
        storage: postgresStorage({ url: pg.url, max: 4, schema }),
        kms: localKms({ masterKey }),
      });
    const kmA = manager();
    await kmA.ready();
    const kmB = manager();
    const SECRET = 'sk_live_two_processes_0123456789abcd';
    await kmA.secrets.set('UPSTREAM_KEY', SECRET, { environment: 'production' });
    const a = agentAccess(kmA);
    const b = agentAccess(kmB);
    await a.tools.register({
      id: 'local',
      secret: 'UPSTREAM_KEY',
      environment: 'production',
      upstream: { origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
      methods: ['GET'],
      paths: ['/v1/**'],
      maxCalls: 50,
    });
    const req = await b.requests.create({
      toolId: 'local',
      agentId: 'agent-7',
      justification: 'x',
      maxCalls: 5,
    });
    await a.requests.approve(req.id, { approver: 'alice' });
    const { token, id } = await b.sessions.open(req.id);

    hits = 0;
    const calls = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? a : b).fetch(token, `${origin}/v1/items/${i}`),
    );
    const responses = await Promise.all(calls);
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    expect(hits).toBe(5);
    expect(lastAuthorization).toBe(`Bearer ${SECRET}`);
    const ok = responses.find((r) => r.status === 200);
    expect(await ok?.json()).toMatchObject({ ok: true });
    expect(await responses.find((r) => r.status === 429)?.json()).toEqual({ error: 'USAGE_EXCEEDED' });
    expect((await a.sessions.get(id)).callsUsed).toBe(5);

    const req2 = await a.requests.create({ toolId: 'local', agentId: 'agent-7', justification: 'y' });
    await b.requests.approve(req2.id, { approver: 'bob' });
    const s2 = await a.sessions.open(req2.id);
    expect((await b.fetch(s2.token, `${origin}/v1/a`)).status).toBe(200);
    await a.sessions.revoke(s2.id, { reason: 'stop' });
    const refused = await b.fetch(s2.token, `${origin}/v1/a`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'REVOKED' });
    expect(await b.authorize(s2.token, { toolId: 'local', method: 'GET', path: '/v1/a' })).toMatchObject({
      code: 'REVOKED',
    });
    expect((await kmA.audit.verify()).ok).toBe(true);
    await kmA.close();
    await kmB.close();
    await pg.dropSchema(schema);
  });
});

describe('call cache on PostgreSQL (storage.readMacs)', () => {
  it('the second call of a session reads three MACs and no record; a revoke through another manager is refused on the next call', async () => {
    const schema = pg.newSchema();
    const masterKey = generateMasterKey();
    const reads = { get: 0, findByName: 0, readMacs: 0 };
    const counted = () => {
      const inner = postgresStorage({ url: pg.url, max: 4, schema });
      return {
        ...inner,
        get: (id: string) => {
          reads.get++;
          return inner.get(id);
        },
        findByName: (...args: Parameters<typeof inner.findByName>) => {
          reads.findByName++;
          return inner.findByName(...args);
        },
        readMacs: (ids: readonly string[]) => {
          reads.readMacs++;
          return inner.readMacs!(ids);
        },
      };
    };
    const kmA = createKeyManager({ storage: counted(), kms: localKms({ masterKey }) });
    const kmB = createKeyManager({
      storage: postgresStorage({ url: pg.url, max: 4, schema }),
      kms: localKms({ masterKey }),
    });
    const SECRET = 'sk_live_call_cache_0123456789abcdefgh';
    await kmA.secrets.set('UPSTREAM_KEY', SECRET, { environment: 'production' });
    const a = agentAccess(kmA);
    const b = agentAccess(kmB);
    await a.tools.register({
      id: 'local',
      secret: 'UPSTREAM_KEY',
      environment: 'production',
      upstream: { origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
      methods: ['GET'],
      paths: ['/v1/**'],
      approval: 'auto',
    });
    const req = await b.requests.create({ toolId: 'local', agentId: 'agent-7', justification: 'x' });
    const { token, id } = await b.sessions.open(req.id);
    const call = { toolId: 'local', method: 'GET', path: '/v1/a' };
    const secretOf = async (r: ReturnType<typeof a.authorize>): Promise<string> => {
      const done = await r;
      if (!done.ok) throw new Error(`refused: ${done.code}`);
      return done.secret;
    };
    expect(await secretOf(a.authorize(token, call))).toBe(SECRET);
    const before = { ...reads };
    expect(await secretOf(a.authorize(token, call))).toBe(SECRET);
    expect(reads.get - before.get + reads.findByName - before.findByName).toBe(0);
    expect(reads.readMacs - before.readMacs).toBe(1);
    await kmB.secrets.set('UPSTREAM_KEY', `${SECRET}_rotated`, { environment: 'production' });
    expect(await secretOf(a.authorize(token, call))).toBe(`${SECRET}_rotated`);
    await b.sessions.revoke(id, { reason: 'stop' });
    expect(await a.authorize(token, call)).toMatchObject({ ok: false, code: 'REVOKED', status: 401 });
    await a.flush();
    expect((await kmA.audit.verify()).ok).toBe(true);
    await kmA.close();
    await kmB.close();
    await pg.dropSchema(schema);
  });
});

describe('two gateway processes on one PostgreSQL store', () => {
  it('20 parallel calls with 5 left reach the upstream exactly 5 times; a revoke is refused by both on the next call', async () => {
    const schema = pg.newSchema();
    const masterKey = generateMasterKey();
    const km = createKeyManager({
      storage: postgresStorage({ url: pg.url, max: 4, schema }),
      kms: localKms({ masterKey }),
    });
    await km.ready();
    const SECRET = 'sk_live_two_gateways_0123456789abcdef';
    await km.secrets.set('UPSTREAM_KEY', SECRET, { environment: 'production' });
    const access = agentAccess(km);
    await access.tools.register({
      id: 'local',
      secret: 'UPSTREAM_KEY',
      environment: 'production',
      upstream: { origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
      methods: ['GET'],
      paths: ['/v1/**'],
    });
    const children = [startGateway(schema, masterKey), startGateway(schema, masterKey)];
    try {
      const [urlA, urlB] = await Promise.all(children.map((c) => c.url));
      const req = await access.requests.create({
        toolId: 'local',
        agentId: 'agent-7',
        justification: 'x',
        maxCalls: 5,
      });
      await access.requests.approve(req.id, { approver: 'alice' });
      const { token } = await access.sessions.open(req.id);
      hits = 0;
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          fetch(`${i % 2 === 0 ? urlA : urlB}/local/v1/items/${i}`, {
            headers: { authorization: `Bearer ${token}` },
          }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(15);
      expect(hits).toBe(5);
      expect(lastAuthorization).toBe(`Bearer ${SECRET}`);
      await Promise.all(responses.map((r) => r.arrayBuffer()));

      const req2 = await access.requests.create({ toolId: 'local', agentId: 'agent-7', justification: 'y' });
      await access.requests.approve(req2.id, { approver: 'bob' });
      const s2 = await access.sessions.open(req2.id);
      const call = (url: string) =>
        fetch(`${url}/local/v1/a`, { headers: { authorization: `Bearer ${s2.token}` } });
      expect((await call(urlA as string)).status).toBe(200);
      expect((await call(urlB as string)).status).toBe(200);
      await access.sessions.revoke(s2.id, { reason: 'stop' });
      for (const url of [urlA, urlB]) {
        const refused = await call(url as string);
        expect(refused.status).toBe(401);
        expect(await refused.json()).toEqual({ error: 'REVOKED' });
      }
    } finally {
      for (const c of children) await c.stop();
      await km.close();
      await pg.dropSchema(schema);
    }
  });
});

function startGateway(
  schema: string,
  masterKey: string,
): { url: Promise<string>; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ['--import', TSX, CHILD], {
    env: {
      PATH: process.env.PATH ?? '',
      KW_PG_URL: pg.url,
      KW_PG_SCHEMA: schema,
      KEYWARDEN_MASTER_KEY: masterKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl).trim());
    });
    child.once('close', (code) => reject(new Error(`gateway child exited ${code}: ${err}`)));
  });
  url.catch(() => undefined);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await closed;
    },
  };
}
