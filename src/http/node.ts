/**
 * `keywarden/http/node`: mounts a fetch handler such as `managementApi(km)` in node:http,
 * Express (4 and 5) or Connect. Node only (uses node:http types and Buffer).
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KeywardenError } from '../errors.js';

/** A fetch handler, e.g. what `managementApi` returns. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Options of {@link nodeHandler}. */
export interface NodeHandlerOptions {
  /** The origin of the request URLs the fetch handler sees (default `http://localhost`; the Host header is not trusted). */
  origin?: string;
  /** Largest request body read, in bytes (default 1 MiB); larger ones get 413 without being read. */
  maxBodyBytes?: number;
}

/** A node request as Express leaves it: `originalUrl` keeps the mount path, `body` may be parsed. */
type NodeRequest = IncomingMessage & { originalUrl?: string; body?: unknown };

/** The `(req, res, next?)` function {@link nodeHandler} returns; it never rejects. */
export type NodeRequestHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => Promise<void>;

const TOO_LARGE = JSON.stringify({
  type: 'urn:keywarden:problem:err_validation',
  title: 'Content Too Large',
  status: 413,
  detail: 'body: too large',
  code: 'ERR_VALIDATION',
  field: 'body',
});

class BodyTooLarge extends Error {}

async function readAll(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > max) throw new BodyTooLarge();
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** The body Express already parsed (when a body parser ran before this handler), as bytes. */
function parsedBody(req: NodeRequest): Buffer | undefined {
  if (!req.readableEnded || req.body === undefined) return undefined;
  const b = req.body;
  if (Buffer.isBuffer(b)) return b;
  if (typeof b === 'string') return Buffer.from(b, 'utf8');
  if (typeof b === 'object' && b !== null && Object.keys(b).length === 0 && !req.headers['content-length']) {
    return Buffer.alloc(0);
  }
  return Buffer.from(JSON.stringify(b), 'utf8');
}

function toRequest(req: NodeRequest, origin: string, body: Buffer | undefined): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const method = req.method ?? 'GET';
  const init: RequestInit = { method, headers };
  if (body !== undefined && body.length > 0 && method !== 'GET' && method !== 'HEAD') {
    init.body = new Uint8Array(body); // a copy backed by a plain ArrayBuffer
    headers.set('content-length', String(body.length));
  }
  return new Request(new URL(req.originalUrl ?? req.url ?? '/', origin), init);
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => {
    res.setHeader(name, value);
  });
  const bytes = response.body === null ? undefined : Buffer.from(await response.arrayBuffer());
  if (bytes !== undefined) res.setHeader('content-length', bytes.length);
  res.end(bytes);
}

/**
 * Adapts a fetch handler to node:http / Express / Connect. The request URL is `originalUrl`
 * (Express keeps the mount path there) or `url`, so give `managementApi` the same `basePath` as
 * the mount path. Mount it before any body parser; if one ran anyway, its result is re-encoded.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { managementApi } from 'keywarden/http';
 * import { nodeHandler } from 'keywarden/http/node';
 * createServer(nodeHandler(managementApi(km))).listen(8787, '127.0.0.1');
 * ```
 * @example
 * ```ts
 * import express from 'express';
 * express().use('/admin', nodeHandler(managementApi(km, { basePath: '/admin' }))); // Express
 * ```
 * @throws KeywardenError `ERR_VALIDATION` for bad options (at build time); the returned function
 *   never rejects (a failure after the answer started just ends the connection; Express gets
 *   `next(error)` only when nothing was sent).
 */
export function nodeHandler(handler: FetchHandler, options: NodeHandlerOptions = {}): NodeRequestHandler {
  if (typeof handler !== 'function') {
    throw new KeywardenError('ERR_VALIDATION', 'handler: must be a fetch handler', { field: 'handler' });
  }
  const max = options.maxBodyBytes ?? 1_048_576;
  if (!Number.isInteger(max) || max < 1) {
    throw new KeywardenError('ERR_VALIDATION', 'maxBodyBytes: must be a positive integer', {
      field: 'maxBodyBytes',
    });
  }
  return async (req, res, next) => {
    try {
      const r = req as NodeRequest;
      const declared = Number(r.headers['content-length'] ?? 0);
      if (declared > max) {
        res.statusCode = 413;
        res.setHeader('content-type', 'application/problem+json');
        res.setHeader('connection', 'close');
        res.end(TOO_LARGE);
        return;
      }
      const body = parsedBody(r) ?? (r.readableEnded ? undefined : await readAll(r, max));
      const origin = options.origin ?? 'http://localhost'; // routing uses the path only; Host is not trusted
      await writeResponse(res, await handler(toRequest(r, origin, body)));
    } catch (error) {
      if (error instanceof BodyTooLarge && !res.headersSent) {
        res.statusCode = 413;
        res.setHeader('content-type', 'application/problem+json');
        res.setHeader('connection', 'close');
        res.end(TOO_LARGE);
        return;
      }
      if (!res.headersSent && next) next(error);
      else if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else res.end();
    }
  };
}
