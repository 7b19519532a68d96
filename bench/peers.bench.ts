/**
 * keywarden against its peers and the node:crypto floor, same process, same run:
 * `node --expose-gc --import tsx bench/peers.bench.ts` (or `npm run bench -- peers`).
 *
 * Rows: API-key verify and create (better-auth's api-key plugin on its memory adapter, Seam's
 * prefixed-api-key with a Map as its store), a secret read (dotenvx reading an encrypted .env),
 * ES256 and EdDSA sign/verify (jose, keys imported once), HS256 sign/verify (keygrip), and memory
 * per stored API key. mitata prints each row's distribution; the ratios below come from
 * interleaved rounds (bench/interleave.ts: CPU time, median of per-round ratios), which hold on a
 * shared machine where a plain mitata average drifts with the load.
 */
import * as nodeCrypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_KEY_TABLE_NAME, apiKey } from '@better-auth/api-key';
import * as dotenvx from '@dotenvx/dotenvx';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { CompactSign, compactVerify, importJWK } from 'jose';
import Keygrip from 'keygrip';
import { bench, do_not_optimize, run, summary } from 'mitata';
import { checkAPIKey, generateAPIKey, getTokenComponents } from 'prefixed-api-key';
import { memoryStorage } from '../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';
import { createKeyManager } from '../src/manager/key-manager.js';
import { type Contender, interleave, us } from './interleave.js';

const KEYS = 1000;
// keyCache max 128: the secret-read row reads 100 names round-robin, more than the default 64 data
// keys a least-recently-used cache holds (docs/threat-model.md)
const newKm = () =>
  createKeyManager({
    storage: memoryStorage(),
    kms: localKms({ masterKey: generateMasterKey() }),
    keyCache: { max: 128 },
  });

// ---- API keys ---------------------------------------------------------------------------------
const km = newKm();
const kwTokens: string[] = [];
for (let i = 0; i < KEYS; i++)
  kwTokens.push((await km.apiKeys.create({ name: `k${i}`, scopes: ['files:*'] })).token);

const baDb: Record<string, unknown[]> = {
  user: [],
  session: [],
  account: [],
  verification: [],
  [API_KEY_TABLE_NAME]: [],
};
const auth = betterAuth({
  database: memoryAdapter(baDb),
  secret: nodeCrypto.randomBytes(32).toString('hex'),
  baseURL: 'http://127.0.0.1',
  plugins: [apiKey({ rateLimit: { enabled: false } })],
  logger: { disabled: true },
});
const baUser = await (await auth.$context).internalAdapter.createUser(
  {
    email: 'b@example.com',
    name: 'b',
    emailVerified: true,
  },
  { method: 'admin' } as never,
);
const baTokens: string[] = [];
for (let i = 0; i < KEYS; i++)
  baTokens.push((await auth.api.createApiKey({ body: { userId: baUser.id } })).key);
if (!(await auth.api.verifyApiKey({ body: { key: baTokens[0] as string } })).valid)
  throw new Error('better-auth setup');

// prefixed-api-key stores the long token's SHA-256 under the short token (its README's model)
const pakStore = new Map<string, string>();
const pakTokens: string[] = [];
for (let i = 0; i < KEYS; i++) {
  const k = await generateAPIKey({ keyPrefix: 'pak' });
  pakStore.set(k.shortToken as string, k.longTokenHash as string);
  pakTokens.push(k.token as string);
}
const pakVerify = (token: string): boolean => {
  const { shortToken } = getTokenComponents(token);
  const hash = pakStore.get(shortToken);
  return hash !== undefined && checkAPIKey(token, hash);
};

// the node:crypto floor: HMAC-SHA256 under a pepper + Map.get + timingSafeEqual
const pepper = nodeCrypto.randomBytes(32);
const floorTable = new Map<string, Buffer>();
for (const t of kwTokens)
  floorTable.set(t.slice(-51, -39), nodeCrypto.createHmac('sha256', pepper).update(t).digest());
const floorVerify = (t: string): boolean => {
  const mac = nodeCrypto.createHmac('sha256', pepper).update(t).digest();
  const stored = floorTable.get(t.slice(-51, -39));
  return stored !== undefined && nodeCrypto.timingSafeEqual(mac, stored);
};
const floorCreate = (): string => {
  const token = `kw_${nodeCrypto.randomBytes(32).toString('base64url')}`;
  floorTable.set(token.slice(3, 15), nodeCrypto.createHmac('sha256', pepper).update(token).digest());
  return token;
};

// ---- secrets ----------------------------------------------------------------------------------
const VALUE = `sk-proj-${'x'.repeat(156)}`;
for (let i = 0; i < 100; i++) await km.secrets.set(`s${i}`, VALUE);
const dir = mkdtempSync(join(tmpdir(), 'kw-peers-'));
const envPath = join(dir, '.env');
const keysPath = join(dir, '.env.keys');
const quiet = { path: envPath, envKeysFile: keysPath, quiet: true } as never;
await dotenvx.set('OPENAI_API_KEY', VALUE, quiet);
const dotenvxRead = (): Promise<string> =>
  dotenvx.get('OPENAI_API_KEY', { path: envPath, envKeysFile: keysPath });
if ((await dotenvxRead()) !== VALUE) throw new Error('dotenvx setup: the value did not read back');
const kek = nodeCrypto.randomBytes(32);
const gcmSeal = (key: Buffer, plain: Buffer | string, aad: Buffer) => {
  const iv = nodeCrypto.randomBytes(12);
  const c = nodeCrypto.createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return { iv, ct, tag: c.getAuthTag() };
};
const gcmOpen = (key: Buffer, s: { iv: Buffer; ct: Buffer; tag: Buffer }, aad: Buffer): Buffer => {
  const d = nodeCrypto.createDecipheriv('aes-256-gcm', key, s.iv).setAAD(aad).setAuthTag(s.tag);
  return Buffer.concat([d.update(s.ct), d.final()]);
};
const aad1 = Buffer.from(
  '{"alg":"A256GCM","context":{"record":"abcdefghijkl","store":"abcdefghijklmnop","version":"1"},"keyId":"0123456789abcdef","kms":"local"}',
);
const aad2 = Buffer.from('{"f":1,"k":"secret","r":"abcdefghijkl","s":"abcdefghijklmnop","v":1}');
const floorSecrets = new Map<
  string,
  { dek: ReturnType<typeof gcmSeal>; value: ReturnType<typeof gcmSeal> }
>();
for (let i = 0; i < 100; i++) {
  const dek = nodeCrypto.randomBytes(32);
  floorSecrets.set(`s${i}`, { dek: gcmSeal(kek, dek, aad1), value: gcmSeal(dek, VALUE, aad2) });
  dek.fill(0);
}
const floorSecret = (name: string): string => {
  const e = floorSecrets.get(name) as { dek: ReturnType<typeof gcmSeal>; value: ReturnType<typeof gcmSeal> };
  const dek = gcmOpen(kek, e.dek, aad1);
  const out = gcmOpen(dek, e.value, aad2).toString();
  dek.fill(0);
  return out;
};

// ---- signatures -------------------------------------------------------------------------------
const data = new TextEncoder().encode('{"sub":"user-42","iat":1700000000}');
type SignRows = { sign: Record<string, Contender>; verify: Record<string, Contender> };
const signRows: Record<string, SignRows> = {};
for (const [type, alg] of [
  ['ecdsa', 'ES256'],
  ['ed25519', 'EdDSA'],
  ['hmac', 'HS256'],
] as const) {
  await km.keys.create({ name: alg, type });
  const sig = await km.keys.sign(alg, data);
  const jwk = (await km.keys.export(alg, { includePrivate: true })) as unknown as Record<string, string>;
  const rows: SignRows = {
    sign: { keywarden: () => km.keys.sign(alg, data) },
    verify: { keywarden: () => km.keys.verify(alg, data, sig) },
  };
  if (alg === 'HS256') {
    const key = Buffer.from(jwk['k'] as string, 'base64url');
    const mac = nodeCrypto.createHmac('sha256', key).update(data).digest();
    rows.sign['node:crypto floor'] = () => nodeCrypto.createHmac('sha256', key).update(data).digest();
    rows.verify['node:crypto floor'] = () =>
      nodeCrypto.timingSafeEqual(nodeCrypto.createHmac('sha256', key).update(data).digest(), mac);
    const grip = Keygrip([jwk['k'] as string], 'sha256');
    const text = Buffer.from(data).toString();
    const gripSig = grip.sign(text);
    rows.sign['keygrip'] = () => grip.sign(text);
    rows.verify['keygrip'] = () => grip.verify(text, gripSig);
  } else {
    const { d: _d, ...pub } = jwk;
    const privKey = await importJWK({ ...jwk, alg }, alg);
    const pubKey = await importJWK({ ...pub, alg }, alg);
    const jws = await new CompactSign(data).setProtectedHeader({ alg }).sign(privKey);
    rows.sign['jose'] = () => new CompactSign(data).setProtectedHeader({ alg }).sign(privKey);
    rows.verify['jose'] = () => compactVerify(jws, pubKey);
    const nPriv = nodeCrypto.createPrivateKey({ key: jwk, format: 'jwk' });
    const nPub = nodeCrypto.createPublicKey({ key: pub, format: 'jwk' });
    const hash = alg === 'EdDSA' ? null : 'sha256';
    const enc = alg === 'EdDSA' ? {} : { dsaEncoding: 'ieee-p1363' as const };
    const nSig = nodeCrypto.sign(hash, data, { key: nPriv, ...enc });
    rows.sign['node:crypto floor'] = () => nodeCrypto.sign(hash, data, { key: nPriv, ...enc });
    rows.verify['node:crypto floor'] = () => nodeCrypto.verify(hash, data, { key: nPub, ...enc }, nSig);
  }
  signRows[alg] = rows;
}

// ---- mitata: every row's distribution ---------------------------------------------------------
let n = 0;
const pick = <T>(xs: T[]): T => xs[n++ % xs.length] as T;
const verifyRows: Record<string, Contender> = {
  keywarden: () => km.apiKeys.verify(pick(kwTokens), { scopes: ['files:read'] }),
  'better-auth api-key': () => auth.api.verifyApiKey({ body: { key: pick(baTokens) } }),
  'prefixed-api-key': () => pakVerify(pick(pakTokens)),
  'node:crypto floor': () => floorVerify(pick(kwTokens)),
};
let c = 0;
const createRows: Record<string, Contender> = {
  keywarden: () => km.apiKeys.create({ name: `c${c++}`, scopes: ['files:*'] }),
  'better-auth api-key': () => auth.api.createApiKey({ body: { userId: baUser.id } }),
  'prefixed-api-key': async () => {
    const k = await generateAPIKey({ keyPrefix: 'pak' });
    pakStore.set(k.shortToken as string, k.longTokenHash as string);
    return k.token;
  },
  'node:crypto floor': () => floorCreate(),
};
const secretRows: Record<string, Contender> = {
  keywarden: () => km.secrets.get(`s${n++ % 100}`),
  'dotenvx (encrypted .env)': () => dotenvxRead(),
  'node:crypto floor': () => floorSecret(`s${n++ % 100}`),
};
const groups: Array<[string, Record<string, Contender>]> = [
  ['verify, valid (1,000 keys)', verifyRows],
  ['create', createRows],
  ['secret read', secretRows],
];
for (const [alg, rows] of Object.entries(signRows)) {
  groups.push([`${alg} sign`, rows.sign]);
  groups.push([`${alg} verify`, rows.verify]);
}
for (const [title, rows] of groups) {
  summary(() => {
    for (const [name, fn] of Object.entries(rows))
      bench(`${title}: ${name}`, async () => do_not_optimize(await fn(0)));
  });
}
await run({ format: process.env.BENCH_QUIET ? 'quiet' : 'mitata' });

// ---- interleaved ratios -----------------------------------------------------------------------
console.log('\n| row | keywarden | peer(s) | floor | keywarden / peer |');
console.log('|---|---|---|---|---|');
for (const [title, rows] of groups) {
  const slow = title === 'secret read' || title === 'create';
  const r = await interleave(rows, { rounds: slow ? 9 : 21, batch: slow ? 10 : 100 });
  const peers = Object.keys(rows).filter((k) => k !== 'keywarden' && k !== 'node:crypto floor');
  const floor = rows['node:crypto floor'] ? us(r.ns['node:crypto floor'] as number) : '—';
  const peerText = peers.map((p) => `${p} ${us(r.ns[p] as number)}`).join('; ');
  const ratios = peers.map((p) => `${r.ratio('keywarden', p).toFixed(2)}× ${p}`).join('; ');
  console.log(
    `| ${title} | ${us(r.ns['keywarden'] as number)} (${r.ratio('keywarden', 'node:crypto floor').toFixed(2)}× floor) | ${peerText} | ${floor} | ${ratios} |`,
  );
}

// ---- memory per stored API key (its audit row included) ---------------------------------------
const gc = (globalThis as { gc?: () => void }).gc;
if (gc) {
  const heap = (): number => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const N = 2000;
  const km2 = createKeyManager({
    storage: memoryStorage(),
    kms: localKms({ masterKey: generateMasterKey() }),
    usage: false,
  });
  await km2.apiKeys.create({ name: 'warm', scopes: ['a:b'] });
  let before = heap();
  const keep: unknown[] = [];
  for (let i = 0; i < N; i++)
    keep.push((await km2.apiKeys.create({ name: `m${i}`, scopes: ['files:*'] })).key.id);
  const kwBytes = (heap() - before) / N;
  const db2: Record<string, unknown[]> = {
    user: [],
    session: [],
    account: [],
    verification: [],
    [API_KEY_TABLE_NAME]: [],
  };
  const auth2 = betterAuth({
    database: memoryAdapter(db2),
    secret: nodeCrypto.randomBytes(32).toString('hex'),
    baseURL: 'http://127.0.0.1',
    plugins: [apiKey({ rateLimit: { enabled: false } })],
    logger: { disabled: true },
  });
  const u2 = await (await auth2.$context).internalAdapter.createUser(
    {
      email: 'm@example.com',
      name: 'm',
      emailVerified: true,
    },
    { method: 'admin' } as never,
  );
  await auth2.api.createApiKey({ body: { userId: u2.id } });
  before = heap();
  for (let i = 0; i < N; i++) keep.push((await auth2.api.createApiKey({ body: { userId: u2.id } })).id);
  const baBytes = (heap() - before) / N;
  console.log(
    `| memory per stored API key (memory adapter, audit row included) | ${kwBytes.toFixed(0)} B | better-auth api-key ${baBytes.toFixed(0)} B | — | ${(kwBytes / baBytes).toFixed(2)}× better-auth (goal ≤ 2,048 B: ${kwBytes <= 2048 ? 'MET' : 'MISSED'}) |`,
  );
  await km2.close();
} else {
  console.log('(memory row skipped: run with --expose-gc, as npm run bench does)');
}
rmSync(dir, { recursive: true, force: true });
await km.close();
process.exit(0);
