/**
 * The server side of a CPU benchmark in a process of its own: spawns this same bench file with
 * `serve ...args`, reads the JSON line it prints when listening, and asks it for its CPU time
 * (`cpu\n` on stdin → microseconds of user + system time on stdout), so the figures are the
 * server's alone, not the load generator's.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A running server process. */
export interface ServerProcess {
  /** The first line the server printed (its ports, tokens...). */
  readonly ready: string;
  /** The server's CPU time so far, in microseconds. */
  cpu(): Promise<number>;
  /** Ends the server. */
  stop(): void;
}

/**
 * Starts `benchFile` (pass `import.meta.url`) as `node --import tsx benchFile serve ...args`.
 *
 * @example
 * ```ts
 * const server = await startServerProcess(import.meta.url, [String(upstreamPort)]);
 * const info = JSON.parse(server.ready);
 * ```
 * @throws Error when the process exits before printing its first line.
 */
export async function startServerProcess(benchFile: string, args: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(benchFile), 'serve', ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let buf = '';
  const waiting: ((line: string) => void)[] = [];
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl !== -1 && waiting.length > 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      waiting.shift()?.(line);
    }
  });
  const nextLine = () => new Promise<string>((resolve) => waiting.push(resolve));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`server process exited with ${code}`))),
  );
  const ready = await Promise.race([nextLine(), exited]);
  return {
    ready,
    async cpu() {
      const reply = nextLine();
      child.stdin.write('cpu\n');
      return Number(await reply);
    },
    stop() {
      child.stdin.end();
      child.kill();
    },
  };
}
