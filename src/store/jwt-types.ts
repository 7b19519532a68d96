/**
 * Types of `km.keys.signJwt` and `km.keys.verifyJwt`.
 * @module
 */
import type { Duration } from '../duration.js';
import type { JsonObject } from '../ports/json.js';
import type { KeyAlgorithm, KeyScope } from './key-types.js';

/** JWT claims: any JSON object; the registered ones (`exp`, `nbf`, `iat`) are NumericDates (seconds). */
export type JwtClaims = JsonObject;

/** Options of `km.keys.signJwt`. Each registered claim may come from here or from `claims`, not both. */
export interface SignJwtOptions extends KeyScope {
  /** Sets `exp` = now + this. */
  expiresIn?: Duration;
  /** Sets `nbf` = now + this (`0`: now). */
  notBefore?: Duration;
  /** `iss`. */
  issuer?: string;
  /** `aud`: one audience or several. */
  audience?: string | string[];
  /** `sub`. */
  subject?: string;
  /** `jti`. */
  jwtId?: string;
  /** Sets `iat` = now (default true). */
  issuedAt?: boolean;
  /** The `typ` header (default `'JWT'`; e.g. `'at+jwt'` for RFC 9068 access tokens). */
  typ?: string;
}

/** Options of `km.keys.verifyJwt`. */
export interface VerifyJwtOptions extends KeyScope {
  /** Accepted `iss` values (one must equal the token's). */
  issuer?: string | string[];
  /** Accepted audiences (the token's `aud`, a string or a list, must hold one of them). */
  audience?: string | string[];
  /** The `sub` the token must have. */
  subject?: string;
  /** The `typ` header the token must have (compared case-insensitively, `application/` prefix ignored). */
  typ?: string;
  /** Slack for `exp`, `nbf` and `iat` against the clock. Default `'0s'`; e.g. `'30s'`. */
  clockTolerance?: Duration;
  /** Refuses tokens whose `iat` is older than this (then `iat` is required). */
  maxTokenAge?: Duration;
  /** Claims that must be present. Default `['exp']`: a token that never expires is refused. */
  requiredClaims?: string[];
}

/** Why `verifyJwt` refused a token. */
export type JwtVerifyCode =
  /** Not three base64url parts of JSON objects, a bad claim type, or a `crit` header. */
  | 'MALFORMED'
  /** The header's `alg` is not the key's algorithm (never `none`, never another algorithm). */
  | 'ALG_MISMATCH'
  /** The header's `kid` names no accepted version of the key. */
  | 'UNKNOWN_KID'
  /** No accepted version of the key verifies the signature. */
  | 'INVALID_SIGNATURE'
  /** `exp` has passed (beyond `clockTolerance`). */
  | 'EXPIRED'
  /** `nbf` is still ahead (beyond `clockTolerance`). */
  | 'NOT_YET_VALID'
  /** `iat` is in the future (beyond `clockTolerance`), or older than `maxTokenAge`. */
  | 'INVALID_IAT'
  | 'INVALID_ISSUER'
  | 'INVALID_AUDIENCE'
  | 'INVALID_SUBJECT'
  | 'INVALID_TYP'
  /** A claim of `requiredClaims` is missing. */
  | 'MISSING_CLAIM';

/** A verified token. */
export interface JwtVerifySuccess {
  /** Always `true`: the signature and every claim check passed. */
  valid: true;
  /** The protected header (`alg`, `kid`, `typ`...). */
  header: {
    /** The signing algorithm: always the key's own. */
    alg: KeyAlgorithm;
    /** The key id of the version that signed, when the token names one. */
    kid?: string;
    /** The token type (e.g. `'JWT'`), when the token has one. */
    typ?: string;
  } & JsonObject;
  /** The claims. */
  payload: JwtClaims;
}

/** A refused token: a stable `code` and a message naming the check (never the token). */
export interface JwtVerifyFailure {
  /** Always `false`: refuse the token. */
  valid: false;
  /** Which check refused it. */
  code: JwtVerifyCode;
  /** A sentence naming the check, for logs (never the token or its claims' values). */
  message: string;
  /** The claim or header field the check is about, when there is one (`exp`, `aud`, `alg`...). */
  claim?: string;
}

/** What `verifyJwt` returns; it never throws for a bad token. */
export type JwtVerifyResult = JwtVerifySuccess | JwtVerifyFailure;
