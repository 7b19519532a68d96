import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/http/index.js';
import { type Answer, call, fixture, headerText } from './harness.js';

const SECRET = 'sup3r-s3cret-value-NEVER-SHOWN-42';

describe('management API: no token or secret value leaks', () => {
  it('no answer but reveal, create and rotate holds a token or secret value, errors included', async () => {
    const { api, tokens, km } = await fixture();
    const answers: { what: string; a: Answer }[] = [];
    const go = async (method: string, path: string, body?: unknown, token = tokens.admin) => {
      const a = await call(api, method, path, { token, body });
      answers.push({ what: `${method} ${path}`, a });
      return a;
    };
    await km.secrets.set('LEAKY', SECRET);
    const app = await km.apiKeys.create({ name: 'app', scopes: ['a:read'] });
    const created = await call(api, 'POST', '/api-keys', { token: tokens.admin, body: { name: 'fresh' } });
    const rotated = await call(api, 'POST', `/api-keys/${app.key.id}/rotate`, {
      token: tokens.admin,
      body: {},
    });
    const secrets = [SECRET, app.token, created.json.token, rotated.json.token, ...Object.values(tokens)];

    // every route, with plausible and with hostile inputs
    for (const route of ROUTES) {
      if (route.operationId === 'revealSecret') continue;
      const path = route.path.replace('{id}', app.key.id).replace('{name}', 'LEAKY');
      await go(route.method, path, route.body ? {} : undefined);
      if (route.body) {
        await go(route.method, path, { name: app.token, token: 12, value: 7, reason: SECRET.repeat(40) });
        await go(route.method, path, `{"oops": "${app.token}"`);
      }
      await go(route.method, `${path}?cursor=${encodeURIComponent(app.token)}`, route.body ? {} : undefined);
      await go(route.method, path, route.body ? {} : undefined, app.token); // a non-operator key as credentials
    }
    await go('POST', '/api-keys/verify', { token: app.token });
    await go('POST', '/api-keys/verify', { token: `${app.token}x` });
    await go('POST', '/api-keys/verify', { token: rotated.json.token, scopes: ['nope'] });
    await go('GET', `/api-keys/${encodeURIComponent(app.token)}`);
    await go('GET', `/secrets/${encodeURIComponent(SECRET)}`);
    await go('PUT', '/secrets/NEW', { value: SECRET, envVar: SECRET });
    await go('PUT', '/secrets/NEW2', { value: SECRET, expiresAt: 'tomorrow' });
    await go('PUT', '/secrets/NEW3', { value: [SECRET] });
    await go('GET', '/audit?limit=1000');
    // a token as an object key or a query parameter name is never named as the field
    await go('POST', '/api-keys', { name: 'k', [app.token]: 1 });
    await go('POST', '/api-keys', { name: 'k', meta: { [app.token]: 1 }, rateLimit: { [app.token]: 1 } });
    await go('PUT', '/secrets/NEW4', { value: 'v', [SECRET]: true });
    await go('GET', `/api-keys?${encodeURIComponent(app.token)}=1`);
    await go('GET', `/api-keys?${encodeURIComponent(app.token)}=1&${encodeURIComponent(app.token)}=2`);

    expect(answers.length).toBeGreaterThan(ROUTES.length * 3);
    for (const { what, a } of answers) {
      const everything = `${a.text}\n${headerText(a.headers)}`;
      for (const s of secrets) {
        if (everything.includes(s)) throw new Error(`${what} (${a.status}) leaked a secret or token`);
      }
    }
  });
});
