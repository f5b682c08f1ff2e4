/**
 * Starts the real runner (runner/main.ts) as a child process, on a port of its own, for a client
 * that drives it from outside: the doc-tests, the benchmarks, the integration tests.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url));
/** A runner that has not said it listens by then will not. */
const START_TIMEOUT_MS = 30_000;

/** The open workshop of a runner started in workshop mode, as its 'listening' message says. */
export interface RunningWorkshop {
  id: string;
  name: string;
  /** The learners' join token. */
  join: string;
  /** The facilitator's token. */
  facilitator: string;
}

export interface RunningRunner {
  url: string;
  port: number;
  token: string;
  origin: string;
  wsUrl: string;
  process: ChildProcess;
  /** The owner label on the sandboxes this runner creates (runner/docker.ts `LABEL.owner`). */
  owner: string;
  /** Null unless the runner was started in workshop mode. */
  workshop: RunningWorkshop | null;
  /** Everything the runner logged (JSON lines on stdout, messages on stderr). */
  logs(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

interface ListeningMessage {
  type?: string;
  url: string;
  port: number;
  token: string;
  workshop?: RunningWorkshop | null;
}

/**
 * `env` overrides the runner's settings (LAB_*), `args` are its command-line flags (`--workshop`,
 * `--name …`); the port defaults to any free one.
 */
export async function startRunner(env: Record<string, string> = {}, args: readonly string[] = []): Promise<RunningRunner> {
  let output = '';
  const child = fork(MAIN, [...args], {
    env: { ...process.env, LAB_PORT: '0', LAB_TOKEN: 'test-token-0123456789abcdef', LAB_WARM_SANDBOXES: '0', ...env },
    // node:sqlite (the workshop's store) is still marked experimental in Node 22.
    execArgv: [...process.execArgv, '--disable-warning=ExperimentalWarning'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const listening = await new Promise<ListeningMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runner did not start:\n${output}`)), START_TIMEOUT_MS);
    child.on('message', (message: ListeningMessage) => {
      if (message.type === 'listening') {
        clearTimeout(timer);
        resolve(message);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`runner exited with ${code}:\n${output}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    url: listening.url,
    port: listening.port,
    token: listening.token,
    workshop: listening.workshop ?? null,
    origin: `http://127.0.0.1:${listening.port}`,
    wsUrl: `ws://127.0.0.1:${listening.port}/lab/ws`,
    process: child,
    owner: `${child.pid}@${hostname()}`,
    logs: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
