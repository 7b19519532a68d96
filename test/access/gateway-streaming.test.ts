/**
 * Streaming both ways through the gateway, proven by handshakes rather than timings: the upstream
 * sends the next server-sent event only after the agent has received the previous one, and
 * receives the first part of a request body before the agent sends the rest. Echoes of the
 * secret split across events are still masked, and nothing of it is sent early.
 */
import { Buffer } from 'node:buffer';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../src/access/gateway/index.js';
import { addTool, findLeak, grant, SECRETS, setupAccess, violations } from './gateway-harness.js';

const secret = SECRETS.openai;
let gw: Gateway;
let upstream: Server;
let token: string;
let env: ReturnType<typeof setupAccess>;
/** Resolvers the upstream waits on, by name; the test resolves them when the agent got what it should. */
const gates = new Map<string, () => void>();
const gate = (name: string) => new Promise<void>((resolve) => gates.set(name, resolve));
const open = (name: string) => {
  const resolve = gates.get(name);
  if (resolve === undefined) throw new Error(`no gate ${name}`);
  resolve();
};
const uploads: { total: number; complete: Promise<boolean> }[] = [];

beforeAll(async () => {
  upstream = createServer(async (req, res) => {
    const path = req.url ?? '/';
    if (path === '/events') {
      const next = gate('events');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: one\n\n');
      await next;
      res.end('data: two\n\n');
      return;
    }
    if (path === '/split-echo') {
      const next = gate('split');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const cut = 20;
      res.write(`data: {"t":"${secret.slice(0, cut)}`);
      await next;
      res.end(`${secret.slice(cut)}"}\n\ndata: [DONE]\n\n`);
      return;
    }
    if (path === '/upload') {
      const record = {
        total: 0,
        complete: new Promise<boolean>((resolve) => req.on('close', () => resolve(req.complete))),
      };
      uploads.push(record);
      req.on('data', (c: Buffer) => {
        if (record.total === 0) gates.get('first-chunk-seen')?.();
        record.total += c.length;
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ received: record.total }));
      });
      return;
    }
    if (path === '/v1/chat/completions') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // one delta carries the whole secret, written to the socket in two halves
      const parts = ['The key is ', secret, '.', ''];
      for (const [i, content] of parts.entries()) {
        const chunk = {
          id: 'c',
          object: 'chat.completion.chunk',
          created: 1,
          model: 'm',
          choices: [{ index: 0, delta: { content }, finish_reason: i === 3 ? 'stop' : null }],
        };
        const line = `data: ${JSON.stringify(chunk)}\n\n`;
        const at = line.indexOf(secret) === -1 ? line.length : line.indexOf(secret) + 10;
        res.write(line.slice(0, at));
        await new Promise((resolve) => setImmediate(resolve));
        res.write(line.slice(at));
      }
      res.end('data: [DONE]\n\n');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  env = setupAccess();
  await addTool(env.km, env.access, {
    id: 'llm',
    secretValue: secret,
    upstream: { origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
    methods: ['GET', 'POST'],
    paths: ['/**'],
  });
  token = await grant(env.access, 'llm');
  gw = createGateway(env.access, { maxBodyBytes: 1024 });
  await gw.listen();
});

afterAll(async () => {
  await gw?.close();
  await new Promise<void>((resolve) => {
    upstream?.close(() => resolve());
    upstream?.closeAllConnections();
  });
});

/** Opens a GET through the gateway; calls onChunk with the text so far after each chunk. */
function stream(path: string, onChunk: (text: string, chunk: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = request(`${gw.url}/llm${path}`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        onChunk(text, c);
      });
      res.on('end', () => resolve(text));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end();
  });
}

describe('streaming through the gateway', () => {
  it('delivers each server-sent event before the upstream sends the next', async () => {
    let opened = false;
    const text = await stream('/events', (so_far) => {
      if (!opened && so_far.includes('data: one\n\n')) {
        opened = true;
        open('events'); // the upstream sends "two" only now: a buffering gateway would hang here
      }
    });
    expect(text).toBe('data: one\n\ndata: two\n\n');
  });

  it('holds back a possible start of the secret, then masks the whole echo across events', async () => {
    const chunks: string[] = [];
    let opened = false;
    const text = await stream('/split-echo', (_so_far, chunk) => {
      chunks.push(chunk);
      if (!opened) {
        opened = true;
        open('split');
      }
    });
    expect(chunks[0]).toBe('data: {"t":"');
    expect(findLeak(text, secret)).toBeNull();
    expect(text).toBe(`data: {"t":"${'*'.repeat(secret.length)}"}\n\ndata: [DONE]\n\n`);
    expect(await violations(env.km)).toContain('upstream echoed the secret (masked)');
  });

  it('streams a request body up before the agent has finished sending it', async () => {
    const seen = gate('first-chunk-seen');
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = request(
        `${gw.url}/llm/upload`,
        { method: 'POST', headers: { authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      r.on('error', reject);
      r.write('a'.repeat(100));
      // the rest goes only once the upstream has the first part
      void seen.then(() => r.end('b'.repeat(100)));
    });
    const r = await answer;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ received: 200 });
  });

  it('cuts a chunked upload at maxBodyBytes with 413', async () => {
    const before = uploads.length;
    const r = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${gw.url}/llm/upload`,
        { method: 'POST', headers: { authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            body += c.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write(Buffer.alloc(300, 0x61));
      req.end();
    });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toEqual({ error: 'PAYLOAD_TOO_LARGE' });
    // the upstream got at most the allowed bytes, and never a complete upload
    expect(uploads.slice(before).every((u) => u.total <= 1024)).toBe(true);
    expect(await Promise.all(uploads.slice(before).map((u) => u.complete))).not.toContain(true);
  });

  it('works with the OpenAI SDK stream: true, the echo masked in the deltas', async () => {
    const client = new OpenAI({ apiKey: token, baseURL: `${gw.url}/llm/v1`, maxRetries: 0 });
    const s = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const deltas: string[] = [];
    for await (const chunk of s) deltas.push(chunk.choices[0]?.delta?.content ?? '');
    expect(deltas).toHaveLength(4);
    const text = deltas.join('');
    expect(findLeak(text, secret)).toBeNull();
    expect(text).toBe(`The key is ${'*'.repeat(secret.length)}.`);
  });
});
