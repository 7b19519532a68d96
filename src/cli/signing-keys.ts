/**
 * `keywarden signing-keys ...`: cryptographic keys the application signs with (create, list, show,
 * rotate, jwks, sign, verify). Private key material is never printed; `jwks` shows public keys only.
 * @module
 */
import type { Command } from 'commander';
import type { CreateKeyOptions, KeyInfo, KeyScope, KeyType } from '../store/key-types.js';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { fieldNames } from './field-names.js';
import { CliError, table, when } from './io.js';
import { rotator } from './keys.js';
import { collect } from './pages.js';
import { int, jsonObject, list } from './parse.js';
import { readStdinBytes } from './prompt.js';
import { policyFromFlags, policyOptions } from './rotate-policy.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

const TYPES: readonly KeyType[] = ['hmac', 'aes', 'ed25519', 'ecdsa', 'rsa'];
/** Most bytes `sign` / `verify` read from stdin. */
const MAX_DATA_BYTES = 16 * 1024 * 1024;

const scope = (ctx: CliContext): KeyScope =>
  ctx.environment === undefined ? {} : { environment: ctx.environment };

/**
 * Registers `signing-keys` and its subcommands.
 *
 * @example
 * ```ts
 * registerSigningKeys(program, getContext);
 * ```
 * @throws never
 */
export function registerSigningKeys(program: Command, context: Ctx): void {
  const keys = program
    .command('signing-keys')
    .description('keys you sign (and verify) with: HMAC, Ed25519, ECDSA, RSA; JWKS');

  const create = keys
    .command('create <name>')
    .description('create a signing key')
    .requiredOption('--type <type>', `key type: ${TYPES.join(', ')}`)
    .option('--algorithm <alg>', 'algorithm or curve (HS256, ES256/P-256, PS256...; default per type)')
    .option('--modulus-length <bits>', 'RSA modulus: 2048, 3072 or 4096')
    .option('--tags <list>', 'comma-separated tags', list)
    .option('--meta <json>', 'metadata (JSON object)')
    .option('--expires-in <duration>', 'lifetime, e.g. 365d (default: the manager default)')
    .option('--no-expiry', 'never expires');
  policyOptions(create).action(async (name: string, o: Record<string, unknown>, cmd: Command) => {
    const ctx = await context(cmd);
    const type = o.type as string;
    if (!TYPES.includes(type as KeyType)) {
      throw new CliError('ERR_VALIDATION', `--type must be one of ${TYPES.join(', ')}`, EXIT.USAGE, '--type');
    }
    const input: CreateKeyOptions = { name, type: type as KeyType, ...scope(ctx) };
    if (o.algorithm !== undefined) input.algorithm = o.algorithm as CreateKeyOptions['algorithm'] & string;
    if (o.modulusLength !== undefined) {
      input.modulusLength = int(o.modulusLength as string, '--modulus-length') as 2048;
    }
    if (o.tags !== undefined) input.tags = o.tags as string[];
    if (o.meta !== undefined) input.meta = jsonObject(o.meta as string, '--meta');
    if (o.expiry === false) input.expiresIn = null;
    else if (o.expiresIn !== undefined) input.expiresIn = o.expiresIn as string;
    const policy = policyFromFlags(o);
    if (policy !== null) input.rotation = policy;
    const key = await ctx.withManager((km) => km.keys.create(input));
    ctx.out.result(key, () => `created ${key.type} key ${key.name} (${key.algorithm}) kid ${key.kid ?? '-'}`);
  });
  fieldNames(create, { name: 'NAME', type: '--type', rotation: '--rotate-every' });

  keys
    .command('list')
    .description('list signing keys (never their material)')
    .option('--tag <tag>', 'only keys with this tag')
    .action(async (o: { tag?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const items = await ctx.withManager((km) =>
        collect(
          km.keys.iterate({
            ...scope(ctx),
            limit: 1000,
            ...(o.tag === undefined ? {} : { tag: o.tag }),
          }),
        ),
      );
      ctx.out.result(items, () =>
        items.length === 0
          ? 'no signing keys'
          : table([
              ['NAME', 'ENV', 'TYPE', 'ALG', 'VERSION', 'KID', 'EXPIRES'],
              ...items.map((k) => [
                k.name,
                k.environment,
                k.type,
                k.algorithm,
                String(k.version ?? '-'),
                k.kid ?? '-',
                when(k.expiresAt),
              ]),
            ]),
      );
    });

  keys
    .command('show <name>')
    .description('show a signing key and its versions')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const key = await ctx.withManager((km) => km.keys.info(name, scope(ctx)));
      ctx.out.result(key, () => describeSigningKey(key));
    });

  keys
    .command('rotate <name>')
    .description('rotate a signing key (a new version; the old one stays in the JWKS per the strategy)')
    .option('--strategy <strategy>', 'immediate, overlap, gradual or blue-green')
    .option('--overlap <duration>', 'how long the old version stays valid (overlap strategy)')
    .action(async (name: string, o: { strategy?: string; overlap?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const r = await ctx.withManager(async (km) => {
        const info = await km.keys.info(name, scope(ctx));
        return rotator(km).rotate(info.id, {
          ...(o.strategy === undefined ? {} : { strategy: o.strategy as 'immediate' }),
          ...(o.overlap === undefined ? {} : { overlap: o.overlap }),
        });
      });
      ctx.out.result(r, () => `rotated ${name} to version ${r.version} (${r.state})`);
    });

  keys
    .command('jwks <name>')
    .description('print the JWKS (pending, current and previous public keys)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const ctx = await context(cmd);
      const set = await ctx.withManager((km) => km.keys.jwks(name, scope(ctx)));
      process.stdout.write(`${JSON.stringify(set, null, 2)}\n`);
    });

  keys
    .command('sign <name>')
    .description('sign data from stdin (or --data); prints the signature (base64url)')
    .option('--data <text>', 'the data (UTF-8) instead of stdin')
    .action(async (name: string, o: { data?: string }, cmd: Command) => {
      const ctx = await context(cmd);
      const data = await dataFrom(o.data);
      const signature = await ctx.withManager((km) => km.keys.sign(name, data, scope(ctx)));
      const encoded = Buffer.from(signature).toString('base64url');
      ctx.out.result({ name, signature: encoded }, () => encoded);
    });

  const verify = keys
    .command('verify <name>')
    .description('verify a signature over data from stdin (or --data); exit 1 when invalid')
    .requiredOption('--signature <base64url>', 'the signature (base64url)')
    .option('--data <text>', 'the data (UTF-8) instead of stdin')
    .action(async (name: string, o: { data?: string; signature: string }, cmd: Command) => {
      const ctx = await context(cmd);
      if (!/^[A-Za-z0-9_-]+={0,2}$/.test(o.signature)) {
        throw new CliError('ERR_VALIDATION', '--signature must be base64url', EXIT.USAGE, '--signature');
      }
      const data = await dataFrom(o.data);
      const valid = await ctx.withManager((km) =>
        km.keys.verify(name, data, new Uint8Array(Buffer.from(o.signature, 'base64url')), scope(ctx)),
      );
      ctx.out.result({ name, valid }, () =>
        valid ? ctx.out.style.ok('valid') : ctx.out.style.bad('invalid'),
      );
      if (!valid) process.exitCode = EXIT.FAILED;
    });
  fieldNames(verify, { signature: '--signature' });
}

async function dataFrom(data: string | undefined): Promise<Uint8Array> {
  if (data !== undefined) return new TextEncoder().encode(data);
  if (process.stdin.isTTY) {
    throw new CliError('ERR_USAGE', 'give the data on stdin or with --data', EXIT.USAGE, '--data');
  }
  return readStdinBytes(process.stdin, { maxBytes: MAX_DATA_BYTES, what: 'the data' });
}

function describeSigningKey(k: KeyInfo): string[] {
  return [
    `name        ${k.name}`,
    `id          ${k.id}`,
    `type        ${k.type} (${k.algorithm}${k.curve ? `, ${k.curve}` : ''}${k.modulusLength ? `, ${k.modulusLength} bits` : ''})`,
    `environment ${k.environment}`,
    `status      ${k.status}`,
    `tags        ${k.tags.join(',') || '-'}`,
    `created     ${when(k.createdAt)}`,
    `expires     ${when(k.expiresAt)}`,
    ...table([
      ['VERSION', 'STATE', 'KID', 'CREATED', 'RETIRE AT'],
      ...k.versions.map((v) => [String(v.version), v.state, v.kid, when(v.createdAt), when(v.retireAt)]),
    ]).map((l) => `  ${l}`),
  ];
}
