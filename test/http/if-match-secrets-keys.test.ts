/**
 * `If-Match` on the secret and signing-key routes: `GET /secrets/{name}` and
 * `GET /signing-keys/{name}` answer a strong ETag from the record's revision; `PUT`, `DELETE`,
 * rollback of a secret and rotate of a signing key under `If-Match` are compare-and-swaps — a stale
 * tag is 412 before anything is done, and a change that lands between the ETag check and the write
 * (another manager on the same store, injected right after the route's read) is 412 and is not
 * overwritten.
 */
import { describe, expect, it } from 'vitest';
import { call, racing } from './harness.js';

const STRONG = /^"r\d+-[A-Za-z0-9_-]+"$/;

describe('If-Match on the secret routes', () => {
  it('GET answers a strong ETag; PUT with a stale one is 412 and writes nothing; the current one lands', async () => {
    const { km, api, admin, close } = await racing();
    await km.secrets.set('DB_URL', 'first-value');
    const read = await call(api, 'GET', '/secrets/DB_URL', { token: admin });
    const etag = read.headers.get('etag') as string;
    expect(etag).toMatch(STRONG);
    expect(etag).toContain(`"r${read.json.revision}-`);

    await km.secrets.set('DB_URL', 'second-value'); // the secret moves on
    const stale = await call(api, 'PUT', '/secrets/DB_URL', {
      token: admin,
      headers: { 'if-match': etag },
      body: { value: 'from-the-api' },
    });
    expect([stale.status, stale.json.code]).toEqual([412, 'ERR_PRECONDITION_FAILED']);
    expect(await km.secrets.get('DB_URL')).toBe('second-value');
    expect((await km.secrets.info('DB_URL')).version).toBe(2);

    const fresh = (await call(api, 'GET', '/secrets/DB_URL', { token: admin })).headers.get('etag') as string;
    expect(fresh).not.toBe(etag);
    const ok = await call(api, 'PUT', '/secrets/DB_URL', {
      token: admin,
      headers: { 'if-match': fresh },
      body: { value: 'from-the-api' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toMatch(STRONG);
    expect(ok.headers.get('etag')).not.toBe(fresh);
    expect(await km.secrets.get('DB_URL')).toBe('from-the-api');
    expect(ok.text).not.toContain('from-the-api'); // the answer is metadata, never the value
    await close();
  });

  it('If-Match on a secret that does not exist is 412 and creates nothing; "*" needs it to exist', async () => {
    const { km, api, admin, close } = await racing();
    for (const tag of ['"r1-AAAAAAAAAAAA"', '*']) {
      const r = await call(api, 'PUT', '/secrets/NEW_ONE', {
        token: admin,
        headers: { 'if-match': tag },
        body: { value: 'v' },
      });
      expect([r.status, r.json.code]).toEqual([412, 'ERR_PRECONDITION_FAILED']);
    }
    await expect(km.secrets.info('NEW_ONE')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    await km.secrets.set('NEW_ONE', 'v1');
    const star = await call(api, 'PUT', '/secrets/NEW_ONE', {
      token: admin,
      headers: { 'if-match': '*' },
      body: { value: 'v2' },
    });
    expect(star.status).toBe(200);
    expect(await km.secrets.get('NEW_ONE')).toBe('v2');
    await close();
  });

  it('a weak tag never matches If-Match', async () => {
    const { km, api, admin, close } = await racing();
    await km.secrets.set('WEAK', 'v1');
    const etag = (await call(api, 'GET', '/secrets/WEAK', { token: admin })).headers.get('etag') as string;
    const r = await call(api, 'DELETE', '/secrets/WEAK', {
      token: admin,
      headers: { 'if-match': `W/${etag}` },
    });
    expect(r.status).toBe(412);
    expect((await km.secrets.info('WEAK')).version).toBe(1);
    await close();
  });

  const cases: [string, string, string, unknown, number][] = [
    ['set', 'PUT', '/secrets/API_TOKEN?environment=production', { value: 'from-the-api' }, 200],
    ['delete', 'DELETE', '/secrets/API_TOKEN?environment=production', undefined, 204],
    ['rollback', 'POST', '/secrets/API_TOKEN/rollback?environment=production', {}, 200],
  ];
  for (const [name, method, path, body, success] of cases) {
    it(`${name}: 412 when the secret changes between the ETag check and the write; the change is kept`, async () => {
      const { km, api, admin, state, close } = await racing();
      const scope = { environment: 'production' };
      await km.secrets.set('API_TOKEN', 'one', scope);
      await km.secrets.set('API_TOKEN', 'two', scope);
      const etag = (
        await call(api, 'GET', '/secrets/API_TOKEN?environment=production', { token: admin })
      ).headers.get('etag') as string;
      state.target = 'API_TOKEN';
      state.meanwhile = (other) => other.secrets.set('API_TOKEN', 'changed-meanwhile', scope);
      const raced = await call(api, method, path, {
        token: admin,
        headers: { 'if-match': etag },
        ...(body === undefined ? {} : { body }),
      });
      expect([raced.status, raced.json.code]).toEqual([412, 'ERR_PRECONDITION_FAILED']);
      expect(state.meanwhile).toBeNull(); // the concurrent change did run
      expect(await km.secrets.get('API_TOKEN', scope)).toBe('changed-meanwhile');
      expect((await km.secrets.info('API_TOKEN', scope)).version).toBe(3);

      const fresh = (
        await call(api, 'GET', '/secrets/API_TOKEN?environment=production', { token: admin })
      ).headers.get('etag') as string;
      const ok = await call(api, method, path, {
        token: admin,
        headers: { 'if-match': fresh },
        ...(body === undefined ? {} : { body }),
      });
      expect(ok.status).toBe(success);
      if (name === 'delete') {
        await expect(km.secrets.info('API_TOKEN', scope)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
      } else if (name === 'rollback') {
        expect(await km.secrets.get('API_TOKEN', scope)).toBe('two');
      } else {
        expect(await km.secrets.get('API_TOKEN', scope)).toBe('from-the-api');
      }
      await close();
    });
  }

  it('without If-Match nothing changes: last writer wins, as before', async () => {
    const { km, api, admin, state, close } = await racing();
    await km.secrets.set('PLAIN', 'one');
    state.target = 'PLAIN';
    state.meanwhile = (other) => other.secrets.set('PLAIN', 'changed-meanwhile');
    const r = await call(api, 'PUT', '/secrets/PLAIN', { token: admin, body: { value: 'from-the-api' } });
    expect(r.status).toBe(200);
    expect(await km.secrets.get('PLAIN')).toBe('from-the-api');
    await close();
  });
});

describe('If-Match on POST /signing-keys/{name}/rotate', () => {
  it('GET answers a strong ETag; a stale one is 412 and rotates nothing; the current one rotates', async () => {
    const { km, api, admin, close } = await racing();
    await km.keys.create({ name: 'jwt', type: 'ecdsa', algorithm: 'ES256' });
    const read = await call(api, 'GET', '/signing-keys/jwt', { token: admin });
    const etag = read.headers.get('etag') as string;
    expect(etag).toMatch(STRONG);
    expect(read.text).not.toMatch(/"d"\s*:/); // never private material

    const info = await km.keys.info('jwt');
    await km.rotator.rotate(info.id, { strategy: 'immediate' }); // the key moves on: version 2
    const stale = await call(api, 'POST', '/signing-keys/jwt/rotate', {
      token: admin,
      headers: { 'if-match': etag },
      body: { strategy: 'immediate' },
    });
    expect([stale.status, stale.json.code]).toEqual([412, 'ERR_PRECONDITION_FAILED']);
    expect((await km.keys.info('jwt')).version).toBe(2);

    const fresh = (await call(api, 'GET', '/signing-keys/jwt', { token: admin })).headers.get(
      'etag',
    ) as string;
    const ok = await call(api, 'POST', '/signing-keys/jwt/rotate', {
      token: admin,
      headers: { 'if-match': fresh },
      body: { strategy: 'immediate' },
    });
    expect(ok.status).toBe(201);
    expect(ok.json.version).toBe(3);
    await close();
  });

  it('412 when the key changes between the ETag check and the rotation; no extra version', async () => {
    const { km, api, admin, state, close } = await racing();
    const created = await km.keys.create({ name: 'hooks', type: 'hmac' });
    const etag = (await call(api, 'GET', '/signing-keys/hooks', { token: admin })).headers.get(
      'etag',
    ) as string;
    state.target = 'hooks';
    state.meanwhile = (other) => other.rotator.rotate(created.id, { strategy: 'immediate' });
    const raced = await call(api, 'POST', '/signing-keys/hooks/rotate', {
      token: admin,
      headers: { 'if-match': etag },
      body: { strategy: 'immediate' },
    });
    expect([raced.status, raced.json.code]).toEqual([412, 'ERR_PRECONDITION_FAILED']);
    expect(state.meanwhile).toBeNull();
    expect((await km.keys.info('hooks')).version).toBe(2); // only the concurrent rotation
    await close();
  });
});
