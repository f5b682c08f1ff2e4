/** Starts the floor server (./floor-server.ts) as a child process and says where it listens. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('./floor-server.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;

export interface RunningFloor {
  url: string;
  pid: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startFloor(): Promise<RunningFloor> {
  const child = fork(SERVER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the floor server did not start')), START_TIMEOUT_MS);
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message.type === 'listening' && message.port) {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the floor server exited with ${code}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  if (child.pid === undefined) throw new Error('the floor server has no pid');
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    process: child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
