/**
 * The free variables of the documentation examples (TSDoc `@example` blocks in src/ and the ```ts
 * blocks of README.md and docs/*.md), declared once so an example can read `await km.apiKeys.create(...)`
 * without building a manager first. test/docs/examples.test.ts compiles every example with this
 * file as a global script; a block that declares a name itself shadows the one here.
 *
 * Keep it short: a name belongs here when several examples use it with the same meaning. An example
 * needing anything else declares it (or builds it) in its own block.
 */
// the manager and the views around it
declare const km: import('../../src/index.js').KeyManager;
declare const access: import('../../src/access/index.js').AgentAccess;
declare const storage: import('../../src/index.js').StorageAdapter;
declare const kms: import('../../src/index.js').KmsAdapter;
declare const clock: import('../../src/index.js').Clock;
declare const notifier: import('../../src/index.js').Notifier;
declare const masterKey: string;
/** A connection string: `postgresStorage({ url })`. */
declare const url: string;
// the web frameworks of the README and docs/ (Hono on any runtime, Express on Node)
declare const app: import('hono').Hono;
declare const expressApp: import('express').Express;
// the values an example acts on
declare const token: string;
declare const id: string;
declare const key: import('../../src/index.js').ApiKeyInfo;
declare const now: number;
declare const signal: AbortSignal;
declare const input: unknown;
declare const options: unknown;
declare const secret: string;
declare const raw: string;
declare const request: Request;
declare const headers: Headers;
declare const bytes: Uint8Array;
declare const data: Uint8Array;
declare const body: Uint8Array;
declare const sig: Uint8Array;
declare const jwk: import('../../src/crypto/jwk-types.js').Jwk;
declare const bundle: import('../../src/backup/schema.js').BackupBundle;
// Node servers (the gateway and keywarden/middleware/node)
declare const req: import('node:http').IncomingMessage;
declare const res: import('node:http').ServerResponse;
// internal helpers' arguments (the @internal modules document their functions too)
declare const ctx: import('../../src/manager/store-context.js').ManagedStoreContext;
declare const state: import('../../src/records/context.js').StoreState;
declare const record: import('../../src/index.js').StoredRecord;
declare const version: import('../../src/index.js').StoredVersion;
declare const a: import('../../src/access/context.js').AccessContext;
declare const storeId: string;
declare const pepper: Uint8Array;
declare const dek: Uint8Array;
declare const wrapped: import('../../src/index.js').WrappedKey;
declare const signer: import('../../src/internal/audit-chain.js').AuditSigner;
// the CLI's commands
declare const program: import('commander').Command;
declare const cmd: import('commander').Command;
declare const getContext: (
  cmd: import('commander').Command,
) => Promise<import('../../src/cli/context.js').CliContext>;
declare const out: import('../../src/cli/io.js').Output;
