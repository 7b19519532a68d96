import { describe, expect, it } from 'vitest';
import { agentAccess } from '../../src/access/index.js';
import { memoryStorage } from '../../src/adapters/memory.js';
import { generateMasterKey } from '../../src/kms/index.js';
import { dump, open } from '../backup/helpers.js';

describe('access records in a backup', () => {
  it('export and import keep tools, requests and sessions; an open session still works', async () => {
    const masterKey = generateMasterKey();
    const source = memoryStorage();
    const s = open(source, masterKey);
    await s.km.secrets.set('STRIPE_KEY', 'sk_backup_0123456789abcdef');
    const access = agentAccess(s.km);
    await access.tools.register({
      id: 'stripe',
      secret: 'STRIPE_KEY',
      upstream: { origin: 'https://api.stripe.com', auth: { type: 'bearer' } },
    });
    const req = await access.requests.create({ toolId: 'stripe', agentId: 'agent-7', justification: 'x' });
    await access.requests.approve(req.id, { approver: 'alice' });
    const { token } = await access.sessions.open(req.id);
    const pending = await access.requests.create({
      toolId: 'stripe',
      agentId: 'agent-8',
      justification: 'y',
    });

    const bundle = await s.backup.export();
    expect(JSON.stringify(bundle)).not.toContain(token);
    const target = memoryStorage();
    const t = open(target, masterKey);
    await t.backup.import(JSON.parse(JSON.stringify(bundle)));
    expect(await dump(target)).toEqual(await dump(source));

    const restored = agentAccess(t.km);
    expect((await restored.tools.get('stripe')).secret).toBe('STRIPE_KEY');
    expect((await restored.requests.get(pending.id)).status).toBe('pending');
    const r = await restored.authorize(token, { toolId: 'stripe', method: 'GET', path: '/v1/charges' });
    expect(r.ok && r.secret).toBe('sk_backup_0123456789abcdef');
  });
});
