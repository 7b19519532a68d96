/**
 * The free variables of the documentation examples (TSDoc `@example` blocks in src/, ```ts blocks
 * in README.md and docs/), declared once so an example can read `await km.apiKeys.create(...)`
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
// the values an example acts on
declare const token: string;
declare const id: string;
declare const now: number;
declare const signal: AbortSignal;
declare const input: unknown;
declare const request: Request;
declare const bytes: Uint8Array;
// internal helpers' arguments (the @internal modules document their functions too)
declare const ctx: import('../../src/records/context.js').StoreContext;
declare const state: import('../../src/records/context.js').StoreState;
declare const record: import('../../src/index.js').StoredRecord;
declare const a: import('../../src/access/context.js').AccessContext;
declare const program: import('commander').Command;
