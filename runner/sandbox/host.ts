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
import { execFile } from 'node:child_process';
import type { ExecOptions, ExecResult, Sandbox, SandboxProvider, ShellCommand } from './provider.ts';

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
      exec: (argv, options) => execHere(argv, options),
      alive: () => pingEngine(docker).then(() => true, () => false),
      memoryBytes: async () => null, // the machine's own: no share of it is this reader's
      dispose: async () => {},
    };
  }

  async sweep(): Promise<number> {
    return 0; // nothing of its own to leave behind
  }

  async close(): Promise<void> {}
}

/** A command on this machine, as the runner's user: the host provider's sandbox is the machine. */
function execHere(argv: string[], options: ExecOptions): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error('exec needs a command'));
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: options.maxBytes ?? 16 * 1024 ** 2, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve({ stdout, stderr, code: 0 });
      const failure = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      if (failure.killed) return resolve({ stdout, stderr, code: null });
      if (typeof failure.code === 'number') return resolve({ stdout, stderr, code: failure.code });
      reject(error);
    });
  });
}
