import { describe, expect, it } from 'vitest';
import { call, fixture, headerText } from './harness.js';

const VALUE = 'sk-live-VERY-SECRET-0123456789';
const VALUE2 = 'sk-live-SECOND-SECRET-9876543210';

describe('management API: secrets', () => {
  it('sets, reads metadata, lists versions, rolls back and deletes without ever answering the value', async () => {
    const { api, tokens, km } = await fixture();
    const texts: string[] = [];
    const go = async (...args: Parameters<typeof call>) => {
      const r = await call(...args);
      texts.push(r.text, headerText(r.headers));
      return r;
    };
    const set1 = await go(api, 'PUT', '/secrets/OPENAI_KEY?environment=production', {
      token: tokens.write,
      body: { value: VALUE, provider: 'openai', tags: ['ai'], description: 'the model key' },
    });
    expect(set1.status).toBe(200);
    expect(set1.json).toMatchObject({
      name: 'OPENAI_KEY',
      environment: 'production',
      version: 1,
      provider: 'openai',
    });
    const set2 = await go(api, 'PUT', '/secrets/OPENAI_KEY?environment=production', {
      token: tokens.write,
      body: { value: VALUE2 },
    });
    expect(set2.json.version).toBe(2);
    expect(set2.json.provider).toBe('openai'); // omitted fields keep their value

    const info = await go(api, 'GET', '/secrets/OPENAI_KEY?environment=production', { token: tokens.read });
    expect(info.status).toBe(200);
    expect(info.headers.get('etag')).toMatch(/^"r\d+-/); // strong: from the revision, for If-Match
    const list = await go(api, 'GET', '/secrets?environment=production&tag=ai', { token: tokens.read });
    expect(list.json.items.map((s: { name: string }) => s.name)).toEqual(['OPENAI_KEY']);
    const versions = await go(api, 'GET', '/secrets/OPENAI_KEY/versions?environment=production', {
      token: tokens.read,
    });
    expect(versions.json.items.map((v: { state: string }) => v.state).sort()).toEqual([
      'current',
      'previous',
    ]);
    const rolled = await go(api, 'POST', '/secrets/OPENAI_KEY/rollback?environment=production', {
      token: tokens.write,
      body: {},
    });
    expect(rolled.json).toMatchObject({ version: 1, fromVersion: 2 });
    expect(await km.secrets.get('OPENAI_KEY', { environment: 'production' })).toBe(VALUE);

    const missing = await go(api, 'GET', '/secrets/OPENAI_KEY', { token: tokens.read }); // default environment
    expect(missing.status).toBe(404);
    const deleted = await go(api, 'DELETE', '/secrets/OPENAI_KEY?environment=production', {
      token: tokens.write,
    });
    expect(deleted.status).toBe(204);
    const again = await go(api, 'DELETE', '/secrets/OPENAI_KEY?environment=production', {
      token: tokens.write,
    });
    expect(again.status).toBe(404);

    for (const t of texts) {
      expect(t).not.toContain(VALUE);
      expect(t).not.toContain(VALUE2);
    }
  });

  it('reveals a value only through POST /secrets/{name}/reveal with keywarden:reveal, audited as secret.read', async () => {
    const { api, tokens, km } = await fixture();
    await km.secrets.set('DB_PASSWORD', VALUE);
    await km.secrets.set('DB_PASSWORD', VALUE2);
    for (const t of [tokens.read, tokens.write, tokens.approve, tokens.viewer]) {
      const denied = await call(api, 'POST', '/secrets/DB_PASSWORD/reveal', { token: t, body: {} });
      expect(denied.status).toBe(403);
      expect(denied.text).not.toContain(VALUE2);
    }
    const before = (await km.audit.list({ type: 'secret.read' })).items.length;
    const shown = await call(api, 'POST', '/secrets/DB_PASSWORD/reveal', { token: tokens.reveal, body: {} });
    expect(shown.status).toBe(200);
    expect(shown.headers.get('cache-control')).toBe('no-store');
    expect(shown.headers.get('etag')).toBeNull();
    expect(shown.json).toEqual({ name: 'DB_PASSWORD', environment: 'default', version: null, value: VALUE2 });
    const old = await call(api, 'POST', '/secrets/DB_PASSWORD/reveal', {
      token: tokens.admin,
      body: { version: 1 },
    });
    expect(old.json).toMatchObject({ version: 1, value: VALUE });
    const reads = (await km.audit.list({ type: 'secret.read' })).items;
    expect(reads.length).toBe(before + 2);
    // each reveal's audit row names the operator who revealed it (the keys' owners rae and alice)
    expect(reads.slice(-2).map((e) => e.actor)).toEqual(['rae', 'alice']);
    const audit = await call(api, 'GET', '/audit?type=secret.read', { token: tokens.read });
    expect(audit.text).not.toContain(VALUE);
    expect(audit.text).not.toContain(VALUE2);
  });

  it('decodes percent-encoded names and refuses a value that is not a string', async () => {
    const { api, tokens, km } = await fixture();
    await km.secrets.set('svc.token-1', VALUE);
    const info = await call(api, 'GET', `/secrets/${encodeURIComponent('svc.token-1')}`, {
      token: tokens.read,
    });
    expect(info.json.name).toBe('svc.token-1');
    const bad = await call(api, 'PUT', '/secrets/X', { token: tokens.write, body: { value: 42 } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'ERR_VALIDATION', field: 'body.value' });
  });
});
