/**
 * `km.keys.signJwt` / `verifyJwt`: compact JWS (RFC 7515) JWTs (RFC 7519) over the public
 * `keys.sign` / `keys.verify` path, so key material is opened exactly as for any signature. The
 * header's `alg` is the key's own algorithm, `kid` the signing version's; verification accepts
 * only that `alg` (never `none`, never an algorithm switch) and any accepted version of the key.
 * @internal
 * @module
 */
import { parseDuration } from '../../duration.js';
import { KeywardenError, validationError } from '../../errors.js';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from '../../internal/bytes.js';
import type { JsonObject } from '../../ports/json.js';
import type { StoreContext } from '../../records/context.js';
import type {
  JwtClaims,
  JwtVerifyCode,
  JwtVerifyResult,
  JwtVerifySuccess,
  SignJwtOptions,
  VerifyJwtOptions,
} from '../jwt-types.js';
import type { KeyInfo, KeyScope, KeysView } from '../key-types.js';

/** Longest token accepted by `verifyJwt` (characters). */
const MAX_TOKEN_LENGTH = 65_536;
const B64URL = /^[A-Za-z0-9_-]*$/;
const SIGN_OPTIONS = new Set([
  'environment',
  'tenantId',
  'expiresIn',
  'notBefore',
  'issuer',
  'audience',
  'subject',
  'jwtId',
  'issuedAt',
  'typ',
]);
const VERIFY_OPTIONS = new Set([
  'environment',
  'tenantId',
  'issuer',
  'audience',
  'subject',
  'typ',
  'clockTolerance',
  'maxTokenAge',
  'requiredClaims',
]);
/** How many times `signJwt` signs again when the key rotated between reading its kid and signing. */
const SIGN_ATTEMPTS = 3;

type KeyOps = Pick<KeysView, 'info' | 'sign' | 'verify'>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function checkOptions(options: unknown, known: ReadonlySet<string>): Record<string, unknown> {
  if (options === undefined) return {};
  if (!isPlainObject(options)) throw validationError('options', 'must be an object');
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw validationError(`options.${key}`, 'is not a known option');
  }
  return options;
}

function scopeOf(o: Record<string, unknown>): KeyScope {
  return {
    ...(o['environment'] !== undefined && { environment: o['environment'] as string }),
    ...(o['tenantId'] !== undefined && { tenantId: o['tenantId'] as string | null }),
  };
}

function optionalString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0 || v.length > 2048) {
    throw validationError(`options.${key}`, 'must be a string of 1 to 2048 characters');
  }
  return v;
}

function stringList(o: Record<string, unknown>, key: string): string[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    list.length > 100 ||
    !list.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 2048)
  ) {
    throw validationError(`options.${key}`, 'must be a string or a non-empty list of strings');
  }
  return list as string[];
}

const encodeJson = (value: unknown): string => toBase64Url(utf8Encode(JSON.stringify(value)));

function algorithmOf(info: KeyInfo): string {
  if (info.type === 'aes') {
    throw new KeywardenError(
      'ERR_INVALID_STATE',
      'an aes key cannot sign JWTs; use an hmac, ed25519, ecdsa or rsa key',
    );
  }
  return info.algorithm;
}

function claimsOf(claims: unknown, o: Record<string, unknown>, nowSec: number): JsonObject {
  if (!isPlainObject(claims)) throw validationError('claims', 'must be a plain object of JSON values');
  const out: Record<string, unknown> = { ...claims };
  for (const name of ['exp', 'nbf', 'iat'] as const) {
    const v = out[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
      throw validationError(`claims.${name}`, 'must be a NumericDate (seconds since the epoch)');
    }
  }
  const set = (claim: string, option: string, value: unknown) => {
    if (value === undefined) return;
    if (claim in out) throw validationError(`options.${option}`, `and claims.${claim} are both given`);
    out[claim] = value;
  };
  const seconds = (option: string) =>
    o[option] === undefined
      ? undefined
      : nowSec + Math.floor(parseDuration(o[option] as never, `options.${option}`) / 1000);
  if (o['issuedAt'] !== undefined && typeof o['issuedAt'] !== 'boolean') {
    throw validationError('options.issuedAt', 'must be a boolean');
  }
  if (o['issuedAt'] !== false && !('iat' in out)) out['iat'] = nowSec;
  set('exp', 'expiresIn', seconds('expiresIn'));
  set('nbf', 'notBefore', seconds('notBefore'));
  set('iss', 'issuer', optionalString(o, 'issuer'));
  const aud = stringList(o, 'audience');
  set('aud', 'audience', aud === undefined ? undefined : typeof o['audience'] === 'string' ? aud[0] : aud);
  set('sub', 'subject', optionalString(o, 'subject'));
  set('jti', 'jwtId', optionalString(o, 'jwtId'));
  let json: string | undefined;
  try {
    json = JSON.stringify(out);
  } catch {
    json = undefined;
  }
  if (json === undefined) throw validationError('claims', 'must be JSON-serializable');
  return JSON.parse(json) as JsonObject; // exactly what is signed: no undefined, no toJSON surprises
}

/**
 * Signs `claims` as a compact JWT with the key's current version.
 *
 * @example
 * ```ts
 * const token = await signJwt(ctx, km.keys, 'jwt', { role: 'admin' }, { expiresIn: '15m' });
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (claims, options), `ERR_NOT_FOUND`, `ERR_INVALID_STATE`
 *   (aes key, inactive or expired key), `ERR_DECRYPT`, `ERR_KMS`, `ERR_STORAGE`.
 */
export async function signJwt(
  ctx: StoreContext,
  keys: KeyOps,
  name: string,
  claims: JwtClaims,
  options?: SignJwtOptions,
): Promise<string> {
  const o = checkOptions(options, SIGN_OPTIONS);
  const typ = optionalString(o, 'typ') ?? 'JWT';
  const payload = encodeJson(claimsOf(claims, o, Math.floor(ctx.clock.now() / 1000)));
  const scope = scopeOf(o);
  for (let attempt = 0; attempt < SIGN_ATTEMPTS; attempt++) {
    const before = await keys.info(name, scope);
    const alg = algorithmOf(before);
    if (before.kid === null) throw new KeywardenError('ERR_INVALID_STATE', 'key has no current version');
    const input = `${encodeJson({ alg, typ, kid: before.kid })}.${payload}`;
    const signature = await keys.sign(name, input, scope);
    // the kid must name the version that signed: if the key rotated in between, sign again
    const after = await keys.info(name, scope);
    if (after.kid === before.kid) return `${input}.${toBase64Url(signature)}`;
  }
  throw new KeywardenError('ERR_CONFLICT', 'the key kept rotating while signing; try again');
}

function fail(code: JwtVerifyCode, message: string, claim?: string): JwtVerifyResult {
  return { valid: false, code, message, ...(claim !== undefined && { claim }) };
}

function decodePart(part: string): Record<string, unknown> | null {
  if (part.length === 0 || !B64URL.test(part)) return null;
  try {
    const value = JSON.parse(utf8Decode(fromBase64Url(part))) as unknown;
    return isPlainObject(value) ? value : null;
  } catch {
    return null;
  }
}

function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

interface ClaimChecks {
  tolerance: number;
  maxAge: number | undefined;
  required: string[];
  issuers: string[] | undefined;
  audiences: string[] | undefined;
  subject: string | undefined;
}

function claimChecks(o: Record<string, unknown>): ClaimChecks {
  const seconds = (key: string) => Math.floor(parseDuration(o[key] as never, `options.${key}`) / 1000);
  return {
    tolerance: o['clockTolerance'] === undefined ? 0 : seconds('clockTolerance'),
    maxAge: o['maxTokenAge'] === undefined ? undefined : seconds('maxTokenAge'),
    required:
      o['requiredClaims'] === undefined
        ? ['exp']
        : Array.isArray(o['requiredClaims']) && o['requiredClaims'].length === 0
          ? []
          : (stringList(o, 'requiredClaims') ?? []),
    issuers: stringList(o, 'issuer'),
    audiences: stringList(o, 'audience'),
    subject: optionalString(o, 'subject'),
  };
}

function checkClaims(
  payload: Record<string, unknown>,
  c: ClaimChecks,
  nowSec: number,
): JwtVerifyResult | null {
  const { tolerance, maxAge, required, issuers, audiences, subject } = c;
  for (const name of ['exp', 'nbf', 'iat'] as const) {
    const v = payload[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
      return fail('MALFORMED', `${name} must be a NumericDate`, name);
    }
  }
  for (const name of maxAge === undefined ? required : [...required, 'iat']) {
    if (!(name in payload)) return fail('MISSING_CLAIM', `the ${name} claim is required`, name);
  }
  const exp = payload['exp'] as number | undefined;
  const nbf = payload['nbf'] as number | undefined;
  const iat = payload['iat'] as number | undefined;
  if (exp !== undefined && nowSec - tolerance >= exp) return fail('EXPIRED', 'the token has expired', 'exp');
  if (nbf !== undefined && nowSec + tolerance < nbf)
    return fail('NOT_YET_VALID', 'the token is not valid yet', 'nbf');
  if (iat !== undefined && nowSec + tolerance < iat)
    return fail('INVALID_IAT', 'iat is in the future', 'iat');
  if (maxAge !== undefined && iat !== undefined && nowSec - tolerance - iat > maxAge) {
    return fail('INVALID_IAT', 'the token is older than maxTokenAge', 'iat');
  }
  if (issuers !== undefined && !issuers.includes(payload['iss'] as string)) {
    return fail('INVALID_ISSUER', 'unexpected iss', 'iss');
  }
  if (audiences !== undefined) {
    const aud = payload['aud'];
    const given = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!given.some((a) => typeof a === 'string' && audiences.includes(a))) {
      return fail('INVALID_AUDIENCE', 'unexpected aud', 'aud');
    }
  }
  if (subject !== undefined && payload['sub'] !== subject)
    return fail('INVALID_SUBJECT', 'unexpected sub', 'sub');
  return null;
}

/**
 * Verifies a compact JWT against the key (see the module comment).
 *
 * @example
 * ```ts
 * const r = await verifyJwt(ctx, km.keys, 'jwt', token, { audience: 'api' });
 * if (r.valid) console.log(r.payload.sub);
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (options), `ERR_NOT_FOUND`, `ERR_INVALID_STATE` (aes key),
 *   `ERR_STORAGE`; never for a bad token.
 */
export async function verifyJwt(
  ctx: StoreContext,
  keys: KeyOps,
  name: string,
  token: unknown,
  options?: VerifyJwtOptions,
): Promise<JwtVerifyResult> {
  const o = checkOptions(options, VERIFY_OPTIONS);
  const expectedTyp = optionalString(o, 'typ');
  const scope = scopeOf(o);
  const nowSec = Math.floor(ctx.clock.now() / 1000);
  const checks = claimChecks(o); // options are checked first: a bad option throws whatever the token
  const info = await keys.info(name, scope);
  const alg = algorithmOf(info);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH)
    return fail('MALFORMED', 'not a compact JWT');
  const parts = token.split('.');
  if (parts.length !== 3) return fail('MALFORMED', 'not a compact JWT (three dot-separated parts)');
  const [h, p, s] = parts as [string, string, string];
  const header = decodePart(h);
  const payload = decodePart(p);
  if (header === null || payload === null)
    return fail('MALFORMED', 'header and payload must be base64url JSON objects');
  if (!B64URL.test(s) || s.length === 0) return fail('MALFORMED', 'the signature must be base64url');
  if ('crit' in header) return fail('MALFORMED', 'crit header parameters are not supported', 'crit');
  if (header['alg'] !== alg) return fail('ALG_MISMATCH', `alg must be ${alg}, the key's algorithm`, 'alg');
  const kid = header['kid'];
  if (kid !== undefined) {
    const known = info.versions.some((v) => v.kid === kid && v.state !== 'retired');
    if (typeof kid !== 'string' || !known)
      return fail('UNKNOWN_KID', 'kid names no accepted version of the key', 'kid');
  }
  if (expectedTyp !== undefined) {
    const typ = header['typ'];
    if (typeof typ !== 'string' || normalizeTyp(typ) !== normalizeTyp(expectedTyp)) {
      return fail('INVALID_TYP', 'unexpected typ', 'typ');
    }
  }
  let signature: Uint8Array;
  try {
    signature = fromBase64Url(s);
  } catch {
    return fail('MALFORMED', 'the signature must be base64url');
  }
  if (!(await keys.verify(name, `${h}.${p}`, signature, scope))) {
    return fail('INVALID_SIGNATURE', 'no accepted version of the key verifies the signature');
  }
  const claims = checkClaims(payload, checks, nowSec);
  if (claims !== null) return claims;
  return { valid: true, header: header as JwtVerifySuccess['header'], payload: payload as JwtClaims };
}
