/**
 * The attacks of issue 10, written as the attacker does them: a store writer without the master
 * key edits records directly through the storage adapter, then the application calls the public
 * API. Every edit is refused with ERR_INTEGRITY (naming the record); none changes a value or a
 * decision. The one edit a per-record MAC cannot see (a whole record rolled back to an older,
 * validly MAC'd copy) is shown, and `km.check()` (doctor) reports it from the audit log.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { isKeywardenError } from '../../src/errors.js';
import { createKeyManager, type KeyManager } from '../../src/index.js';
import { generateMasterKey, localKms } from '../../src/kms/index.js';
import type { JsonValue } from '../../src/ports/json.js';
import type { StorageAdapter, StoredRecord } from '../../src/ports/storage.js';
import { MAC_EXCLUDED_FIELDS } from '../../src/records/record-mac.js';
import { code, tamper } from '../support/store-attack.js';
import { trustedStorage } from '../support/trusted-storage.js';

function setup(): { km: KeyManager; storage: StorageAdapter } {
  const storage = memoryStorage();
  const km = createKeyManager({ storage, kms: localKms({ masterKey: generateMasterKey() }), usage: false });
  return { km, storage };
}

describe('integrity attacks through the storage adapter', () => {
  it("tenant swap: B's secret relabelled to tenant a is refused, never B's plaintext", async () => {
    const { km, storage } = setup();
    const b = await km.secrets.set('STRIPE_KEY', 'tenant-b-secret', { tenantId: 'b' });
    await tamper(storage, b.id, (r) => ({ ...r, tenantId: 'a' }));
    const err = await km.secrets.get('STRIPE_KEY', { tenantId: 'a' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_INTEGRITY' });
    expect(String((err as Error).message)).toContain(b.id);
    expect(String((err as Error).message)).not.toContain('tenant-b-secret');
  });

  it('environment and name swaps between two secrets are refused', async () => {
    const { km, storage } = setup();
    const prod = await km.secrets.set('DB_URL', 'prod-db', { environment: 'production' });
    const stg = await km.secrets.set('DB_URL', 'staging-db', { environment: 'staging' });
    await tamper(storage, prod.id, (r) => ({ ...r, environment: 'tmp' }));
    await tamper(storage, stg.id, (r) => ({ ...r, environment: 'production' }));
    await tamper(storage, prod.id, (r) => ({ ...r, environment: 'staging' }));
    expect(await code(km.secrets.get('DB_URL', { environment: 'production' }))).toBe('ERR_INTEGRITY');
    expect(await code(km.secrets.get('DB_URL', { environment: 'staging' }))).toBe('ERR_INTEGRITY');

    const a = await km.secrets.set('A', 'value-a');
    const bb = await km.secrets.set('B', 'value-b');
    await tamper(storage, a.id, (r) => ({ ...r, name: 'tmp' }));
    await tamper(storage, bb.id, (r) => ({ ...r, name: 'A' }));
    await tamper(storage, a.id, (r) => ({ ...r, name: 'B' }));
    expect(await code(km.secrets.get('A'))).toBe('ERR_INTEGRITY');
    expect(await code(km.secrets.get('B'))).toBe('ERR_INTEGRITY');
    expect(await code(km.secrets.list())).toBe('ERR_INTEGRITY');
  });

  it('un-revoke by a status edit: the token never verifies again', async () => {
    const { km, storage } = setup();
    const { token, key } = await km.apiKeys.create({ name: 'k' });
    await km.apiKeys.revoke(key.id, { reason: 'leaked' });
    await tamper(storage, key.id, (r) => ({ ...r, status: 'active', data: { ...r.data, revokedAt: null } }));
    expect(await code(km.apiKeys.verify(token))).toBe('ERR_INTEGRITY');
    expect(await code(km.apiKeys.get(key.id))).toBe('ERR_INTEGRITY');
    const report = await km.check();
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual({
      recordId: key.id,
      version: null,
      reason: 'integrity',
      code: 'ERR_INTEGRITY',
    });
  });

  it('un-revoke by rolling the whole record back to its copy from before the revoke: only doctor sees it', async () => {
    const { km, storage } = setup();
    const { token, key } = await km.apiKeys.create({ name: 'k' });
    const before = (await storage.get(key.id)) as StoredRecord; // a validly MAC'd old copy
    await km.apiKeys.revoke(key.id);
    expect((await km.apiKeys.verify(token)).valid).toBe(false);
    await tamper(storage, key.id, () => before);
    // a per-record MAC cannot tell an old valid copy from the current one (docs/threat-model.md) ...
    expect((await km.apiKeys.verify(token)).valid).toBe(true);
    // ... the audit log can: km.check() (keywarden doctor) reports it
    const report = await km.check();
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual({
      recordId: key.id,
      version: null,
      reason: 'rolled-back',
      code: 'ERR_INTEGRITY',
    });
  });

  it('credits raised, scopes widened, expiry extended, version states edited: all refused', async () => {
    const { km, storage } = setup();
    const { token, key } = await km.apiKeys.create({
      name: 'k',
      scopes: ['read'],
      remaining: 1,
      expiresIn: '1h',
    });
    const edits: ((r: StoredRecord) => StoredRecord)[] = [
      (r) => ({ ...r, data: { ...r.data, remaining: 1_000_000 } }),
      (r) => ({ ...r, data: { ...r.data, scopes: ['read', 'admin'] } }),
      (r) => ({ ...r, expiresAt: (r.expiresAt ?? 0) + 365 * 86_400_000 }),
      (r) => ({ ...r, versions: r.versions.map((v) => ({ ...v, state: 'previous', retireAt: null })) }),
    ];
    for (const edit of edits) {
      const original = (await storage.get(key.id)) as StoredRecord;
      await tamper(storage, key.id, edit);
      expect(await code(km.apiKeys.verify(token, { scopes: ['admin'] }))).toBe('ERR_INTEGRITY');
      await tamper(storage, key.id, () => original); // put the real record back
    }
    expect(await km.apiKeys.verify(token, { scopes: ['read'] })).toMatchObject({ valid: true });

    const k = await km.keys.create({ name: 'sig', type: 'ed25519' });
    await km.rotator.rotate(k.id);
    await tamper(storage, k.id, (r) => ({
      ...r,
      versions: r.versions.map((v) => ({ ...v, state: v.state === 'previous' ? 'current' : 'previous' })),
    }));
    expect(await code(km.keys.jwks('sig'))).toBe('ERR_INTEGRITY');
    expect(await code(km.keys.sign('sig', 'payload'))).toBe('ERR_INTEGRITY');
  });
});

/** Every JSON leaf (and every object or array node) of a record, as paths. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) out.push(...paths(value[i], [...prefix, i]));
  } else if (typeof value === 'object' && value !== null)
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function setPath(record: StoredRecord, path: (string | number)[], value: JsonValue): StoredRecord {
  const copy = JSON.parse(JSON.stringify(record)) as Record<string | number, unknown>;
  let node = copy;
  for (const p of path.slice(0, -1)) node = node[p] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
  return copy as unknown as StoredRecord;
}

/** Whether `path` is one of the fields the MAC leaves out on purpose (MAC_EXCLUDED_FIELDS). */
function excluded(path: (string | number)[]): boolean {
  const text = path
    .map((p) => (typeof p === 'number' ? '[]' : p))
    .join('.')
    .replace('.[]', '[]');
  return MAC_EXCLUDED_FIELDS.some((f) => text === f || text.startsWith(`${f}.`) || text.startsWith(`${f}[`));
}

describe('property: any single change to any stored field of any record kind', () => {
  it('is harmless (the API answers as before) or a typed KeywardenError; never another value or decision', async () => {
    const { km, storage } = setup();
    const access = agentAccess(km);
    const { token, key } = await km.apiKeys.create({ name: 'k', scopes: ['read'] }); // no credits: verify writes nothing
    const secret = await km.secrets.set('S', 'the-value', { environment: 'production' });
    const sig = await km.keys.create({ name: 'sig', type: 'ed25519' });
    const tool = await access.tools.register({
      id: 'stripe',
      name: 'Payments',
      secret: 'S',
      environment: 'production',
      upstream: { origin: 'https://api.stripe.com', auth: { type: 'bearer' } },
      methods: ['GET'],
      paths: ['/v1/charges'],
      approval: 'auto',
    });
    const req = await access.requests.create({ toolId: tool.id, agentId: 'agent-1', justification: 'x' });
    const session = await access.sessions.open(req.id);
    const answers = async () => ({
      verify: await km.apiKeys.verify(token, { scopes: ['read'] }).then((r) => ({ valid: r.valid })),
      secret: await km.secrets.get('S', { environment: 'production' }),
      jwks: await km.keys.jwks('sig'),
      tool: await access.tools.get(tool.id),
      session: await access.verify(session.token, { toolId: tool.id, method: 'GET', path: '/v1/charges' }),
    });
    const baseline = JSON.stringify(await answers());
    const guarded = trustedStorage(km);
    const ids = [key.id, secret.id, sig.id, req.id, session.id];
    const toolRecord = (await storage.list({ limit: 100, kind: 'access_tool' })).items[0] as StoredRecord;
    ids.push(toolRecord.id);
    const records = new Map<string, StoredRecord>();
    for (const id of ids) records.set(id, (await storage.get(id)) as StoredRecord);

    const kinds = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ids),
        fc.nat(),
        fc.oneof(fc.jsonValue(), fc.string(), fc.integer(), fc.constant(null)),
        async (id, pick, value) => {
          const original = records.get(id) as StoredRecord;
          kinds.add(original.kind);
          // id: a record under another id is another record (the guard refuses a get answered with one)
          const all = paths(original).filter((p) => p[0] !== 'mac' && p[0] !== 'revision' && p[0] !== 'id');
          const path = all[pick % all.length] as (string | number)[];
          const current = (await storage.get(id)) as StoredRecord;
          const edited = setPath(original, path, value as JsonValue);
          try {
            await storage.update(
              { ...edited, revision: current.revision + 1 },
              { expectedRevision: current.revision },
            );
          } catch (e) {
            if (isKeywardenError(e)) return; // the adapter itself refuses to store it (not a record)
            throw e;
          }
          try {
            let answer: string;
            try {
              answer = JSON.stringify(await answers());
            } catch (e) {
              if (!isKeywardenError(e))
                throw new Error(`untyped error after editing ${path.join('.')}: ${String(e)}`);
              answer = 'typed';
            }
            const changedStored = JSON.stringify(edited) !== JSON.stringify(original);
            if (answer !== 'typed' && answer !== baseline) {
              throw new Error(
                `another answer after editing ${original.kind} ${path.join('.')}: ${answer} vs ${baseline}`,
              );
            }
            // a real change of an authenticated field never passes the guard
            if (changedStored && !excluded(path)) {
              const read = await guarded.get(id).then(
                () => 'read',
                (e: unknown) => (isKeywardenError(e, 'ERR_INTEGRITY') ? 'refused' : 'other'),
              );
              if (read !== 'refused')
                throw new Error(`${original.kind} ${path.join('.')} edited, not refused`);
            }
          } finally {
            const now = (await storage.get(id)) as StoredRecord;
            await storage.update(
              { ...original, revision: now.revision + 1 },
              { expectedRevision: now.revision },
            );
          }
        },
      ),
      { numRuns: 300 },
    );
    expect([...kinds].sort()).toEqual([
      'access_request',
      'access_session',
      'access_tool',
      'api_key',
      'key',
      'secret',
    ]);
  });
});
