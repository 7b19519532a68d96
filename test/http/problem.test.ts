import { describe, expect, it } from 'vitest';
import { KeywardenError } from '../../src/errors.js';
import { HttpProblem, problemResponse, toProblem } from '../../src/http/problem.js';

const TOKEN = 'kw_abcdefghijkl_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345abcdef';

describe('problem details', () => {
  it('maps library codes to statuses, echoing only client-error messages', () => {
    expect(toProblem(new KeywardenError('ERR_NOT_FOUND', 'api key not found'))).toMatchObject({
      status: 404,
      code: 'ERR_NOT_FOUND',
      message: 'api key not found',
    });
    const storage = toProblem(new KeywardenError('ERR_STORAGE', 'connect ECONNREFUSED db.internal:5432'));
    expect(storage).toMatchObject({
      status: 503,
      code: 'ERR_STORAGE',
      message: 'The operation failed (ERR_STORAGE)',
    });
    const other = toProblem(new TypeError(`cannot read ${TOKEN}`));
    expect(other).toMatchObject({ status: 500, code: 'ERR_INTERNAL', message: 'Internal server error' });
  });

  it('never answers a token-like input key that a library message or field names', () => {
    const byField = toProblem(
      new KeywardenError('ERR_VALIDATION', `${TOKEN}: is not a known option`, { field: `options.${TOKEN}` }),
    );
    expect(byField).toMatchObject({ status: 400, field: 'options', message: 'options: is invalid' });
    const byMessage = toProblem(
      new KeywardenError('ERR_VALIDATION', `options has unknown keys: ${TOKEN}`, { field: 'options' }),
    );
    expect(byMessage).toMatchObject({ field: 'options', message: 'options: is invalid' });
  });

  it('answers application/problem+json with the RFC 9457 members, code and field', async () => {
    const res = problemResponse(
      new HttpProblem(400, 'ERR_VALIDATION', 'body.name: required', { field: 'body.name' }),
    );
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({
      type: 'urn:keywarden:problem:err_validation',
      title: 'Bad Request',
      status: 400,
      detail: 'body.name: required',
      code: 'ERR_VALIDATION',
      field: 'body.name',
    });
  });
});
