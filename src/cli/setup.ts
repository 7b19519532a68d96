/**
 * `keywarden setup PROVIDER`: asks for a provider's key (hidden prompt, or stdin one value a line),
 * checks its format offline, optionally checks it live (`--verify`), and stores it under the
 * provider's usual variable name.
 * @module
 */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';
import { promptHidden, readStdin } from './prompt.js';
import { checkFormat, PROVIDERS, type ProviderPreset, providerPreset } from './providers.js';

type Ctx = (cmd: Command) => Promise<CliContext>;

/** How long `--verify` waits for the provider. */
const VERIFY_TIMEOUT_MS = 10_000;

async function readValues(preset: ProviderPreset): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  if (!process.stdin.isTTY) {
    const lines = (await readStdin(process.stdin, { maxBytes: 64 * 1024, what: 'the values' }))
      .split(/\r?\n/)
      .map((l) => l.trim());
    preset.fields.forEach((f, i) => {
      values[f.envVar] = lines[i] ?? '';
    });
  } else {
    for (const f of preset.fields) values[f.envVar] = (await promptHidden(`${f.label} (hidden): `)).trim();
  }
  for (const f of preset.fields) {
    if (values[f.envVar] === '') {
      throw new CliError(
        'ERR_USAGE',
        `no value for ${f.envVar} (one value a line on stdin)`,
        EXIT.USAGE,
        f.envVar,
      );
    }
  }
  return values;
}

/**
 * Calls the provider's check endpoint with the values.
 *
 * @example
 * ```ts
 * await verifyWithProvider(PROVIDERS.openai!, { OPENAI_API_KEY: 'sk-...' }, undefined);
 * ```
 * @throws CliError `ERR_UNSUPPORTED` when the preset has no live check, `ERR_PROVIDER_REJECTED`
 *   (exit 1) when the provider answers 401 or 403, `ERR_PROVIDER_UNREACHABLE` (exit 1) on a
 *   network failure, timeout or other answer. Messages never hold the key.
 */
export async function verifyWithProvider(
  preset: ProviderPreset,
  values: Readonly<Record<string, string>>,
  apiBase: string | undefined,
): Promise<number> {
  if (preset.check === undefined) {
    throw new CliError(
      'ERR_UNSUPPORTED',
      `--verify is not available for ${preset.name}`,
      EXIT.FAILED,
      '--verify',
    );
  }
  const base = (apiBase ?? preset.check.base).replace(/\/+$/, '');
  let status: number;
  try {
    const res = await fetch(`${base}${preset.check.path}`, {
      headers: preset.check.headers(values),
      redirect: 'error',
      signal: AbortSignal.timeout(VERIFY_TIMEOUT_MS),
    });
    status = res.status;
    await res.body?.cancel();
  } catch {
    throw new CliError(
      'ERR_PROVIDER_UNREACHABLE',
      `could not reach ${preset.name} at ${base} to verify the key; nothing was stored`,
      EXIT.FAILED,
      '--verify',
    );
  }
  if (status === 401 || status === 403) {
    throw new CliError(
      'ERR_PROVIDER_REJECTED',
      `${preset.name} refused the key (HTTP ${status}); nothing was stored`,
      EXIT.FAILED,
      preset.fields[0]?.envVar,
    );
  }
  if (status < 200 || status > 299) {
    throw new CliError(
      'ERR_PROVIDER_UNREACHABLE',
      `${preset.name} answered HTTP ${status}; the key was not verified and nothing was stored`,
      EXIT.FAILED,
      '--verify',
    );
  }
  return status;
}

/**
 * Registers `setup`.
 *
 * @example
 * ```ts
 * registerSetup(program, getContext);
 * ```
 * @throws never
 */
export function registerSetup(program: Command, context: Ctx): void {
  program
    .command('setup <provider>')
    .description(
      `store a provider's key under its usual variable name (${Object.keys(PROVIDERS).join(', ')})`,
    )
    .option('--verify', "also check the key with the provider's API (one read-only request)")
    .option('--api-base <url>', 'the API origin for --verify (a proxy or regional endpoint)')
    .option('--no-check', 'store a value even when its format does not match the provider')
    .action(async (id: string, o: { verify?: boolean; apiBase?: string; check: boolean }, cmd: Command) => {
      const ctx = await context(cmd);
      const preset = providerPreset(id);
      if (preset === undefined) {
        throw new CliError(
          'ERR_VALIDATION',
          `unknown provider ${JSON.stringify(id.slice(0, 40))}: use one of ${Object.keys(PROVIDERS).join(', ')}`,
          EXIT.USAGE,
          'PROVIDER',
        );
      }
      if (o.apiBase !== undefined && !/^https?:\/\/[^\s/]+/.test(o.apiBase)) {
        throw new CliError('ERR_VALIDATION', '--api-base must be an http(s) URL', EXIT.USAGE, '--api-base');
      }
      const values = await readValues(preset);
      for (const f of preset.fields) {
        if (checkFormat(f, values[f.envVar] as string)) continue;
        if (o.check) {
          throw new CliError(
            'ERR_VALIDATION',
            `${f.envVar} does not look like a ${f.label} (expected ${f.shape}); --no-check stores it anyway`,
            EXIT.USAGE,
            f.envVar,
          );
        }
        ctx.out.warn(`${f.envVar} does not look like a ${f.label} (expected ${f.shape}); stored anyway`);
      }
      const verified = o.verify === true ? await verifyWithProvider(preset, values, o.apiBase) : null;
      const stored = await ctx.withManager(async (km) => {
        const out: { name: string; environment: string; version: number | null }[] = [];
        for (const f of preset.fields) {
          const info = await km.secrets.set(f.envVar, values[f.envVar] as string, {
            provider: preset.id,
            envVar: f.envVar,
            ...(ctx.environment === undefined ? {} : { environment: ctx.environment }),
          });
          out.push({ name: info.name, environment: info.environment, version: info.version });
        }
        return out;
      });
      ctx.out.result({ provider: preset.id, verified: verified !== null, secrets: stored }, () =>
        stored.map(
          (s) =>
            `stored ${s.name} version ${s.version} (${s.environment})${verified !== null ? `, verified with ${preset.name}` : ''}`,
        ),
      );
    });
}
