/** A real node:http webhook receiver on 127.0.0.1 for the notifier tests. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../../src/notifiers/signature.js';
import type { KeyEvent } from '../../src/ports/notifier.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  verified: boolean;
}

/** What to do with request number `n` (0-based): answer with a status, or never answer. */
export type Behaviour = (n: number, req: ReceivedRequest) => number | 'hang';

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Bodies of the requests answered 2xx whose signature verified, parsed. */
  events(): KeyEvent[];
  close(): Promise<void>;
}

export async function startReceiver(secret: string, behaviour: Behaviour = () => 200): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const delivered: KeyEvent[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const entry: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: raw.toString('utf8'),
        verified: verifyWebhookSignature({
          payload: new Uint8Array(raw),
          header: req.headers['keywarden-signature'],
          secret,
        }),
      };
      const n = requests.length;
      requests.push(entry);
      const action = entry.verified ? behaviour(n, entry) : 401;
      if (action === 'hang') return; // never answer
      if (action >= 200 && action < 300) delivered.push(JSON.parse(entry.body) as KeyEvent);
      res.writeHead(action, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/keywarden`,
    requests,
    events: () => [...delivered],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
