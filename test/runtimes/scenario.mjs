/**
 * The runtime-matrix scenario: one journey through the BUILT package (imports resolve to dist
 * through package.json `exports`), run unchanged on Node, Bun, Deno, workerd and Chromium by
 * test/runtimes/matrix.test.ts. Plain JavaScript with no Node built-ins, so every runtime loads it
 * as is (Node, Bun, Deno) or bundled by esbuild (workerd, Chromium).
 *
 * The manager is built at module scope, as a Worker is usually written: workerd refuses random
 * numbers, timers and `new AbortController()` there, so building it must do none of them (and the
 * master key is a fixed test constant, not `generateMasterKey()`).
 */
import { createKeyManager } from 'keywarden';
import { memoryStorage } from 'keywarden/adapters/memory';
import { registerNobleCurves, registerNobleKdfs } from 'keywarden/crypto/noble';
import { managementApi } from 'keywarden/http';
import { localKms } from 'keywarden/kms';
import { verifyRequest } from 'keywarden/middleware';

/** A fixed 32-byte test key (hex): a Worker's global scope allows no random numbers. */
const TEST_MASTER_KEY = '6b6579776172646e2d72756e74696d652d6d61747269782d746573742d6b6579';

const km = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey: TEST_MASTER_KEY }) });
const api = managementApi(km, { basePath: '/admin' });
const invoicesRead = { scopes: ['invoices:read'] };

/** Which runtime this is, from what only that runtime has. */
function runtimeName() {
  const g = globalThis;
  if (g.Deno?.version?.deno) return `deno ${g.Deno.version.deno}`;
  if (g.Bun?.version) return `bun ${g.Bun.version}`;
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd';
  if (g.process?.versions?.node) return `node ${g.process.versions.node}`;
  if (g.navigator?.userAgent?.includes('Chrome')) return `chromium ${g.navigator.userAgent}`;
  return 'unknown';
}

const bearer = (token) => ({ authorization: `Bearer ${token}` });

/**
 * Runs the journey and returns each step's outcome (never a token or secret value): the test
 * asserts every step passed, so a step that throws is reported with its error code, not hidden.
 */
export async function runScenario() {
  const steps = [];
  const step = async (name, fn) => {
    try {
      const detail = await fn();
      steps.push({ name, ok: true, detail: detail === undefined ? '' : String(detail) });
    } catch (error) {
      steps.push({ name, ok: false, detail: `${error?.code ?? error?.name ?? 'Error'}: ${error?.message}` });
    }
  };
  const expect = (condition, what) => {
    if (!condition) throw new Error(`expected ${what}`);
  };

  let token;
  let keyId;
  await step('apiKeys.create', async () => {
    const created = await km.apiKeys.create({ name: 'billing', scopes: ['invoices:*'] });
    token = created.token;
    keyId = created.key.id;
    expect(/^kw_[A-Za-z0-9]{12}_[A-Za-z0-9]{38}$/.test(token), 'a kw_ token');
    return keyId;
  });
  await step('apiKeys.verify', async () => {
    const r = await km.apiKeys.verify(token, invoicesRead);
    expect(r.valid === true && r.key.id === keyId, 'a valid key');
    const wrongScope = await km.apiKeys.verify(token, { scopes: ['customers:read'] });
    expect(wrongScope.valid === false && wrongScope.code === 'INSUFFICIENT_SCOPE', 'INSUFFICIENT_SCOPE');
    return r.version;
  });
  await step('middleware verifyRequest', async () => {
    const ok = await verifyRequest(
      km,
      new Request('https://app.test/invoices', { headers: bearer(token) }),
      invoicesRead,
    );
    expect(ok.ok === true && ok.key.id === keyId, 'the request accepted');
    const missing = await verifyRequest(km, new Request('https://app.test/invoices'), invoicesRead);
    expect(missing.ok === false && missing.response.status === 401, '401 without a key');
    expect(
      missing.response.headers.get('www-authenticate')?.startsWith('Bearer') === true,
      'WWW-Authenticate',
    );
    return missing.response.status;
  });
  await step('secrets.set/get', async () => {
    await km.secrets.set('OPENAI_API_KEY', 'sk-runtime-matrix-value', { environment: 'production' });
    await km.secrets.set('OPENAI_API_KEY', 'sk-runtime-matrix-value-2', { environment: 'production' });
    const value = await km.secrets.get('OPENAI_API_KEY', { environment: 'production' });
    expect(value === 'sk-runtime-matrix-value-2', 'the latest value');
    const first = await km.secrets.get('OPENAI_API_KEY', { environment: 'production', version: 1 });
    expect(first === 'sk-runtime-matrix-value', 'version 1');
  });
  let signingKeyId;
  await step('keys.create/sign/jwks (ES256, checked by WebCrypto)', async () => {
    const info = await km.keys.create({ name: 'jwt', type: 'ecdsa', algorithm: 'ES256' });
    signingKeyId = info.id;
    const data = new TextEncoder().encode('header.payload');
    const signature = await km.keys.sign('jwt', data);
    expect(await km.keys.verify('jwt', data, signature), 'keys.verify');
    const jwks = await km.keys.jwks('jwt');
    expect(jwks.keys.length === 1 && typeof jwks.keys[0].kid === 'string', 'one JWK with a kid');
    const publicKey = await crypto.subtle.importKey(
      'jwk',
      jwks.keys[0],
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, publicKey, signature, data);
    expect(ok, "the runtime's own WebCrypto to accept the signature");
    return jwks.keys[0].kid;
  });
  let next;
  await step('rotation (API key immediate, signing key overlap)', async () => {
    const rotated = await km.rotator.rotate(keyId, { strategy: 'immediate' });
    next = rotated.token;
    expect(rotated.version === 2 && typeof next === 'string' && next !== token, 'a new token');
    expect((await km.apiKeys.verify(next)).valid === true, 'the new token valid');
    expect((await km.apiKeys.verify(token)).valid === false, 'the old token refused');
    await km.rotator.rotate(signingKeyId, { strategy: 'overlap', overlap: '1h' });
    const jwks = await km.keys.jwks('jwt');
    expect(jwks.keys.length === 2, 'both signing keys published during the overlap');
    const due = await km.rotator.runDue();
    expect(due.failed.length === 0, 'runDue without failures');
    return jwks.keys.length;
  });
  await step('apiKeys.revoke', async () => {
    await km.apiKeys.revoke(keyId, { reason: 'runtime matrix' });
    const r = await km.apiKeys.verify(next);
    expect(r.valid === false && r.code === 'REVOKED', 'REVOKED');
    return r.code;
  });
  await step('http managementApi', async () => {
    const { token: operator } = await km.apiKeys.create({ name: 'ops', scopes: ['keywarden:admin'] });
    const list = await api(new Request('https://app.test/admin/api-keys', { headers: bearer(operator) }));
    expect(list.status === 200, `200 (got ${list.status})`);
    const body = await list.json();
    expect(
      body.items.some((k) => k.id === keyId && k.status === 'revoked'),
      'the revoked key listed',
    );
    const anonymous = await api(new Request('https://app.test/admin/api-keys'));
    expect(anonymous.status === 401, '401 without an operator key');
    const doc = await api(new Request('https://app.test/admin/openapi.json', { headers: bearer(operator) }));
    expect(doc.status === 200 && (await doc.json()).openapi?.startsWith('3.1'), 'the OpenAPI document');
    return body.items.length;
  });
  await step('generator.deriveKey (PBKDF2; checked by WebCrypto)', async () => {
    const salt = new TextEncoder().encode('runtime-matrix-salt');
    const derived = await km.generator.deriveKey({
      method: 'pbkdf2',
      password: 'correct horse battery staple',
      salt,
      iterations: 1000,
      length: 32,
    });
    const material = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode('correct horse battery staple'),
      'PBKDF2',
      false,
      ['deriveBits'],
    );
    const expected = new Uint8Array(
      await crypto.subtle.deriveBits(
        { name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 },
        material,
        256,
      ),
    );
    expect(derived.length === 32 && derived.every((b, i) => b === expected[i]), 'the WebCrypto PBKDF2 bytes');
  });
  await step(
    'ES256K key and Argon2id (noble: loaded by Node/Bun/Deno, registered in workerd/Chromium)',
    async () => {
      const server = /^(node|bun|deno) /.test(runtimeName());
      const argon2 = {
        method: 'argon2id',
        password: 'password',
        salt: 'somesalt',
        t: 2,
        m: 256,
        p: 1,
        length: 32,
      };
      if (!server) {
        // a browser or Worker bundle carries no noble until it registers it: refused, naming the field
        const refused = await km.generator.deriveKey(argon2).then(
          () => 'derived',
          (error) => `${error?.code}:${error?.field}`,
        );
        expect(
          refused === 'ERR_UNSUPPORTED:params.method',
          `ERR_UNSUPPORTED before registration (got ${refused})`,
        );
        registerNobleCurves();
        registerNobleKdfs();
      }
      await km.keys.create({ name: 'k1', type: 'ecdsa', algorithm: 'ES256K' });
      const data = new TextEncoder().encode('header.payload');
      const signature = await km.keys.sign('k1', data);
      expect(signature.length === 64 && (await km.keys.verify('k1', data, signature)), 'an ES256K signature');
      const derived = await km.generator.deriveKey(argon2);
      const hex = Array.from(derived, (b) => b.toString(16).padStart(2, '0')).join('');
      // the reference implementation's vector (password/somesalt, t=2, m=256 KiB, p=1)
      expect(
        hex === '9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe',
        'the Argon2id vector',
      );
      return server ? 'loaded' : 'registered';
    },
  );
  await step('audit.verify', async () => {
    const r = await km.audit.verify();
    expect(r.ok === true && r.count > 10, 'an intact chain');
    return r.count;
  });
  return { runtime: runtimeName(), steps };
}
