/**
 * JSON Web Key shapes (RFC 7517, 7518, 8037, 8812) for the key types keywarden generates.
 * All binary members are base64url without padding. These are `type` aliases (not interfaces) so
 * they are assignable to `JsonObject` and can be stored as plain JSON.
 * @module
 */

/** Members any JWK may carry. */
export type JwkCommon = {
  /** Key id; for generated keys, the RFC 7638 thumbprint. */
  kid?: string;
  /** Intended algorithm (e.g. `'ES256'`). */
  alg?: string;
  /** Public key use: `'sig'` or `'enc'`. */
  use?: 'sig' | 'enc';
  /** Permitted operations. */
  key_ops?: string[];
};

/** Ed25519 key (RFC 8037): `x` is the 32-byte public key, `d` the 32-byte private seed. */
export type OkpJwk = JwkCommon & {
  /** Key type: always `'OKP'` (octet key pair). */
  kty: 'OKP';
  /** The curve: always `'Ed25519'`. */
  crv: 'Ed25519';
  /** The 32-byte public key, base64url. */
  x: string;
  /** The 32-byte private seed, base64url; absent in a public key. Secret. */
  d?: string;
};

/** Elliptic-curve names keywarden supports. */
export type EcCurve = 'P-256' | 'P-384' | 'secp256k1';

/** EC key (RFC 7518 §6.2, RFC 8812 for secp256k1): affine coordinates `x`, `y`; scalar `d`. */
export type EcJwk = JwkCommon & {
  /** Key type: always `'EC'`. */
  kty: 'EC';
  /** The curve. */
  crv: EcCurve;
  /** The public point's x coordinate, base64url (32 bytes, 48 for P-384). */
  x: string;
  /** The public point's y coordinate, base64url (32 bytes, 48 for P-384). */
  y: string;
  /** The private scalar, base64url (same length as `x`); absent in a public key. Secret. */
  d?: string;
};

/** RSA key (RFC 7518 §6.3). A private key carries `d` and all CRT members. */
export type RsaJwk = JwkCommon & {
  /** Key type: always `'RSA'`. */
  kty: 'RSA';
  /** The modulus, base64url. */
  n: string;
  /** The public exponent, base64url (`'AQAB'` = 65537 for generated keys). */
  e: string;
  /** The private exponent, base64url; absent in a public key. Secret. */
  d?: string;
  /** The first prime factor (CRT), base64url; private keys only. Secret. */
  p?: string;
  /** The second prime factor (CRT), base64url; private keys only. Secret. */
  q?: string;
  /** The first factor CRT exponent `d mod (p − 1)`, base64url; private keys only. Secret. */
  dp?: string;
  /** The second factor CRT exponent `d mod (q − 1)`, base64url; private keys only. Secret. */
  dq?: string;
  /** The CRT coefficient `q⁻¹ mod p`, base64url; private keys only. Secret. */
  qi?: string;
};

/** Symmetric key (RFC 7518 §6.4): `k` is the raw key. */
export type OctJwk = JwkCommon & {
  /** Key type: always `'oct'` (a symmetric key). */
  kty: 'oct';
  /** The raw key bytes, base64url. Secret. */
  k: string;
};

/** Any JWK keywarden handles. */
export type Jwk = OkpJwk | EcJwk | RsaJwk | OctJwk;

/** A public (or symmetric) JWK without private members. */
export type PublicJwk =
  | Omit<OkpJwk, 'd'>
  | Omit<EcJwk, 'd'>
  | Omit<RsaJwk, 'd' | 'p' | 'q' | 'dp' | 'dq' | 'qi'>;
