/**
 * Keeping an OpenAI key with keywarden and loading it into the environment of your process.
 *
 *   KEYWARDEN_MASTER_KEY=$(node -e "import('keywarden/kms').then(m => console.log(m.generateMasterKey()))") \
 *   OPENAI_API_KEY_VALUE=sk-... npx tsx examples/openai-secret.ts
 *
 * The value is sealed with AES-256-GCM under a fresh data key, the data key is wrapped by the
 * master key, every read is audited, and `toEnv` returns a plain object you can merge into
 * `process.env` (or use `keywarden run -- node app.js` from the CLI).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStorage } from '../src/adapters/file.js';
import { createKeyManager } from '../src/index.js';
import { generateMasterKey, localKms } from '../src/kms/index.js';

const dir = mkdtempSync(join(tmpdir(), 'keywarden-openai-'));
const km = createKeyManager({
  storage: fileStorage({ dir: join(dir, 'store'), create: true }),
  kms: localKms({ masterKey: process.env.KEYWARDEN_MASTER_KEY ?? generateMasterKey() }),
});

try {
  const value = process.env.OPENAI_API_KEY_VALUE ?? 'sk-example-0000000000000000';
  await km.secrets.set('openai', value, {
    environment: 'production',
    envVar: 'OPENAI_API_KEY',
    provider: 'openai',
    description: 'Chat completions for the support bot',
  });

  // Load every production secret into this process's environment.
  Object.assign(process.env, await km.secrets.toEnv({ environment: 'production' }));
  console.log('OPENAI_API_KEY is set:', process.env.OPENAI_API_KEY === value);

  // What is stored is metadata plus ciphertext; the info never carries the value.
  const info = await km.secrets.info('openai', { environment: 'production' });
  console.log('stored:', JSON.stringify(info));
} finally {
  await km.close();
  rmSync(dir, { recursive: true, force: true });
}
