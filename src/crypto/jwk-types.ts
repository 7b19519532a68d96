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
export type OkpJwk = JwkCommon & { kty: 'OKP'; crv: 'Ed25519'; x: string; d?: string };

/** Elliptic-curve names keywarden supports. */
export type EcCurve = 'P-256' | 'P-384' | 'secp256k1';

/** EC key (RFC 7518 §6.2, RFC 8812 for secp256k1): affine coordinates `x`, `y`; scalar `d`. */
export type EcJwk = JwkCommon & { kty: 'EC'; crv: EcCurve; x: string; y: string; d?: string };

/** RSA key (RFC 7518 §6.3). A private key carries `d` and all CRT members. */
export type RsaJwk = JwkCommon & {
  kty: 'RSA';
  n: string;
  e: string;
  d?: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
};

/** Symmetric key (RFC 7518 §6.4): `k` is the raw key. */
export type OctJwk = JwkCommon & { kty: 'oct'; k: string };

/** Any JWK keywarden handles. */
export type Jwk = OkpJwk | EcJwk | RsaJwk | OctJwk;

/** A public (or symmetric) JWK without private members. */
export type PublicJwk =
  | Omit<OkpJwk, 'd'>
  | Omit<EcJwk, 'd'>
  | Omit<RsaJwk, 'd' | 'p' | 'q' | 'dp' | 'dq' | 'qi'>;
