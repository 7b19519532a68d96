/**
 * HTTPS upstreams: the dial is pinned to the checked address, yet the TLS certificate is still
 * verified against the origin's host name. A certificate for another name, or from an untrusted
 * CA, fails the handshake, so the request (and the secret in it) is never sent.
 * The certificate is made at test time with the openssl CLI (no key material in the repository).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/access/gateway/index.js';
import { addTool, call, findLeak, grant, SECRETS, setupAccess } from './gateway-harness.js';

const run = promisify(execFile);
let dir: string;
let server: Server;
let cert: string;
let port: number;
let env: ReturnType<typeof setupAccess>;
const received: { host: string | undefined; authorization: string | undefined; servername: string | null }[] =
  [];
const gateways: Gateway[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kw-gateway-tls-'));
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=tls.example',
    '-addext',
    'subjectAltName=DNS:tls.example',
  ]);
  cert = await readFile(join(dir, 'cert.pem'), 'utf8');
  server = createServer({ key: await readFile(join(dir, 'key.pem')), cert }, (req, res) => {
    const servername = (req.socket as import('node:tls').TLSSocket).servername;
    received.push({
      host: req.headers.host,
      authorization: req.headers.authorization,
      servername: typeof servername === 'string' ? servername : null,
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, echo: req.headers.authorization }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  env = setupAccess();
  for (const [id, host] of [
    ['tls', 'tls.example'],
    ['wrong-name', 'wrong.example'],
  ] as const) {
    await addTool(env.km, env.access, {
      id,
      secretValue: SECRETS.github,
      upstream: { origin: `https://${host}:${port}`, auth: { type: 'bearer' }, allowPrivateNetwork: true },
      paths: ['/**'],
    });
  }
});

afterAll(async () => {
  for (const g of gateways) await g.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function gateway(withCa: boolean): Promise<string> {
  const gw = createGateway(env.access, {
    lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    ...(withCa && { ca: cert }),
  });
  gateways.push(gw);
  return (await gw.listen()).url;
}

describe('https upstreams', () => {
  it('dials the checked address and verifies the certificate for the origin name (SNI too)', async () => {
    const base = await gateway(true);
    const token = await grant(env.access, 'tls');
    const before = received.length;
    const r = await call(`${base}/tls/repos`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    expect(findLeak(r.body, SECRETS.github)).toBeNull();
    expect(received[before]).toEqual({
      host: `tls.example:${port}`,
      authorization: `Bearer ${SECRETS.github}`,
      servername: 'tls.example',
    });
  });

  it('refuses a certificate for another name: the request is never sent', async () => {
    const base = await gateway(true);
    const token = await grant(env.access, 'wrong-name');
    const before = received.length;
    const r = await call(`${base}/wrong-name/repos`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body)).toEqual({ error: 'UPSTREAM_ERROR' });
    expect(received.length).toBe(before);
  });

  it('refuses an untrusted certificate without the ca option', async () => {
    const base = await gateway(false);
    const token = await grant(env.access, 'tls');
    const before = received.length;
    const r = await call(`${base}/tls/repos`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(502);
    expect(received.length).toBe(before);
  });
});
