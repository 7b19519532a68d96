/**
 * `km.apiKeys.verify` on the memory adapter against the bare primitive it is built on, in the same
 * run: `node --import tsx bench/verify.bench.ts` (or `npm run bench -- verify`).
 *
 * Bare primitive = noble HMAC-SHA256(pepper, token) + Map lookup + constant-time compare, i.e. what
 * any peppered-hash verifier must do at minimum. Goal: verify ≤ 3× the bare primitive.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bench, do_not_optimize, run, summary } from 'mitata';
import { memoryStorage } from '../src/adapters/memory.js';
import { checkApiToken } from '../src/crypto/index.js';
import { constantTimeEqual, randomBytes } from '../src/internal/bytes.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { createKeyManager } from '../src/manager/key-manager.js';
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
await km.close();
