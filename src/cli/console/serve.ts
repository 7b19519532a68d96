/**
 * `startConsole`: the web console on a loopback-only node:http server. It verifies the operator
 * key once at start (the console acts with its scopes; every API call verifies it again), then
 * answers only to `127.0.0.1:<port>` and `localhost:<port>` as Host.
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeywardenError } from '../../errors.js';
import type { AccessLike } from '../../http/access-types.js';
import { grantsOperatorPower } from '../../http/auth.js';
import { type NodeRequestHandler, nodeHandler } from '../../http/node.js';
import type { KeyManager } from '../../manager/key-manager.js';
import { type ConsoleOperator, consoleHandler } from './handler.js';
import { type ConsoleLoginOptions, consoleLogin } from './login.js';

/** Options of {@link startConsole}. */
export interface StartConsoleOptions extends ConsoleLoginOptions {
  km: KeyManager;
  access?: AccessLike | undefined;
  /** The operator API key the console acts with (scopes `keywarden:*`); never sent to the browser. */
  operatorToken: string;
  /** Port on 127.0.0.1 (default 0: a free one). */
  port?: number;
}

/** A running console. */
export interface RunningConsole {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly operator: ConsoleOperator;
  /** A new one-time login link (any earlier unused one stops working). Print it once; never log it. */
  loginLink(): string;
  /** Stops the server and ends every session. */
  close(): Promise<void>;
}

/**
 * Verifies the operator key and returns who the console acts as.
 *
 * @example
 * ```ts
 * const operator = await consoleOperator(km, process.env.KEYWARDEN_OPERATOR_KEY ?? '');
 * ```
 * @throws KeywardenError `ERR_FORBIDDEN` when the key does not verify (the key is never in the
 *   message), holds no `keywarden:` scope or is bound to a tenant.
 */
export async function consoleOperator(km: KeyManager, token: string): Promise<ConsoleOperator> {
  const r = await km.apiKeys.verify(token);
  if (!r.valid) {
    throw new KeywardenError('ERR_FORBIDDEN', `the operator key is not valid (${r.code})`, {
      field: 'KEYWARDEN_OPERATOR_KEY',
    });
  }
  const scopes = r.key.scopes.filter((s) => s.startsWith('keywarden:'));
  if (!grantsOperatorPower(scopes) || r.key.tenantId !== null) {
    throw new KeywardenError(
      'ERR_FORBIDDEN',
      'the operator key needs a keywarden: scope (keywarden:read, :write, :approve, :reveal or :admin) and no tenant',
      { field: 'KEYWARDEN_OPERATOR_KEY' },
    );
  }
  return { id: r.key.ownerId ?? r.key.id, keyId: r.key.id, scopes };
}

/**
 * Starts the console on 127.0.0.1 only.
 *
 * @example
 * ```ts
 * declare const operatorToken: string;
 * const console = await startConsole({ km, access: agentAccess(km), operatorToken, port: 8787 });
 * process.stdout.write(`${console.loginLink()}\n`);
 * ```
 * @throws KeywardenError from {@link consoleOperator}; the listen error (e.g. `EADDRINUSE`).
 */
export async function startConsole(options: StartConsoleOptions): Promise<RunningConsole> {
  const operator = await consoleOperator(options.km, options.operatorToken);
  const login = consoleLogin(options);
  let hosts: string[] = [];
  const handler = consoleHandler({
    km: options.km,
    access: options.access,
    operatorToken: options.operatorToken,
    operator,
    login,
    hosts: () => hosts,
  });
  let serve: NodeRequestHandler | null = null; // set once the port is known
  const server: Server = createServer((req, res) => {
    if (serve === null) {
      res.statusCode = 503;
      res.end();
    } else void serve(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  hosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  serve = nodeHandler(handler, { origin });
  return {
    url: origin,
    operator,
    loginLink: () => `${origin}/login?token=${login.newLinkToken()}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
