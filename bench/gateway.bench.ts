/**
 * The gateway against a bare node:http reverse proxy, both in front of the same loopback upstream,
 * in the same run: `node --import tsx bench/gateway.bench.ts` (or `npm run bench -- gateway`).
 *
 * Both proxies run in a child process (so their CPU can be read alone with `process.cpuUsage()`);
 * the upstream and the load generator run in this process. A call is `POST /v1/chat/completions`
 * with a 1 KiB JSON body answered by 1 KiB of JSON, over keep-alive connections.
 *
 * - Server CPU per request: a fixed batch of requests (16 in flight), the child's CPU time before
 *   and after, divided by the batch size. Goal: gateway ≤ 1.3× the bare proxy.
 * - Latency per request (mitata, one request at a time), for reference.
 *
 * The gateway does per call what the bare proxy does not: token check and atomic call spend
 * (`access.authorize`, memory adapter), the secret read (its record on every call; the decryption
 * cached for `secretCacheTtl`, default 5 s), the call's one audit row (`access.call`, which records
 * the secret read), header filtering and injection, and echo scrubbing of the answer.
 * A second gateway row runs with `auditCalls: false` (no spend on an uncapped session; the one audit
 * row is then `secret.read`), and
 * a third reuses one `authorize` result for every call, which leaves the gateway's own work
 * (routing, header filtering and injection, streaming with the body tripwire and echo scrubbing).
 */
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type ServerResponse,
  request as upstreamRequest,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { bench, run, summary } from 'mitata';
import { createGateway } from '../src/access/gateway/index.js';
import { agentAccess } from '../src/access/index.js';
import { memoryStorage } from '../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { createKeyManager } from '../src/manager/key-manager.js';
import { startServerProcess } from './server-process.js';
import { averages } from './stats.js';

const BATCH = 4000;
const IN_FLIGHT = 16;
const REQUEST_BODY = JSON.stringify({
  model: 'gpt-bench',
  messages: [{ role: 'user', content: 'x'.repeat(960) }],
});
const ANSWER = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'y'.repeat(900) }, finish_reason: 'stop' }],
});

const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/** The baseline: a plain node:http reverse proxy with a keep-alive pool, piping both ways. */
function bareProxy(upstreamPort: number) {
  const agent = new Agent({ keepAlive: true });
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
    const up = upstreamRequest(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers, agent },
      (answer) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      },
    );
    up.on('error', () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(up);
  });
}

/** Child: both proxies; prints `{ bare, gateway, gatewayNoAudit, token, tokenNoAudit }`, then answers "cpu". */
async function serve(upstreamPort: number): Promise<void> {
  const listen = async (s: ReturnType<typeof createServer>): Promise<number> => {
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return (s.address() as AddressInfo).port;
  };
  const origin = `http://127.0.0.1:${upstreamPort}`;
  const gateway = async (auditCalls: boolean, reuseAuthorize = false) => {
    const km = createKeyManager({
      storage: memoryStorage(),
      kms: localKms({ masterKey: generateMasterKey() }),
    });
    const access = agentAccess(km, { auditCalls });
    await km.secrets.set('OPENAI_API_KEY', 'sk-proj-bench-0123456789abcdefghijklmnopqrstuvwxyz');
    await access.tools.register({
      id: 'openai',
      secret: 'OPENAI_API_KEY',
      upstream: { origin, auth: { type: 'bearer' }, allowPrivateNetwork: true },
      methods: ['POST'],
      paths: ['/v1/chat/completions'],
      approval: 'auto',
    });
    const req = await access.requests.create({
      toolId: 'openai',
      agentId: 'bench',
      justification: 'benchmark',
    });
    const session = await access.sessions.open(req.id);
    const first = await access.authorize(session.token, {
      toolId: 'openai',
      method: 'POST',
      path: '/v1/chat/completions',
    });
    const gw = createGateway(
      reuseAuthorize ? { ...access, tools: access.tools, authorize: async () => first } : access,
    );
    const { url } = await gw.listen({ host: '127.0.0.1', port: 0 });
    return { port: Number(new URL(url).port), token: session.token };
  };
  const withAudit = await gateway(true);
  const noAudit = await gateway(false);
  const ownWork = await gateway(false, true);
  const info = {
    bare: await listen(bareProxy(upstreamPort)),
    gateway: withAudit.port,
    gatewayNoAudit: noAudit.port,
    token: withAudit.token,
    tokenNoAudit: noAudit.token,
    gatewayOwn: ownWork.port,
    tokenOwn: ownWork.token,
  };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  let pending = '';
  process.stdin.on('data', (d: Buffer) => {
    pending += d.toString();
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
      pending = pending.slice(nl + 1);
      const u = process.cpuUsage();
      process.stdout.write(`${u.user + u.system}\n`);
    }
  });
  process.stdin.on('end', () => process.exit(0));
}

async function main(): Promise<void> {
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
      res.end(ANSWER);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as AddressInfo).port;

  const server = await startServerProcess(import.meta.url, [String(upstreamPort)]);
  const info = JSON.parse(server.ready) as {
    bare: number;
    gateway: number;
    gatewayNoAudit: number;
    token: string;
    tokenNoAudit: string;
    gatewayOwn: number;
    tokenOwn: string;
  };
  const cpu = (): Promise<number> => server.cpu();

  const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const post = (port: number, path: string, token: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const r = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path,
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': REQUEST_BODY.length,
          },
        },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode} on port ${port}`));
          res.resume();
          res.on('end', () => resolve());
        },
      );
      r.on('error', reject);
      r.end(REQUEST_BODY);
    });
  const sides = [
    ['bare node:http proxy', () => post(info.bare, '/v1/chat/completions', info.token)],
    ['gateway', () => post(info.gateway, '/openai/v1/chat/completions', info.token)],
    [
      'gateway, auditCalls: false',
      () => post(info.gatewayNoAudit, '/openai/v1/chat/completions', info.tokenNoAudit),
    ],
    ['gateway, authorize reused', () => post(info.gatewayOwn, '/openai/v1/chat/completions', info.tokenOwn)],
  ] as const;

  const batch = async (send: () => Promise<void>, n: number): Promise<void> => {
    let left = n;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (left-- > 0) await send();
      }),
    );
  };
  const perRequest: Record<string, number> = {};
  for (const [name, send] of sides) {
    await batch(send, 500); // warm-up: JIT, pooled connections
    const before = await cpu();
    const started = process.hrtime.bigint();
    await batch(send, BATCH);
    const wall = Number(process.hrtime.bigint() - started) / 1e6;
    perRequest[name] = ((await cpu()) - before) / BATCH;
    console.log(
      `${name.padEnd(28)} server CPU ${(perRequest[name] as number).toFixed(1).padStart(6)} µs/request   ` +
        `(${BATCH} requests, ${IN_FLIGHT} in flight, ${((BATCH / wall) * 1000).toFixed(0)} req/s)`,
    );
  }

  summary(() => {
    for (const [name, send] of sides) bench(name, send);
  });
  const avg = averages((await run()).benchmarks);

  const bare = perRequest['bare node:http proxy'] as number;
  const verdict = (x: number) => (x <= 1.3 ? 'OK' : 'OVER');
  for (const name of ['gateway', 'gateway, auditCalls: false', 'gateway, authorize reused']) {
    const cpuRatio = (perRequest[name] as number) / bare;
    const latRatio = avg(name) / avg('bare node:http proxy');
    console.log(
      `\n${name} / bare proxy: server CPU per request ${cpuRatio.toFixed(2)}x (goal <= 1.3x) ${verdict(cpuRatio)}`,
    );
    console.log(`${name} / bare proxy: latency per sequential request ${latRatio.toFixed(2)}x`);
  }
  console.log('(shared, noisy machine: compare ratios from the same run only)');
  server.stop();
  agent.destroy();
  upstream.close();
  upstream.closeAllConnections();
}

if (process.argv[2] === 'serve') await serve(Number(process.argv[3]));
else await main();
