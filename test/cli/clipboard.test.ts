/**
 * `--copy`: a clear error with a stable code where no clipboard exists (this runner has no
 * display), nothing printed and no key left behind; and the copy-then-clear logic on an in-memory
 * clipboard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clipboard, clipboardPossible, copyThenClear } from '../../src/cli/clipboard.js';
import { type InitializedStore, initializedStore, oneLineError, type RunResult } from './harness.js';

const T = 180_000;
let store: InitializedStore;
const run = (args: string[], input?: string): Promise<RunResult> => store.run(args, input);

beforeAll(async () => {
  store = await initializedStore(); // keywarden init, checked
  expect((await run(['secrets', 'set', 'OPENAI_API_KEY'], 'sk-secret-value')).code).toBe(0);
}, T);
afterAll(() => store.cleanup());

describe('--copy without a clipboard (no display, as in CI)', () => {
  it('secrets get --copy fails with ERR_NO_CLIPBOARD and prints no value', { timeout: T }, async () => {
    const r = await run(['secrets', 'get', 'OPENAI_API_KEY', '--copy']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(oneLineError(r.stderr)).toMatch(/^keywarden: no clipboard available .*\(ERR_NO_CLIPBOARD\)$/);
    expect(r.stderr).not.toContain('sk-secret-value');
    const j = await run(['--json', 'secrets', 'get', 'OPENAI_API_KEY', '--copy']);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: 'ERR_NO_CLIPBOARD', field: '--copy' } });
  });

  it('api-keys create --copy fails before creating the key', { timeout: T }, async () => {
    const r = await run(['api-keys', 'create', '--name', 'x', '--copy']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(JSON.parse((await run(['--json', 'api-keys', 'list'])).stdout)).toEqual([]);
  });
});

describe('clipboard logic', () => {
  it('knows where a clipboard cannot exist', () => {
    expect(clipboardPossible({}, 'linux')).toBe(false);
    expect(clipboardPossible({ DISPLAY: ':0' }, 'linux')).toBe(true);
    expect(clipboardPossible({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(true);
    expect(clipboardPossible({}, 'darwin')).toBe(true);
    expect(clipboardPossible({}, 'win32')).toBe(true);
  });

  const memoryClipboard = (): Clipboard & { text: string; writes: string[] } => {
    const c = {
      text: 'before',
      writes: [] as string[],
      async write(t: string) {
        c.text = t;
        c.writes.push(t);
      },
      async read() {
        return c.text;
      },
    };
    return c;
  };

  it('copies, then clears the clipboard when it still holds the value', async () => {
    const c = memoryClipboard();
    const notes: string[] = [];
    await copyThenClear(c, 'kw_s3cr3t', 'the token', (m) => notes.push(m), 1);
    expect(c.writes).toEqual(['kw_s3cr3t', '']);
    expect(notes[0]).toMatch(/cleared in 0 s/);
    expect(notes.join('')).not.toContain('kw_s3cr3t');
  });

  it('leaves the clipboard alone when something else was copied meanwhile', async () => {
    const c = memoryClipboard();
    const pending = copyThenClear(c, 'kw_s3cr3t', 'the token', () => {}, 5);
    await new Promise((r) => setImmediate(r));
    c.text = 'user copied this';
    await pending;
    expect(c.text).toBe('user copied this');
    expect(c.writes).toEqual(['kw_s3cr3t']);
  });

  it('a failing clipboard is ERR_NO_CLIPBOARD', async () => {
    const broken: Clipboard = {
      write: async () => {
        throw new Error('xsel: cannot open display');
      },
      read: async () => '',
    };
    await expect(copyThenClear(broken, 'kw_s3cr3t', 'x', () => {}, 1)).rejects.toMatchObject({
      code: 'ERR_NO_CLIPBOARD',
    });
  });
});
