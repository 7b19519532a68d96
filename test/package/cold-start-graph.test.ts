/**
 * What a manager's cold start loads on Node, from the BUILT package (issue 16: cold start ≤ 100 ms
 * over bare node). A child `node` imports `keywarden`, `keywarden/adapters/memory` and
 * `keywarden/kms`, creates a manager, creates and verifies an API key and writes and reads a
 * secret, while an in-process inspector session records every script V8 parses (ES modules and
 * `require`d ones alike). On the native backend no @noble module may be among them: noble is
 * loaded only when `KEYWARDEN_CRYPTO=noble` asks for it (the control, which must see noble's AES
 * and SHA-2), through package.json "imports" (`#noble-primitives`: the `node` target,
 * lib/noble-primitives-node.js). The merged
 * cold-start chunk (scripts/merge-cold-chunks.ts) keeps the number of built files loaded small.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, ROOT } from '../support/dist.js';

const run = promisify(execFile);
const DIST = join(ROOT, 'dist');

/** The child: the cold start scenario under an inspector that lists every parsed script. */
const CHILD = `
import { Session } from 'node:inspector';
const urls = [];
const session = new Session();
session.connect();
session.on('Debugger.scriptParsed', (m) => { if (m.params.url) urls.push(m.params.url); });
session.post('Debugger.enable');
const { createKeyManager } = await import(${JSON.stringify(join(DIST, 'index.js'))});
const { memoryStorage } = await import(${JSON.stringify(join(DIST, 'adapters/memory.js'))});
const { localKms, generateMasterKey } = await import(${JSON.stringify(join(DIST, 'kms/index.js'))});
const km = createKeyManager({ storage: memoryStorage(), kms: localKms({ masterKey: generateMasterKey() }) });
const { token } = await km.apiKeys.create({ name: 'cold' });
const verified = await km.apiKeys.verify(token);
await km.secrets.set('db', 'hunter2');
const secret = await km.secrets.get('db');
await km.close();
session.disconnect();
process.stdout.write(JSON.stringify({ valid: verified.valid, secret, urls }));
`;

interface Loaded {
  valid: boolean;
  secret: string | null;
  urls: string[];
}

async function coldStart(env: Record<string, string | undefined>): Promise<Loaded> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as Loaded;
}

const noble = (urls: string[]) => urls.filter((u) => u.includes('/node_modules/@noble/'));
const built = (urls: string[]) => urls.filter((u) => u.startsWith(`file://${DIST}/`));

beforeAll(ensureDist, 300_000);

describe('cold start on Node (the built package)', () => {
  it('loads no @noble module on the native backend, and few built files', async () => {
    const loaded = await coldStart({ KEYWARDEN_CRYPTO: undefined });
    expect(loaded.valid).toBe(true);
    expect(loaded.secret).toBe('hunter2');
    expect(built(loaded.urls)).toContain(`file://${DIST}/index.js`); // the trace sees the imports
    expect(noble(loaded.urls)).toEqual([]);
    // 38 files before the cold-start chunk was merged (scripts/merge-cold-chunks.ts): now the three
    // entries, the merged chunk, and the keywarden/crypto chunks (kept apart so that a bundle of
    // keywarden/crypto takes no store code)
    expect(built(loaded.urls).length).toBeLessThanOrEqual(20);
  });

  it('loads noble on first use when KEYWARDEN_CRYPTO=noble (the control)', async () => {
    const loaded = await coldStart({ KEYWARDEN_CRYPTO: 'noble' });
    expect(loaded.valid).toBe(true);
    expect(loaded.secret).toBe('hunter2');
    const names = noble(loaded.urls).map((u) => u.replace(/^.*\/node_modules\//, ''));
    expect(names).toEqual(expect.arrayContaining(['@noble/ciphers/aes.js', '@noble/hashes/sha2.js']));
    expect(loaded.urls).toContain(`file://${ROOT}/lib/noble-primitives-node.js`);
  });
});
