/**
 * `keywarden api-keys` is the command for API keys; `keys` stays as a deprecated alias of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InitializedStore, initializedStore, type RunResult } from './harness.js';

const T = 180_000;
let store: InitializedStore;
const run = (args: string[], input?: string): Promise<RunResult> => store.run(args, input);

beforeAll(async () => {
  store = await initializedStore(); // keywarden init, checked
}, T);
afterAll(() => store.cleanup());

describe('api-keys command', () => {
  it('api-keys and its alias keys act on the same API keys', { timeout: T }, async () => {
    const created = await run(['--json', 'api-keys', 'create', '--name', 'svc']);
    expect(created.code).toBe(0);
    const { token, key } = JSON.parse(created.stdout) as { token: string; key: { id: string } };
    const listed = await run(['--json', 'keys', 'list']);
    expect(listed.code).toBe(0);
    expect(JSON.stringify(JSON.parse(listed.stdout))).toContain(key.id);
    expect((await run(['api-keys', 'verify', token])).code).toBe(0);
    expect((await run(['keys', 'revoke', key.id])).code).toBe(0);
    const after = await run(['api-keys', 'verify', token]);
    expect(after.code).toBe(1);
    expect(after.stdout).toContain('REVOKED');
    const help = await run(['--help']);
    expect(help.stdout).toMatch(/api-keys\|keys/);
  });
});
