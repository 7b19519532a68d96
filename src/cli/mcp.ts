/**
 * `keywarden mcp`: the agent access MCP server on stdio, for one agent. The agent's identity comes
 * from the environment its operator configured, never from the model: `KEYWARDEN_AGENT_KEY` (a
 * keywarden API key, verified against the store; its `ownerId`, else its id, is the agent id) or
 * `KEYWARDEN_AGENT_ID`. stdout carries only the MCP protocol; notes go to stderr.
 * @module
 */
import type { Command } from 'commander';
import { agentAccess } from '../access/index.js';
import type { CliContext, CliManager } from './context.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/**
 * The agent id from the environment: the verified agent key's owner (or key id), or
 * `KEYWARDEN_AGENT_ID`; both set must agree.
 *
 * @example
 * ```ts
 * const ctx = await getContext(cmd);
 * const agentId = await resolveAgentId(ctx.vars, km);
 * ```
 * @throws CliError `ERR_USAGE` when neither is set or they disagree; `ERR_UNAUTHORIZED` (exit 1)
 * when the key does not verify (the key itself is never printed).
 */
export async function resolveAgentId(
  vars: Readonly<Record<string, string | undefined>>,
  km: CliManager,
): Promise<string> {
  const key = nonEmpty(vars['KEYWARDEN_AGENT_KEY']);
  const id = nonEmpty(vars['KEYWARDEN_AGENT_ID']);
  if (key === undefined) {
    if (id === undefined) {
      throw new CliError(
        'ERR_USAGE',
        'no agent identity: set KEYWARDEN_AGENT_KEY (an API key) or KEYWARDEN_AGENT_ID',
        EXIT.USAGE,
      );
    }
    return id;
  }
  const r = await km.apiKeys.verify(key);
  if (!r.valid)
    throw new CliError('ERR_UNAUTHORIZED', `KEYWARDEN_AGENT_KEY is not a valid key (${r.code})`, EXIT.FAILED);
  const fromKey = r.key.ownerId ?? r.key.id;
  if (id !== undefined && id !== fromKey) {
    throw new CliError(
      'ERR_USAGE',
      'KEYWARDEN_AGENT_ID does not match the owner of KEYWARDEN_AGENT_KEY',
      EXIT.USAGE,
    );
  }
  return fromKey;
}

/**
 * Registers `keywarden mcp`.
 *
 * @example
 * ```ts
 * declare const contextOf: typeof getContext;
 * registerMcp(program, contextOf);
 * ```
 * @throws never itself.
 */
export function registerMcp(program: Command, context: Ctx): void {
  program
    .command('mcp')
    .description(
      'run the agent access MCP server on stdio for the agent named by KEYWARDEN_AGENT_KEY or KEYWARDEN_AGENT_ID',
    )
    .option(
      '--gateway-url <url>',
      'gateway base URL returned by open_session (default KEYWARDEN_GATEWAY_URL)',
    )
    .option('--on-behalf-of <user>', 'the user the agent acts for (default KEYWARDEN_ON_BEHALF_OF)')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const ctx = await context(cmd);
      const gatewayUrl =
        typeof o.gatewayUrl === 'string' ? o.gatewayUrl : nonEmpty(ctx.vars['KEYWARDEN_GATEWAY_URL']);
      const onBehalfOf =
        typeof o.onBehalfOf === 'string' ? o.onBehalfOf : nonEmpty(ctx.vars['KEYWARDEN_ON_BEHALF_OF']);
      let sdk: {
        mcp: typeof import('../access/mcp/index.js');
        stdio: typeof import('@modelcontextprotocol/sdk/server/stdio.js');
      };
      try {
        sdk = {
          mcp: await import('../access/mcp/index.js'),
          stdio: await import('@modelcontextprotocol/sdk/server/stdio.js'),
        };
      } catch {
        throw new CliError(
          'ERR_UNSUPPORTED',
          'keywarden mcp needs @modelcontextprotocol/sdk: npm install @modelcontextprotocol/sdk',
          EXIT.FAILED,
        );
      }
      await ctx.withManager(async (km) => {
        const agentId = await resolveAgentId(ctx.vars, km);
        const server = sdk.mcp.accessMcpServer(agentAccess(km), {
          agentId,
          ...(gatewayUrl !== undefined && { gatewayUrl }),
          ...(onBehalfOf !== undefined && { onBehalfOf }),
        });
        const transport = new sdk.stdio.StdioServerTransport();
        const closed = new Promise<void>((resolve) => {
          server.server.onclose = () => resolve();
          process.stdin.once('end', resolve);
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.connect(transport);
        ctx.out.info(`keywarden MCP server for agent ${agentId} on stdio`);
        await closed;
        await server.close();
      });
    });
}
