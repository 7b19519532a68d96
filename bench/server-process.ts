/**
 * The server side of a CPU benchmark in a process of its own: spawns this same bench file with
 * `serve ...args`, reads the JSON line it prints when listening, and asks it for its CPU time
 * (`cpu\n` on stdin → microseconds of user + system time on stdout, optionally followed by a
 * space and the user time alone), so the figures are the server's alone, not the load generator's.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A running server process. */
export interface ServerProcess {
  /** The first line the server printed (its ports, tokens...). */
  readonly ready: string;
  /** The server's CPU time so far, in microseconds. */
  cpu(): Promise<number>;
  /** The server's CPU time so far split in user and system microseconds (when the server reports it). */
  cpuSplit(): Promise<{ total: number; user: number; system: number }>;
  /** Sends a signal to the server process (e.g. `SIGUSR2` to a profiled one). */
  signal(name: NodeJS.Signals): void;
  /** Ends the server. */
  stop(): void;
}

/**
 * Starts `benchFile` (pass `import.meta.url`) as `node --import tsx benchFile serve ...args`;
 * `nodeArgs` go before the file (e.g. a profiler preload, see bench/middleware-profile.ts) and
 * `env` is added to the environment.
 *
 * @example
 * ```ts
 * const server = await startServerProcess(import.meta.url, [String(upstreamPort)]);
 * const info = JSON.parse(server.ready);
 * ```
 * @throws Error when the process exits before printing its first line.
 */
export async function startServerProcess(
  benchFile: string,
  args: string[] = [],
  spawnOptions: { nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<ServerProcess> {
  const nodeArgs = ['--import', 'tsx', ...(spawnOptions.nodeArgs ?? [])];
  const child = spawn(process.execPath, [...nodeArgs, fileURLToPath(benchFile), 'serve', ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...spawnOptions.env },
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
  const cpuSplit = async () => {
    const reply = nextLine();
    child.stdin.write('cpu\n');
    const [total = Number.NaN, user = Number.NaN] = (await reply).split(' ').map(Number);
    return { total, user, system: total - user };
  };
  return {
    ready,
    async cpu() {
      return (await cpuSplit()).total;
    },
    cpuSplit,
    signal(name) {
      child.kill(name);
    },
    stop() {
      child.stdin.end();
      child.kill();
    },
  };
}
