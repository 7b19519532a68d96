/**
 * The GitHub secret-scanning signature check on the crypto backend (no curve library) gives the
 * verdict noble's `p256.verify(der, body, point, { format: 'der', lowS: false, prehash: true })`
 * gave before, on real signatures made by node:crypto and on every DER edge case: high-S, short
 * (31-byte) scalars, non-minimal or negative integers, long-form lengths, trailing bytes, r or s of
 * 0 or ≥ n, a wrong key, a compressed or off-curve point. noble is the oracle here only; the
 * observability subpath no longer bundles it.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCryptoBackend } from '../../src/internal/crypto-backend.js';
import { parseP256PublicKeyPem, verifyGitHubSignature } from '../../src/observability/index.js';

const N = p256.Point.CURVE().n;

/** What the noble-based check answered for the same input. */
function oracle(body: Uint8Array, signatureB64: unknown, point: Uint8Array): boolean {
  if (typeof signatureB64 !== 'string' || signatureB64.length === 0 || signatureB64.length > 128)
    return false;
  try {
    const der = Buffer.from(signatureB64.trim().replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return p256.verify(new Uint8Array(der), body, point, { format: 'der', lowS: false, prehash: true });
  } catch {
    return false;
  }
}

function keyPair(): { point: Uint8Array; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const point = parseP256PublicKeyPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  if (point === null) throw new Error('a node:crypto P-256 key did not parse');
  return { point, privateKey };
}

const b64 = (bytes: Uint8Array | Buffer): string => Buffer.from(bytes).toString('base64');
const derSign = (body: Uint8Array, key: KeyObject): Buffer => sign('sha256', body, key);

/** DER INTEGER of `v` from its minimal big-endian bytes, or with the given raw content bytes. */
function derInt(content: Uint8Array): Uint8Array {
  return Uint8Array.from([0x02, content.length, ...content]);
}
function minimal(v: bigint): Uint8Array {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  return bytes[0]! & 0x80 ? Uint8Array.from([0, ...bytes]) : new Uint8Array(bytes);
}
function derSeq(...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  return Uint8Array.from([0x30, body.length, ...body]);
}
const derOf = (r: bigint, s: bigint): Uint8Array => derSeq(derInt(minimal(r)), derInt(minimal(s)));

/** Asserts our verdict equals noble's and returns it. */
async function same(body: Uint8Array, sig: unknown, point: Uint8Array): Promise<boolean> {
  const ours = await verifyGitHubSignature(body, sig, point);
  expect(ours).toBe(oracle(body, sig, point));
  return ours;
}

// native: node:crypto ECDSA; noble backend: signatures on WebCrypto (what Workers and browsers run)
for (const backend of ['native', 'noble'] as const)
  describe(`verifyGitHubSignature gives the verdicts of the noble-based check (${backend} backend)`, () => {
    beforeAll(() => {
      expect(useCryptoBackend(backend)?.name).toBe(backend);
    });
    afterAll(() => {
      useCryptoBackend('auto');
    });

    it('real signatures by node:crypto: valid under their key, invalid under another key or another body', async () => {
      const a = keyPair();
      const b = keyPair();
      for (let i = 0; i < 40; i++) {
        const body = new Uint8Array(randomBytes(1 + (i % 7) * 50));
        const sig = b64(derSign(body, a.privateKey));
        expect(await same(body, sig, a.point)).toBe(true);
        expect(await same(body, sig, b.point)).toBe(false);
        const other = body.slice();
        other[0] = (other[0] as number) ^ 1;
        expect(await same(other, sig, a.point)).toBe(false);
      }
    });

    it('a high-S signature is accepted (GitHub does not normalize S), and so is its low-S twin', async () => {
      const { point, privateKey } = keyPair();
      const body = new TextEncoder().encode('[{"token":"kw_x","type":"t","url":"u"}]');
      let seen = { high: 0, low: 0 };
      for (let i = 0; i < 8; i++) {
        const sig = p256.Signature.fromBytes(new Uint8Array(derSign(body, privateKey)), 'der');
        for (const s of [sig.s, N - sig.s]) {
          expect(await same(body, b64(derOf(sig.r, s)), point)).toBe(true);
          seen = s > N / 2n ? { ...seen, high: seen.high + 1 } : { ...seen, low: seen.low + 1 };
        }
      }
      expect(seen).toEqual({ high: 8, low: 8 });
    });

    it('short scalars (a 31-byte r or s, as DER writes them) verify', async () => {
      const { point, privateKey } = keyPair();
      const body = new TextEncoder().encode('short');
      let found = 0;
      for (let i = 0; i < 20_000 && found < 2; i++) {
        const der = derSign(body, privateKey);
        const sig = p256.Signature.fromBytes(new Uint8Array(der), 'der');
        if (sig.r >= 1n << 247n && sig.s >= 1n << 247n) continue;
        found++;
        const rLen = der[3] as number;
        expect(Math.min(rLen, der[5 + rLen] as number)).toBeLessThanOrEqual(31); // a short INTEGER
        expect(await same(body, b64(der), point)).toBe(true);
      }
      expect(found).toBeGreaterThan(0);
    });

    it('every malformed DER form is refused, as noble refused it', async () => {
      const { point, privateKey } = keyPair();
      const body = new TextEncoder().encode('payload');
      const der = new Uint8Array(derSign(body, privateKey));
      const { r, s } = p256.Signature.fromBytes(der, 'der');
      expect(await same(body, b64(derOf(r, s)), point)).toBe(true); // the re-encoding itself is fine
      const rb = minimal(r);
      const sb = minimal(s);
      const unpadded = (v: bigint) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
      const cases: [string, Uint8Array][] = [
        ['extra leading zero in r', derSeq(derInt(Uint8Array.from([0, ...rb])), derInt(sb))],
        ['extra leading zero in s', derSeq(derInt(rb), derInt(Uint8Array.from([0, ...sb])))],
        ['r with its sign bit set (negative)', derSeq(derInt(new Uint8Array(unpadded(N - 1n))), derInt(sb))],
        ['byte after the sequence', Uint8Array.from([...der, 0])],
        ['byte after s inside the sequence', derSeq(derInt(rb), derInt(sb), Uint8Array.of(0))],
        ['sequence length one too long', Uint8Array.from([0x30, der[1]! + 1, ...der.subarray(2), 0])],
        ['sequence length one too short', Uint8Array.from([0x30, der[1]! - 1, ...der.subarray(2)])],
        ['long-form sequence length', Uint8Array.from([0x30, 0x81, der[1]!, ...der.subarray(2)])],
        ['long-form r length', derSeq(Uint8Array.from([0x02, 0x81, rb.length, ...rb]), derInt(sb))],
        ['empty r', derSeq(Uint8Array.of(0x02, 0), derInt(sb))],
        ['r = 0', derOf(0n, s)],
        ['s = 0', derOf(r, 0n)],
        ['r = n', derOf(N, s)],
        ['s = n', derOf(r, N)],
        ['r + n', derOf(r + N, s)],
        ['s + n', derOf(r, s + N)],
        [
          '33 bytes of s without the sign pad',
          derSeq(derInt(rb), derInt(Uint8Array.from([1, ...unpadded(s)]))),
        ],
        ['BIT STRING instead of INTEGER', derSeq(Uint8Array.from([0x03, rb.length, ...rb]), derInt(sb))],
        ['SET instead of SEQUENCE', Uint8Array.from([0x31, ...der.subarray(1)])],
        ['only r', derSeq(derInt(rb))],
        ['raw r || s (64 bytes, not DER)', Uint8Array.from([...unpadded(r), ...unpadded(s)])],
        ['truncated', der.subarray(0, der.length - 1)],
        ['empty', new Uint8Array(0)],
      ];
      for (const [label, bytes] of cases) {
        expect(await same(body, b64(bytes), point), label).toBe(false);
      }
    });

    it('encodings of the header: padding, URL-safe alphabet, surrounding spaces, length cap, non-strings', async () => {
      const { point, privateKey } = keyPair();
      const body = new TextEncoder().encode('x');
      const sig = b64(derSign(body, privateKey));
      expect(await same(body, sig, point)).toBe(true);
      expect(await same(body, ` ${sig}\n`, point)).toBe(true);
      expect(await same(body, sig.replace(/=+$/, ''), point)).toBe(true);
      expect(await same(body, sig.replace(/\+/g, '-').replace(/\//g, '_'), point)).toBe(true);
      expect(await same(body, `${sig}${' '.repeat(129 - sig.length)}`, point)).toBe(false); // over 128 characters
      expect(await same(body, 'not base64 !', point)).toBe(false);
      expect(await same(body, '', point)).toBe(false);
      for (const bad of [null, undefined, 42, ['a'], new Uint8Array(70)]) {
        expect(await verifyGitHubSignature(body, bad, point)).toBe(false);
      }
    });

    it('the point: compressed verifies like uncompressed; off the curve, another prefix or length is refused', async () => {
      const { point, privateKey } = keyPair();
      const body = new TextEncoder().encode('points');
      const sig = b64(derSign(body, privateKey));
      const compressed = p256.Point.fromBytes(point).toBytes(true);
      expect(await same(body, sig, compressed)).toBe(true);
      const offCurve = point.slice();
      offCurve[64] = (offCurve[64] as number) ^ 1;
      const flippedParity = compressed.slice();
      flippedParity[0] = compressed[0] === 2 ? 3 : 2;
      const hybrid = point.slice();
      hybrid[0] = 6 + Number(p256.Point.fromBytes(point).y & 1n);
      for (const [label, p] of [
        ['off the curve', offCurve],
        ['compressed, other parity (the negated key)', flippedParity],
        ['hybrid prefix 0x06/0x07', hybrid],
        ['x only', point.subarray(1, 33)],
        ['infinity', Uint8Array.of(0)],
        ['empty', new Uint8Array(0)],
      ] as const) {
        expect(await same(body, sig, p), label).toBe(false);
      }
      // a compressed x with no point on the curve
      for (let x = 0n; x < 40n; x++) {
        const c = Uint8Array.from([2, ...Buffer.from(x.toString(16).padStart(64, '0'), 'hex')]);
        expect(await same(body, sig, c)).toBe(false);
      }
    });

    it("GitHub's documented sample delivery still verifies", async () => {
      const pem = [
        '-----BEGIN PUBLIC KEY-----',
        'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9MJJHnMfn2+H4xL4YaPDA4RpJqUq',
        'kCmRCBnYERxZanmcpzQSXs1X/AljlKkbJ8qpVIW4clayyef9gWhFbNHWAA==',
        '-----END PUBLIC KEY-----',
      ].join('\n');
      const point = parseP256PublicKeyPem(pem) as Uint8Array;
      const body = new TextEncoder().encode('[{"token":"some_token","type":"some_type","url":"some_url"}]');
      const sig =
        'MEUCIQDKZokqnCjrRtw0tni+2Ltvl/uiMJ1EGumEsp1BsNr32AIgQY1YXD2nlj+XNfGK4rBfkMJ1JDOQcYXxa2sY8FNkrKc=';
      expect(await same(body, sig, point)).toBe(true);
      expect(createHash('sha256').update(body).digest('hex')).toHaveLength(64);
    });
  });

describe('parseP256PublicKeyPem without noble', () => {
  it('accepts exactly the uncompressed points on P-256 that noble accepted', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const pem = (der: Uint8Array) =>
      `-----BEGIN PUBLIC KEY-----\n${Buffer.from(der).toString('base64')}\n-----END PUBLIC KEY-----\n`;
    const point = parseP256PublicKeyPem(pem(spki));
    expect(point).toEqual(new Uint8Array(spki.subarray(26)));
    const nobleAccepts = (p: Uint8Array) => {
      try {
        p256.Point.fromBytes(p).assertValidity();
        return true;
      } catch {
        return false;
      }
    };
    const edits: ((d: Uint8Array) => void)[] = [
      (d) => {
        d[90] = (d[90] as number) ^ 1; // y off the curve
      },
      (d) => {
        d[30] = (d[30] as number) ^ 0x40; // x changed
      },
      (d) => {
        d[26] = 6; // hybrid prefix
      },
      (d) => {
        d.fill(0xff, 27, 59); // x ≥ p
      },
    ];
    for (const edit of edits) {
      const der = new Uint8Array(spki);
      edit(der);
      const parsed = parseP256PublicKeyPem(pem(der));
      expect(parsed !== null).toBe(nobleAccepts(der.subarray(26)));
      expect(parsed).toBeNull();
    }
  });
});

describe('the observability subpath bundles no curve library', () => {
  it('src/observability bundled for the browser has no @noble/curves input', async () => {
    const out = await build({
      entryPoints: ['src/observability/index.ts'],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
      logLevel: 'error',
    });
    const inputs = Object.keys(out.metafile.inputs);
    expect(inputs.some((f) => f.includes('src/observability/github-keys.ts'))).toBe(true);
    expect(inputs.filter((f) => f.includes('node_modules/@noble/curves/'))).toEqual([]);
  }, 60_000);
});
