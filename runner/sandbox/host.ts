/**
 * The `host` provider: the lab shell runs on the runner's own machine, with the runner's own
 * Docker engine. For one person on their own machine who opts in. It gives up every isolation the
 * dind provider has: the reader's commands run as the runner's user, see all of its containers
 * and can use its Docker socket. The config refuses it on a non-loopback bind unless allowed.
 */
import { fileURLToPath } from 'node:url';
import { homedir } from 'node:os';
import type Docker from 'dockerode';
import { pingEngine } from '../docker.ts';
import type { Sandbox, SandboxProvider, ShellCommand } from './provider.ts';

const BASHRC = fileURLToPath(new URL('../shell/lab-bashrc.sh', import.meta.url));

export class HostProvider implements SandboxProvider {
  readonly kind = 'host' as const;
  readonly #docker: Docker;

  constructor(docker: Docker) {
    this.#docker = docker;
  }

  async create(): Promise<Sandbox> {
    await pingEngine(this.#docker);
    const docker = this.#docker;
    return {
      name: 'host',
      shell(): ShellCommand {
        // The runner's own settings (its token above all) never reach the reader's shell.
        const env = Object.fromEntries(Object.entries(process.env).filter(([key, value]) => value !== undefined && !key.startsWith('LAB_'))) as Record<string, string>;
        return { file: 'bash', args: ['--rcfile', BASHRC, '-i'], env: { ...env, TERM: 'xterm-256color' }, cwd: homedir() };
      },
      alive: () => pingEngine(docker).then(() => true, () => false),
      dispose: async () => {},
    };
  }

  async sweep(): Promise<number> {
    return 0; // nothing of its own to leave behind
  }

  async close(): Promise<void> {}
}
