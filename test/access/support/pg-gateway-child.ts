/**
 * A gateway process for the multi-process test: a key manager on the PostgreSQL store given by
 * KW_PG_URL / KW_PG_SCHEMA / KEYWARDEN_MASTER_KEY, an access object, and a gateway on 127.0.0.1.
 * Prints its URL as the first stdout line; exits on SIGTERM.
 */

import { createGateway } from '../../../src/access/gateway/index.js';
import { agentAccess } from '../../../src/access/index.js';
import { postgresStorage } from '../../../src/adapters/postgres.js';
import { localKms } from '../../../src/kms/index.js';
import { createKeyManager } from '../../../src/manager/key-manager.js';

const url = process.env['KW_PG_URL'] as string;
const schema = process.env['KW_PG_SCHEMA'] as string;
const masterKey = process.env['KEYWARDEN_MASTER_KEY'] as string;
const km = createKeyManager({
  storage: postgresStorage({ url, schema, max: 4 }),
  kms: localKms({ masterKey }),
});
await km.ready();
const gw = createGateway(agentAccess(km));
const { url: listening } = await gw.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${listening}\n`);
process.once('SIGTERM', () => {
  void gw
    .close()
    .then(() => km.close())
    .then(() => process.exit(0));
});
