/**
 * Reading a secret value: all of stdin when it is piped, else a hidden prompt on the terminal
 * (node:readline with echo muted).
 * @module
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { MAX_SECRET_BYTES } from '../store/secrets/schemas.js';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';

/** Options of {@link readStdinBytes} and {@link readStdin}. */
export interface StdinLimit {
  /** Most bytes accepted; reading stops (and fails) at the first byte over it. */
  maxBytes: number;
  /** What is being read, for the error message (e.g. `the secret value`). */
  what: string;
}

/**
 * Reads stdin as bytes, at most `limit.maxBytes`: it stops reading at the first chunk that goes
 * over, so a huge pipe is never held in memory.
 *
 * @example
 * ```ts
 * const bytes = await readStdinBytes(process.stdin, { maxBytes: 65_538, what: 'the secret value' });
 * ```
 * @throws CliError `ERR_VALIDATION` (exit 2) over the limit; Error when stdin fails.
 */
export async function readStdinBytes(
  stream: NodeJS.ReadableStream = process.stdin,
  limit: StdinLimit,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit.maxBytes) {
      (stream as { destroy?: () => void }).destroy?.();
      throw new CliError(
        'ERR_VALIDATION',
        `${limit.what} on stdin is over ${limit.maxBytes} bytes; nothing was stored`,
        EXIT.USAGE,
      );
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Strict UTF-8 decoding: invalid bytes are an error, never replaced.
 *
 * @example
 * ```ts
 * decodeUtf8(Buffer.from('héllo'), 'the secret value'); // 'héllo'
 * ```
 * @throws CliError `ERR_VALIDATION` (exit 2) when `bytes` is not valid UTF-8.
 */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new CliError(
      'ERR_VALIDATION',
      `${what} on stdin is not valid UTF-8; nothing was stored (pass --encoding base64 to store bytes as base64)`,
      EXIT.USAGE,
    );
  }
}

/**
 * Reads stdin as strict UTF-8 (see {@link readStdinBytes}); one trailing newline (`\n` or `\r\n`)
 * is dropped, as `echo` adds it. Without `limit`, reads up to 512 MiB (backup bundles).
 *
 * @example
 * ```ts
 * const value = await readStdin(); // printf 'v' | keywarden secrets set X
 * ```
 * @throws CliError `ERR_VALIDATION` over the limit or for invalid UTF-8; Error when stdin fails.
 */
export async function readStdin(
  stream: NodeJS.ReadableStream = process.stdin,
  limit: StdinLimit = { maxBytes: 512 * 1024 * 1024, what: 'the input' },
): Promise<string> {
  const text = decodeUtf8(await readStdinBytes(stream, limit), limit.what);
  return text.replace(/\r?\n$/, '');
}

/**
 * Asks for a value without echoing it. The question goes to stderr.
 *
 * @example
 * ```ts
 * const value = await promptHidden('Value for OPENAI_API_KEY: ');
 * ```
 * @throws CliError `ERR_USAGE` (exit 2) when there is no terminal or the prompt is cancelled (Ctrl-C / Ctrl-D).
 */
export function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    return Promise.reject(
      new CliError('ERR_USAGE', 'no terminal to prompt on: pipe the value on stdin', EXIT.USAGE),
    );
  }
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input, output, terminal: true });
  return new Promise<string>((resolve, reject) => {
    let answered = false;
    rl.on('close', () => {
      process.stderr.write('\n');
      if (!answered) reject(new CliError('ERR_USAGE', 'prompt cancelled', EXIT.USAGE));
    });
    rl.on('SIGINT', () => rl.close());
    rl.question(question, (answer) => {
      answered = true;
      resolve(answer);
      rl.close();
    });
    muted = true;
  });
}

/** How `secrets set` reads stdin: UTF-8 text (default), or any bytes stored as their base64. */
export type ValueEncoding = 'utf8' | 'base64';

/**
 * The value of a `secrets set`: `--value` (with a warning about shell history), else stdin when
 * piped, else a hidden prompt. Stdin is read with a cap (the library's value limit, so an oversized
 * pipe is refused without being held in memory) and must be valid UTF-8; with `encoding: 'base64'`
 * its bytes are taken as they are (no newline dropped) and the value is their base64.
 *
 * @example
 * ```ts
 * const opts = cmd.opts<{ value?: string }>();
 * const value = await readSecretValue(opts.value, 'OPENAI_API_KEY', out.warn, 'utf8');
 * ```
 * @throws CliError `ERR_USAGE` when the value is empty or cannot be read; `ERR_VALIDATION` when
 *   stdin is over the limit or not valid UTF-8.
 */
export async function readSecretValue(
  flag: string | undefined,
  name: string,
  warn: (message: string) => void,
  encoding: ValueEncoding = 'utf8',
): Promise<string> {
  let value: string;
  if (flag !== undefined) {
    warn('--value puts the secret in your shell history and the process list; prefer stdin or the prompt');
    if (encoding === 'base64') {
      throw new CliError('ERR_VALIDATION', '--encoding base64 applies to stdin, not to --value', EXIT.USAGE);
    }
    value = flag;
  } else if (!process.stdin.isTTY) {
    const what = 'the secret value';
    if (encoding === 'base64') {
      // base64 grows 4/3: the stored text must stay within the library's limit
      const bytes = await readStdinBytes(process.stdin, {
        maxBytes: Math.floor(MAX_SECRET_BYTES / 4) * 3,
        what,
      });
      value = bytes.toString('base64');
    } else {
      // + 2: room for the trailing newline that is dropped
      value = await readStdin(process.stdin, { maxBytes: MAX_SECRET_BYTES + 2, what });
    }
  } else {
    value = await promptHidden(`Value for ${name} (hidden): `);
  }
  if (value === '') throw new CliError('ERR_USAGE', 'the secret value is empty', EXIT.USAGE);
  return value;
}
