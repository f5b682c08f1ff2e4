/** Starts the real runner (runner/main.ts) as a child process for a test, and stops it. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../runner/main.ts', import.meta.url));

export interface RunningRunner {
  url: string;
  port: number;
  token: string;
  origin: string;
  wsUrl: string;
  process: ChildProcess;
  /** Everything the runner logged (JSON lines on stdout, messages on stderr). */
  logs(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startRunner(env: Record<string, string> = {}): Promise<RunningRunner> {
  let output = '';
  const child = fork(MAIN, [], {
    env: { ...process.env, LAB_PORT: '0', LAB_TOKEN: 'test-token-0123456789abcdef', LAB_WARM_SANDBOXES: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const listening = await new Promise<{ url: string; port: number; token: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runner did not start:\n${output}`)), 30_000);
    child.on('message', (message: { type?: string; url: string; port: number; token: string }) => {
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
    ...listening,
    origin: `http://127.0.0.1:${listening.port}`,
    wsUrl: `ws://127.0.0.1:${listening.port}/lab/ws`,
    process: child,
    logs: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
