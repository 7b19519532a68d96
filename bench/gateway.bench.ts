/**
 * The gateway against a bare node:http reverse proxy, both in front of the same loopback upstream,
 * in the same run: `node --import tsx bench/gateway.bench.ts` (or `npm run bench -- gateway`).
 * The gateways run the built package (`dist/`, built first when missing or stale), as users do;
 * `GATEWAY_BENCH_SOURCE=src` runs the TypeScript sources through tsx instead.
 *
 * Both proxies run in a child process (so their CPU can be read alone with `process.cpuUsage()`);
 * the upstream and the load generator run in this process. A call is `POST /v1/chat/completions`
 * with a 1 KiB JSON body answered by 1 KiB of JSON, over keep-alive connections.
 *
 * - Server CPU per request: interleaved rounds (`GATEWAY_BENCH_ROUNDS`, default 15) of 300 requests
 *   per side (16 in flight, the side order rotating each round), the child's CPU time before and
 *   after each batch; the median per side and the median of the per-round ratios to the bare proxy.
 *   Goal: gateway ≤ 1.3× the bare proxy.
 * - `--latency`: also latency per request (mitata, one request at a time), for reference.
 * - `--profile=<side>` (e.g. `--profile=gateway`): that side alone, 20,000 requests after the
 *   warm-up, profiled in the child with the inspector's CPU profiler (a `.cpuprofile` file in
 *   `GATEWAY_PROFILE_DIR`, default `.tmp/gateway-profiles/`; open it in Chrome DevTools).
 *
 * The gateway does per call what the bare proxy does not: token check (`access.authorize`, memory
 * adapter, default options: the session has no `maxCalls`, so nothing is spent and its count is
 * added once per audit window), the secret read (its record on every call; the decryption cached
 * for `secretCacheTtl`, default 5 s), the call's one audit row (`access.call`, which records the
 * secret read; batched by default, `auditBatch`), header filtering and injection, and echo
 * scrubbing of the answer.
 * A second gateway row runs with `auditCalls: false` (the one audit row is then `secret.read`), and
 * a third reuses one `authorize` result for every call, which leaves the gateway's own work
 * (routing, header filtering and injection, streaming with the body tripwire and echo scrubbing).
 * The token check reuses the session's checked records while `storage.readMacs` shows them
 * unchanged (the call cache); a fourth row, "records re-read", gives the same adapter without
 * `readMacs`, so every call hashes the token and reads the three records again (in-run control).
 * The "floor" row is the bare proxy plus the least any credential-injecting proxy does (the
 * token's HMAC, one lookup, a constant-time compare, the real key put in the header): what the
 * 1.3× goal is up against. The last row is a second, identical bare proxy: its ratio to the first is the A/A control (how
 * far the noise alone moves a ratio in that run).
 */

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type ServerResponse,
  request as upstreamRequest,
} from 'node:http';
import { Session } from 'node:inspector';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { bench, run, summary } from 'mitata';
import { libraryModule, librarySource, prepareLibrary } from './library.js';
import { startServerProcess } from './server-process.js';
import { averages } from './stats.js';

const ROUNDS = Number(process.env.GATEWAY_BENCH_ROUNDS ?? 15);
/**
 * What the gateways run: the built package (`dist`, what users install; built first when missing
 * or older than src/) or, with `GATEWAY_BENCH_SOURCE=src`, the TypeScript sources through tsx.
 */
const SOURCE = librarySource('GATEWAY_BENCH_SOURCE');

/** The library as the gateways use it, from `SOURCE`. */
async function library() {
  const [gw, access, memory, kms, root] = await Promise.all([
    libraryModule<typeof import('../src/access/gateway/index.js')>(SOURCE, 'access/gateway/index'),
    libraryModule<typeof import('../src/access/index.js')>(SOURCE, 'access/index'),
    libraryModule<typeof import('../src/adapters/memory.js')>(SOURCE, 'adapters/memory'),
    libraryModule<typeof import('../src/kms/index.js')>(SOURCE, 'kms/index'),
    libraryModule<typeof import('../src/index.js')>(SOURCE, 'index'),
  ]);
  return {
    createGateway: gw.createGateway,
    agentAccess: access.agentAccess,
    memoryStorage: memory.memoryStorage,
    generateMasterKey: kms.generateMasterKey,
    localKms: kms.localKms,
    createKeyManager: root.createKeyManager,
  };
}
const PER_ROUND = 300;
const PROFILE_REQUESTS = 20_000;
const PROFILE_DIR = process.env.GATEWAY_PROFILE_DIR ?? '.tmp/gateway-profiles';
const profileArg = process.argv.find((a) => a.startsWith('--profile='));
/** `--profile=<side>`: run that side alone in a child started with `--cpu-prof`. */
const profile = profileArg === undefined ? null : profileArg.slice('--profile='.length);
/** `--latency`: also run mitata's sequential-latency rows (slow; for reference only). */
const latency = process.argv.includes('--latency');
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

/**
 * The baseline: a plain node:http reverse proxy with a keep-alive pool, piping both ways. With
 * `inject`, the least any credential-injecting proxy does on top: the bearer token's HMAC-SHA256
 * (node:crypto), one `Map.get`, `timingSafeEqual`, 401 on a mismatch, and the real key put in the
 * `authorization` header (no session, grants, audit, scrubbing or limits): the floor row.
 */
function bareProxy(
  upstreamPort: number,
  inject?: { pepper: Buffer; stored: Map<string, Buffer>; key: string },
) {
  const agent = new Agent({ keepAlive: true });
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
    if (inject !== undefined) {
      const auth = req.headers.authorization ?? '';
      const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      const mac = createHmac('sha256', inject.pepper).update(token).digest();
      const expected = inject.stored.get(token.slice(0, 24));
      if (expected === undefined || !timingSafeEqual(mac, expected)) {
        res.writeHead(401).end();
        return;
      }
      headers['authorization'] = `Bearer ${inject.key}`;
    }
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

/** Child: the proxies; prints their ports and tokens as one JSON line, then answers "cpu". */
async function serve(upstreamPort: number): Promise<void> {
  const listen = async (s: ReturnType<typeof createServer>): Promise<number> => {
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return (s.address() as AddressInfo).port;
  };
  const origin = `http://127.0.0.1:${upstreamPort}`;
  const { createGateway, agentAccess, memoryStorage, generateMasterKey, localKms, createKeyManager } =
    await library();
  const gateway = async (auditCalls: boolean, reuseAuthorize = false, rereadRecords = false) => {
    const memory = memoryStorage();
    // rereadRecords: the same adapter without `readMacs`, so every call reads and checks the
    // session, tool and secret records again (what every call did before the call cache)
    const { readMacs: _unused, ...withoutRevisions } = memory;
    const km = createKeyManager({
      storage: rereadRecords ? withoutRevisions : memory,
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
  const reread = await gateway(true, false, true);
  const pepper = randomBytes(32);
  const floorKey = 'sk-proj-bench-0123456789abcdefghijklmnopqrstuvwxyz';
  const floorStored = new Map([
    [withAudit.token.slice(0, 24), createHmac('sha256', pepper).update(withAudit.token).digest()],
  ]);
  const info = {
    bare: await listen(bareProxy(upstreamPort)),
    bareAgain: await listen(bareProxy(upstreamPort)),
    floor: await listen(bareProxy(upstreamPort, { pepper, stored: floorStored, key: floorKey })),
    gateway: withAudit.port,
    gatewayNoAudit: noAudit.port,
    token: withAudit.token,
    tokenNoAudit: noAudit.token,
    gatewayOwn: ownWork.port,
    tokenOwn: ownWork.token,
    gatewayReread: reread.port,
    tokenReread: reread.token,
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
  const out = process.env.GATEWAY_PROFILE_OUT;
  if (out !== undefined) {
    // --profile: the CPU profile of what follows the first "cpu" question (after the warm-up)
    const session = new Session();
    session.connect();
    let started = false;
    process.stdin.once('data', () => {
      session.post('Profiler.enable', () => session.post('Profiler.start', () => (started = true)));
    });
    const finish = (): void => {
      if (!started) process.exit(0);
      session.post('Profiler.stop', (err, result) => {
        if (err === null) writeFileSync(out, JSON.stringify(result.profile));
        process.exit(0);
      });
    };
    process.stdin.removeAllListeners('end');
    process.stdin.on('end', finish);
    process.on('SIGTERM', finish);
  }
}

async function main(): Promise<void> {
  await prepareLibrary(SOURCE);
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': ANSWER.length });
      res.end(ANSWER);
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamPort = (upstream.address() as AddressInfo).port;

  const profileFile = profile === null ? null : join(PROFILE_DIR, `gateway-${Date.now()}.cpuprofile`);
  if (profileFile !== null) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    process.env.GATEWAY_PROFILE_OUT = profileFile; // the child inherits it
  }
  const server = await startServerProcess(import.meta.url, [String(upstreamPort)]);
  const info = JSON.parse(server.ready) as {
    bare: number;
    bareAgain: number;
    floor: number;
    gateway: number;
    gatewayNoAudit: number;
    token: string;
    tokenNoAudit: string;
    gatewayOwn: number;
    tokenOwn: string;
    gatewayReread: number;
    tokenReread: string;
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
    ['floor: bare proxy + token HMAC + inject', () => post(info.floor, '/v1/chat/completions', info.token)],
    [
      'gateway, auditCalls: false',
      () => post(info.gatewayNoAudit, '/openai/v1/chat/completions', info.tokenNoAudit),
    ],
    ['gateway, authorize reused', () => post(info.gatewayOwn, '/openai/v1/chat/completions', info.tokenOwn)],
    [
      'gateway, records re-read',
      () => post(info.gatewayReread, '/openai/v1/chat/completions', info.tokenReread),
    ],
    ['A/A: a second bare proxy', () => post(info.bareAgain, '/v1/chat/completions', info.token)],
  ] as const;

  const batch = async (send: () => Promise<void>, n: number): Promise<void> => {
    let left = n;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (left-- > 0) await send();
      }),
    );
  };

  if (profile !== null) {
    // one side only, long enough for a useful profile; the child writes it when it exits
    const side = sides.find(([name]) => name === profile);
    if (side === undefined) throw new Error(`--profile: no side named ${profile}`);
    await batch(side[1], 500);
    const before = await cpu();
    await batch(side[1], PROFILE_REQUESTS);
    const used = ((await cpu()) - before) / PROFILE_REQUESTS;
    console.log(`${profile}: server CPU ${used.toFixed(1)} µs/request over ${PROFILE_REQUESTS} requests`);
    server.stop();
    for (let i = 0; i < 600 && !existsSync(profileFile as string); i++) await sleep(100);
    console.log(`profile of the measured requests: ${profileFile}`);
    agent.destroy();
    upstream.close();
    upstream.closeAllConnections();
    return;
  }

  for (const [, send] of sides) await batch(send, 500); // warm-up: JIT, pooled connections
  // interleaved rounds, each side in turn (the order rotates every round): the load of a shared
  // machine drifts slowly, so sides measured next to each other see the same load
  const per: Record<string, number[]> = Object.fromEntries(sides.map(([name]) => [name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < sides.length; k++) {
      const [name, send] = sides[(r + k) % sides.length] as (typeof sides)[number];
      const before = await cpu();
      await batch(send, PER_ROUND);
      (per[name] as number[]).push(((await cpu()) - before) / PER_ROUND);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const bareName = 'bare node:http proxy';
  const bare = per[bareName] as number[];
  console.log(
    `${ROUNDS} interleaved rounds of ${PER_ROUND} requests per side, ${IN_FLIGHT} in flight, ` +
      `library from ${SOURCE}/; ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
  for (const [name] of sides) {
    const xs = per[name] as number[];
    console.log(
      `${name.padEnd(40)} server CPU ${median(xs).toFixed(1).padStart(6)} µs/request (median; ` +
        `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`,
    );
  }
  const verdict = (x: number) => (x <= 1.3 ? 'OK' : 'OVER');
  for (const [name] of sides.slice(1)) {
    const ratios = (per[name] as number[]).map((x, i) => x / (bare[i] as number));
    const m = median(ratios);
    console.log(
      `\n${name} / bare proxy: server CPU per request ${m.toFixed(2)}x (median of per-round ratios, ` +
        `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}; goal <= 1.3x) ${verdict(m)}`,
    );
  }

  if (latency) {
    summary(() => {
      for (const [name, send] of sides) bench(name, send);
    });
    const avg = averages((await run()).benchmarks);
    for (const [name] of sides.slice(1)) {
      console.log(
        `${name} / bare proxy: latency per sequential request ${(avg(name) / avg(bareName)).toFixed(2)}x`,
      );
    }
  }
  console.log('(shared, noisy machine: compare ratios from the same run only)');
  server.stop();
  agent.destroy();
  upstream.close();
  upstream.closeAllConnections();
}

if (process.argv[2] === 'serve') await serve(Number(process.argv[3]));
else await main();
