/**
 * RFC 9457 problem details for the management API: every error answer is
 * `application/problem+json` with `{ type, title, status, detail, code, field? }`. The `code` is
 * stable (a {@link KeywardenErrorCode} or one of the HTTP layer's own codes). Server-side failures
 * never carry the underlying message, and no answer ever carries a token or secret value.
 * Portable: no node:*.
 * @module
 */
import { isKeywardenError, type KeywardenErrorCode } from '../errors.js';

/** Codes a problem answer can carry: every library code plus the HTTP layer's own. */
export type ProblemCode =
  | KeywardenErrorCode
  /** No operator credentials, or they are not a valid keywarden API key (401). */
  | 'ERR_UNAUTHENTICATED'
  /** The operator key is rate limited or out of credits (429). */
  | 'ERR_RATE_LIMITED'
  /** An `If-Match` precondition failed: the resource changed since it was read (412). */
  | 'ERR_PRECONDITION_FAILED'
  /** The same `Idempotency-Key` was used with another request body (422). */
  | 'ERR_IDEMPOTENCY_KEY_REUSED'
  /** The path exists but not with this method (405). */
  | 'ERR_METHOD_NOT_ALLOWED'
  /** Something failed that the answer does not describe (500). */
  | 'ERR_INTERNAL';

/** The JSON body of a problem answer (RFC 9457 members plus `code` and `field`). */
export interface ProblemBody {
  /** `urn:keywarden:problem:<code>`. */
  type: string;
  /** Short text of the HTTP status, e.g. `'Not Found'` (`'Error'` for an unlisted status). */
  title: string;
  /** The HTTP status code, repeated from the response. */
  status: number;
  /** Human-readable explanation; never a secret, and generic for server-side failures. */
  detail: string;
  /** Stable machine code (see {@link ProblemCode}). */
  code: ProblemCode;
  /** The input at fault (`body.name`, `query.limit`, `params.id`), for validation problems. */
  field?: string;
}

/** A problem to answer with. */
export class HttpProblem extends Error {
  /** HTTP status to answer with. */
  readonly status: number;
  /** Stable code put in the body's `code` (and, lower-cased, in its `type`). */
  readonly code: ProblemCode;
  /** The input at fault (`body.name`, `query.limit`...), or undefined. */
  readonly field: string | undefined;
  /** Extra response headers (e.g. `WWW-Authenticate`, `Allow`, `ETag`), as `[name, value]` pairs. */
  readonly headers: [string, string][];

  /**
   * @param status - HTTP status
   * @param code - stable code
   * @param detail - human-readable; never a secret
   * @param options - the field at fault and extra headers
   */
  constructor(
    status: number,
    code: ProblemCode,
    detail: string,
    options: { field?: string | undefined; headers?: [string, string][] } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = status;
    this.code = code;
    this.field = options.field;
    this.headers = options.headers ?? [];
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
};

/** HTTP status of each library code (documented in docs/http-api.md); a code not listed is 500. */
export const STATUS_BY_ERROR_CODE: Readonly<Partial<Record<KeywardenErrorCode, number>>> = Object.freeze({
  ERR_VALIDATION: 400,
  ERR_NOT_FOUND: 404,
  ERR_ALREADY_EXISTS: 409,
  ERR_CONFLICT: 409,
  ERR_INVALID_STATE: 409,
  ERR_UNSUPPORTED: 501,
  ERR_FORBIDDEN: 403,
  ERR_ROTATION: 502,
  ERR_BACKUP: 400,
  ERR_STORAGE: 503,
  ERR_KMS: 503,
  ERR_AUDIT: 503,
  ERR_LOCKED: 503,
  ERR_CLOSED: 503,
  ERR_NOTIFY: 502,
  ERR_DECRYPT: 500,
  ERR_MASTER_KEY_MISMATCH: 500,
  ERR_AUDIT_CHAIN: 500,
  ERR_INSECURE_PERMISSIONS: 500,
});

/** Codes whose message describes the caller's input (safe to echo); the rest get a fixed detail. */
const CLIENT_CODES = new Set<string>([
  'ERR_VALIDATION',
  'ERR_NOT_FOUND',
  'ERR_ALREADY_EXISTS',
  'ERR_CONFLICT',
  'ERR_INVALID_STATE',
  'ERR_UNSUPPORTED',
  'ERR_FORBIDDEN',
]);

/** A run of token-like characters longer than any identifier a message names on purpose. */
const TOKEN_LIKE = /[A-Za-z0-9_$-]{33,}/;

/**
 * The field and detail of a library client error, made safe to answer: a field segment or a
 * message that holds a long token-like run (an input key that may be a pasted token) is replaced
 * by its parent and a fixed detail.
 *
 * @example
 * ```ts
 * safeClientError('options.kw_abc…', 'kw_abc…: is not a known option'); // { field: 'options', detail: 'options: is invalid' }
 * ```
 * @throws never
 */
export function safeClientError(
  field: string | undefined,
  message: string,
): { field: string | undefined; detail: string } {
  let safeField = field;
  if (field !== undefined && TOKEN_LIKE.test(field)) {
    const kept: string[] = [];
    for (const part of field.split('.')) {
      if (TOKEN_LIKE.test(part)) break;
      kept.push(part);
    }
    safeField = kept.length > 0 ? kept.join('.') : 'input';
  }
  if (safeField === field && !TOKEN_LIKE.test(message)) return { field, detail: message };
  return { field: safeField, detail: `${safeField ?? 'input'}: is invalid` };
}

/**
 * Turns any thrown value into a problem: an {@link HttpProblem} as is, a `KeywardenError` by its
 * code (its message only for client errors), anything else as a 500 `ERR_INTERNAL`.
 *
 * @example
 * ```ts
 * toProblem(new KeywardenError('ERR_NOT_FOUND', 'api key not found')).status; // 404
 * ```
 * @throws never
 */
export function toProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (isKeywardenError(error)) {
    const status = STATUS_BY_ERROR_CODE[error.code] ?? 500;
    if (!CLIENT_CODES.has(error.code)) {
      return new HttpProblem(status, error.code, `The operation failed (${error.code})`);
    }
    const safe = safeClientError(error.field, error.message);
    return new HttpProblem(status, error.code, safe.detail, { field: safe.field });
  }
  return new HttpProblem(500, 'ERR_INTERNAL', 'Internal server error');
}

/**
 * The `application/problem+json` response of a problem (with `Cache-Control: no-store`).
 *
 * @example
 * ```ts
 * const response = problemResponse(new HttpProblem(404, 'ERR_NOT_FOUND', 'no such route'));
 * ```
 * @throws never
 */
export function problemResponse(problem: HttpProblem): Response {
  const body: ProblemBody = {
    type: `urn:keywarden:problem:${problem.code.toLowerCase()}`,
    title: TITLES[problem.status] ?? 'Error',
    status: problem.status,
    detail: problem.message,
    code: problem.code,
  };
  if (problem.field !== undefined) body.field = problem.field;
  const headers = new Headers(problem.headers);
  headers.set('content-type', 'application/problem+json');
  headers.set('cache-control', 'no-store');
  return new Response(JSON.stringify(body), { status: problem.status, headers });
}
