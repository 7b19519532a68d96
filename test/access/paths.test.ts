import { describe, expect, it } from 'vitest';
import { methodAllowed, pathAllowed, patternProblem } from '../../src/access/paths.js';

describe('tool path patterns', () => {
  it('matches literal segments, * for one segment and a final ** for the rest', () => {
    const p = ['/v1/charges', '/v1/charges/*', '/v1/files/**'];
    for (const path of [
      '/v1/charges',
      '/v1/charges/ch_1',
      '/v1/files',
      '/v1/files/a/b/c',
      '/v1/charges/ch%201',
    ]) {
      expect(pathAllowed(p, path)).toBe(true);
    }
    for (const path of ['/v1/charges/a/b', '/v1/refunds', '/v1', '/', '/v1/charges/', '/V1/charges']) {
      expect(pathAllowed(p, path)).toBe(false);
    }
    expect(pathAllowed(['/'], '/')).toBe(true);
    expect(pathAllowed(['/**'], '/anything/at/all')).toBe(true);
  });

  it('never matches traversal, encoded separators, queries, fragments or control characters', () => {
    const p = ['/**'];
    for (const path of [
      '/v1/../admin',
      '/v1/./x',
      '/v1/%2e%2e/admin',
      '/v1/%2E/x',
      '/v1/a%2fb',
      '/v1/a%5cb',
      '/v1//x',
      '/v1/x?y=1',
      '/v1/x#f',
      '/v1/a\\b',
      '/v1/a\nb',
      '/v1/é',
      '/v1/%zz',
      'v1/x',
      '',
    ]) {
      expect(pathAllowed(p, path)).toBe(false);
    }
    expect(pathAllowed(p, 'x'.repeat(5000))).toBe(false);
  });

  it('checks patterns when a tool is registered', () => {
    expect(patternProblem('/v1/charges/*')).toBeNull();
    expect(patternProblem('/v1/**')).toBeNull();
    expect(patternProblem('v1')).toBe('must start with /');
    expect(patternProblem('/v1/**/x')).toMatch(/last segment/);
    expect(patternProblem('/v1/ch*')).toMatch(/invalid segment/);
    expect(patternProblem('/v1/..')).toMatch(/invalid segment/);
    expect(patternProblem('/v1//x')).toMatch(/invalid segment/);
  });

  it('compares methods in upper case against the list', () => {
    expect(methodAllowed(['GET', 'POST'], 'get')).toBe(true);
    expect(methodAllowed(['GET'], 'DELETE')).toBe(false);
    expect(methodAllowed(['GET'], 'G ET')).toBe(false);
  });
});
