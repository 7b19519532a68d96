/**
 * `km.apiKeys.verify` on the memory adapter against the bare primitive it is built on, in the same
 * run: `node --import tsx bench/verify.bench.ts` (or `npm run bench -- verify`).
 *
 * Bare primitive = noble HMAC-SHA256(pepper, token) + Map lookup + constant-time compare, i.e. what
 * any peppered-hash verifier must do at minimum. Goal: verify ≤ 3× the bare primitive.
 *
 * Then the goal rows of issue 16, from interleaved rounds (bench/interleave.ts, CPU time):
 * verify ≤ 1.5× the node:crypto floor (createHmac + Map.get + timingSafeEqual). The failure flood
 * row is bench/flood.bench.ts.
 */
import * as nodeCrypto from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bench, do_not_optimize, run, summary } from 'mitata';
import { memoryStorage } from '../src/adapters/memory.js';
import { checkApiToken } from '../src/crypto/index.js';
import { constantTimeEqual, randomBytes } from '../src/internal/bytes.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { createKeyManager } from '../src/manager/key-manager.js';
import { goal, interleave, us } from './interleave.js';
import { averages } from './stats.js';

const km = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey: generateMasterKey() }) });
const tokens: string[] = [];
for (let i = 0; i < 1000; i++) {
  const { token } = await km.apiKeys.create({ name: `bench-${i}`, scopes: ['files:*'] });
  tokens.push(token);
}
const first = await km.apiKeys.verify(tokens[0], { scopes: ['files:read'] });
if (!first.valid) throw new Error('benchmark setup: verify failed');

// The bare primitive over the same tokens.
const pepper = randomBytes(32);
const enc = new TextEncoder();
const table = new Map<string, Uint8Array>();
for (const t of tokens) {
  const parsed = checkApiToken(t);
  if (!parsed.ok) throw new Error('bad token');
  table.set(parsed.id, hmac(sha256, pepper, enc.encode(t)));
}
const bare = (t: string): boolean => {
  const mac = hmac(sha256, pepper, enc.encode(t));
  const stored = table.get(t.slice(-51, -39));
  return stored !== undefined && constantTimeEqual(mac, stored);
};
if (!bare(tokens[0] as string)) throw new Error('benchmark setup: bare primitive failed');

// The same with a precomputed keyed HMAC state (what verify itself does): the strictest baseline.
const keyedState = hmac.create(sha256, pepper);
const barePrecomputed = (t: string): boolean => {
  const mac = keyedState.clone().update(enc.encode(t)).digest();
  const stored = table.get(t.slice(-51, -39));
  return stored !== undefined && constantTimeEqual(mac, stored);
};
if (!barePrecomputed(tokens[0] as string)) throw new Error('benchmark setup: bare primitive failed');

let i = 0;
const next = (): string => tokens[i++ % tokens.length] as string;

summary(() => {
  bench('bare: HMAC-SHA256 + Map.get + constant-time compare', () => do_not_optimize(bare(next())));
  bench('bare, precomputed HMAC key state', () => do_not_optimize(barePrecomputed(next())));
  bench('km.apiKeys.verify (memory, scopes)', async () =>
    do_not_optimize(await km.apiKeys.verify(next(), { scopes: ['files:read'] })),
  );
  bench('km.apiKeys.verify (memory, no options)', async () =>
    do_not_optimize(await km.apiKeys.verify(next())),
  );
  bench('km.apiKeys.verify (MALFORMED: bad checksum)', async () =>
    do_not_optimize(await km.apiKeys.verify(`${next().slice(0, -1)}!`)),
  );
});

const { benchmarks } = await run();
const avg = averages(benchmarks);
const base = avg('bare: HMAC');
const basePre = avg('bare, precomputed');
const withScopes = avg('km.apiKeys.verify (memory, scopes)');
const plain = avg('km.apiKeys.verify (memory, no options)');
console.log(`\nbare primitive: ${(base / 1000).toFixed(2)} µs/op`);
console.log(
  `verify (scopes): ${(withScopes / 1000).toFixed(2)} µs/op, ratio ${(withScopes / base).toFixed(2)}x (goal <= 3x)`,
);
console.log(
  `verify (plain):  ${(plain / 1000).toFixed(2)} µs/op, ratio ${(plain / base).toFixed(2)}x (goal <= 3x)`,
);
console.log(
  `against the precomputed-state baseline (${(basePre / 1000).toFixed(2)} µs/op): ratio ${(withScopes / basePre).toFixed(2)}x`,
);

// node:crypto floor, interleaved with verify
const nodeTable = new Map<string, Buffer>();
for (const t of tokens)
  nodeTable.set(t.slice(-51, -39), nodeCrypto.createHmac('sha256', pepper).update(t).digest());
const nodeFloor = (t: string): boolean => {
  const mac = nodeCrypto.createHmac('sha256', pepper).update(t).digest();
  const stored = nodeTable.get(t.slice(-51, -39));
  return stored !== undefined && nodeCrypto.timingSafeEqual(mac, stored);
};
const r = await interleave({
  floor: (k) => nodeFloor(tokens[k % tokens.length] as string),
  verify: (k) => km.apiKeys.verify(tokens[k % tokens.length] as string, { scopes: ['files:read'] }),
});
console.log(
  `\nnode:crypto floor ${us(r.ns['floor'] as number)}, verify ${us(r.ns['verify'] as number)} (CPU, interleaved)`,
);
goal('apiKeys.verify / node:crypto floor', r.ratio('verify', 'floor'), 1.5);

// the failure flood row (issue 16) is bench/flood.bench.ts: its own process and heap
await km.close();
