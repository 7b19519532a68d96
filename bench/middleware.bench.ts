/**
 * Middleware overhead on node:http: a bare handler against the same handler behind
 * `nodeMiddleware` (memory adapter, a valid key, scope check), measured with autocannon in the
 * same run: `node --import tsx bench/middleware.bench.ts` (or `npm run bench -- middleware`).
 * The servers run the built package (`dist/`, built first when missing or stale);
 * `MIDDLEWARE_BENCH_SOURCE=src` runs the TypeScript sources through tsx instead.
 *
 * The servers run in a child process so the load generator does not share their CPU. Four servers,
 * same handler, same response (status, headers, body, keep-alive: one `read` and one `writev` per
 * request on each):
 * - `bare handler`: the handler alone (the base of every ratio);
 * - `bare (A/A)`: a second, identical bare server: its ratio to the first is the noise of the run;
 * - `node:crypto floor`: the least any keyed-hash API-key check can do: `createHmac` of the bearer
 *   token, one `Map.get`, `timingSafeEqual`, then the handler (no format check, no record, no
 *   scopes, no expiry or revocation): what the 1.25× goal is up against on this server;
 * - `verify only`: `km.apiKeys.verify` with the options the middleware passes (scopes, context.ip),
 *   then the handler: keywarden's check without the middleware;
 * - `nodeMiddleware`: the handler behind the middleware (the goal row).
 * Each side gets a 1 s warm-up, then 5 interleaved rounds (the order rotates each round) of 2 s of
 * load each with 20 connections (pipelining 1). Two figures: the throughput ratio (bare req/s ÷
 * protected req/s) and the server's CPU time per request (read with `process.cpuUsage()` in the
 * server process), which stays meaningful when the load generator is the bottleneck. Goal:
 * protected ≤ 1.25× the bare handler per request. `nodeMiddleware` minus `verify only` is the
 * middleware's own cost inside the server.
 *
 * First, in this process and without HTTP, the middleware's own cost: `km.apiKeys.verify` alone
 * (with the options the middleware passes) against the `nodeMiddleware` handler on a stub request
 * and response, interleaved CPU time. bench/middleware-profile.ts splits the server's time by area.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { interleave, us } from './interleave.js';
import { libraryModule, librarySource, prepareLibrary } from './library.js';
import { startServerProcess } from './server-process.js';

/**
 * What the servers run: the built package (`dist`, what users install; built first when missing
 * or older than src/) or, with `MIDDLEWARE_BENCH_SOURCE=src`, the TypeScript sources through tsx.
 */
const SOURCE = librarySource('MIDDLEWARE_BENCH_SOURCE');

/** The library from `SOURCE`. */
async function library() {
  const [memory, kms, root, node] = await Promise.all([
    libraryModule<typeof import('../src/adapters/memory.js')>(SOURCE, 'adapters/memory'),
    libraryModule<typeof import('../src/kms/index.js')>(SOURCE, 'kms/index'),
    libraryModule<typeof import('../src/index.js')>(SOURCE, 'index'),
    libraryModule<typeof import('../src/middleware/node.js')>(SOURCE, 'middleware/node'),
  ]);
  return {
    memoryStorage: memory.memoryStorage,
    generateMasterKey: kms.generateMasterKey,
    localKms: kms.localKms,
    createKeyManager: root.createKeyManager,
    nodeMiddleware: node.nodeMiddleware,
  };
}

const DURATION_S = 2;
const ROUNDS = 5;
const CONNECTIONS = 20;

/** Child: both servers on loopback; prints `{ bare, protected, token }` as one JSON line. */
async function serve(): Promise<void> {
  const { memoryStorage, generateMasterKey, localKms, createKeyManager, nodeMiddleware } = await library();
  const km = createKeyManager({
    storage: memoryStorage(),
    kms: localKms({ masterKey: generateMasterKey() }),
  });
  const { token } = await km.apiKeys.create({ name: 'bench', scopes: ['invoices:read'] });
  const body = JSON.stringify({ invoices: [] });
  const handler = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  };
  const auth = nodeMiddleware(km, { scopes: ['invoices:read'] });
  const scopes = ['invoices:read'];
  Object.freeze(scopes); // as the middleware's own (resolveOptions freezes a fixed list)
  const bare = createServer(handler);
  const aa = createServer(handler);
  const pepper = randomBytes(32);
  const stored = new Map([[token.slice(0, 24), createHmac('sha256', pepper).update(token).digest()]]);
  const floor = createServer((req, res) => {
    const header = req.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    const mac = createHmac('sha256', pepper).update(presented).digest();
    const expected = stored.get(presented.slice(0, 24));
    if (expected !== undefined && timingSafeEqual(mac, expected)) handler(req, res);
    else res.writeHead(401).end();
  });
  const verifyOnly = createServer((req, res) => {
    // what the middleware asks verify for this request, without the middleware
    const options = { scopes, context: { ip: req.socket.remoteAddress as string } };
    km.apiKeys.verify(token, options).then((r) => r.valid && handler(req, res));
  });
  const guarded = createServer((req, res) => {
    auth(req, res).then((ok) => ok && handler(req, res));
  });
  const port = async (s: ReturnType<typeof createServer>): Promise<number> => {
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return (s.address() as AddressInfo).port;
  };
  const ports = {
    bare: await port(bare),
    aa: await port(aa),
    floor: await port(floor),
    verifyOnly: await port(verifyOnly),
    protected: await port(guarded),
  };
  process.stdout.write(`${JSON.stringify({ ...ports, token })}\n`);
  // "cpu" on stdin -> the process's CPU time so far (µs), so the parent can charge CPU per request
  let pending = '';
  process.stdin.on('data', (d: Buffer) => {
    pending += d.toString();
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
      pending = pending.slice(nl + 1);
      const u = process.cpuUsage();
      process.stdout.write(`${u.user + u.system} ${u.user}\n`);
    }
  });
  process.stdin.on('end', () => process.exit(0));
}

interface CannonResult {
  requests: { average: number; total: number };
  latency: { average: number; p99: number };
  non2xx: number;
  errors: number;
}

async function load(url: string, headers: Record<string, string>, duration: number): Promise<CannonResult> {
  const specifier = 'autocannon'; // untyped package: import it by name, typed below
  const { default: autocannon } = (await import(specifier)) as {
    default: (o: Record<string, unknown>) => Promise<CannonResult>;
  };
  return autocannon({ url, headers, connections: CONNECTIONS, pipelining: 1, duration });
}

/** verify alone vs the node handler around it, same key and options, no HTTP. */
async function inProcess(): Promise<void> {
  const { memoryStorage, generateMasterKey, localKms, createKeyManager, nodeMiddleware } = await library();
  const km = createKeyManager({
    storage: memoryStorage(),
    kms: localKms({ masterKey: generateMasterKey() }),
  });
  const { token } = await km.apiKeys.create({ name: 'bench', scopes: ['invoices:read'] });
  const auth = nodeMiddleware(km, { scopes: ['invoices:read'] });
  const headers = { host: '127.0.0.1', authorization: `Bearer ${token}`, connection: 'keep-alive' };
  const req = { headers, socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
  const res = { headersSent: false, setHeader() {}, end() {} } as unknown as ServerResponse;
  const options = { scopes: ['invoices:read'], context: { ip: '127.0.0.1' } };
  if (!(await auth(req, res))) throw new Error('the stub request was refused');
  const r = await interleave(
    { verify: () => km.apiKeys.verify(token, options), nodeMiddleware: () => auth(req, res) },
    { rounds: 21, batch: 500 },
  );
  const { verify = 0, nodeMiddleware: guarded = 0 } = r.ns;
  console.log(
    `in-process CPU per call: verify ${us(verify)}, nodeMiddleware handler ${us(guarded)} ` +
      `(the middleware's own ${us(guarded - verify)}, ${r.ratio('nodeMiddleware', 'verify').toFixed(2)}x verify)\n`,
  );
  await km.close();
}

type Round = CannonResult & { cpuPerRequest: number; userPerRequest: number };

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;

/** `1.23x [1.10-1.40]`: the median per-round ratio and its range. */
function ratioOf(xs: Round[], base: Round[], pick: (r: Round) => number): { median: number; text: string } {
  const rs = xs.map((x, i) => pick(x) / pick(base[i] as Round));
  const m = median(rs);
  return {
    median: m,
    text: `${m.toFixed(2)}x [${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)}]`,
  };
}

async function main(): Promise<void> {
  await prepareLibrary(SOURCE);
  console.log(`library from ${SOURCE}/`);
  await inProcess();
  const server = await startServerProcess(import.meta.url);
  const info = JSON.parse(server.ready) as {
    bare: number;
    aa: number;
    floor: number;
    verifyOnly: number;
    protected: number;
    token: string;
  };
  const headers = { authorization: `Bearer ${info.token}` };
  const sides = [
    ['bare handler', `http://127.0.0.1:${info.bare}/invoices`],
    ['bare (A/A)', `http://127.0.0.1:${info.aa}/invoices`],
    ['node:crypto floor', `http://127.0.0.1:${info.floor}/invoices`],
    ['verify only', `http://127.0.0.1:${info.verifyOnly}/invoices`],
    ['nodeMiddleware', `http://127.0.0.1:${info.protected}/invoices`],
  ] as const;
  // interleaved rounds: on a shared machine the load drifts, and alternating short runs see the
  // same load; each round starts one side later, so none always runs first; the ratio is the
  // median of the per-round ratios
  const perRound: Record<string, Round[]> = {};
  for (const [, url] of sides) await load(url, headers, 1); // warm-up (JIT, connections)
  for (let round = 0; round < ROUNDS; round++) {
    const shift = round % sides.length;
    for (const [name, url] of [...sides.slice(shift), ...sides.slice(0, shift)]) {
      const before = await server.cpuSplit();
      const r = await load(url, headers, DURATION_S);
      const after = await server.cpuSplit();
      const cpuPerRequest = (after.total - before.total) / r.requests.total;
      const userPerRequest = (after.user - before.user) / r.requests.total;
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      const list = perRound[name] ?? [];
      list.push({ ...r, cpuPerRequest, userPerRequest });
      perRound[name] = list;
      console.log(
        `${name.padEnd(18)} ${r.requests.average.toFixed(0).padStart(7)} req/s   ` +
          `latency avg ${r.latency.average.toFixed(2)} ms, p99 ${r.latency.p99} ms   ` +
          `server CPU ${cpuPerRequest.toFixed(1)} µs/request (user ${userPerRequest.toFixed(1)})   ` +
          `(${r.requests.total} requests)`,
      );
    }
  }
  server.stop();
  const bares = perRound['bare handler'] ?? [];
  const cpu = (r: Round) => r.cpuPerRequest;
  const user = (r: Round) => r.userPerRequest;
  const perRequestTime = (r: Round) => 1 / r.requests.average;
  console.log(
    '\nserver CPU per request, median of the rounds; ratios to the bare handler [range of the rounds]',
  );
  for (const [name] of sides) {
    const xs = perRound[name] ?? [];
    console.log(
      `${name.padEnd(18)} ${median(xs.map(cpu)).toFixed(1).padStart(6)} µs  ${ratioOf(xs, bares, cpu).text.padEnd(20)}` +
        `user ${median(xs.map(user)).toFixed(1).padStart(6)} µs  ${ratioOf(xs, bares, user).text}`,
    );
  }
  const guardeds = perRound.nodeMiddleware ?? [];
  const verifies = perRound['verify only'] ?? [];
  const own = median(guardeds.map((g, i) => g.cpuPerRequest - (verifies[i] as Round).cpuPerRequest));
  console.log(
    `the middleware's own cost in the server (nodeMiddleware - verify only, median per round): ${own.toFixed(1)} µs; ` +
      `A/A ratio ${ratioOf(perRound['bare (A/A)'] ?? [], bares, cpu).text} is the noise of this run`,
  );
  const ratio = ratioOf(guardeds, bares, perRequestTime).median;
  const cpuRatio = ratioOf(guardeds, bares, cpu).median;
  const verdict = (x: number) => (x <= 1.25 ? 'OK' : 'OVER');
  console.log(
    `per-request time (throughput), middleware / bare: ${ratio.toFixed(2)}x (goal <= 1.25x, i.e. throughput >= 0.8x) ${verdict(ratio)}`,
  );
  console.log(
    `server CPU per request, middleware / bare:       ${cpuRatio.toFixed(2)}x (goal <= 1.25x) ${verdict(cpuRatio)}`,
  );
  const floors = perRound['node:crypto floor'] ?? [];
  console.log(
    `node:crypto floor / bare: ${ratioOf(floors, bares, cpu).text}; middleware / node:crypto floor: ` +
      `${ratioOf(guardeds, floors, cpu).text} (the least any keyed-hash check costs on this server)`,
  );
  console.log(
    '(throughput is bounded by the load generator on small machines; the CPU ratio is the server-side cost;\n' +
      ' the system time in it grows with the load average: a loaded machine wakes sleeping peers on each write)',
  );
}

if (process.argv[2] === 'serve') await serve();
else await main();
