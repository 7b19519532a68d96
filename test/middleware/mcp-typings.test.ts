/**
 * `req.auth` after `mcpAuth` is typed in Express without a hand declaration (a global
 * `Express.Request` augmentation shipped with `keywarden/middleware/mcp`, like `req.keywarden`),
 * and it stays compatible with the MCP SDK's own `requireBearerAuth`, which declares `auth` on
 * Express's request too. The first case's `expectTypeOf` checks run in `npm run typecheck` and its
 * app answers a real request; the second compiles a small program that has the SDK's declaration
 * in it (augmentations are program-wide, so it cannot share the test's own program).
 */
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express from 'express';
import ts from 'typescript';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type McpRequestAuth, mcpAuth } from '../../src/middleware/mcp.js';
import type { ApiKeyVerifySuccess } from '../../src/store/api-key-types.js';
import { fixture, listen } from './harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('mcpAuth Express typings', () => {
  it('req.auth is typed in a handler after mcpAuth, holds the key, and goes to the transport uncast', async () => {
    const f = await fixture();
    const app = express();
    app.post('/mcp', mcpAuth(f.km, { clock: f.clock, scopes: ['invoices:read'] }), (req, res) => {
      expectTypeOf(req.auth).toEqualTypeOf<McpRequestAuth | undefined>();
      expectTypeOf(req.auth?.extra?.keywarden).toEqualTypeOf<ApiKeyVerifySuccess | undefined>();
      // what transport.handleRequest takes: an Express request fits it as is
      expectTypeOf(req).toExtend<Parameters<StreamableHTTPServerTransport['handleRequest']>[0]>();
      res.json({
        clientId: req.auth?.clientId ?? null,
        scopes: req.auth?.scopes ?? null,
        owner: req.auth?.extra?.keywarden?.key.ownerId ?? null,
      });
    });
    const server = await listen(createServer(app));
    try {
      const ok = await fetch(`${server.base}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${f.tokens.good}` },
      });
      expect(await ok.json()).toStrictEqual({
        clientId: f.ids.good,
        scopes: ['invoices:read'],
        owner: 'acme',
      });
      expect((await fetch(`${server.base}/mcp`, { method: 'POST' })).status).toBe(401);
    } finally {
      await server.close();
      await f.km.close();
    }
  });

  it("compiles next to the SDK's requireBearerAuth declaration of req.auth (skipLibCheck off)", () => {
    const file = join(root, 'test/middleware/__mcp_sdk_typing__.ts');
    const source = `
      import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
      import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
      import express from 'express';
      import { mcpAuth } from '../../src/middleware/mcp.js';
      declare const km: Parameters<typeof mcpAuth>[0];
      void requireBearerAuth;
      const app = express();
      app.post('/mcp', mcpAuth(km), (req, res) => {
        const auth: AuthInfo | undefined = req.auth; // the SDK's declaration wins; it fits keywarden's
        res.json({ clientId: auth?.clientId });
      });
    `;
    const parsed = ts.parseJsonConfigFileContent(
      ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config,
      ts.sys,
      root,
    );
    // skipLibCheck off, so a clash of the two declarations would be reported in
    // @types/express-serve-static-core (where skipLibCheck hides it); only the files where it or a
    // misfit of mcpAuth's types can show are checked (checking every .d.ts of the SDK takes minutes)
    const options = { ...parsed.options, skipLibCheck: false, noEmit: true };
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (f) => f === file || fileExists(f);
    host.readFile = (f) => (f === file ? source : readFile(f));
    host.getSourceFile = (f, language, ...rest) =>
      f === file ? ts.createSourceFile(f, source, language) : getSourceFile(f, language, ...rest);
    const program = ts.createProgram([file], options, host);
    const checked = program
      .getSourceFiles()
      .filter(
        (sf) =>
          sf.fileName === file ||
          sf.fileName.endsWith('/@types/express-serve-static-core/index.d.ts') ||
          sf.fileName.endsWith('/src/middleware/mcp.ts'),
      );
    expect(checked).toHaveLength(3);
    const errors = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...checked.flatMap((sf) => [
        ...program.getSyntacticDiagnostics(sf),
        ...program.getSemanticDiagnostics(sf),
      ]),
    ].map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(errors).toStrictEqual([]);
  }, 180_000);
});
