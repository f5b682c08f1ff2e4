/**
 * The runner's connection to its Docker engine (DOCKER_HOST or the standard socket), and the
 * labels that mark what the lab creates so that leftovers can be found and removed.
 */
import { hostname } from 'node:os';
import Docker from 'dockerode';
import { SandboxError } from './sandbox/provider.ts';

export const LABEL = {
  /** On every sandbox container and the sandboxes' network. */
  sandbox: 'org.docker-network-lab.sandbox',
  /** Which runner made it: `pid@hostname`. The start-up sweep spares sandboxes of runners still alive. */
  owner: 'org.docker-network-lab.owner',
} as const;

/** This runner's owner label. */
export const OWNER = `${process.pid}@${hostname()}`;

/**
 * True when the runner that labelled a sandbox is gone, so the sandbox is a leftover. Another
 * runner on this machine that still runs keeps its sandboxes; one on another machine sharing the
 * engine cannot be checked and is also spared.
 */
export function ownerGone(owner: string | undefined): boolean {
  const match = /^(\d+)@(.+)$/.exec(owner ?? '');
  if (!match) return true;
  if (match[2] !== hostname()) return false;
  if (Number(match[1]) === process.pid) return true;
  try {
    process.kill(Number(match[1]), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export function connectEngine(): Docker {
  // dockerode reads DOCKER_HOST (unix://, tcp://) itself and defaults to /var/run/docker.sock.
  return new Docker();
}

export function engineAddress(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** Connection-level failures mean the engine is not there; anything else is the engine's answer. */
export function isEngineDown(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code);
}

export function engineUnavailable(error: unknown): SandboxError {
  return new SandboxError(
    'engine-unavailable',
    `The Docker engine does not answer at ${engineAddress()} (${(error as Error).message}). Start it (npm start does), then reload.`,
    { cause: error },
  );
}

/** Engine version, or a SandboxError that says plainly that it is not there. */
export async function pingEngine(docker: Docker): Promise<string> {
  try {
    const version = await docker.version();
    return version.Version;
  } catch (error) {
    throw isEngineDown(error) ? engineUnavailable(error) : error;
  }
}
