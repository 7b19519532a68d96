/**
 * `keywarden access ...` (tools, requests, approvals, sessions, sweep) and `keywarden gateway`.
 * Approvals and other decisions carry the operator's name: `--as NAME`, else `KEYWARDEN_OPERATOR`,
 * else the OS user name. A proxy token is printed only by `access open`, once.
 * @module
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { agentAccess } from '../access/index.js';
import type {
  AccessRequestInfo,
  AccessRequestStatus,
  AccessSessionStatus,
  AgentAccess,
  ApproveOptions,
  CreateAccessRequestInput,
  RegisterToolInput,
  SessionInfo,
  ToolInfo,
  UpstreamAuth,
} from '../access/types.js';
import type { CliContext, CliManager } from './context.js';
import { EXIT } from './exit-codes.js';
import { CliError, table, when } from './io.js';
import { collect } from './pages.js';
import { int, jsonObject, list } from './parse.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

/** The operator name decisions are recorded under. */
function operator(ctx: CliContext, as: unknown): string {
  if (typeof as === 'string' && as !== '') return as;
  const fromEnv = ctx.vars['KEYWARDEN_OPERATOR'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  try {
    const name = userInfo().username;
    if (name !== '') return name;
  } catch {
    // no passwd entry: fall through
  }
  throw new CliError('ERR_USAGE', 'no operator name: pass --as NAME or set KEYWARDEN_OPERATOR', EXIT.USAGE);
}

function parseAuth(value: string | undefined): UpstreamAuth {
  if (value === undefined || value === 'bearer') return { type: 'bearer' };
  if (value === 'basic') return { type: 'basic' };
  if (value.startsWith('header:') && value.length > 'header:'.length) {
    return { type: 'header', name: value.slice('header:'.length) };
  }
  throw new CliError('ERR_USAGE', '--auth must be bearer, basic or header:NAME', EXIT.USAGE);
}

function withAccess<T>(ctx: CliContext, fn: (access: AgentAccess, km: CliManager) => Promise<T>): Promise<T> {
  return ctx.withManager((km) => fn(agentAccess(km), km));
}

function describeTool(t: ToolInfo): string[] {
  const auth = t.upstream.auth.type === 'header' ? `header ${t.upstream.auth.name}` : t.upstream.auth.type;
  return [
    `id:           ${t.id}`,
    `name:         ${t.name}`,
    `secret:       ${t.secret} (${t.environment})`,
    `origin:       ${t.upstream.origin}${t.upstream.allowPrivateNetwork ? ' (private network allowed)' : ''}`,
    `auth:         ${auth}`,
    `methods:      ${t.methods.join(', ')}`,
    `paths:        ${t.paths.join(', ')}`,
    `risk:         ${t.risk}`,
    `approval:     ${t.approval}${t.approval === 'required' ? ` (${t.approvals} approver${t.approvals === 1 ? '' : 's'})` : ''}`,
    `max duration: ${Math.round(t.maxDuration / 1000)}s`,
    `max calls:    ${t.maxCalls ?? 'no cap'}`,
  ];
}

function requestRows(items: AccessRequestInfo[]): string[] {
  return table([
    ['ID', 'TOOL', 'AGENT', 'FOR', 'STATUS', 'APPROVALS', 'EXPIRES', 'JUSTIFICATION'],
    ...items.map((r) => [
      r.id,
      r.toolId,
      r.agentId,
      r.onBehalfOf ?? '-',
      r.status,
      `${r.approvals.length}/${r.approvalsRequired}`,
      when(r.expiresAt),
      r.justification.replace(/\s+/g, ' ').slice(0, 60),
    ]),
  ]);
}

function sessionRows(items: SessionInfo[]): string[] {
  return table([
    ['ID', 'TOOL', 'AGENT', 'STATUS', 'CALLS', 'EXPIRES', 'REQUEST'],
    ...items.map((s) => [
      s.id,
      s.toolId,
      s.agentId,
      s.status,
      s.maxCalls === null ? String(s.callsUsed) : `${s.callsUsed}/${s.maxCalls}`,
      when(s.expiresAt),
      s.requestId,
    ]),
  ]);
}

/** The `--status`, `--tool` and `--agent` options of a list command, as query fields. */
function listFilter<S extends string>(
  o: Record<string, string | undefined>,
): {
  status?: S;
  toolId?: string;
  agentId?: string;
} {
  const q: { status?: S; toolId?: string; agentId?: string } = {};
  if (o['status'] !== undefined) q.status = o['status'] as S;
  if (o['tool'] !== undefined) q.toolId = o['tool'];
  if (o['agent'] !== undefined) q.agentId = o['agent'];
  return q;
}

/**
 * Registers `access` (and its subcommands) and `gateway`.
 *
 * @example
 * ```ts
 * registerAccess(program, getContext);
 * ```
 * @throws never
 */
export function registerAccess(program: Command, context: Ctx): void {
  const access = program
    .command('access')
    .description('agent access: tools, access requests, approvals, sessions (docs/agent-access.md)');
  const tools = access.command('tools').description('tools agents may call with a stored secret');

  tools
    .command('add')
    .description('register a tool (the secret environment is --env)')
    .requiredOption('--id <id>', 'tool id, used in gateway routes /{id}/...')
    .requiredOption('--secret <name>', 'name of the keywarden secret the calls use')
    .requiredOption('--origin <url>', 'the one upstream origin, e.g. https://api.stripe.com')
    .option('--auth <type>', 'bearer (default), basic or header:NAME')
    .option('--name <name>', 'display name')
    .option('--description <text>', 'description')
    .option('--methods <list>', 'allowed methods (default GET)', list)
    .option('--paths <list>', 'allowed path patterns, * = one segment, final ** = the rest', list)
    .option('--risk <risk>', 'low, medium or high (default high)')
    .option('--approval <mode>', 'required (default) or auto')
    .option('--approvals <n>', 'distinct approvers needed (default 1)')
    .option('--max-duration <duration>', 'longest session, e.g. 1h')
    .option('--max-calls <n>', 'most calls per session')
    .option('--allow-private-network', 'allow an origin on a private or loopback address')
    .option('--as <name>', 'operator name (default KEYWARDEN_OPERATOR or the OS user)')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const ctx = await context(cmd);
      const input: RegisterToolInput = {
        id: o.id as string,
        secret: o.secret as string,
        upstream: {
          origin: o.origin as string,
          auth: parseAuth(o.auth as string | undefined),
          ...(o.allowPrivateNetwork === true && { allowPrivateNetwork: true }),
        },
        actor: operator(ctx, o.as),
      };
      if (ctx.environment !== undefined) input.environment = ctx.environment;
      if (o.name !== undefined) input.name = o.name as string;
      if (o.description !== undefined) input.description = o.description as string;
      if (o.methods !== undefined) input.methods = o.methods as string[];
      if (o.paths !== undefined) input.paths = o.paths as string[];
      if (o.risk !== undefined) input.risk = o.risk as RegisterToolInput['risk'] & string;
      if (o.approval !== undefined) input.approval = o.approval as RegisterToolInput['approval'] & string;
      if (o.approvals !== undefined) input.approvals = int(o.approvals as string, '--approvals');
      if (o.maxDuration !== undefined) input.maxDuration = o.maxDuration as string;
      if (o.maxCalls !== undefined) input.maxCalls = int(o.maxCalls as string, '--max-calls');
      const tool = await withAccess(ctx, (a) => a.tools.register(input));
      ctx.out.result(tool, () => describeTool(tool));
      ctx.out.info(`Registered tool ${tool.id}.`);
    });

  tools
    .command('list')
    .description('list tools')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const items = await withAccess(ctx, (a) => collect(a.tools.iterate({ limit: 1000 })));
      ctx.out.result(items, () =>
        items.length === 0
          ? 'no tools'
          : table([
              ['ID', 'SECRET', 'ORIGIN', 'METHODS', 'APPROVAL', 'RISK'],
              ...items.map((t) => [
                t.id,
                t.secret,
                t.upstream.origin,
                t.methods.join(','),
                t.approval,
                t.risk,
              ]),
            ]),
      );
    });

  tools
    .command('show <id>')
    .description('show one tool')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const tool = await withAccess(ctx, (a) => a.tools.get(id));
      ctx.out.result(tool, () => describeTool(tool));
    });

  tools
    .command('rm <id>')
    .description('remove a tool and revoke its open sessions')
    .option('--as <name>', 'operator name')
    .action(async (id: string, o: Record<string, unknown>, cmd: Command) => {
      const ctx = await context(cmd);
      const actor = operator(ctx, o.as);
      await withAccess(ctx, (a) => a.tools.remove(id, { actor }));
      ctx.out.result({ removed: id }, () => `removed tool ${id}`);
    });

  access
    .command('request')
    .description('ask for access to a tool (as an agent would)')
    .requiredOption('--tool <id>', 'tool id')
    .requiredOption('--agent <id>', 'the agent that will use the session')
    .requiredOption('--justification <text>', 'why (shown to approvers)')
    .option('--on-behalf-of <user>', 'the user the agent acts for')
    .option('--duration <duration>', 'session length asked for')
    .option('--max-calls <n>', 'calls asked for')
    .option('--context <json>', 'context shown to approvers (JSON object)')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const ctx = await context(cmd);
      const input: CreateAccessRequestInput = {
        toolId: o.tool as string,
        agentId: o.agent as string,
        justification: o.justification as string,
      };
      if (o.onBehalfOf !== undefined) input.onBehalfOf = o.onBehalfOf as string;
      if (o.duration !== undefined) input.duration = o.duration as string;
      if (o.maxCalls !== undefined) input.maxCalls = int(o.maxCalls as string, '--max-calls');
      if (o.context !== undefined) input.context = jsonObject(o.context as string, '--context');
      const req = await withAccess(ctx, (a) => a.requests.create(input));
      ctx.out.result(req, () => `request ${req.id}: ${req.status}`);
    });

  access
    .command('requests')
    .description('list access requests (pending first to decide)')
    .option('--status <status>', 'pending, approved, active, ended, denied, expired or cancelled')
    .option('--tool <id>', 'only this tool')
    .option('--agent <id>', 'only this agent')
    .action(async (o: Record<string, string | undefined>, cmd: Command) => {
      const ctx = await context(cmd);
      const items = await withAccess(ctx, (a) =>
        collect(a.requests.iterate({ limit: 1000, ...listFilter<AccessRequestStatus>(o) })),
      );
      ctx.out.result(items, () => (items.length === 0 ? 'no access requests' : requestRows(items)));
    });

  access
    .command('approve <id>')
    .description('approve a request; may narrow it (never widen)')
    .option('--duration <duration>', 'shorter session than asked')
    .option('--max-calls <n>', 'fewer calls than asked')
    .option('--methods <list>', 'fewer methods', list)
    .option('--paths <list>', 'fewer paths (as the tool writes them)', list)
    .option('--note <text>', 'note kept in the audit event')
    .option('--as <name>', 'approver name (default KEYWARDEN_OPERATOR or the OS user)')
    .action(async (id: string, o: Record<string, unknown>, cmd: Command) => {
      const ctx = await context(cmd);
      const options: ApproveOptions = { approver: operator(ctx, o.as) };
      if (o.duration !== undefined) options.duration = o.duration as string;
      if (o.maxCalls !== undefined) options.maxCalls = int(o.maxCalls as string, '--max-calls');
      if (o.methods !== undefined) options.methods = o.methods as string[];
      if (o.paths !== undefined) options.paths = o.paths as string[];
      if (o.note !== undefined) options.note = o.note as string;
      const req = await withAccess(ctx, (a) => a.requests.approve(id, options));
      ctx.out.result(req, () =>
        req.status === 'approved'
          ? `approved ${req.id} by ${options.approver}: ${Math.round(req.grant.duration / 1000)}s, ${req.grant.maxCalls ?? 'no cap on'} calls`
          : `recorded approval of ${options.approver} (${req.approvals.length}/${req.approvalsRequired})`,
      );
    });

  access
    .command('deny <id>')
    .description('deny a request')
    .requiredOption('--reason <text>', 'why (told to the requester)')
    .option('--as <name>', 'approver name (default KEYWARDEN_OPERATOR or the OS user)')
    .action(async (id: string, o: Record<string, unknown>, cmd: Command) => {
      const ctx = await context(cmd);
      const approver = operator(ctx, o.as);
      const req = await withAccess(ctx, (a) => a.requests.deny(id, { approver, reason: o.reason as string }));
      ctx.out.result(req, () => `denied ${req.id} by ${approver}`);
    });

  access
    .command('cancel <id>')
    .description('cancel a pending or approved request')
    .option('--as <name>', 'operator name')
    .action(async (id: string, o: Record<string, unknown>, cmd: Command) => {
      const ctx = await context(cmd);
      const actor = operator(ctx, o.as);
      const req = await withAccess(ctx, (a) => a.requests.cancel(id, { actor }));
      ctx.out.result(req, () => `cancelled ${req.id}`);
    });

  access
    .command('open <requestId>')
    .description('open the session of an approved request; prints its proxy token once')
    .action(async (requestId: string, _o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const session = await withAccess(ctx, (a) => a.sessions.open(requestId));
      const { token } = session;
      ctx.out.result({ ...session, token }, () => token);
      ctx.out.info(
        `Session ${session.id} expires ${when(session.expiresAt)}. The token above is shown only once.`,
      );
    });

  access
    .command('sessions')
    .description('list sessions')
    .option('--status <status>', 'active, expired, revoked or exhausted')
    .option('--tool <id>', 'only this tool')
    .option('--agent <id>', 'only this agent')
    .action(async (o: Record<string, string | undefined>, cmd: Command) => {
      const ctx = await context(cmd);
      const items = await withAccess(ctx, (a) =>
        collect(a.sessions.iterate({ limit: 1000, ...listFilter<AccessSessionStatus>(o) })),
      );
      ctx.out.result(items, () => (items.length === 0 ? 'no sessions' : sessionRows(items)));
    });

  access
    .command('revoke <sessionId>')
    .description('revoke a session: its next call is refused')
    .option('--reason <text>', 'why')
    .option('--as <name>', 'operator name')
    .action(async (sessionId: string, o: Record<string, unknown>, cmd: Command) => {
      const ctx = await context(cmd);
      const actor = operator(ctx, o.as);
      const s = await withAccess(ctx, (a) =>
        a.sessions.revoke(sessionId, { actor, ...(typeof o.reason === 'string' && { reason: o.reason }) }),
      );
      ctx.out.result(s, () => `session ${s.id}: ${s.status}`);
    });

  access
    .command('sweep')
    .description('persist expiry of pending requests and ended sessions (run it on a schedule)')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const report = await withAccess(ctx, (a) => a.sweep());
      ctx.out.result(
        report,
        () => `expired ${report.requestsExpired} request(s), ended ${report.sessionsEnded} session(s)`,
      );
    });

  program
    .command('gateway')
    .description('run the agent access gateway on 127.0.0.1 (prints its URL; stops on SIGINT/SIGTERM)')
    .option('--port <n>', 'port (default: a free one)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .action(async (o: Record<string, unknown>, cmd: Command) => {
      const ctx = await context(cmd);
      const port = o.port === undefined ? 0 : int(o.port as string, '--port');
      const host = typeof o.host === 'string' ? o.host : '127.0.0.1';
      const { createGateway } = await import('../access/gateway/index.js');
      await ctx.withManager(async (km) => {
        const access = agentAccess(km);
        const gw = createGateway(access);
        const { url } = await gw.listen({ host, port });
        ctx.out.result({ url }, () => url);
        ctx.out.info('Gateway running; stop it with Ctrl-C.');
        const sweep = setInterval(() => {
          access.sweep().catch(() => undefined);
        }, 60_000);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        clearInterval(sweep);
        await gw.close();
      });
    });
}
