/**
 * No proxy token (nor its secret part, nor its stored hash) and no secret value may appear in
 * audit events, stored records, notifier events, error messages, or the JSON / util.inspect output
 * of anything the access API returns.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { checkApiToken } from '../../src/crypto/tokens.js';
import { snapshot } from '../support/store-context.js';
import { accessHarness, CHARGES, SECRET_VALUE } from './helpers.js';

describe('agent access never leaks a token or a secret value', () => {
  it('through storage, audit, notifier events, errors, JSON or inspect', async () => {
    const h = await accessHarness();
    const returned: unknown[] = [];
    const errors: unknown[] = [];
    const keep = <T>(v: T): T => {
      returned.push(v);
      return v;
    };
    const req = keep(
      await h.access.requests.create({
        toolId: 'stripe',
        agentId: 'agent-7',
        justification: 'x',
        maxCalls: 3,
      }),
    );
    keep(await h.access.requests.approve(req.id, { approver: 'alice' }));
    const opened = keep(await h.access.sessions.open(req.id));
    const { token } = opened;
    const parsed = checkApiToken(token);
    if (!parsed.ok) throw new Error('not a token');
    expect(parsed.prefix).toBe('kwp');
    expect(parsed.id).toBe(opened.id);

    // the opened session hides its token from JSON, inspect, keys and spread
    expect(JSON.stringify(opened)).not.toContain(parsed.secret);
    expect(inspect(opened, { showHidden: true, depth: 10 })).not.toContain(parsed.secret);
    expect(Object.keys(opened)).not.toContain('token');
    expect({ ...opened }).not.toHaveProperty('token');

    const ok = await h.access.authorize(token, CHARGES);
    expect(ok.ok && ok.secret).toBe(SECRET_VALUE);
    if (!ok.ok) throw new Error('not authorized');
    const { secret } = ok;
    expect(secret).toBe(SECRET_VALUE);
    keep(ok); // the result itself, logged whole, shows no secret
    expect(Object.keys(ok)).not.toContain('secret');
    keep(await h.access.authorize(token, { ...CHARGES, path: '/v1/refunds' }));
    keep(await h.access.verify(token));
    keep(await h.access.authorize(`${token.slice(0, -8)}AAAAAAAA`, CHARGES));
    await h.access.reportViolation({
      toolId: 'stripe',
      sessionId: opened.id,
      reason: `token seen in query: ${token}`,
    });
    keep(await h.access.sessions.list());
    keep(await h.access.requests.list());
    keep(await h.access.tools.list());
    keep(await h.access.sessions.revoke(opened.id, { reason: 'done' }));
    for (const bad of [
      () => h.access.sessions.open(req.id),
      () => h.access.sessions.get(token),
      () => h.access.requests.approve(token, { approver: 'x' }),
      () => h.access.verify(token, { path: token, extra: token } as never),
      () => h.access.tools.register({ id: token } as never),
    ]) {
      try {
        await bad();
        throw new Error('expected an error');
      } catch (error) {
        errors.push(error);
      }
    }

    const stored = await snapshot(h.storage);
    const everything = [
      stored,
      JSON.stringify(returned),
      inspect(returned, { showHidden: true, depth: 20 }),
      JSON.stringify(h.events),
      ...errors.map((e) => `${String(e)} ${JSON.stringify(e)} ${inspect(e, { depth: 5 })}`),
    ];
    const hash = (await h.storage.get(opened.id))?.versions[0]?.hash;
    expect(hash).toBeTruthy();
    for (const text of everything) {
      expect(text).not.toContain(parsed.secret);
      expect(text).not.toContain(SECRET_VALUE);
    }
    for (const text of everything.slice(1)) expect(text).not.toContain(hash as string);
    // the violation reason kept the token's id, not the token
    const violations = h.events.filter((e) => e.type === 'access.violation');
    expect(JSON.stringify(violations)).toContain(`kwp_${opened.id}_[redacted]`);
  });
});
