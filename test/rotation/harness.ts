/**
 * Test harness for the rotator: one store context over a (possibly shared) memory storage, the
 * typed views and `createRotator(ctx)`, a fake clock and a notifier capturing every event.
 */
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { createStoreContext } from '../../src/manager/store-context.js';
import { callbackNotifier } from '../../src/notifiers/callback.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { memoryRateLimiter } from '../../src/rate-limit/memory.js';
import { createRotator } from '../../src/rotation/rotator.js';
import { createApiKeysView } from '../../src/store/api-keys.js';
import { createKeysView } from '../../src/store/keys.js';
import { createSecretsView } from '../../src/store/secrets.js';
import { type FakeClock, fakeClock } from '../../src/testing/fake-clock.js';

export const DAY = 86_400_000;

export interface HarnessOptions {
  storage?: StorageAdapter;
  masterKey?: string;
  clock?: FakeClock;
}

export function harness(options: HarnessOptions = {}) {
  const clock = options.clock ?? fakeClock();
  const storage = options.storage ?? memoryStorage();
  const masterKey = options.masterKey ?? generateMasterKey();
  const events: KeyEvent[] = [];
  const ctx = createStoreContext({
    storage,
    kms: localKms({ masterKey }),
    clock,
    options: { apiKeyPrefix: 'kw', expiresIn: null, verifications: 'failures' },
    rateLimiter: memoryRateLimiter(),
    notifier: callbackNotifier((e) => {
      events.push(e);
    }),
  });
  return {
    ctx,
    clock,
    storage,
    masterKey,
    events,
    apiKeys: createApiKeysView(ctx),
    secrets: createSecretsView(ctx),
    keys: createKeysView(ctx),
    rotator: createRotator(ctx),
    ofType: <T extends KeyEvent['type']>(type: T) =>
      events.filter((e): e is Extract<KeyEvent, { type: T }> => e.type === type),
  };
}

export type Harness = ReturnType<typeof harness>;
