/**
 * githubSecretScanning over a real HTTP server on loopback (@hono/node-server). GitHub's own
 * documented sample delivery must verify; every other delivery is signed here with a local P-256
 * key through node:crypto, exactly as GitHub signs (DER ECDSA over SHA-256 of the raw body).
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { p256 } from '@noble/curves/nist.js';
import { afterEach, describe, expect, it } from 'vitest';
import { generateApiToken } from '../../src/crypto/tokens.js';
import {
  type GitHubPublicKey,
  githubSecretScanning,
  type LeakRevocableAccess,
  parseP256PublicKeyPem,
  verifyGitHubSignature,
} from '../../src/observability/index.js';
import type { KeyEvent } from '../../src/ports/notifier.js';
import { createTestKeyManager } from '../../src/testing/index.js';
import { listen } from '../middleware/harness.js';

// GitHub's documented sample delivery (docs: "Secret scanning partner program", sample message)
// and the public key GitHub publishes under that identifier.
const GH_KEY_ID = '90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a';
const GH_KEY_PEM = [
  '-----BEGIN PUBLIC KEY-----',
  'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9MJJHnMfn2+H4xL4YaPDA4RpJqUq',
  'kCmRCBnYERxZanmcpzQSXs1X/AljlKkbJ8qpVIW4clayyef9gWhFbNHWAA==',
  '-----END PUBLIC KEY-----',
  '',
].join('\n');
const GH_PAYLOAD = '[{"token":"some_token","type":"some_type","url":"some_url"}]';
const GH_SIGNATURE =
  'MEUCIQDKZokqnCjrRtw0tni+2Ltvl/uiMJ1EGumEsp1BsNr32AIgQY1YXD2nlj+XNfGK4rBfkMJ1JDOQcYXxa2sY8FNkrKc=';

const LOCAL_ID = 'a'.repeat(64);
const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

function localKey(): { pem: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

const signB64 = (body: string, key: KeyObject) =>
  sign('sha256', Buffer.from(body, 'utf8'), key).toString('base64');

interface Setup {
  km: ReturnType<typeof createTestKeyManager>['km'];
  clock: ReturnType<typeof createTestKeyManager>['clock'];
  events: KeyEvent[];
  fetches: () => number;
  keys: GitHubPublicKey[];
  privateKey: KeyObject;
  post: (body: string, headers?: Record<string, string>) => Promise<Response>;
  send: (body: string, keyId?: string) => Promise<Response>;
  base: string;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function setup(options: { access?: LeakRevocableAccess; maxBodyBytes?: number } = {}): Promise<Setup> {
  const events: KeyEvent[] = [];
  const { km, clock } = createTestKeyManager({ notifier: { notify: async (e) => void events.push(e) } });
  const { pem, privateKey } = localKey();
  const keys: GitHubPublicKey[] = [
    { key_identifier: GH_KEY_ID, key: GH_KEY_PEM, is_current: false },
    { key_identifier: LOCAL_ID, key: pem, is_current: true },
  ];
  let fetches = 0;
  const handler = githubSecretScanning(km, {
    publicKeys: async () => {
      fetches += 1;
      return keys.map((k) => ({ ...k }));
    },
    ...options,
  });
  const server = listen(createAdaptorServer({ fetch: handler }) as Server);
  const { base, close } = await server;
  closers.push(async () => {
    await close();
    await km.close().catch(() => undefined);
  });
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/hook`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const send = (body: string, keyId = LOCAL_ID) =>
    post(body, {
      'Github-Public-Key-Identifier': keyId,
      'Github-Public-Key-Signature': signB64(body, privateKey),
    });
  return { km, clock, events, fetches: () => fetches, keys, privateKey, post, send, base };
}

const report = (token: string, extra: Record<string, string> = {}) => ({
  token,
  type: 'keywarden_api_key',
  url: 'https://github.com/octo/app/blob/0f1e/config.yml',
  source: 'content',
  ...extra,
});

describe("GitHub's documented test vector", () => {
  it('verifies with the published key, and fails on any other byte string', async () => {
    const point = parseP256PublicKeyPem(GH_KEY_PEM);
    expect(point).not.toBeNull();
    const body = new TextEncoder().encode(GH_PAYLOAD);
    expect(await verifyGitHubSignature(body, GH_SIGNATURE, point as Uint8Array)).toBe(true);
    const reserialized = JSON.stringify(JSON.parse(GH_PAYLOAD), null, 1);
    expect(
      await verifyGitHubSignature(new TextEncoder().encode(reserialized), GH_SIGNATURE, point as Uint8Array),
    ).toBe(false);
    expect(
      await verifyGitHubSignature(
        new TextEncoder().encode(`${GH_PAYLOAD}\n`),
        GH_SIGNATURE,
        point as Uint8Array,
      ),
    ).toBe(false);
  });

  it('is accepted by the handler over HTTP and labelled a false positive by hash', async () => {
    const s = await setup();
    const res = await s.post(GH_PAYLOAD, {
      'GITHUB-PUBLIC-KEY-IDENTIFIER': GH_KEY_ID,
      'GITHUB-PUBLIC-KEY-SIGNATURE': GH_SIGNATURE,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const text = await res.text();
    expect(JSON.parse(text)).toEqual([
      { token_hash: sha256Hex('some_token'), token_type: 'some_type', label: 'false_positive' },
    ]);
    expect(text).not.toContain('some_token');
  });

  it('refuses the same payload re-serialized (the signature covers the raw bytes)', async () => {
    const s = await setup();
    const res = await s.post(JSON.stringify(JSON.parse(GH_PAYLOAD), null, 2), {
      'Github-Public-Key-Identifier': GH_KEY_ID,
      'Github-Public-Key-Signature': GH_SIGNATURE,
    });
    expect(res.status).toBe(401);
  });
});

describe('revoking reported keywarden tokens', () => {
  it('revokes a reported API key with reason leaked, audits and notifies, never echoing the token', async () => {
    const s = await setup();
    const { token, key } = await s.km.apiKeys.create({ name: 'deploy', scopes: ['deploy'] });
    const other = await s.km.apiKeys.create({ name: 'untouched' });
    const body = JSON.stringify([report(token)]);
    const res = await s.send(body);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual([
      { token_hash: sha256Hex(token), token_type: 'keywarden_api_key', label: 'true_positive' },
    ]);
    expect(text).not.toContain(token);

    const verified = await s.km.apiKeys.verify(token);
    expect(verified).toMatchObject({ valid: false, code: 'REVOKED' });
    const info = await s.km.apiKeys.get(key.id);
    expect(info.status).toBe('revoked');
    expect(info.revokeReason).toBe('leaked');
    expect((await s.km.apiKeys.verify(other.token)).valid).toBe(true);

    const revokedEvents = (await s.km.audit.list({ type: 'key.revoked' })).items;
    expect(revokedEvents).toHaveLength(1);
    expect(revokedEvents[0]).toMatchObject({
      keyId: key.id,
      actor: 'github-secret-scanning',
      data: { reason: 'leaked' },
    });
    const leaked = (await s.km.audit.list({ type: 'security.token_leaked' })).items;
    expect(leaked).toHaveLength(1);
    expect(leaked[0]).toMatchObject({
      keyId: key.id,
      kind: 'api_key',
      version: 1,
      actor: 'github-secret-scanning',
      data: {
        tokenKind: 'api_key',
        revoked: true,
        source: 'content',
        url: 'https://github.com/octo/app/blob/0f1e/config.yml',
        reportType: 'keywarden_api_key',
      },
    });
    const all = await s.km.audit.list({ limit: 1000 });
    expect(JSON.stringify(all)).not.toContain(token);
    expect((await s.km.audit.verify()).ok).toBe(true);

    // the manager calls the notifier synchronously (fire-and-forget), so the events are in already
    const types = s.events.filter((e) => e.keyId === key.id).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['key.revoked', 'security.token_leaked']));
    const leakEvent = s.events.find((e) => e.type === 'security.token_leaked');
    expect(leakEvent).toMatchObject({ keyId: key.id, name: 'deploy', revoked: true, source: 'content' });
    expect(JSON.stringify(s.events)).not.toContain(token);
  });

  it('labels unknown, forged and foreign tokens false positives and revokes nothing', async () => {
    const s = await setup();
    const { token, key } = await s.km.apiKeys.create({ name: 'real' });
    const sameIdForged = generateApiToken({ prefix: 'kw', id: key.id }).token; // valid checksum, wrong secret
    const unknownId = generateApiToken({ prefix: 'kw' }).token;
    const typo = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`; // checksum fails
    const foreign = 'ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789';
    const tokens = [sameIdForged, unknownId, typo, foreign];
    const res = await s.send(JSON.stringify(tokens.map((t) => report(t))));
    expect(res.status).toBe(200);
    const feedback = (await res.json()) as { token_hash: string; label: string }[];
    expect(feedback.map((f) => f.label)).toEqual(tokens.map(() => 'false_positive'));
    expect(feedback.map((f) => f.token_hash)).toEqual(tokens.map(sha256Hex));
    expect((await s.km.apiKeys.verify(token)).valid).toBe(true);
    expect((await s.km.audit.list({ type: 'key.revoked' })).items).toHaveLength(0);
    expect((await s.km.audit.list({ type: 'security.token_leaked' })).items).toHaveLength(0);
  });

  it('handles a token reported twice in one delivery once, and a second delivery without a second revocation', async () => {
    const s = await setup();
    const { token } = await s.km.apiKeys.create({ name: 'twice' });
    const body = JSON.stringify([report(token), report(token, { source: 'commit' })]);
    const first = (await (await s.send(body)).json()) as { label: string }[];
    expect(first.map((f) => f.label)).toEqual(['true_positive', 'true_positive']);
    const again = await s.send(JSON.stringify([report(token)]));
    expect(((await again.json()) as { label: string }[])[0]?.label).toBe('true_positive');
    expect((await s.km.audit.list({ type: 'key.revoked' })).items).toHaveLength(1);
    const leaks = (await s.km.audit.list({ type: 'security.token_leaked' })).items;
    expect(leaks.map((e) => e.data['revoked'])).toEqual([true, false]);
    expect(leaks[1]?.data['reason']).toBe('already_revoked');
  });

  it("reports a rotated-out (retired) version's token as real without revoking the live key", async () => {
    const s = await setup();
    const { token: oldToken, key } = await s.km.apiKeys.create({ name: 'rotated' });
    const rotated = await s.km.rotator.rotate(key.id, { strategy: 'immediate' });
    const res = await s.send(JSON.stringify([report(oldToken)]));
    expect(((await res.json()) as { label: string }[])[0]?.label).toBe('true_positive');
    expect((await s.km.apiKeys.verify(rotated.token as string)).valid).toBe(true);
    const leak = (await s.km.audit.list({ type: 'security.token_leaked' })).items[0];
    expect(leak).toMatchObject({
      keyId: key.id,
      version: 1,
      data: { revoked: false, reason: 'version_retired' },
    });
  });

  it('revokes proxy tokens (kwp_) through options.access and API keys with another prefix as usual', async () => {
    const proxy = generateApiToken({ prefix: 'kwp' }).token;
    const revokedProxies: { token: string; reason: string; actor: string }[] = [];
    const access: LeakRevocableAccess = {
      async revokeToken(t, o) {
        if (t !== proxy) return false;
        revokedProxies.push({ token: t, ...o });
        return true;
      },
    };
    const s = await setup({ access });
    const { token } = await s.km.apiKeys.create({ name: 'api', prefix: 'sk_live' });
    const strangerProxy = generateApiToken({ prefix: 'kwp' }).token;
    const res = await s.send(JSON.stringify([report(proxy), report(strangerProxy), report(token)]));
    const labels = ((await res.json()) as { label: string }[]).map((f) => f.label);
    expect(labels).toEqual(['true_positive', 'false_positive', 'true_positive']);
    expect(revokedProxies).toEqual([{ token: proxy, reason: 'leaked', actor: 'github-secret-scanning' }]);
    const leaks = (await s.km.audit.list({ type: 'security.token_leaked' })).items;
    expect(leaks.map((e) => e.data['tokenKind']).sort()).toEqual(['api_key', 'proxy']);
    expect(JSON.stringify(leaks)).not.toContain(proxy);
  });

  it('works with the agentAccess shape: verify names the session, sessions.revoke ends it', async () => {
    // Stands in for agentAccess(km) (keywarden/access, built on another branch): the surface of DESIGN.md.
    const live = generateApiToken({ prefix: 'kwp' });
    const expired = generateApiToken({ prefix: 'kwp' });
    const sessions = new Map([
      [live.token, { id: live.id, status: 'active' }],
      [expired.token, { id: expired.id, status: 'expired' }],
    ]);
    const revokedSessions: { id: string; reason: string }[] = [];
    const access: LeakRevocableAccess = {
      async verify(token) {
        const session = sessions.get(token);
        if (session === undefined) return { valid: false, code: 'NOT_FOUND' };
        if (session.status !== 'active') return { valid: false, code: 'EXPIRED' };
        return { valid: true, session };
      },
      sessions: {
        async revoke(id, o) {
          revokedSessions.push({ id, reason: o.reason });
          for (const s of sessions.values()) if (s.id === id) s.status = 'revoked';
        },
      },
    };
    const s = await setup({ access });
    const stranger = generateApiToken({ prefix: 'kwp' }).token;
    const res = await s.send(JSON.stringify([report(live.token), report(expired.token), report(stranger)]));
    const labels = ((await res.json()) as { label: string }[]).map((f) => f.label);
    expect(labels).toEqual(['true_positive', 'true_positive', 'false_positive']);
    expect(revokedSessions).toEqual([{ id: live.id, reason: 'leaked' }]);
    const leaks = (await s.km.audit.list({ type: 'security.token_leaked' })).items;
    // reports are handled concurrently: compare without order
    expect(leaks.map((e) => [e.keyId, e.data['revoked']])).toEqual(
      expect.arrayContaining([
        [live.id, true],
        [expired.id, false],
      ]),
    );
    expect(leaks).toHaveLength(2);
  });

  it('answers 503 and labels nothing when the store fails (GitHub delivers again)', async () => {
    const s = await setup();
    const { token } = await s.km.apiKeys.create({ name: 'x' });
    await s.km.close();
    const res = await s.send(JSON.stringify([report(token)]));
    expect(res.status).toBe(503);
    expect(await res.text()).not.toContain(token);
  });
});

describe('refusing what GitHub did not sign', () => {
  it('401 for a re-serialized, tampered, unsigned or wrongly signed body; the key stays valid', async () => {
    const s = await setup();
    const { token } = await s.km.apiKeys.create({ name: 'safe' });
    const body = JSON.stringify([report(token)]);
    const signature = signB64(body, s.privateKey);
    const headers = { 'Github-Public-Key-Identifier': LOCAL_ID, 'Github-Public-Key-Signature': signature };
    const reserialized = JSON.stringify(JSON.parse(body), null, 2);
    expect((await s.post(reserialized, headers)).status).toBe(401);
    expect((await s.post(body.replace('content', 'commit!'), headers)).status).toBe(401);
    expect((await s.post(body)).status).toBe(401);
    expect((await s.post(body, { 'Github-Public-Key-Identifier': LOCAL_ID })).status).toBe(401);
    expect((await s.post(body, { ...headers, 'Github-Public-Key-Signature': 'not base64 !' })).status).toBe(
      401,
    );
    const stranger = localKey();
    expect(
      (await s.post(body, { ...headers, 'Github-Public-Key-Signature': signB64(body, stranger.privateKey) }))
        .status,
    ).toBe(401);
    // a valid signature under GitHub's sample key id does not count for the local key's body
    expect((await s.post(body, { ...headers, 'Github-Public-Key-Identifier': GH_KEY_ID })).status).toBe(401);
    expect((await s.km.apiKeys.verify(token)).valid).toBe(true);
    expect((await s.km.audit.list({ type: 'key.revoked' })).items).toHaveLength(0);
  });

  it('accepts a high-S signature (GitHub does not normalize S)', async () => {
    const s = await setup();
    const body = JSON.stringify([report('not-a-keywarden-token')]);
    const der = sign('sha256', Buffer.from(body), s.privateKey);
    const sig = p256.Signature.fromBytes(new Uint8Array(der), 'der');
    const n = p256.Point.CURVE().n;
    const flipped = new p256.Signature(sig.r, n - sig.s);
    const highS = sig.s > n / 2n ? sig : flipped;
    expect(highS.s > n / 2n).toBe(true);
    const res = await s.post(body, {
      'Github-Public-Key-Identifier': LOCAL_ID,
      'Github-Public-Key-Signature': Buffer.from(highS.toBytes('der')).toString('base64'),
    });
    expect(res.status).toBe(200);
  });

  it('405 for other methods, 413 over the body limit, 400 for a signed body that is not a report array', async () => {
    const s = await setup({ maxBodyBytes: 512 });
    const get = await fetch(`${s.base}/hook`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await s.send(JSON.stringify([report('x'.repeat(600))]))).status).toBe(413);
    for (const bad of [
      'not json',
      '{"token":"a","type":"b"}',
      '[{"type":"b"}]',
      '[1]',
      '[{"token":"a","type":2}]',
    ]) {
      expect((await s.send(bad)).status).toBe(400);
    }
    expect((await s.send('[]')).status).toBe(200);
  });
});

describe('the public key cache', () => {
  it('fetches once, refetches once on an unknown id (rate-limited), and again after the TTL', async () => {
    const s = await setup();
    const body = JSON.stringify([report('nothing')]);
    expect((await s.send(body)).status).toBe(200);
    expect((await s.send(body)).status).toBe(200);
    expect(s.fetches()).toBe(1);

    // GitHub rotates: a new key appears under a new id; the first delivery with it triggers one refetch.
    const rotated = localKey();
    const newId = 'b'.repeat(64);
    s.keys.push({ key_identifier: newId, key: rotated.pem, is_current: true });
    s.clock.advance('2m');
    const signedNew = {
      'Github-Public-Key-Identifier': newId,
      'Github-Public-Key-Signature': signB64(body, rotated.privateKey),
    };
    expect((await s.post(body, signedNew)).status).toBe(200);
    expect(s.fetches()).toBe(2);

    // An id nobody publishes: no refetch within the cooldown, one after it.
    const unknown = {
      'Github-Public-Key-Identifier': 'c'.repeat(64),
      'Github-Public-Key-Signature': signB64(body, s.privateKey),
    };
    expect((await s.post(body, unknown)).status).toBe(401);
    expect((await s.post(body, unknown)).status).toBe(401);
    expect(s.fetches()).toBe(2);
    s.clock.advance('61s');
    expect((await s.post(body, unknown)).status).toBe(401);
    expect(s.fetches()).toBe(3);
    expect((await s.post(body, unknown)).status).toBe(401);
    expect(s.fetches()).toBe(3);

    s.clock.advance('2h');
    expect((await s.send(body)).status).toBe(200);
    expect(s.fetches()).toBe(4);
  });

  it('503 when the key source fails, with the error given to onError', async () => {
    const { km } = createTestKeyManager();
    closers.push(() => km.close());
    const errors: unknown[] = [];
    const handler = githubSecretScanning(km, {
      publicKeys: async () => {
        throw new Error('github down');
      },
      onError: (e) => errors.push(e),
    });
    const { pem: _pem, privateKey } = localKey();
    const body = '[]';
    const res = await handler(
      new Request('http://127.0.0.1/hook', {
        method: 'POST',
        body,
        headers: {
          'Github-Public-Key-Identifier': LOCAL_ID,
          'Github-Public-Key-Signature': signB64(body, privateKey),
        },
      }),
    );
    expect(res.status).toBe(503);
    expect(errors).toHaveLength(1);
  });

  it('skips malformed published keys (wrong curve, garbage) instead of failing', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    expect(parseP256PublicKeyPem(publicKey.export({ type: 'spki', format: 'pem' }).toString())).toBeNull();
    expect(parseP256PublicKeyPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toBeNull();
    expect(parseP256PublicKeyPem(42)).toBeNull();
  });
});

describe('options', () => {
  it('refuses a non-manager and bad options, naming the field', () => {
    const { km } = createTestKeyManager();
    expect(() => githubSecretScanning({} as never)).toThrowError(expect.objectContaining({ field: 'km' }));
    const cases: [Record<string, unknown>, string][] = [
      [{ publicKeys: 'https://x' }, 'options.publicKeys'],
      [{ access: {} }, 'options.access'],
      [{ maxBodyBytes: 0 }, 'options.maxBodyBytes'],
      [{ actor: '' }, 'options.actor'],
      [{ onError: 1 }, 'options.onError'],
      [{ nope: true }, 'options'],
    ];
    for (const [options, field] of cases) {
      expect(() => githubSecretScanning(km, options as never)).toThrowError(
        expect.objectContaining({ code: 'ERR_VALIDATION', field }),
      );
    }
  });
});
