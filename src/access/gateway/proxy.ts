/**
 * The upstream half of a gateway call: dial the tool's origin (never a host the agent named) on
 * a pooled keep-alive connection whose address was checked, stream the body up with a byte limit
 * and a proxy-token tripwire, and stream the answer back with the secret scrubbed out. No redirect
 * is followed; one that stays on the origin is passed back rewritten to the gateway's path.
 * @module
 */
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Transform } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { ToolInfo } from '../types.js';
import { AddressRefusedError, type GatewayLookup, guardedLookup, mayDial } from './address.js';
import { responseHeaders } from './headers.js';
import { refuse } from './respond.js';
import { StreamScrubber, scrubText } from './scrub.js';
import type { GatewayErrorCode } from './types.js';

/** What the proxy needs from the request handler. */
export interface ProxyCall {
  req: IncomingMessage;
  res: ServerResponse;
  tool: ToolInfo;
  /** Path and query for the upstream (`/v1/x?y=1`). */
  path: string;
  headers: Record<string, string | string[] | number>;
  /** The agent's proxy token, to trip on if the body carries it. */
  token: string;
  /** The secret's forms to scrub from the answer. */
  forms: readonly Buffer[];
  /** Records a violation (never rejects). */
  violation: (reason: string) => Promise<void>;
}

/** Shared state of one gateway: connection pools, limits, resolver. */
export interface Upstreams {
  maxBodyBytes: number;
  timeoutMs: number;
  lookup: GatewayLookup;
  /** One pool per scheme and private-network rule, so a socket checked under one rule never serves another. */
  agents: Record<'http' | 'https', [strict: HttpAgent, privateOk: HttpAgent]>;
  /** `guardedLookup(lookup, false)` and `guardedLookup(lookup, true)`, built once (set by {@link proxy}). */
  lookups?: [strict: LookupFunction, privateOk: LookupFunction];
}

/**
 * Keep-alive pools for a gateway.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * const agents = createAgents([await readFile('internal-ca.pem', 'utf8')]);
 * ```
 * @throws never
 */
export function createAgents(ca?: readonly string[]): Upstreams['agents'] {
  const opts = { keepAlive: true, scheduling: 'lifo' as const };
  const tls = ca === undefined || ca.length === 0 ? opts : { ...opts, ca: [...rootCertificates, ...ca] };
  return {
    http: [new HttpAgent(opts), new HttpAgent(opts)],
    https: [new HttpsAgent(tls), new HttpsAgent(tls)],
  };
}

const REASON_ADDRESS = 'upstream address not allowed for this tool';
const REASON_REDIRECT = 'upstream redirect off the tool origin';
const REASON_BODY = 'proxy token in the request body';
const REASON_ECHO = 'upstream echoed the secret (masked)';

class GatewayStop extends Error {
  constructor(
    readonly status: number,
    readonly code: GatewayErrorCode,
    readonly reason: string | null,
  ) {
    super(code);
  }
}

function decoder(encoding: string | undefined): Transform | null | 'unknown' {
  const e = (encoding ?? 'identity').trim().toLowerCase();
  if (e === 'identity' || e === '') return null;
  if (e === 'gzip' || e === 'x-gzip') return createGunzip();
  if (e === 'deflate') return createInflate();
  if (e === 'br') return createBrotliDecompress();
  return 'unknown';
}

/** A tool origin, parsed once. */
export interface Origin {
  https: boolean;
  /** Host name or IP, without IPv6 brackets. */
  hostname: string;
  port: number;
  /** `host[:port]` for the Host header. */
  host: string;
  origin: string;
  /** For an IP literal: whether it may be dialed [without, with] `allowPrivateNetwork`; null for a name. */
  literal: [strict: boolean, privateOk: boolean] | null;
}

const origins = new Map<string, Origin>();

/**
 * Parses (and remembers) a tool origin.
 *
 * @example
 * ```ts
 * originOf('https://api.openai.com').port; // 443
 * ```
 * @throws TypeError when the origin is not a URL (tools are validated when registered).
 */
export function originOf(origin: string): Origin {
  let o = origins.get(origin);
  if (o === undefined) {
    const u = new URL(origin);
    const https = u.protocol === 'https:';
    const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    o = {
      https,
      hostname,
      port: u.port === '' ? (https ? 443 : 80) : Number(u.port),
      host: u.host,
      origin: u.origin,
      literal:
        isIP(hostname) === 0
          ? null
          : [
              mayDial(hostname, { allowPrivateNetwork: false, literal: true }),
              mayDial(hostname, { allowPrivateNetwork: true, literal: true }),
            ],
    };
    if (origins.size >= 1024) origins.clear();
    origins.set(origin, o);
  }
  return o;
}

function lookupsOf(up: Upstreams): [LookupFunction, LookupFunction] {
  up.lookups ??= [guardedLookup(up.lookup, false), guardedLookup(up.lookup, true)];
  return up.lookups;
}

/** Where a redirect may point the agent: the same origin, rewritten to `/{toolId}/…`; else null. */
function sameOriginLocation(location: string, tool: ToolInfo, path: string): string | null {
  let target: URL;
  try {
    target = new URL(location, new URL(path, tool.upstream.origin));
  } catch {
    return null;
  }
  if (target.origin !== originOf(tool.upstream.origin).origin) return null;
  return `/${tool.id}${target.pathname}${target.search}`;
}

/**
 * Sends the call upstream and streams the answer back. Never rejects; every failure becomes an
 * answer (or a cut stream once the answer began).
 *
 * @example
 * ```ts
 * declare const upstreams: Upstreams;
 * declare const tool: ToolInfo;
 * declare const path: string;
 * declare const forms: readonly Buffer[];
 * declare const violation: (reason: string) => Promise<void>;
 * const headers = forwardedHeaders(req.headers, tool.upstream.auth) as Record<string, string | string[]>;
 * proxy(upstreams, { req, res, tool, path, headers, token, forms, violation });
 * ```
 * @throws never
 */
export function proxy(up: Upstreams, call: ProxyCall): void {
  const { req, res, tool } = call;
  const origin = originOf(tool.upstream.origin);
  const allowPrivate = tool.upstream.allowPrivateNetwork === true;
  let stopped = false;
  let uploadIdle: ReturnType<typeof setTimeout> | undefined;
  const stop = (e: GatewayStop): void => {
    if (stopped) return;
    stopped = true;
    clearTimeout(uploadIdle);
    upstream.destroy();
    if (!req.complete) {
      res.shouldKeepAlive = false; // the rest of the upload is drained, then the connection closes
      req.resume();
    }
    const answer = () => refuse(res, e.status, e.code);
    if (e.reason === null) answer();
    else void call.violation(e.reason).then(answer);
  };
  if (origin.literal !== null && !origin.literal[allowPrivate ? 1 : 0]) {
    void call.violation(REASON_ADDRESS).then(() => refuse(res, 502, 'ADDRESS_REFUSED'));
    return;
  }
  const upstream = (origin.https ? httpsRequest : httpRequest)({
    hostname: origin.hostname,
    port: origin.port,
    method: req.method,
    path: call.path,
    headers: call.headers,
    agent: up.agents[origin.https ? 'https' : 'http'][allowPrivate ? 1 : 0],
    lookup: lookupsOf(up)[allowPrivate ? 1 : 0],
  });
  upstream.setTimeout(up.timeoutMs, () => stop(new GatewayStop(504, 'UPSTREAM_TIMEOUT', null)));
  upstream.on('error', (err: Error) => {
    if (err instanceof AddressRefusedError) stop(new GatewayStop(502, 'ADDRESS_REFUSED', REASON_ADDRESS));
    else stop(new GatewayStop(502, 'UPSTREAM_ERROR', null));
  });
  // once the answer is over (sent or cut), late timers and socket events of this call do nothing
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
    stopped = true;
    clearTimeout(uploadIdle);
  });
  upstream.on('response', (answer: IncomingMessage) => {
    if (!stopped) onResponse(answer, call, tool, stop);
    else answer.resume();
  });

  const hasBody =
    req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) {
    upstream.end();
    req.resume();
    return;
  }
  // an idle timer of our own, not req.setTimeout: that would stay on a keep-alive socket and fire
  // during a later request on it
  // one timer for the whole upload, pushed back (refresh) by every chunk
  uploadIdle = setTimeout(() => stop(new GatewayStop(504, 'UPSTREAM_TIMEOUT', null)), up.timeoutMs);
  // the body goes up as it comes, counted, and with the proxy token as a tripwire: the scrubber
  // holds back any bytes that could start the token, so no part of it ever leaves
  const trip = new StreamScrubber([Buffer.from(call.token, 'utf8')]);
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    if (stopped) return;
    uploadIdle?.refresh();
    seen += chunk.length;
    if (seen > up.maxBodyBytes) return stop(new GatewayStop(413, 'PAYLOAD_TOO_LARGE', null));
    const out = trip.push(chunk);
    if (trip.found) return stop(new GatewayStop(403, 'TOKEN_EXPOSED', REASON_BODY));
    if (out.length > 0 && !upstream.write(out)) {
      req.pause();
      upstream.once('drain', () => req.resume());
    }
  });
  req.on('end', () => {
    clearTimeout(uploadIdle);
    if (stopped) return;
    const rest = trip.flush();
    if (rest.length > 0) upstream.end(rest);
    else upstream.end();
  });
  req.on('error', () => stop(new GatewayStop(400, 'BAD_REQUEST', null)));
}

function onResponse(
  answer: IncomingMessage,
  call: ProxyCall,
  tool: ToolInfo,
  stop: (e: GatewayStop) => void,
): void {
  const { res } = call;
  const status = answer.statusCode ?? 502;
  const headers = responseHeaders(answer.headers);
  let echoed = false;
  const locationHeader = headers.location;
  if (status >= 300 && status < 400 && locationHeader !== undefined) {
    const rewritten = sameOriginLocation(String(locationHeader), tool, call.path);
    if (rewritten === null) {
      answer.resume();
      stop(new GatewayStop(502, 'REDIRECT_REFUSED', REASON_REDIRECT));
      return;
    }
    headers.location = rewritten;
  }
  const decode = decoder(answer.headers['content-encoding']);
  if (decode === 'unknown') {
    answer.resume();
    stop(new GatewayStop(502, 'UPSTREAM_ENCODING', null));
    return;
  }
  if (decode !== null) {
    delete headers['content-encoding'];
    delete headers['content-length'];
  }
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) {
      headers[name] = value.map((v) => {
        const s = scrubText(v, call.forms);
        echoed ||= s.found;
        return s.text;
      });
    } else {
      const s = scrubText(value, call.forms);
      echoed ||= s.found;
      headers[name] = s.text;
    }
  }
  let reported = false;
  const onEcho = (): void => {
    if (reported) return;
    reported = true;
    void call.violation(REASON_ECHO);
  };
  if (echoed) onEcho();
  res.writeHead(status, headers);
  // the answer goes back as it comes (server-sent events flow), scrubbed
  const scrub = new StreamScrubber(call.forms);
  const source: IncomingMessage | Transform = decode === null ? answer : answer.pipe(decode);
  source.on('data', (chunk: Buffer) => {
    const out = scrub.push(chunk);
    if (scrub.found) onEcho();
    if (out.length > 0 && !res.write(out)) {
      source.pause();
      res.once('drain', () => source.resume());
    }
  });
  source.on('end', () => {
    const rest = scrub.flush();
    if (rest.length > 0) res.end(rest);
    else res.end();
  });
  source.on('error', () => res.destroy());
  answer.on('close', () => {
    if (!answer.complete) res.destroy();
  });
}
