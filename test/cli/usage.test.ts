/**
 * `keywarden api-keys usage ID` through the real CLI: the hourly counts a library script made
 * (valid and failed verifications, flushed on close) as a terminal chart and as JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { generateMasterKey } from '../../src/kms/index.js';
import type { UsageReport } from '../../src/records/usage-report.js';
import { kw, runNode, tempDir, writeLibraryScript } from './harness.js';

const T = 180_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 2, 1, 12, 30);
let dir: string;
let cleanup: () => Promise<void>;
const env = { KEYWARDEN_MASTER_KEY: generateMasterKey() };
const run = (args: string[]) => kw(args, { cwd: dir, env });
let id: string;
let token: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const r = await run(['init']);
  if (r.code !== 0) throw new Error(r.stderr);
  const script = await writeLibraryScript(
    dir,
    'seed.mts',
    `const { key, token } = await km.apiKeys.create({ name: 'charted', scopes: ['read'], expiresIn: null });
for (let i = 0; i < 8; i++) await km.apiKeys.verify(token);
await km.apiKeys.verify(token, { scopes: ['write'] });
now += 3_600_000;
for (let i = 0; i < 2; i++) await km.apiKeys.verify(token);
await km.close();
console.log(JSON.stringify({ id: key.id, token }));
`,
    { prelude: `let now = ${NOW - HOUR};`, clock: '{ now: () => now }' },
  );
  const seeded = await runNode(script, [], { cwd: dir, env });
  if (seeded.code !== 0) throw new Error(seeded.stderr);
  ({ id, token } = JSON.parse(seeded.stdout.trim()) as { id: string; token: string });
}, T);
afterAll(() => cleanup());

describe('keywarden api-keys usage', () => {
  it('prints a chart of valid and failed uses per hour, and the same as JSON', { timeout: T }, async () => {
    const from = new Date(NOW - 2 * HOUR).toISOString();
    const to = new Date(NOW + HOUR).toISOString();
    const text = await run(['api-keys', 'usage', id, '--from', from, '--to', to]);
    expect(text.code).toBe(EXIT.OK);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(5); // 10:00 to 14:00 (--to rounds up to its hour) + total
    expect(lines[0]).toMatch(/^2026-03-01 10:00 {2}\s+0 valid\s+0 failed$/);
    expect(lines[1]).toMatch(/^2026-03-01 11:00 {2}█+░+\s+8 valid\s+1 failed$/);
    expect(lines[2]).toMatch(/^2026-03-01 12:00 {2}█+\s+2 valid\s+0 failed$/);
    expect(lines[3]).toMatch(/^2026-03-01 13:00 {2}\s+0 valid\s+0 failed$/);
    expect(lines[4]).toBe('total: 10 valid, 1 failed (per UTC hour; █ valid, ░ failed)');
    expect(text.stdout).not.toContain(token);

    const json = await run([
      '--json',
      'api-keys',
      'usage',
      id,
      '--from',
      from,
      '--to',
      to,
      '--granularity',
      'day',
    ]);
    expect(json.code).toBe(EXIT.OK);
    const report = JSON.parse(json.stdout) as UsageReport;
    expect(report).toMatchObject({ id, granularity: 'day', total: { valid: 10, failed: 1 } });
  });

  it('refuses a bad granularity and an unknown key', { timeout: T }, async () => {
    expect((await run(['api-keys', 'usage', id, '--granularity', 'week'])).code).toBe(EXIT.USAGE);
    expect((await run(['api-keys', 'usage', 'nope00000000'])).code).not.toBe(EXIT.OK);
  });
});
