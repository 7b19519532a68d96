/**
 * decompressEcPoint (src/crypto/curves.ts) against noble's point decoding on every supported
 * curve: the same coordinates for real compressed points, null where noble refuses.
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { decompressEcPoint } from '../../src/crypto/curves.js';

const curves = { 'P-256': p256, 'P-384': p384, secp256k1 } as const;

describe('decompressEcPoint', () => {
  for (const [crv, c] of Object.entries(curves) as [
    keyof typeof curves,
    (typeof curves)[keyof typeof curves],
  ][]) {
    it(`${crv}: the coordinates noble decodes, null where noble refuses`, () => {
      const size = crv === 'P-384' ? 48 : 32;
      for (let i = 0; i < 20; i++) {
        const P = c.Point.BASE.multiply(BigInt(i + 1) * 0x1234567n);
        const compressed = P.toBytes(true);
        const full = P.toBytes(false);
        expect(decompressEcPoint(crv, compressed)).toEqual({
          x: full.slice(1, 1 + size),
          y: full.slice(1 + size),
        });
      }
      let refused = 0;
      for (let x = 0; x < 60; x++) {
        const bytes = new Uint8Array(1 + size);
        bytes[0] = 2 + (x & 1);
        bytes[size] = x;
        let noble: Uint8Array | null;
        try {
          noble = c.Point.fromBytes(bytes).toBytes(false);
        } catch {
          noble = null;
        }
        const ours = decompressEcPoint(crv, bytes);
        if (noble === null) refused++;
        expect(ours === null ? null : Uint8Array.from([4, ...ours.x, ...ours.y])).toEqual(noble);
      }
      expect(refused).toBeGreaterThan(0); // some x have no point
      const ffs = new Uint8Array(1 + size).fill(0xff);
      ffs[0] = 2;
      expect(decompressEcPoint(crv, ffs)).toBeNull(); // x ≥ p
      expect(decompressEcPoint(crv, c.Point.BASE.toBytes(false))).toBeNull(); // not compressed
      expect(decompressEcPoint(crv, new Uint8Array(0))).toBeNull();
    });
  }
});
