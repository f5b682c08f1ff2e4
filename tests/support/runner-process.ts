/** The runner child process lives with the runner's other clients; tests import it from here too. */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';

export { startRunner, type RunningRunner } from '../../runner/client/runner-process.ts';

const MAIN = fileURLToPath(new URL('../../runner/main.ts', import.meta.url));

export interface RunnerExit {
  code: number | null;
  stderr: string;
  stdout: string;
  /** The owner label its sandboxes would carry (runner/docker.ts `LABEL.owner`). */
  owner: string;
}

/**
 * Runs the real runner (node runner/main.ts) with `env` and `args`, for a start that must fail:
 * resolves once it exited. One that is still running after `timeoutMs` is stopped and reported.
 */
export async function runUntilExit(env: Record<string, string>, args: string[] = [], timeoutMs = 60_000): Promise<RunnerExit> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], {
    env: { ...process.env, LAB_TOKEN: 'test-token-0123456789abcdef', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stderr, stdout, owner: `${child.pid}@${hostname()}` };
}
