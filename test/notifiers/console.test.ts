import { describe, expect, it } from 'vitest';
import { isKeywardenError, type KeywardenError } from '../../src/errors.js';
import { consoleNotifier, formatKeyEvent, type NotifierLogger } from '../../src/notifiers/console.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import { sampleKeyEvents, testNotifier } from '../../src/testing/notifier-contract.js';

function recordingLogger() {
  const lines: { level: 'info' | 'warn'; msg: string; args: number }[] = [];
  const logger: Required<NotifierLogger> = {
    info: (msg, ...rest) => {
      lines.push({ level: 'info', msg, args: 1 + rest.length });
    },
    warn: (msg, ...rest) => {
      lines.push({ level: 'warn', msg, args: 1 + rest.length });
    },
  };
  return { logger, lines };
}

// The JSON format carries the event's own fields, so it can round-trip through the contract suite.
testNotifier({
  name: 'consoleNotifier (json lines)',
  describe,
  it,
  expect,
  create: async () => {
    const { logger, lines } = recordingLogger();
    const notifier = consoleNotifier({ logger, format: 'json' });
    return {
      notifier,
      // a log line is not the event; rebuild what the line identifies and compare on that
      received: async () => {
        const sent = new Map(sampleKeyEvents().map((e) => [e.type, e]));
        return lines.map((l) => {
          const parsed = JSON.parse(l.msg) as { type: KeyEvent['type']; keyId: string; version?: number };
          const template = sent.get(parsed.type) as KeyEvent;
          return {
            ...template,
            keyId: parsed.keyId,
            ...(parsed.version === undefined ? {} : { version: parsed.version }),
          } as KeyEvent;
        });
      },
    };
  },
});

describe('consoleNotifier', () => {
  const events = sampleKeyEvents();
  const byType = (t: KeyEvent['type']) => events.find((e) => e.type === t) as KeyEvent;

  it('writes one text line per event with type, keyId, name, version and environment', async () => {
    const { logger, lines } = recordingLogger();
    const n = consoleNotifier({ logger });
    for (const e of events) await n.notify(e);
    expect(lines).toHaveLength(events.length);
    events.forEach((e, i) => {
      const line = lines[i] as { msg: string; args: number };
      expect(line.args).toBe(1);
      expect(line.msg).not.toMatch(/[\r\n\u2028\u2029]/);
      expect(line.msg.startsWith(`keywarden ${e.type} keyId=${e.keyId} `)).toBe(true);
      expect(line.msg).toContain(`environment=${e.environment}`);
      if (e.version !== undefined) expect(line.msg).toContain(`version=${e.version}`);
      else expect(line.msg).not.toContain('version=');
      if (e.type.startsWith('access.')) expect(line.msg).toContain('agentId=agent-7');
      expect(line.msg).toContain(`name=${/^[\w.-]+$/.test(e.name) ? e.name : JSON.stringify(e.name)}`);
    });
  });

  it('uses warn for rotation.failed, key.expiring, key.expired and every security.* event, info otherwise', async () => {
    const { logger, lines } = recordingLogger();
    const n = consoleNotifier({ logger });
    for (const e of events) await n.notify(e);
    const warned = lines.filter((l) => l.level === 'warn').map((l) => l.msg.split(' ')[1]);
    expect(warned.sort()).toEqual([
      'key.expired',
      'key.expiring',
      'rotation.failed',
      'security.ip_failures',
      'security.new_network',
      'security.token_leaked',
      'security.usage_spike',
      'security.verify_failures',
      'security.violations',
    ]);
  });

  it('falls back to info when the logger has no warn', async () => {
    const msgs: string[] = [];
    const n = consoleNotifier({ logger: { info: (m) => void msgs.push(m) } });
    await n.notify(byType('rotation.failed'));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toContain('step=test');
    expect(msgs[0]).toContain('error=ERR_ROTATION');
  });

  it('json format: one parseable line holding only fields of the event', async () => {
    const { logger, lines } = recordingLogger();
    const n = consoleNotifier({ logger, format: 'json' });
    for (const e of events) await n.notify(e);
    lines.forEach((l, i) => {
      const e = events[i] as KeyEvent & Record<string, unknown>;
      const obj = JSON.parse(l.msg) as Record<string, unknown>;
      expect(obj.type).toBe(e.type);
      expect(obj.keyId).toBe(e.keyId);
      expect(obj.name).toBe(e.name);
      expect(obj.environment).toBe(e.environment);
      expect(obj.version).toBe(e.version);
      for (const k of Object.keys(obj)) expect(Object.keys(e)).toContain(k);
    });
  });

  it('never logs anything not in the event (no error message, no extra members)', async () => {
    const { logger, lines } = recordingLogger();
    const n = consoleNotifier({ logger });
    const sneaky = {
      ...byType('key.created'),
      token: 'kw_secret_token_value',
      hash: 'deadbeef',
    } as unknown as KeyEvent;
    await n.notify(sneaky);
    await n.notify(byType('rotation.failed'));
    expect(lines[0]?.msg).not.toContain('kw_secret_token_value');
    expect(lines[0]?.msg).not.toContain('deadbeef');
    expect(lines[1]?.msg).not.toContain('provider test hook failed');
  });

  it('escapes names so a line cannot be broken or forged', () => {
    const evil = {
      ...byType('key.created'),
      name: 'x\nkeywarden key.revoked keyId=forged\u2028\u0085',
    } as KeyEvent;
    for (const format of ['text', 'json'] as const) {
      const line = formatKeyEvent(evil, format);
      expect(line).not.toMatch(/[\n\r\u2028\u0085]/);
      expect(line.split('\n')).toHaveLength(1);
    }
    expect(formatKeyEvent(evil, 'text')).toContain('name="x\\nkeywarden');
  });

  it('defaults to globalThis.console', async () => {
    const original = console.info;
    const seen: unknown[] = [];
    console.info = (...args: unknown[]) => void seen.push(args);
    try {
      await consoleNotifier().notify(byType('key.created'));
    } finally {
      console.info = original;
    }
    expect(seen).toHaveLength(1);
  });

  it('rejects with ERR_NOTIFY when the logger throws', async () => {
    const n = consoleNotifier({
      logger: {
        info: () => {
          throw new Error('disk full');
        },
      },
    });
    await expect(n.notify(byType('key.created'))).rejects.toMatchObject({ code: 'ERR_NOTIFY' });
  });

  it('validates options with ERR_VALIDATION naming the field', () => {
    const cases: [unknown, string][] = [
      [{ logger: {} }, 'logger'],
      [{ logger: null }, 'logger'],
      [{ logger: { info: 'x' } }, 'logger'],
      [{ logger: { info() {}, warn: 1 } }, 'logger.warn'],
      [{ format: 'xml' }, 'format'],
      [null, 'options'],
    ];
    for (const [opts, field] of cases) {
      let caught: unknown;
      try {
        consoleNotifier(opts as never);
      } catch (e) {
        caught = e;
      }
      expect(isKeywardenError(caught, 'ERR_VALIDATION')).toBe(true);
      expect((caught as KeywardenError).field).toBe(field);
    }
  });
});
