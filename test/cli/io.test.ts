import { describe, expect, it } from 'vitest';
import { colorEnabled } from '../../src/cli/io.js';
import { progressBar } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe('progress bar', () => {
  it('draws on a terminal, once per percent, and clears its line', () => {
    const { stream, writes } = fakeStream(true);
    const bar = progressBar('import', true, stream);
    bar.update(0, 200);
    bar.update(1, 200); // still 0%: not redrawn
    bar.update(100, 200);
    bar.update(200, 200);
    bar.done();
    expect(writes).toHaveLength(4);
    expect(writes[1]).toBe(`\rimport [${'#'.repeat(15)}${'-'.repeat(15)}] 50% 100/200`);
    expect(writes[2]).toContain('100% 200/200');
    expect(writes[3]).toBe('\r\x1b[2K');
  });

  it('draws nothing when stderr is not a terminal or it is disabled (--json, --quiet)', () => {
    const pipe = fakeStream(false);
    const off = fakeStream(true);
    for (const bar of [progressBar('x', true, pipe.stream), progressBar('x', false, off.stream)]) {
      bar.update(1, 2);
      bar.done();
    }
    expect(pipe.writes).toEqual([]);
    expect(off.writes).toEqual([]);
  });
});

describe('colours', () => {
  it('only on a terminal, never with NO_COLOR or TERM=dumb', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });

  it('FORCE_COLOR forces them on (even off a terminal, over NO_COLOR) and FORCE_COLOR=0 off', () => {
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '' })).toBe(true);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: 'false' })).toBe(false);
  });
});
