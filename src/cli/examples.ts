/**
 * The examples shown under each command's help (`keywarden <command> --help`) and in docs/cli.md,
 * keyed by the command's path. Every runnable command has at least one (test/cli/help.test.ts).
 * @module
 */
import type { Command } from 'commander';
import { examples } from './help.js';

const ID = 'k3Yx0aBcD9eF';

/** Examples by command path (`api-keys create`). */
export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  init: ['keywarden init --write-env', 'keywarden --store postgres://app@db:5432/keys init'],
  'api-keys create': [
    'keywarden api-keys create --name ci --scopes deploy:read,deploy:write',
    'keywarden api-keys create --name partner --remaining 1000 --refill 1000/1d --rate-limit 100/1m',
    'keywarden --env production api-keys create --name mcp --expires-in 30d --rotate-every 30d',
  ],
  'api-keys list': [
    'keywarden api-keys list',
    'keywarden --json api-keys list --status active --tag partner',
  ],
  'api-keys show': [`keywarden api-keys show ${ID}`],
  'api-keys usage': [
    `keywarden api-keys usage ${ID}`,
    `keywarden api-keys usage ${ID} --granularity day --from 2026-11-01`,
  ],
  'api-keys update': [
    `keywarden api-keys update ${ID} --scopes read --expires-at 2027-01-31`,
    `keywarden api-keys update ${ID} --remaining 500 --refill 500/30d`,
    `keywarden api-keys update ${ID} --no-rate-limit --disable`,
  ],
  'api-keys revoke': [`keywarden api-keys revoke ${ID} --reason "leaked in a log"`],
  'api-keys delete': [`keywarden api-keys delete ${ID}`],
  'api-keys rotate': [
    `keywarden api-keys rotate ${ID}`,
    `keywarden api-keys rotate ${ID} --strategy overlap --overlap 1d`,
  ],
  'api-keys rollback': [`keywarden api-keys rollback ${ID}`],
  'api-keys verify': [
    'keywarden api-keys verify kw_…',
    'printf %s "$TOKEN" | keywarden api-keys verify --scopes deploy:read',
  ],
  'secrets set': [
    'keywarden secrets set OPENAI_API_KEY            # hidden prompt',
    'printf %s "$KEY" | keywarden --env production secrets set STRIPE_SECRET_KEY --expires-in 90d',
  ],
  'secrets get': ['keywarden secrets get OPENAI_API_KEY', 'keywarden secrets get OPENAI_API_KEY --version 2'],
  'secrets list': ['keywarden secrets list', 'keywarden --env production --json secrets list'],
  'secrets versions': ['keywarden secrets versions OPENAI_API_KEY'],
  'secrets rollback': [
    'keywarden secrets rollback OPENAI_API_KEY',
    'keywarden secrets rollback OPENAI_API_KEY --to 1',
  ],
  'secrets rm': ['keywarden secrets rm OLD_TOKEN'],
  env: ['keywarden env', 'eval "$(keywarden --env production env --format shell)"'],
  run: ['keywarden run -- node server.js', 'keywarden --env staging run --tag web -- npm start'],
  'dotenv write': [
    'keywarden dotenv write .env.local',
    'keywarden dotenv write .env OPENAI_API_KEY ANTHROPIC_API_KEY',
  ],
  rotate: ['keywarden rotate --due', 'keywarden rotate --due --dry-run'],
  'rotate report': ['keywarden rotate report', 'keywarden rotate report --since 7d --within 30d'],
  'rotate policy set': [
    'keywarden rotate policy set --secret OPENAI_API_KEY --every 90d --notify-before 7d',
    `keywarden rotate policy set ${ID} --every monthly --strategy overlap --overlap 1d`,
    'keywarden --env production rotate policy set --signing-key session --cron "0 3 * * 1" --strategy gradual',
  ],
  'rotate policy show': [
    'keywarden rotate policy show --secret OPENAI_API_KEY',
    `keywarden --json rotate policy show ${ID}`,
  ],
  'rotate policy clear': ['keywarden rotate policy clear --signing-key session'],
  'check-expiry': ['keywarden check-expiry', 'keywarden check-expiry --within 7d || notify-oncall'],
  'audit list': [
    'keywarden audit list --limit 20',
    `keywarden audit list --key ${ID} --type key.verify_failed`,
  ],
  'audit checkpoint': ['keywarden audit checkpoint --out checkpoint.json'],
  'audit verify': ['keywarden audit verify', 'keywarden audit verify --checkpoint checkpoint.json'],
  'audit export': ['keywarden audit export --format jsonl --from 2026-01-01 --out audit.jsonl'],
  export: [
    'keywarden export backup.json',
    'keywarden export --plaintext - | age -r "$RECIPIENT" > backup.age',
  ],
  import: ['keywarden import backup.json', 'keywarden --store ../restored import --create backup.json'],
  'signing-keys create': [
    'keywarden signing-keys create session --type ed25519',
    'keywarden signing-keys create webhooks --type hmac --algorithm HS256 --rotate-every 90d',
    'keywarden --env production signing-keys create api-jwt --type rsa --modulus-length 3072',
  ],
  'signing-keys list': ['keywarden signing-keys list', 'keywarden --json signing-keys list --tag jwt'],
  'signing-keys show': ['keywarden signing-keys show session'],
  'signing-keys rotate': [
    'keywarden signing-keys rotate session',
    'keywarden signing-keys rotate api-jwt --strategy gradual',
  ],
  'signing-keys jwks': ['keywarden signing-keys jwks session > public/.well-known/jwks.json'],
  'signing-keys sign': [
    "printf 'payload' | keywarden signing-keys sign webhooks",
    'keywarden signing-keys sign session --data "hello"',
  ],
  'signing-keys verify': ["printf 'payload' | keywarden signing-keys verify webhooks --signature SIG"],
  jwks: ['keywarden jwks session'],
  doctor: ['keywarden doctor', 'keywarden doctor --repair'],
  rewrap: ['KEYWARDEN_MASTER_KEY=<new> KEYWARDEN_PREVIOUS_MASTER_KEYS=<old> keywarden rewrap'],
  upgrade: ['keywarden upgrade --dry-run', 'keywarden upgrade'],
  'access tools add': [
    'keywarden access tools add --id stripe --secret STRIPE_KEY --origin https://api.stripe.com --auth bearer --approval required',
  ],
  'access tools list': ['keywarden access tools list'],
  'access tools show': ['keywarden access tools show stripe'],
  'access tools rm': ['keywarden access tools rm stripe'],
  'access request': [
    'keywarden access request --tool stripe --agent agent-7 --justification "refund order 123"',
  ],
  'access requests': ['keywarden access requests --status pending'],
  'access approve': ['keywarden access approve REQUEST_ID --duration 5m --as alice'],
  'access deny': ['keywarden access deny REQUEST_ID --reason "not needed" --as alice'],
  'access cancel': ['keywarden access cancel REQUEST_ID'],
  'access open': ['keywarden access open REQUEST_ID'],
  'access sessions': ['keywarden access sessions --status active'],
  'access revoke': ['keywarden access revoke SESSION_ID --reason "done"'],
  'access sweep': ['keywarden access sweep'],
  gateway: ['keywarden gateway --port 8787'],
  console: ['KEYWARDEN_OPERATOR_KEY=kw_… keywarden console', 'keywarden console --port 7801'],
  mcp: ['KEYWARDEN_AGENT_KEY=kw_… keywarden mcp --gateway-url http://127.0.0.1:8787'],
  sql: ['keywarden sql > supabase/migrations/20260101000000_keywarden.sql'],
  'env list': ['keywarden env list', 'keywarden --json env list'],
  'env copy': [
    'keywarden env copy staging production',
    'keywarden env copy default staging --names OPENAI_API_KEY,STRIPE_SECRET_KEY --overwrite',
  ],
  'env diff': ['keywarden env diff staging production'],
  setup: [
    'keywarden setup openai                     # hidden prompt',
    'keywarden --env production setup anthropic --verify',
    'printf \'%s\\n%s\\n\' "$ID" "$SECRET" | keywarden setup aws',
  ],
};

/**
 * The path of a command below the program (`api-keys create`).
 *
 * @example
 * ```ts
 * commandPath(cmd); // 'api-keys create'
 * ```
 * @throws never
 */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Adds the examples of {@link EXAMPLES} to every command of the tree.
 *
 * @example
 * ```ts
 * addExamples(program);
 * ```
 * @throws never
 */
export function addExamples(root: Command): void {
  for (const cmd of root.commands) {
    const lines = EXAMPLES[commandPath(cmd)];
    if (lines !== undefined) examples(cmd, lines);
    addExamples(cmd);
  }
}
