/**
 * km.audit.export: CSV (RFC 4180, parsed back with a small state-machine parser written here) and
 * JSON Lines, time windows, spreadsheet-formula neutralization, lazy paging (nothing is read ahead
 * of the consumer) and bounded heap over 100 000 events.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/memory.js';
import { capabilityContext } from '../../src/extension/index.js';
import { AUDIT_CSV_COLUMNS, csvField } from '../../src/observability/index.js';
import type { AuditEvent, AuditQuery, Page, StorageAdapter } from '../../src/ports/storage.js';
import type { AuditDraft } from '../../src/records/context.js';
import { createTestKeyManager } from '../../src/testing/index.js';

/** Incremental RFC 4180 parser: feed chunks, get complete records (CRLF or LF line ends). */
function csvParser(onRecord: (fields: string[]) => void) {
  let field = '';
  let fields: string[] = [];
  let quoted = false;
  let afterQuote = false;
  let pendingCr = false;
  const endRecord = () => {
    fields.push(field);
    onRecord(fields);
    fields = [];
    field = '';
  };
  return {
    feed(chunk: string) {
      for (const c of chunk) {
        if (pendingCr) {
          pendingCr = false;
          if (c === '\n') {
            endRecord();
            continue;
          }
          throw new Error('bare CR outside quotes');
        }
        if (quoted) {
          if (c === '"') {
            quoted = false;
            afterQuote = true;
          } else field += c;
          continue;
        }
        if (c === '"') {
          if (afterQuote) {
            field += '"';
            quoted = true;
            afterQuote = false;
          } else if (field === '') quoted = true;
          else throw new Error('quote inside an unquoted field');
          continue;
        }
        afterQuote = false;
        if (c === ',') {
          fields.push(field);
          field = '';
        } else if (c === '\r') pendingCr = true;
        else if (c === '\n') throw new Error('LF without CR');
        else field += c;
      }
    },
    end() {
      if (quoted || pendingCr || field !== '' || fields.length > 0) throw new Error('truncated CSV');
    },
  };
}

async function collect(iterable: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const chunk of iterable) out += chunk;
  return out;
}

async function allEvents(storage: StorageAdapter): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await storage.listAudit(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.items.length === 0 ? undefined : page.cursor;
  } while (cursor !== undefined);
  return out;
}

const TRICKY: AuditDraft[] = [
  { type: 'key.updated', keyId: null, kind: null, actor: '=HYPERLINK("http://evil","x")' },
  { type: 'key.updated', keyId: null, kind: null, actor: '+1+2', context: { ip: '203.0.113.9' } },
  {
    type: 'key.updated',
    keyId: null,
    kind: null,
    actor: '-cmd',
    data: { note: 'comma, "quote"\r\nnew line' },
  },
  { type: 'key.updated', keyId: null, kind: null, actor: '@SUM(A1)', tenantId: 'tenant,1' },
  { type: 'key.updated', keyId: null, kind: null, actor: 'ünïcødé ✓ 🔑', data: { tab: '\tx' } },
];

describe('km.audit.export', () => {
  it('writes RFC 4180 CSV that parses back to the stored events, formulas neutralized', async () => {
    const { km, storage } = createTestKeyManager();
    const ctx = capabilityContext(km);
    await km.apiKeys.create({ name: 'a' });
    await ctx.audit(TRICKY);
    const events = await allEvents(storage);
    const rows: string[][] = [];
    const parser = csvParser((r) => rows.push(r));
    for await (const chunk of km.audit.export({ format: 'csv' })) parser.feed(chunk);
    parser.end();
    expect(rows[0]).toEqual([...AUDIT_CSV_COLUMNS]);
    expect(rows).toHaveLength(events.length + 1);
    const unformula = (s: string) => (/^'[=+\-@\t\r]/.test(s) ? s.slice(1) : s);
    events.forEach((e, i) => {
      const row = rows[i + 1] as string[];
      expect(row).toHaveLength(AUDIT_CSV_COLUMNS.length);
      const byName = Object.fromEntries(AUDIT_CSV_COLUMNS.map((c, j) => [c, row[j] as string]));
      expect(Number(byName.seq)).toBe(e.seq);
      expect(Date.parse(byName.at as string)).toBe(e.at);
      expect(byName.type).toBe(e.type);
      expect(byName.key_id).toBe(e.keyId ?? '');
      expect(unformula(byName.actor as string)).toBe(e.actor ?? '');
      expect(byName.tenant_id).toBe(e.tenantId ?? '');
      expect(JSON.parse(byName.context as string)).toEqual(e.context);
      expect(JSON.parse(byName.data as string)).toEqual(e.data);
      expect([byName.id, byName.digest, byName.prev_hash, byName.hash]).toEqual([
        e.id,
        e.digest,
        e.prevHash,
        e.hash,
      ]);
    });
    const actors = rows.slice(1).map((r) => r[AUDIT_CSV_COLUMNS.indexOf('actor')]);
    expect(actors).toEqual(
      expect.arrayContaining([
        '\'=HYPERLINK("http://evil","x")',
        "'+1+2",
        "'-cmd",
        "'@SUM(A1)",
        'ünïcødé ✓ 🔑',
      ]),
    );
    for (const cell of rows.slice(1).flat()) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    await km.close();
  });

  it('quotes fields only when needed and neutralizes formula starts', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line\nbreak')).toBe('"line\nbreak"');
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('-2,3')).toBe('"\'-2,3"');
    expect(csvField(null)).toBe('');
    expect(csvField(42)).toBe('42');
  });

  it('writes JSON Lines that round-trip exactly, and honours from (inclusive) / to (exclusive)', async () => {
    const { km, clock, storage } = createTestKeyManager();
    const ctx = capabilityContext(km);
    await km.ready();
    const t0 = clock.now();
    for (let i = 0; i < 5; i++) {
      await ctx.audit({ type: 'key.updated', keyId: null, kind: null, actor: `step-${i}` });
      clock.advance('1h');
    }
    const events = await allEvents(storage);
    const text = await collect(km.audit.export({ format: 'jsonl' }));
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(events.map((e) => ({ ...e })));

    const window = await collect(
      km.audit.export({ format: 'jsonl', from: t0 + 3_600_000, to: new Date(t0 + 3 * 3_600_000) }),
    );
    expect(
      window
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as AuditEvent).actor),
    ).toEqual(['step-1', 'step-2']);
    const none = await collect(km.audit.export({ format: 'csv', from: t0 + 100 * 3_600_000 }));
    expect(none).toBe(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
    const only = await collect(km.audit.export({ format: 'jsonl', type: 'store.initialized' }));
    expect(only.trimEnd().split('\n')).toHaveLength(1);
    await km.close();
  });

  it('refuses bad options at once, naming the field', async () => {
    const { km } = createTestKeyManager();
    const cases: [unknown, string][] = [
      [{ format: 'xlsx' }, 'options.format'],
      [{}, 'options.format'],
      [{ format: 'csv', from: -1 }, 'options.from'],
      [{ format: 'csv', from: 10, to: 5 }, 'options.to'],
      [{ format: 'csv', type: 'DROP TABLE' }, 'options.type'],
      [{ format: 'csv', extra: 1 }, 'options.extra'],
      [undefined, 'options'],
    ];
    for (const [options, field] of cases) {
      expect(() => km.audit.export(options as never)).toThrowError(
        expect.objectContaining({ code: 'ERR_VALIDATION', field }),
      );
    }
    await km.close();
  });

  it('streams 100 000 events lazily (one page per pulled chunk) with bounded heap', {
    timeout: 300_000,
  }, async () => {
    const inner = memoryStorage();
    let pages = 0;
    const counting: StorageAdapter = {
      ...inner,
      listAudit: (q: AuditQuery): Promise<Page<AuditEvent>> => {
        pages += 1;
        return inner.listAudit(q);
      },
    };
    const { km } = createTestKeyManager({ storage: counting });
    const ctx = capabilityContext(km);
    await km.ready();
    const TOTAL = 100_000;
    const batch: AuditDraft[] = Array.from({ length: 1000 }, (_, i) => ({
      type: 'key.verify_failed',
      keyId: 'a1B2c3D4e5F6',
      kind: 'api_key',
      actor: null,
      context: { ip: `198.51.100.${i % 250}`, userAgent: 'load-test/1.0 (x, "y")' },
      data: { code: 'NOT_FOUND', reason: 'secret_mismatch', scopes: ['read', 'write'] },
    }));
    for (let n = 1; n < TOTAL; n += batch.length)
      await ctx.audit(batch.slice(0, Math.min(batch.length, TOTAL - n)));

    // Lazy: pulling three chunks reads at most three pages.
    const it = km.audit.export({ format: 'csv' })[Symbol.asyncIterator]();
    pages = 0;
    for (let i = 0; i < 4; i++) await it.next(); // header + 3 pages
    expect(pages).toBe(3);
    await it.return?.();

    // Retained heap, measured after a full collection every 10 chunks (garbage is not growth).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    let chunks = 0;
    let records = 0;
    let lastSeq = 0;
    let bytes = 0;
    const seqIndex = AUDIT_CSV_COLUMNS.indexOf('seq');
    const parser = csvParser((r) => {
      records += 1;
      if (records === 1) return;
      const seq = Number(r[seqIndex]);
      expect(seq).toBe(lastSeq + 1);
      lastSeq = seq;
    });
    pages = 0;
    for await (const chunk of km.audit.export({ format: 'csv' })) {
      bytes += chunk.length;
      parser.feed(chunk);
      if (++chunks % 10 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
    }
    parser.end();
    expect(records).toBe(TOTAL + 1);
    expect(lastSeq).toBe(TOTAL);
    expect(pages).toBeGreaterThanOrEqual(TOTAL / 1000);
    expect(pages).toBeLessThanOrEqual(TOTAL / 1000 + 1); // an adapter may end with an empty page
    const growthMb = (peak - base) / 2 ** 20;
    const outputMb = bytes / 2 ** 20;
    console.log(
      `audit export: ${TOTAL} events, ${outputMb.toFixed(1)} MB of CSV, retained heap peak +${growthMb.toFixed(1)} MB`,
    );
    expect(outputMb).toBeGreaterThan(30); // the output is far larger than the bound below
    expect(growthMb).toBeLessThan(50);
    await km.close();
  });
});
