/**
 * KeyGenerator micro-benchmarks: `node --import tsx bench/generator.bench.ts`.
 * Measures the API-token hot path (generate, check) and signing per algorithm.
 */
import { bench, group, run, summary } from 'mitata';
import {
  checkApiToken,
  generateApiToken,
  generateKeyPair,
  signWithJwk,
  symmetricJwk,
  verifyWithJwk,
} from '../src/crypto/index.js';

const { token } = generateApiToken({ prefix: 'sk_live' });
const badChecksum = `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`;
const huge = 'x'.repeat(1_000_000);
const data = new TextEncoder().encode('{"sub":"user_123","iat":1700000000}');

group('api tokens', () => {
  bench('generateApiToken', () => generateApiToken({ prefix: 'sk_live' }));
  summary(() => {
    bench('checkApiToken (valid)', () => checkApiToken(token));
    bench('checkApiToken (bad checksum)', () => checkApiToken(badChecksum));
    bench('checkApiToken (too long, 1 MB)', () => checkApiToken(huge));
  });
});

const hs = symmetricJwk(new Uint8Array(32).fill(1), 'HS256');
const ed = await generateKeyPair({ type: 'ed25519' });
const p256 = await generateKeyPair({ type: 'ecdsa', curve: 'P-256' });
const rsa = await generateKeyPair({ type: 'rsa', modulusLength: 2048 });
const sigs = {
  hs: await signWithJwk(hs, 'HS256', data),
  ed: await signWithJwk(ed.privateJwk, 'EdDSA', data),
  es: await signWithJwk(p256.privateJwk, 'ES256', data),
  rs: await signWithJwk(rsa.privateJwk, 'RS256', data),
};

group('sign', () => {
  bench('HS256', () => signWithJwk(hs, 'HS256', data));
  bench('EdDSA', () => signWithJwk(ed.privateJwk, 'EdDSA', data));
  bench('ES256', () => signWithJwk(p256.privateJwk, 'ES256', data));
  bench('RS256 (cached CryptoKey)', () => signWithJwk(rsa.privateJwk, 'RS256', data));
});

group('verify', () => {
  bench('HS256', () => verifyWithJwk(hs, 'HS256', data, sigs.hs));
  bench('EdDSA', () => verifyWithJwk(ed.publicJwk, 'EdDSA', data, sigs.ed));
  bench('ES256', () => verifyWithJwk(p256.publicJwk, 'ES256', data, sigs.es));
  bench('RS256 (cached CryptoKey)', () => verifyWithJwk(rsa.publicJwk, 'RS256', data, sigs.rs));
});

await run();
