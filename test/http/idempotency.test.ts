import { describe, expect, it } from 'vitest';
import { checkIdempotencyKey, idempotencyStore } from '../../src/http/idempotency.js';
import { HttpProblem } from '../../src/http/problem.js';

const answer = (body: string) => ({ status: 201, headers: [] as [string, string][], body });

describe('idempotency store', () => {
  it('replays by scope and key, refuses another request body and a retry still running', () => {
    const store = idempotencyStore();
    const first = store.begin('op-1', 'k', 'POST /x\n{"a":1}', 0);
    expect(first.kind).toBe('run');
    expect(() => store.begin('op-1', 'k', 'POST /x\n{"a":1}', 1)).toThrow(
      expect.objectContaining({ status: 409, code: 'ERR_CONFLICT' }),
    );
    if (first.kind === 'run') first.finish(answer('one'));
    expect(store.begin('op-1', 'k', 'POST /x\n{"a":1}', 2)).toEqual({
      kind: 'replay',
      answer: answer('one'),
    });
    expect(() => store.begin('op-1', 'k', 'POST /x\n{"a":2}', 3)).toThrow(
      expect.objectContaining({ status: 422, code: 'ERR_IDEMPOTENCY_KEY_REUSED' }),
    );
    expect(store.begin('op-2', 'k', 'POST /x\n{"a":1}', 4).kind).toBe('run'); // another operator never gets it
  });

  it('keeps at most maxEntries (oldest go first) and forgets entries after the ttl', () => {
    const store = idempotencyStore({ ttl: 1000, maxEntries: 2 });
    for (const k of ['a', 'b', 'c']) {
      const s = store.begin('op', k, 'r', 0);
      if (s.kind === 'run') s.finish(answer(k));
    }
    expect(store.begin('op', 'a', 'r', 1).kind).toBe('run'); // evicted
    expect(store.begin('op', 'c', 'r', 1).kind).toBe('replay');
    expect(store.begin('op', 'c', 'r', 1000).kind).toBe('run'); // expired
  });

  it('forgets a key whose request failed, and validates keys', () => {
    const store = idempotencyStore();
    const s = store.begin('op', 'k', 'r', 0);
    if (s.kind === 'run') s.finish(null);
    expect(store.begin('op', 'k', 'r', 1).kind).toBe('run');
    expect(checkIdempotencyKey('abc-123')).toBe('abc-123');
    for (const bad of ['', 'has space', 'x'.repeat(256), 'tab\t']) {
      expect(() => checkIdempotencyKey(bad)).toThrow(HttpProblem);
    }
  });
});
