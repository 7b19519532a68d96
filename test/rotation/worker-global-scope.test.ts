/**
 * Cloudflare Workers refuse some operations in global scope, where a manager is usually built
 * (`Disallowed operation called within global scope`): timers, `new AbortController()`, random
 * numbers. Building a manager (and agent access over it) must do none of them; they may happen on
 * first use.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createKeyManager } from '../../src/manager/key-manager.js';

const forbid = (name: string) => () => {
  throw new Error(`${name} called while building the manager`);
};

describe('building a manager in a Worker global scope', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('calls no timer, AbortController or random source until first use', async () => {
    const kms = localKms({ masterKey: generateMasterKey() });
    const storage = memoryStorage();
    const RealAbortController = AbortController;
    vi.stubGlobal('AbortController', forbid('new AbortController()'));
    vi.stubGlobal('setTimeout', forbid('setTimeout'));
    vi.stubGlobal('setInterval', forbid('setInterval'));
    vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(forbid('crypto.getRandomValues'));
    const km = createKeyManager({ storage, kms });
    const access = agentAccess(km);
    expect(typeof km.rotator.runDue).toBe('function');
    expect(typeof access.verify).toBe('function');
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
    expect(globalThis.AbortController).toBe(RealAbortController);

    // first use (a request handler, where Workers allow all of it) works
    const { token } = await km.apiKeys.create({ name: 'worker' });
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    expect((await km.rotator.runDue()).failed).toEqual([]);
    await km.close();
  });
});
