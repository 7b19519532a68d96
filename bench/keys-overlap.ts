/**
 * HS256 `keys.verify` during a rotation overlap (two accepted versions) against a key with one
 * version and the node:crypto floor, interleaved rounds of CPU time (bench/interleave.ts). Not part
 * of `npm run bench`; run it alone: `node --import tsx bench/keys-overlap.ts`.
 */
import * as nodeCrypto from 'node:crypto';
import { memoryStorage } from '../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { createKeyManager } from '../src/manager/key-manager.js';
import { interleave } from './interleave.js';

const km = createKeyManager({
  storage: memoryStorage(),
  kms: localKms({ masterKey: generateMasterKey() }),
  usage: false,
});
const data = new TextEncoder().encode('{"sub":"user-1","iat":1700000000}');

await km.keys.create({ name: 'single', type: 'hmac' });
const single = await km.keys.sign('single', data);
await km.keys.create({ name: 'overlap', type: 'hmac' });
const previous = await km.keys.sign('overlap', data);
await km.rotator.rotate({ key: 'overlap' });
const current = await km.keys.sign('overlap', data);
const wrong = new Uint8Array(current.length).fill(7);
for (const [name, sig, want] of [
  ['single', single, true],
  ['overlap', current, true],
  ['overlap', previous, true],
  ['overlap', wrong, false],
] as const) {
  for (let i = 0; i < 3; i++) {
    if ((await km.keys.verify(name, data, sig)) !== want) throw new Error(`${name}: unexpected verdict`);
  }
}
const key = Buffer.from(
  ((await km.keys.export('single', { includePrivate: true })) as unknown as { k: string }).k,
  'base64url',
);
const mac = nodeCrypto.createHmac('sha256', key).update(data).digest();

const r = await interleave(
  {
    floor: () => nodeCrypto.timingSafeEqual(nodeCrypto.createHmac('sha256', key).update(data).digest(), mac),
    'one version': () => km.keys.verify('single', data, single),
    'overlap, signed by current': () => km.keys.verify('overlap', data, current),
    'overlap, signed by previous': () => km.keys.verify('overlap', data, previous),
    'overlap, wrong signature': () => km.keys.verify('overlap', data, wrong),
  },
  { rounds: Number(process.env['ROUNDS'] ?? 31), batch: 500, rotate: true },
);
for (const [name, ns] of Object.entries(r.ns)) {
  console.log(
    `${name.padEnd(30)} ${(ns / 1000).toFixed(2).padStart(7)} µs  ${r.ratio(name, 'floor').toFixed(2)}x floor  ${r.ratio(name, 'one version').toFixed(2)}x one version`,
  );
}
await km.close();
