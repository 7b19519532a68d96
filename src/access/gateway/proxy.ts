/**
 * The upstream half of a gateway call: dial the tool's origin (never a host the agent named) on
 * a pooled keep-alive connection whose address was checked, stream the body up with a byte limit
 * and a proxy-token tripwire, and stream the answer back with the secret scrubbed out. No redirect
 * is followed; one that stays on the origin is passed back rewritten to the gateway's path.
 * @module
 */
import {
  type ClientRequest,
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
import { StreamScrubber, scrubText, shortestForm } from './scrub.js';
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
  /** The session of the call (for violation reports). */
  sessionId: string;
  /** Records a violation of this call (never rejects); one function per gateway, not per call. */
  violation: (call: ProxyCall, reason: string) => Promise<void>;
}

/**
 * The idle deadlines of the calls in flight: one shared, unref'd interval per gateway instead of
 * timers per call. A call times out when no byte of it moved (the agent's upload, the upstream's
 * answer) for `timeoutMs`; the check runs every `timeoutMs / 8` (at most every second), so a
 * timeout fires between `timeoutMs` and about `1.25 × timeoutMs` of idleness.
 */
export class IdleSweep {
  /** The calls in flight, as an intrusive list (no hashing per call). */
  private head: Call | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly step: number;

  /**
   * @example
   * ```ts
   * const sweep = new IdleSweep(60_000);
   * ```
   * @throws never
   */
  constructor(readonly timeoutMs: number) {
    this.step = Math.max(5, Math.min(1000, Math.ceil(timeoutMs / 8)));
  }

  /** Watches a call (its idle time counts from the next check). @throws never */
  add(call: Call): void {
    call.moved = true;
    call.prev = null;
    call.next = this.head;
    if (this.head !== null) this.head.prev = call;
    this.head = call;
    call.listed = true;
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.step);
      this.timer.unref();
    }
  }

  /** Stops watching a call. @throws never */
  delete(call: Call): void {
    if (!call.listed) return;
    call.listed = false;
    if (call.prev !== null) call.prev.next = call.next;
    else this.head = call.next;
    if (call.next !== null) call.next.prev = call.prev;
    call.prev = null;
    call.next = null;
  }

  /** Stops the interval (the gateway closes). @throws never */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    while (this.head !== null) this.delete(this.head);
  }

  private sweep(): void {
    if (this.head === null) {
      this.stop(); // restarted by the next call
      return;
    }
    const now = Date.now();
    for (let call: Call | null = this.head; call !== null; ) {
      const next: Call | null = call.next;
      if (call.moved) {
        call.moved = false;
        call.since = now;
      } else if (now - call.since >= this.timeoutMs) {
        this.delete(call);
        call.stop(504, 'UPSTREAM_TIMEOUT', null);
      }
      call = next;
    }
  }
}

/** Shared state of one gateway: connection pools, limits, resolver, idle deadlines. */
export interface Upstreams {
  maxBodyBytes: number;
  timeoutMs: number;
  lookup: GatewayLookup;
  /** One pool per scheme and private-network rule, so a socket checked under one rule never serves another. */
  agents: Record<'http' | 'https', [strict: HttpAgent, privateOk: HttpAgent]>;
  /** `guardedLookup(lookup, false)` and `guardedLookup(lookup, true)`, built once (set by {@link proxy}). */
  lookups?: [strict: LookupFunction, privateOk: LookupFunction];
  /** The idle deadlines of the calls in flight (set by {@link proxy} when absent). */
  sweep?: IdleSweep;
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

function decoder(encoding: string | undefined): Transform | null | 'unknown' {
  if (encoding === undefined) return null;
  const e = encoding.trim().toLowerCase();
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
 * declare const sessionId: string;
 * declare const violation: (call: ProxyCall, reason: string) => Promise<void>;
 * const headers = forwardedHeadersWithout(req.headers, tool.upstream.auth, token) as Record<string, string | string[]>;
 * proxy(upstreams, { req, res, tool, path, headers, token, forms, sessionId, violation });
 * ```
 * @throws never
 */
export function proxy(up: Upstreams, call: ProxyCall): void {
  const origin = originOf(call.tool.upstream.origin);
  const allowPrivate = call.tool.upstream.allowPrivateNetwork === true;
  if (origin.literal !== null && !origin.literal[allowPrivate ? 1 : 0]) {
    void call.violation(call, REASON_ADDRESS).then(() => refuse(call.res, 502, 'ADDRESS_REFUSED'));
    return;
  }
  up.sweep ??= new IdleSweep(up.timeoutMs);
  new Call(up, call, origin, allowPrivate);
}

/**
 * One call in flight: its listeners are this object's methods (no timers or closures of its own
 * on the common path); the gateway's {@link IdleSweep} times it out.
 */
class Call {
  /** The answer is over (sent, refused or cut): late events of this call do nothing. */
  stopped = false;
  /** Bytes moved since the sweep last looked (set on every chunk, cleared by the sweep). */
  moved = false;
  /** When the call last moved, as the sweep saw it (ms). */
  since = 0;
  /** Links of the sweep's list. */
  prev: Call | null = null;
  next: Call | null = null;
  listed = false;
  private readonly upstream: ClientRequest;
  private readonly sweep: IdleSweep;
  private seen = 0;
  private trip: StreamScrubber | null = null;
  private scrub: StreamScrubber | null = null;
  private reported = false;

  constructor(
    private readonly up: Upstreams,
    private readonly call: ProxyCall,
    origin: Origin,
    allowPrivate: boolean,
  ) {
    const { req, res } = call;
    this.sweep = up.sweep as IdleSweep;
    const upstream = (origin.https ? httpsRequest : httpRequest)({
      hostname: origin.hostname,
      port: origin.port,
      method: req.method,
      path: call.path,
      headers: call.headers,
      agent: up.agents[origin.https ? 'https' : 'http'][allowPrivate ? 1 : 0],
      lookup: lookupsOf(up)[allowPrivate ? 1 : 0],
    });
    this.upstream = upstream;
    this.sweep.add(this);
    upstream.on('error', (err: Error) => {
      if (err instanceof AddressRefusedError) this.stop(502, 'ADDRESS_REFUSED', REASON_ADDRESS);
      else this.stop(502, 'UPSTREAM_ERROR', null);
    });
    // once the answer is over (sent or cut), late sweeps and socket events of this call do nothing
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
      this.stopped = true;
      this.sweep.delete(this);
    });
    upstream.on('response', (answer: IncomingMessage) => {
      if (!this.stopped) this.answer(answer);
      else answer.resume();
    });

    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      upstream.end();
      req.resume();
      return;
    }
    // the body goes up as it comes, counted, and with the proxy token as a tripwire: the scrubber
    // holds back any bytes that could start the token, so no part of it ever leaves
    this.trip = new StreamScrubber([Buffer.from(call.token, 'utf8')]);
    req.on('data', (chunk: Buffer) => this.upload(chunk));
    req.on('end', () => this.uploaded());
    req.on('error', () => this.stop(400, 'BAD_REQUEST', null));
  }

  /** Ends the call with a refusal (or a cut stream once the answer began). @throws never */
  stop(status: number, code: GatewayErrorCode, reason: string | null): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sweep.delete(this);
    this.upstream.destroy();
    const { req, res } = this.call;
    if (!req.complete) {
      res.shouldKeepAlive = false; // the rest of the upload is drained, then the connection closes
      req.resume();
    }
    if (reason === null) refuse(res, status, code);
    else void this.call.violation(this.call, reason).then(() => refuse(res, status, code));
  }

  private upload(chunk: Buffer): void {
    if (this.stopped) return;
    this.moved = true;
    this.seen += chunk.length;
    if (this.seen > this.up.maxBodyBytes) {
      this.stop(413, 'PAYLOAD_TOO_LARGE', null);
      return;
    }
    const trip = this.trip as StreamScrubber;
    const out = trip.push(chunk);
    if (trip.found) {
      this.stop(403, 'TOKEN_EXPOSED', REASON_BODY);
      return;
    }
    if (out.length > 0 && !this.upstream.write(out)) {
      const { req } = this.call;
      req.pause();
      this.upstream.once('drain', () => req.resume());
    }
  }

  private uploaded(): void {
    if (this.stopped) return;
    const rest = (this.trip as StreamScrubber).flush();
    if (rest.length > 0) this.upstream.end(rest);
    else this.upstream.end();
  }

  private echoed(): void {
    if (this.reported) return;
    this.reported = true;
    void this.call.violation(this.call, REASON_ECHO);
  }

  private answer(answer: IncomingMessage): void {
    const { res, forms, tool } = this.call;
    this.moved = true;
    const status = answer.statusCode ?? 502;
    const headers = responseHeaders(answer.headers);
    const locationHeader = headers.location;
    if (status >= 300 && status < 400 && locationHeader !== undefined) {
      const rewritten = sameOriginLocation(String(locationHeader), tool, this.call.path);
      if (rewritten === null) {
        answer.resume();
        this.stop(502, 'REDIRECT_REFUSED', REASON_REDIRECT);
        return;
      }
      headers.location = rewritten;
    }
    const decode = decoder(answer.headers['content-encoding']);
    if (decode === 'unknown') {
      answer.resume();
      this.stop(502, 'UPSTREAM_ENCODING', null);
      return;
    }
    if (decode !== null) {
      delete headers['content-encoding'];
      delete headers['content-length'];
    }
    if (scrubHeaders(headers, forms)) this.echoed();
    res.writeHead(status, headers);
    // the answer goes back as it comes (server-sent events flow), scrubbed
    this.scrub = new StreamScrubber(forms);
    const source: IncomingMessage | Transform = decode === null ? answer : answer.pipe(decode);
    source.on('data', (chunk: Buffer) => this.download(source, chunk));
    source.on('end', () => {
      const rest = (this.scrub as StreamScrubber).flush();
      if (rest.length > 0) res.end(rest);
      else res.end();
    });
    source.on('error', () => res.destroy());
    answer.on('close', () => {
      if (!answer.complete) res.destroy();
    });
  }

  private download(source: IncomingMessage | Transform, chunk: Buffer): void {
    this.moved = true;
    const scrub = this.scrub as StreamScrubber;
    const out = scrub.push(chunk);
    if (scrub.found) this.echoed();
    const { res } = this.call;
    if (out.length > 0 && !res.write(out)) {
      source.pause();
      res.once('drain', () => source.resume());
    }
  }
}

/** Masks the forms in the answer's header values (in place); whether one was found. */
function scrubHeaders(headers: Record<string, string | string[]>, forms: readonly Buffer[]): boolean {
  const min = shortestForm(forms);
  let echoed = false;
  for (const name of Object.keys(headers)) {
    const value = headers[name] as string | string[];
    if (typeof value === 'string') {
      if (value.length < min) continue; // too short to hold any form
      const s = scrubText(value, forms);
      echoed ||= s.found;
      headers[name] = s.text;
    } else {
      headers[name] = value.map((v) => {
        const s = scrubText(v, forms);
        echoed ||= s.found;
        return s.text;
      });
    }
  }
  return echoed;
}
