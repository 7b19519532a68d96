/**
 * Reading a secret value: all of stdin when it is piped, else a hidden prompt on the terminal
 * (node:readline with echo muted).
 * @module
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { EXIT } from './exit-codes.js';
import { CliError } from './io.js';

/**
 * Reads all of stdin as UTF-8; one trailing newline (`\n` or `\r\n`) is dropped, as `echo` adds it.
 *
 * @example
 * ```ts
 * const value = await readStdin(); // printf 'v' | keywarden secrets set X
 * ```
 * @throws Error when stdin fails.
 */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  const text = Buffer.concat(chunks).toString('utf8');
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

/**
 * The value of a `secrets set`: `--value` (with a warning about shell history), else stdin when
 * piped, else a hidden prompt.
 *
 * @example
 * ```ts
 * const value = await readSecretValue(opts.value, 'OPENAI_API_KEY', out.warn);
 * ```
 * @throws CliError `ERR_USAGE` when the value is empty or cannot be read.
 */
export async function readSecretValue(
  flag: string | undefined,
  name: string,
  warn: (message: string) => void,
): Promise<string> {
  let value: string;
  if (flag !== undefined) {
    warn('--value puts the secret in your shell history and the process list; prefer stdin or the prompt');
    value = flag;
  } else if (!process.stdin.isTTY) {
    value = await readStdin();
  } else {
    value = await promptHidden(`Value for ${name} (hidden): `);
  }
  if (value === '') throw new CliError('ERR_USAGE', 'the secret value is empty', EXIT.USAGE);
  return value;
}
