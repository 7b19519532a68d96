/**
 * `createKeyManager({ logger })`: a failing notifier, a failed audit write, compare-and-swap retries
 * given up and throttled verify-failure rows reach the logger, in pino's `(fields, message)` shape,
 * and nothing secret ever does (tokens, secret values, a webhook's secret or URL path).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { KeywardenError } from '../../src/errors.js';
import { createKeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import { callbackNotifier, generateWebhookSecret, webhookNotifier } from '../../src/notifiers/index.js';
import type { StorageAdapter } from '../../src/ports/storage.js';
import { createTestKeyManager } from '../../src/testing/index.js';

interface Line {
  level: 'error' | 'warn' | 'info' | 'debug';
  fields: Record<string, unknown>;
  message: string;
}

/** A pino-shaped logger that keeps every line. */
function recordingLogger(): { lines: Line[]; logger: Record<Line['level'], (f: object, m: string) => void> } {
  const lines: Line[] = [];
  const at =
    (level: Line['level']) =>
    (fields: object, message: string): void => {
      lines.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return { lines, logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } };
}

/** Resolves once `lines` holds a line with `message` (the notifier runs in the background). */
async function waitFor(lines: Line[], message: string): Promise<Line> {
  for (let i = 0; i < 500; i++) {
    const found = lines.find((l) => l.message === message);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no log line "${message}"`);
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('logger', () => {
  it('logs a failing webhook notifier without its secret, URL path, or any token', async () => {
    const server: Server = createServer((req, res) => {
      req.resume();
      res.writeHead(500).end('internal error: hook-secret-5f2a');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const { port } = server.address() as AddressInfo;
    const signingSecret = generateWebhookSecret(); // Standard Webhooks, the notifier's default scheme
    const notifier = webhookNotifier({
      url: `http://127.0.0.1:${port}/hooks/path-token-9c1e?sig=query-secret-77aa`,
      secret: signingSecret,
      retries: 0,
    });
    const { lines, logger } = recordingLogger();
    const { km } = createTestKeyManager({ notifier, logger });
    cleanups.push(() => km.close());
    const { token, key } = await km.apiKeys.create({ name: 'ci' });
    await km.secrets.set('STRIPE', 'sk_live_value_1234');
    await km.secrets.get('STRIPE');

    const line = await waitFor(lines, 'notifier failed; the event was not delivered');
    expect(line.level).toBe('warn');
    expect(line.fields).toMatchObject({ lib: 'keywarden', event: 'key.created', keyId: key.id });
    expect(line.fields.error).toMatchObject({ name: 'KeywardenError', code: 'ERR_NOTIFY' });
    const text = JSON.stringify(lines);
    for (const secret of [
      token,
      'sk_live_value_1234',
      signingSecret,
      signingSecret.slice('whsec_'.length),
      'path-token-9c1e',
      'query-secret-77aa',
      'hook-secret-5f2a',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('keeps only the name of a foreign error (its message may quote a secret)', async () => {
    const { lines, logger } = recordingLogger();
    let seen = '';
    // a notifier of its own (callbackNotifier would wrap the error in ERR_NOTIFY)
    const notifier = {
      notify: async () => {
        throw new TypeError(`cannot post ${seen}`);
      },
    };
    const { km } = createTestKeyManager({ notifier, logger });
    cleanups.push(() => km.close());
    const { token } = await km.apiKeys.create({ name: 'ci' });
    seen = token;
    await km.rotator.rotate((await km.apiKeys.list()).items[0]!.id);
    const line = await waitFor(lines, 'notifier failed; the event was not delivered');
    expect(line.fields.error).toEqual({ name: 'TypeError' });
    await new Promise((r) => setTimeout(r, 20));
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it('logs a refused audit write as an error; a throwing logger fails nothing', async () => {
    const inner = memoryStorage();
    let fail = false;
    const storage: StorageAdapter = {
      ...inner,
      name: inner.name,
      appendAudit: (e) => (fail ? Promise.reject(new Error('disk full at /var/kw')) : inner.appendAudit(e)),
    };
    const { lines, logger } = recordingLogger();
    const { km } = createTestKeyManager({ storage, logger });
    cleanups.push(() => km.close());
    await km.ready();
    fail = true;
    await expect(km.secrets.set('A', 'secret-value-a')).rejects.toMatchObject({ code: 'ERR_AUDIT' });
    const line = lines.find((l) => l.message === 'audit write failed; the operation is refused');
    expect(line?.level).toBe('error');
    expect(line?.fields).toMatchObject({ error: { name: 'KeywardenError', code: 'ERR_STORAGE' } });
    expect(line?.fields.events).toEqual(expect.arrayContaining([expect.any(String)]));
    expect(JSON.stringify(lines)).not.toContain('secret-value-a');
    expect(JSON.stringify(lines)).not.toContain('/var/kw'); // the driver's message stays out

    const throwing = {
      warn: () => {
        throw new Error('logger down');
      },
    };
    const km2 = createTestKeyManager({
      logger: throwing,
      notifier: callbackNotifier(() => Promise.reject(new Error('x'))),
    }).km;
    cleanups.push(() => km2.close());
    const { token } = await km2.apiKeys.create({ name: 'ok' });
    expect((await km2.apiKeys.verify(token)).valid).toBe(true);
  });

  it('logs verify failures the audit throttle suppressed, with the count and no token', async () => {
    const { lines, logger } = recordingLogger();
    const { km, clock } = createTestKeyManager({ logger });
    cleanups.push(() => km.close());
    const { token, key } = await km.apiKeys.create({ name: 'ci' });
    await km.apiKeys.revoke(key.id);
    for (let i = 0; i < 4; i++) expect((await km.apiKeys.verify(token)).valid).toBe(false);
    clock.advance('61s');
    await km.apiKeys.verify(token);
    const line = lines.find((l) => l.message === 'verify failures throttled in the audit log');
    expect(line?.fields).toMatchObject({ recordId: key.id, code: 'REVOKED', suppressed: 3 });
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it('logs compare-and-swap retries given up', async () => {
    const inner = memoryStorage();
    let conflict = false;
    const storage: StorageAdapter = {
      ...inner,
      name: inner.name,
      update: (r, o) =>
        conflict
          ? Promise.reject(new KeywardenError('ERR_CONFLICT', 'revision changed'))
          : inner.update(r, o),
    };
    const { lines, logger } = recordingLogger();
    const { km } = createTestKeyManager({ storage, logger, usage: false });
    cleanups.push(() => km.close());
    const { key } = await km.apiKeys.create({ name: 'contended' });
    conflict = true;
    await expect(km.apiKeys.update(key.id, { tags: ['x'] })).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
    const line = lines.find((l) => l.message === 'compare-and-swap retries exhausted');
    expect(line?.level).toBe('warn');
    expect(line?.fields).toMatchObject({ recordId: key.id, attempts: 50 });
  }, 20_000);

  it('rejects a logger without any log method, naming the field', () => {
    const base = { storage: memoryStorage(), kms: localKms({ masterKey: generateMasterKey() }) };
    expect(() => createKeyManager({ ...base, logger: {} as never })).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'logger' }),
    );
    expect(() => createKeyManager({ ...base, logger: { warn: 'x' } as never })).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION', field: 'logger' }),
    );
    expect(() => createKeyManager({ ...base, logger: console })).not.toThrow();
  });
});
