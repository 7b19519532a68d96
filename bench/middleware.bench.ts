/**
 * Middleware overhead on node:http: a bare handler against the same handler behind
 * `nodeMiddleware` (memory adapter, a valid key, scope check), measured with autocannon in the
 * same run: `node --import tsx bench/middleware.bench.ts` (or `npm run bench -- middleware`).
 *
 * The servers run in a child process so the load generator does not share their CPU. Each side
 * gets a 1 s warm-up, then 5 interleaved rounds of 2 s of load each with 20 connections (pipelining 1). Two figures: the
 * throughput ratio (bare req/s ÷ protected req/s) and the server's CPU time per request (read with
 * `process.cpuUsage()` in the server process), which stays meaningful when the load generator is
 * the bottleneck. Goal: protected ≤ 1.25× the bare handler per request.
 *
 * First, in this process and without HTTP, the middleware's own cost: `km.apiKeys.verify` alone
 * (with the options the middleware passes) against the `nodeMiddleware` handler on a stub request
 * and response, interleaved CPU time. bench/middleware-profile.ts splits the server's time by area.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryStorage } from '../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { createKeyManager } from '../src/manager/key-manager.js';
import { nodeMiddleware } from '../src/middleware/node.js';
import { interleave, us } from './interleave.js';
import { startServerProcess } from './server-process.js';

const DURATION_S = 2;
const ROUNDS = 5;
const CONNECTIONS = 20;

/** Child: both servers on loopback; prints `{ bare, protected, token }` as one JSON line. */
async function serve(): Promise<void> {
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
  const bare = createServer(handler);
  const guarded = createServer((req, res) => {
    auth(req, res).then((ok) => ok && handler(req, res));
  });
  const port = async (s: ReturnType<typeof createServer>): Promise<number> => {
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return (s.address() as AddressInfo).port;
  };
  process.stdout.write(
    `${JSON.stringify({ bare: await port(bare), protected: await port(guarded), token })}\n`,
  );
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

async function main(): Promise<void> {
  await inProcess();
  const server = await startServerProcess(import.meta.url);
  const line = server.ready;
  const info = JSON.parse(line) as { bare: number; protected: number; token: string };
  const headers = { authorization: `Bearer ${info.token}` };
  const sides = [
    ['bare handler', `http://127.0.0.1:${info.bare}/invoices`],
    ['nodeMiddleware', `http://127.0.0.1:${info.protected}/invoices`],
  ] as const;
  // interleaved rounds (bare, middleware, bare, ...): on a shared machine the load drifts, and
  // alternating short runs see the same load; the ratio is the median of the per-round ratios
  const perRound: Record<
    string,
    Array<CannonResult & { cpuPerRequest: number; userPerRequest: number }>
  > = {};
  for (const [, url] of sides) await load(url, headers, 1); // warm-up (JIT, connections)
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, url] of sides) {
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
        `${name.padEnd(16)} ${r.requests.average.toFixed(0).padStart(7)} req/s   ` +
          `latency avg ${r.latency.average.toFixed(2)} ms, p99 ${r.latency.p99} ms   ` +
          `server CPU ${cpuPerRequest.toFixed(1)} µs/request (user ${userPerRequest.toFixed(1)})   ` +
          `(${r.requests.total} requests)`,
      );
    }
  }
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
  const bares = perRound['bare handler'] ?? [];
  const guardeds = perRound.nodeMiddleware ?? [];
  const ratio = median(
    bares.map((b, i) => b.requests.average / (guardeds[i] as CannonResult).requests.average),
  );
  const cpuRatio = median(
    guardeds.map((g, i) => g.cpuPerRequest / (bares[i] as { cpuPerRequest: number }).cpuPerRequest),
  );
  const userRatio = median(guardeds.map((g, i) => g.userPerRequest / (bares[i] as typeof g).userPerRequest));
  console.log(
    `\nserver CPU per request (median): bare ${median(bares.map((b) => b.cpuPerRequest)).toFixed(1)} µs, ` +
      `nodeMiddleware ${median(guardeds.map((g) => g.cpuPerRequest)).toFixed(1)} µs ` +
      `(user time only: bare ${median(bares.map((b) => b.userPerRequest)).toFixed(1)} µs, ` +
      `nodeMiddleware ${median(guardeds.map((g) => g.userPerRequest)).toFixed(1)} µs, ${userRatio.toFixed(2)}x)`,
  );
  server.stop();
  const verdict = (x: number) => (x <= 1.25 ? 'OK' : 'OVER');
  console.log(
    `per-request time (throughput), middleware / bare: ${ratio.toFixed(2)}x (goal <= 1.25x, i.e. throughput >= 0.8x) ${verdict(ratio)}`,
  );
  console.log(
    `server CPU per request, middleware / bare:       ${cpuRatio.toFixed(2)}x (goal <= 1.25x) ${verdict(cpuRatio)}`,
  );
  console.log(
    '(throughput is bounded by the load generator on small machines; the CPU ratio is the server-side cost;\n' +
      ' the system time in it grows with the load average: a loaded machine wakes sleeping peers on each write)',
  );
}

if (process.argv[2] === 'serve') await serve();
else await main();
