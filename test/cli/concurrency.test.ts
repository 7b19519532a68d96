/**
 * The CLI and a script using the library write to one file store at the same time: nothing is lost.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateMasterKey } from '../../src/kms/index.js';
import { kw, runNode, tempDir, writeLibraryScript } from './harness.js';

let dir: string;
let cleanup: () => Promise<void>;
const env = { KEYWARDEN_MASTER_KEY: generateMasterKey() };
const LIB_WRITES = 40;
const CLI_WRITES = 6;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const r = await kw(['init'], { cwd: dir, env });
  if (r.code !== 0) throw new Error(r.stderr);
}, 60_000);
afterAll(() => cleanup());

it('CLI and library writers on one store lose nothing', { timeout: 240_000 }, async () => {
  const script = await writeLibraryScript(
    dir,
    'writer.mts',
    `for (let i = 0; i < ${LIB_WRITES}; i++) {
  await km.secrets.set('LIB_' + i, 'lib-' + i);
  if (i % 10 === 0) await km.apiKeys.create({ name: 'lib-key-' + i });
}
await km.close();
console.log('done');
`,
  );
  const library = runNode(script, [], { cwd: dir, env });
  const cli = Array.from({ length: CLI_WRITES }, (_, i) =>
    kw(['secrets', 'set', `CLI_${i}`], { cwd: dir, env, input: `cli-${i}` }),
  );
  const keys = Array.from({ length: 3 }, (_, i) =>
    kw(['keys', 'create', '--name', `cli-key-${i}`], { cwd: dir, env }),
  );
  const results = await Promise.all([library, ...cli, ...keys]);
  for (const r of results) expect(r.code, r.stderr).toBe(0);
  expect((await library).stdout).toBe('done\n');

  const listed = await kw(['--json', 'secrets', 'list'], { cwd: dir, env });
  const names = (JSON.parse(listed.stdout) as { name: string }[]).map((s) => s.name).sort();
  const expected = [
    ...Array.from({ length: LIB_WRITES }, (_, i) => `LIB_${i}`),
    ...Array.from({ length: CLI_WRITES }, (_, i) => `CLI_${i}`),
  ].sort();
  expect(names).toEqual(expected);
  const env2 = await kw(['env', '--format', 'json'], { cwd: dir, env });
  const vars = JSON.parse(env2.stdout) as Record<string, string>;
  expect(vars.LIB_39).toBe('lib-39');
  expect(vars.CLI_5).toBe('cli-5');
  const apiKeys = await kw(['--json', 'keys', 'list'], { cwd: dir, env });
  expect((JSON.parse(apiKeys.stdout) as unknown[]).length).toBe(LIB_WRITES / 10 + 3);
  const audit = await kw(['audit', 'verify'], { cwd: dir, env });
  expect(audit.code).toBe(0);
});
