/**
 * `createGateway`: the egress injection gateway. Agents call `/{toolId}/{path}` with their proxy
 * token in the tool's auth slot; the gateway checks the token, spends one call, swaps the token for
 * the tool's secret and forwards the call to the tool's origin, and nowhere else.
 * @module
 */
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { parseDuration } from '../../duration.js';
import { KeywardenError } from '../../errors.js';
import { credentialHeader } from '../inject.js';
import { accessTelemetry } from '../telemetry.js';
import type { ToolInfo, UpstreamAuth } from '../types.js';
import { systemLookup } from './address.js';
import { forwardedHeadersWithout, tokenFromSlot } from './headers.js';
import { createAgents, originOf, type ProxyCall, proxy, type Upstreams } from './proxy.js';
import { refuse } from './respond.js';
import { secretForms } from './scrub.js';
import { type GatewayTarget, parseTarget, queryCarriesToken } from './target.js';
import type { Gateway, GatewayAccess, GatewayErrorCode, GatewayOptions } from './types.js';

const DEFAULT_MAX_BODY = 10 * 1024 * 1024;
const DEFAULT_TIMEOUT = '60s';
/** How long the token slot of a tool is remembered (the tool record itself is re-read by authorize). */
const SLOT_TTL_MS = 5_000;

function sameAuth(a: UpstreamAuth, b: UpstreamAuth): boolean {
  return a.type === b.type && (a.type !== 'header' || (b.type === 'header' && a.name === b.name));
}

/** Violation reasons (audit `data.reason`), as sentences like the ones `authorize` records. */
const REASONS = {
  connect: 'CONNECT request',
  upgrade: 'protocol upgrade request',
  absolute_form: 'absolute-form request target (names a host)',
  bad_path: 'path with dot segments or encoded separators',
  host: 'Host header names another host',
  unknownTool: 'unknown tool',
  tokenInQuery: 'proxy token in the query string',
  tokenInHeader: 'proxy token in a forwarded header',
} as const;

/** Whether a text has a character outside printable ASCII. */
function hasUnprintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return true;
  }
  return false;
}

function contextOf(req: IncomingMessage): { ip?: string; userAgent?: string } {
  const context: { ip?: string; userAgent?: string } = {};
  const ip = req.socket.remoteAddress;
  if (ip) context.ip = ip.length > 64 ? ip.slice(0, 64) : ip;
  const ua = req.headers['user-agent'];
  if (typeof ua === 'string') {
    const printable = hasUnprintable(ua) ? ua.replace(/[^\x20-\x7e]/g, '') : ua;
    context.userAgent = printable.length > 256 ? printable.slice(0, 256) : printable;
  }
  return context;
}

/** What the gateway puts on a tool's calls for one secret value: its echo forms and its header. */
interface Injection {
  secret: string;
  auth: UpstreamAuth;
  forms: Buffer[];
  /** Lower-case header name. */
  slot: string;
  /** The header value (secret: never logged). */
  value: string;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function validateOptions(options: GatewayOptions): Upstreams {
  const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new KeywardenError('ERR_VALIDATION', 'maxBodyBytes: must be a non-negative integer', {
      field: 'maxBodyBytes',
    });
  }
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_TIMEOUT, 'timeout');
  if (timeoutMs <= 0) {
    throw new KeywardenError('ERR_VALIDATION', 'timeout: must be positive', { field: 'timeout' });
  }
  if (
    options.allowedHosts !== undefined &&
    (!Array.isArray(options.allowedHosts) ||
      options.allowedHosts.some((h) => typeof h !== 'string' || h === ''))
  ) {
    throw new KeywardenError('ERR_VALIDATION', 'allowedHosts: must be an array of host[:port] strings', {
      field: 'allowedHosts',
    });
  }
  const ca = options.ca === undefined ? [] : Array.isArray(options.ca) ? options.ca : [options.ca];
  if (ca.some((c) => typeof c !== 'string' || !c.includes('-----BEGIN CERTIFICATE-----'))) {
    throw new KeywardenError('ERR_VALIDATION', 'ca: must be PEM certificates', { field: 'ca' });
  }
  if (options.lookup !== undefined && typeof options.lookup !== 'function') {
    throw new KeywardenError('ERR_VALIDATION', 'lookup: must be a function', { field: 'lookup' });
  }
  return { maxBodyBytes: max, timeoutMs, lookup: options.lookup ?? systemLookup, agents: createAgents(ca) };
}

function assertAccess(access: unknown): asserts access is GatewayAccess {
  const a = access as Partial<GatewayAccess> | null;
  if (
    typeof a !== 'object' ||
    a === null ||
    typeof a.authorize !== 'function' ||
    typeof a.reportViolation !== 'function' ||
    typeof a.verify !== 'function' ||
    typeof a.tools?.get !== 'function'
  ) {
    throw new KeywardenError('ERR_VALIDATION', 'access: must be an agentAccess(km) object', {
      field: 'access',
    });
  }
}

/**
 * Builds the gateway. Use it standalone (`listen`) or mount `handler` in your own server.
 *
 * Rules: the upstream is always the tool's configured origin (the `Host` header and absolute-form
 * targets are never used to route; CONNECT and upgrades are refused); the address dialed is
 * checked (private, loopback and link-local addresses only when the tool allows them) and the
 * socket is pinned to it; no redirect is followed; the agent's credentials and hop-by-hop headers
 * are stripped and the secret is put in the provider's slot; bodies stream both ways (server-sent
 * events work); echoes of the secret (raw, percent-encoded, JSON-escaped, hex, base64) are masked
 * in the answer's headers and body; nothing is logged. Refusals are `{ "error": CODE }`.
 *
 * @example
 * ```ts
 * import { agentAccess } from 'keywarden/access';
 * import { createGateway } from 'keywarden/access/gateway';
 *
 * const gw = createGateway(agentAccess(km), { maxBodyBytes: 1 << 20, timeout: '30s' });
 * const { url } = await gw.listen({ host: '127.0.0.1', port: 8787 });
 * // the agent: new OpenAI({ apiKey: proxyToken, baseURL: `${url}/openai/v1` })
 * ```
 * @example
 * ```ts
 * // mounted in an existing server
 * import { createServer } from 'node:http';
 * declare const gw: Gateway;
 * createServer((req, res) => (req.url?.startsWith('/health') ? res.end('ok') : gw.handler(req, res)));
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `access`, `maxBodyBytes`, `timeout`, `allowedHosts`,
 *   `ca` or `lookup`).
 */
export function createGateway(access: GatewayAccess, options: GatewayOptions = {}): Gateway {
  assertAccess(access);
  const upstreams = validateOptions(options);
  const allowedHosts = options.allowedHosts?.map((h) => h.toLowerCase()) ?? null;
  const slots = new Map<string, { auth: UpstreamAuth; at: number }>();
  const injections = new Map<string, Injection>();

  /** The remembered slot of a tool, while fresh (no promise on the common path). */
  function knownSlot(toolId: string): UpstreamAuth | undefined {
    const hit = slots.get(toolId);
    return hit !== undefined && Date.now() - hit.at < SLOT_TTL_MS ? hit.auth : undefined;
  }

  async function slotOf(toolId: string): Promise<UpstreamAuth> {
    const tool = await access.tools.get(toolId);
    slots.set(toolId, { auth: tool.upstream.auth, at: Date.now() });
    return tool.upstream.auth;
  }

  /** The secret's forms and the header that carries it, per tool, while the secret and slot stay the same. */
  function injectionOf(tool: ToolInfo, secret: string): Injection {
    const hit = injections.get(tool.id);
    if (hit !== undefined && hit.secret === secret && sameAuth(hit.auth, tool.upstream.auth)) return hit;
    const [slot, value] = credentialHeader(tool.upstream.auth, secret);
    const made: Injection = {
      secret,
      auth: tool.upstream.auth,
      forms: secretForms(secret),
      slot: slot.toLowerCase(),
      value,
    };
    if (injections.size >= 1024) injections.clear();
    injections.set(tool.id, made);
    return made;
  }

  async function sessionOf(token: string | null): Promise<string | null> {
    if (token === null) return null;
    try {
      const v = await access.verify(token);
      return v.valid ? v.session.id : null;
    } catch {
      return null;
    }
  }

  async function report(
    req: IncomingMessage,
    reason: string,
    toolId: string | null,
    token: string | null,
    sessionId?: string,
  ): Promise<void> {
    try {
      const sid = sessionId ?? (await sessionOf(token));
      await access.reportViolation({ toolId, sessionId: sid, reason, context: contextOf(req) });
    } catch {
      // the refusal stands whether or not the report could be written
    }
  }

  function hostAllowed(req: IncomingMessage): boolean {
    const hosts = allowedHosts ?? listenHosts;
    if (hosts === null) return true;
    const host = (req.headers.host ?? '').toLowerCase();
    return hosts.includes(host);
  }

  /** The tool of a request, once it names a registered one (metrics label; unknown ids are not labels). */
  const known = new WeakMap<ServerResponse, string>();

  /** Records a violation, then refuses (the refusal stands whether or not the report was written). */
  async function refuseReported(
    req: IncomingMessage,
    res: ServerResponse,
    reason: string,
    toolId: string | null,
    token: string | null,
    status: number,
    code: GatewayErrorCode,
  ): Promise<void> {
    await report(req, reason, toolId, token);
    refuse(res, status, code);
  }

  /** A violation during a forwarded call (one function for every call). */
  const callViolation = (call: ProxyCall, reason: string): Promise<void> =>
    report(call.req, reason, call.tool.id, null, call.sessionId);

  /**
   * Routes a request. The common path (the tool's slot remembered) runs without a promise of its
   * own until `authorize`; it returns a promise only on the paths that wait for something else.
   */
  function handle(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'CONNECT')
      return refuseReported(req, res, REASONS.connect, null, null, 400, 'BAD_REQUEST');
    const target = parseTarget(req.url);
    if (typeof target === 'string') {
      if (target === 'bad_target') return void refuse(res, 400, 'BAD_REQUEST');
      return refuseReported(req, res, REASONS[target], null, null, 400, 'BAD_REQUEST');
    }
    if (!hostAllowed(req)) return refuseReported(req, res, REASONS.host, null, null, 400, 'BAD_REQUEST');
    const { toolId } = target;
    const auth = knownSlot(toolId);
    if (auth !== undefined) return routed(req, res, method, target, auth);
    return slotOf(toolId).then(
      (slot) => routed(req, res, method, target, slot),
      (e: unknown) => {
        if (e instanceof KeywardenError && e.code === 'ERR_NOT_FOUND') {
          return refuseReported(req, res, REASONS.unknownTool, toolId, null, 403, 'FORBIDDEN');
        }
        refuse(res, 503, 'UNAVAILABLE');
      },
    );
  }

  /** A request for a registered tool: the token's checks, then `authorize`, then the upstream. */
  function routed(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    target: GatewayTarget,
    auth: UpstreamAuth,
  ): Promise<void> | undefined {
    const { toolId } = target;
    if (telemetry?.enabled === true) known.set(res, toolId); // a registered tool: a bounded label
    const token = tokenFromSlot(req.headers, auth);
    if (queryCarriesToken(target.search, token)) {
      return refuseReported(req, res, REASONS.tokenInQuery, toolId, token, 403, 'TOKEN_EXPOSED');
    }
    if (token === null) return void refuse(res, 401, 'MISSING');
    const headers = forwardedHeadersWithout(req.headers, auth, token);
    if (headers === null) {
      return refuseReported(req, res, REASONS.tokenInHeader, toolId, token, 403, 'TOKEN_EXPOSED');
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (!(length <= upstreams.maxBodyBytes)) return void refuse(res, 413, 'PAYLOAD_TOO_LARGE');
    let pending: ReturnType<GatewayAccess['authorize']>;
    try {
      pending = access.authorize(token, { toolId, method, path: target.path, context: contextOf(req) });
    } catch {
      return void refuse(res, 503, 'UNAVAILABLE');
    }
    // both callbacks end the request themselves: the promise this returns never rejects
    return pending.then(
      (granted) => {
        try {
          forward(req, res, target, auth, headers, token, granted);
        } catch {
          refuse(res, 502, 'UPSTREAM_ERROR');
        }
      },
      () => refuse(res, 503, 'UNAVAILABLE'),
    );
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    target: GatewayTarget,
    auth: UpstreamAuth,
    headers: OutgoingHttpHeaders,
    token: string,
    granted: Awaited<ReturnType<GatewayAccess['authorize']>>,
  ): void {
    if (!granted.ok) {
      refuse(res, granted.status, granted.code); // authorize records FORBIDDEN as a violation
      return;
    }
    const { tool, secret, session } = granted;
    if (tool.id !== target.toolId || !sameAuth(tool.upstream.auth, auth)) {
      slots.delete(target.toolId); // the tool changed under the cached slot: the agent retries
      refuse(res, 401, 'MALFORMED');
      return;
    }
    const injection = injectionOf(tool, secret);
    headers.host = originOf(tool.upstream.origin).host;
    headers['accept-encoding'] = 'identity';
    headers[injection.slot] = injection.value;
    proxy(upstreams, {
      req,
      res,
      tool,
      path: target.search === '' ? target.path : target.path + target.search,
      headers: headers as Record<string, string | string[] | number>,
      token,
      forms: injection.forms,
      sessionId: session.id,
      violation: callViolation,
    });
  }

  const telemetry = accessTelemetry(access);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (telemetry?.enabled === true) countOutcome(telemetry, res, known);
    let pending: Promise<void> | undefined;
    try {
      pending = handle(req, res);
    } catch {
      refuse(res, 502, 'UPSTREAM_ERROR');
      return;
    }
    pending?.catch(() => refuse(res, 502, 'UPSTREAM_ERROR'));
  };

  let server: Server | null = null;
  let url: string | null = null;
  let listenHosts: string[] | null = null;

  const refuseSocket = (req: IncomingMessage, socket: Duplex, reason: string): void => {
    const body = '{"error":"BAD_REQUEST"}';
    socket.end(
      `HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
    void report(req, reason, null, null);
  };

  return {
    handler,
    get url(): string {
      if (url === null) throw new KeywardenError('ERR_INVALID_STATE', 'gateway: call listen() first');
      return url;
    },
    async listen(opts = {}) {
      if (server !== null) throw new KeywardenError('ERR_INVALID_STATE', 'gateway: already listening');
      const host = opts.host ?? '127.0.0.1';
      const s = createServer(handler);
      s.on('connect', (req: IncomingMessage, socket: Duplex) => refuseSocket(req, socket, REASONS.connect));
      s.on('upgrade', (req: IncomingMessage, socket: Duplex) => refuseSocket(req, socket, REASONS.upgrade));
      server = s;
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(opts.port ?? 0, host, () => {
          s.off('error', reject);
          resolve();
        });
      });
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port;
      const authority = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      url = `http://${authority}`;
      // on a named address, the Host header must name it (or localhost on loopback); on 0.0.0.0 / :: any
      listenHosts =
        host === '0.0.0.0' || host === '::'
          ? null
          : [authority, ...(isLoopback(host) ? [`localhost:${port}`] : [])].map((h) => h.toLowerCase());
      return { url };
    },
    async close() {
      const s = server;
      server = null;
      url = null;
      listenHosts = null;
      for (const pair of Object.values(upstreams.agents)) for (const a of pair) a.destroy();
      upstreams.sweep?.stop();
      if (s !== null) {
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        });
      }
      // the calls' queued audit rows and counts (auditBatch), once no call can add more
      await access.flush?.();
    },
    async [Symbol.asyncDispose]() {
      await this.close();
    },
  };
}

/**
 * Counts one gateway request when its response is finished (or cut):
 * `keywarden.gateway.requests{tool, outcome}`, outcome the HTTP status class (`2xx`...) or `aborted`,
 * tool the registered tool id or `unknown`.
 */
function countOutcome(
  telemetry: NonNullable<ReturnType<typeof accessTelemetry>>,
  res: ServerResponse,
  known: WeakMap<ServerResponse, string>,
): void {
  let done = false;
  const count = (outcome: string): void => {
    if (done) return;
    done = true;
    telemetry.gatewayRequest(known.get(res) ?? 'unknown', outcome);
  };
  res.once('finish', () => count(`${Math.floor(res.statusCode / 100)}xx`));
  res.once('close', () => count(res.writableFinished ? `${Math.floor(res.statusCode / 100)}xx` : 'aborted'));
}
