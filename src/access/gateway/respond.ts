/**
 * The gateway's own answers: `{ "error": CODE }` JSON, nothing else (no detail that could carry
 * a token, a secret or an upstream's text).
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { GatewayErrorCode } from './types.js';

/**
 * Writes `{ "error": code }` with `status`, or cuts the connection when the answer already began.
 *
 * @example
 * ```ts
 * refuse(res, 403, 'FORBIDDEN');
 * ```
 * @throws never
 */
export function refuse(res: ServerResponse, status: number, code: GatewayErrorCode): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = `{"error":"${code}"}`;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  res.end(body);
}
