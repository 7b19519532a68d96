/**
 * Provider presets: the usual environment variable names of common API providers, offline checks
 * of their key formats (shape only: a key that passes may still be revoked), and an optional live
 * check (`setup --verify`) that calls the provider's cheapest authenticated read.
 * @module
 */

/** One value a provider needs (a key, or a non-secret setting such as an endpoint). */
export interface ProviderField {
  /** The environment variable (and secret name) it is stored under. */
  readonly envVar: string;
  /** What to ask for. */
  readonly label: string;
  /** The offline format check. */
  readonly pattern: RegExp;
  /** What the format looks like, for error messages (never a real key). */
  readonly shape: string;
  /** Other variable names programs use for it (informational). */
  readonly aliases?: readonly string[];
}

/** A live check: one GET that needs the key and changes nothing. */
export interface ProviderCheck {
  /** Default API origin (`--api-base` replaces it, e.g. for a proxy or a regional endpoint). */
  readonly base: string;
  readonly path: string;
  /** Request headers built from the field values. */
  headers(values: Readonly<Record<string, string>>): Record<string, string>;
}

/** A provider preset. */
export interface ProviderPreset {
  readonly id: string;
  readonly name: string;
  readonly fields: readonly ProviderField[];
  readonly check?: ProviderCheck;
}

const bearer = (v: string | undefined): Record<string, string> => ({ authorization: `Bearer ${v ?? ''}` });

/** The presets, by id. */
export const PROVIDERS: Readonly<Record<string, ProviderPreset>> = Object.freeze({
  openai: {
    id: 'openai',
    name: 'OpenAI',
    fields: [
      {
        envVar: 'OPENAI_API_KEY',
        label: 'OpenAI API key',
        pattern: /^sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}$/,
        shape: 'sk-… or sk-proj-…',
      },
    ],
    check: { base: 'https://api.openai.com', path: '/v1/models', headers: (v) => bearer(v.OPENAI_API_KEY) },
  },
  anthropic: {
    id: 'anthropic',
    name: 'Anthropic',
    fields: [
      {
        envVar: 'ANTHROPIC_API_KEY',
        label: 'Anthropic API key',
        pattern: /^sk-ant-[a-z]+\d{2}-[A-Za-z0-9_-]{20,}$/,
        shape: 'sk-ant-api03-…',
      },
    ],
    check: {
      base: 'https://api.anthropic.com',
      path: '/v1/models',
      headers: (v) => ({ 'x-api-key': v.ANTHROPIC_API_KEY ?? '', 'anthropic-version': '2023-06-01' }),
    },
  },
  google: {
    id: 'google',
    name: 'Google AI (Gemini)',
    fields: [
      {
        envVar: 'GEMINI_API_KEY',
        label: 'Google AI API key',
        pattern: /^AIza[0-9A-Za-z_-]{35}$/,
        shape: 'AIza… (39 characters)',
        aliases: ['GOOGLE_API_KEY'],
      },
    ],
    check: {
      base: 'https://generativelanguage.googleapis.com',
      path: '/v1beta/models',
      headers: (v) => ({ 'x-goog-api-key': v.GEMINI_API_KEY ?? '' }),
    },
  },
  aws: {
    id: 'aws',
    name: 'AWS',
    fields: [
      {
        envVar: 'AWS_ACCESS_KEY_ID',
        label: 'AWS access key id',
        pattern: /^(?:AKIA|ASIA)[A-Z2-7]{16}$/,
        shape: 'AKIA… (20 characters)',
      },
      {
        envVar: 'AWS_SECRET_ACCESS_KEY',
        label: 'AWS secret access key',
        pattern: /^[A-Za-z0-9/+]{40}$/,
        shape: '40 characters of A-Z a-z 0-9 / +',
      },
    ],
  },
  'azure-openai': {
    id: 'azure-openai',
    name: 'Azure OpenAI',
    fields: [
      {
        envVar: 'AZURE_OPENAI_API_KEY',
        label: 'Azure OpenAI key',
        pattern: /^[A-Za-z0-9]{32,128}$/,
        shape: '32 or more letters and digits',
      },
      {
        envVar: 'AZURE_OPENAI_ENDPOINT',
        label: 'Azure OpenAI endpoint',
        pattern: /^https:\/\/[A-Za-z0-9.-]+(?::\d+)?\/?$/,
        shape: 'https://<resource>.openai.azure.com/',
      },
    ],
  },
  huggingface: {
    id: 'huggingface',
    name: 'Hugging Face',
    fields: [
      {
        envVar: 'HF_TOKEN',
        label: 'Hugging Face token',
        pattern: /^hf_[A-Za-z0-9]{30,}$/,
        shape: 'hf_…',
        aliases: ['HUGGING_FACE_HUB_TOKEN'],
      },
    ],
    check: { base: 'https://huggingface.co', path: '/api/whoami-v2', headers: (v) => bearer(v.HF_TOKEN) },
  },
  stripe: {
    id: 'stripe',
    name: 'Stripe',
    fields: [
      {
        envVar: 'STRIPE_SECRET_KEY',
        label: 'Stripe secret or restricted key',
        pattern: /^(?:sk|rk)_(?:test|live)_[A-Za-z0-9]{10,}$/,
        shape: 'sk_live_…, sk_test_… or rk_…',
      },
    ],
    check: {
      base: 'https://api.stripe.com',
      path: '/v1/balance',
      headers: (v) => bearer(v.STRIPE_SECRET_KEY),
    },
  },
  github: {
    id: 'github',
    name: 'GitHub',
    fields: [
      {
        envVar: 'GITHUB_TOKEN',
        label: 'GitHub token',
        pattern: /^(?:(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,})$/,
        shape: 'ghp_… or github_pat_…',
        aliases: ['GH_TOKEN'],
      },
    ],
    check: {
      base: 'https://api.github.com',
      path: '/user',
      headers: (v) => ({
        ...bearer(v.GITHUB_TOKEN),
        'user-agent': 'keywarden',
        accept: 'application/vnd.github+json',
      }),
    },
  },
});

/**
 * The preset with this id (case-insensitive), or undefined.
 *
 * @example
 * ```ts
 * providerPreset('OpenAI')?.fields[0]?.envVar; // 'OPENAI_API_KEY'
 * ```
 * @throws never
 */
export function providerPreset(id: string): ProviderPreset | undefined {
  const key = id.toLowerCase();
  return Object.hasOwn(PROVIDERS, key) ? PROVIDERS[key] : undefined;
}

/**
 * True when `value` has the shape of `field` (an offline check; says nothing of whether it works).
 *
 * @example
 * ```ts
 * checkFormat(PROVIDERS.stripe!.fields[0]!, 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'); // true
 * ```
 * @throws never
 */
export function checkFormat(field: ProviderField, value: string): boolean {
  return field.pattern.test(value);
}
