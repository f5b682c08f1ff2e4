/**
 * The default provider: each session gets a container of its own running its own Docker engine,
 * so `ip addr` shows a clean docker0 as in the tutorial, names never collide between readers,
 * and a reset is "throw it away". The engine and the reader's shells run in a user namespace whose
 * root is uid 100000 of the machine (see CAPS below and the README's Security section). The image
 * and its boot script live in runner/images/.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { PassThrough, Writable, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import pLimit from 'p-limit';
import { engineUnavailable, isEngineDown, LABEL, OWNER, ownerGone } from '../docker.ts';
import type { RunnerConfig } from '../config.ts';
import { attachPath, directShell, findNamespaceInit, type AttachPath, type NamespaceInit } from './attach.ts';
import { CgroupFences } from './cgroup-fence.ts';
import type { Logger } from '../log.ts';
import { SandboxError, type ExecOptions, type ExecResult, type ProgressReporter, type Sandbox, type SandboxProvider, type ShellCommand } from './provider.ts';
import { userNamespaceProblem } from './userns-check.ts';

export interface DindOptions {
  image: string;
  memoryBytes: number;
  /** Size of the tmpfs that holds the nested engine's images and containers. */
  diskBytes: number;
  pids: number;
  cpus: number;
  /** Sandboxes booted ahead of demand, so a new reader does not wait for an engine to start. */
  warm: number;
}

/** The provider's options from the runner's settings. */
export function dindOptions(config: RunnerConfig, warm = config.warmSandboxes): DindOptions {
  return { image: config.sandboxImage, memoryBytes: config.sandboxMemory, diskBytes: config.sandboxDisk, pids: config.sandboxPids, cpus: config.sandboxCpus, warm };
}

/** The sandboxes' own network. It must not overlap the tutorial's subnets (172.18/16, 192.168/16, 172.38/16). */
export const SANDBOX_NETWORK = { name: 'docker-network-lab-sandboxes', subnet: '10.213.0.0/16' } as const;

/** What boot.sh prints on the container's stdout. */
const READY_LINE = 'lab-sandbox: ready';
const FAILED_PREFIX = 'lab-sandbox: failed:';
/** An engine that has not booted by then will not. */
const BOOT_TIMEOUT_MS = 90_000;

/**
 * A sandbox holds less than an ordinary container. Its engine and every process a reader starts
 * run in a user namespace of their own (runner/images/sandbox/boot.sh), whose root is uid 100000
 * of the machine and has its capabilities there only; the container's own root, outside it, needs
 * just these: CHOWN to give the writable places to that uid, SETUID and SETGID for newuidmap and
 * newgidmap to write the namespace's uid and gid maps. No CAP_SYS_ADMIN, no CAP_NET_ADMIN.
 */
const CAPS = ['CHOWN', 'SETUID', 'SETGID'];

/**
 * Making the namespaces needs these off: Docker's seccomp profile refuses unshare(CLONE_NEWUSER) to
 * a container without CAP_SYS_ADMIN, and a procfs can be mounted in a user namespace only where the
 * container's /proc has no paths masked or made read-only over it (the CLI's
 * `systempaths=unconfined`: empty MaskedPaths and ReadonlyPaths below). What those guarded, the user
 * namespace guards inside: the machine's settings under /proc/sys belong to the machine's user
 * namespace, where the sandbox has no capability.
 */
const SECURITY_OPT = ['seccomp=unconfined', 'apparmor=unconfined', 'no-new-privileges'];

/**
 * The writable places of a sandbox, whose root is read-only: tmpfs, each of this size and all
 * counted in its memory. The engine's and the shell's own, and the usual homes of bind-mounted
 * data (the tutorial keeps its Redis configuration in /mydata).
 */
const SMALL_TMPFS_BYTES = 64 * 1024 ** 2;
const WRITABLE = ['/run', '/tmp', '/var/tmp', '/root', '/home', '/var/log', '/etc/docker', '/mydata', '/data', '/srv', '/opt', '/mnt'];

/** The sandbox engine's address on its docker0 (boot.sh starts a resolver there). */
const SANDBOX_DNS = '172.18.0.1';

export class DindProvider implements SandboxProvider {
  readonly kind = 'dind' as const;
  readonly #docker: Docker;
  readonly #options: DindOptions;
  readonly #log: Logger;
  readonly #fences: CgroupFences;
  /** How terminals reach a sandbox's shell (runner/sandbox/attach.ts): decided once, said once. */
  readonly #attach: AttachPath;
  readonly #boots = pLimit(Math.max(2, availableParallelism()));
  #network: Promise<void> | null = null;
  #warm: Promise<DindSandbox>[] = [];
  #warmFailed = false;
  #closed = false;
  /** Why this machine cannot give sandboxes a user namespace, when it cannot. */
  readonly #unavailable: string | null;

  /**
   * `checkUserNamespaces` says what stops user namespaces on this machine, if anything. It is asked
   * only when the engine is this machine's own (no DOCKER_HOST): a remote engine's sandboxes say it
   * themselves when they fail to boot.
   */
  constructor(docker: Docker, options: DindOptions, log: Logger, checkUserNamespaces: () => string | null = userNamespaceProblem) {
    this.#docker = docker;
    this.#options = options;
    this.#log = log;
    this.#fences = new CgroupFences(log);
    this.#attach = attachPath();
    if (this.#attach.kind === 'direct') log.info('sandbox terminals attach directly (nsenter into the sandbox\'s namespaces; no daemon relays them)');
    else log.info('sandbox terminals attach through docker exec', { reason: this.#attach.reason });
    this.#unavailable = process.env.DOCKER_HOST ? null : checkUserNamespaces();
    if (this.#unavailable) {
      // Said at start, where the operator looks; no sandbox starts until it is fixed (no fallback).
      log.error('dind sandboxes cannot start on this machine', { reason: this.#unavailable });
      process.stderr.write(`${this.#unavailable}\n`);
    }
  }

  async create(sessionId: string, onProgress: ProgressReporter): Promise<Sandbox> {
    if (this.#unavailable) throw new SandboxError('sandbox-failed', `The sandbox could not be started: ${this.#unavailable}`);
    // At most one warm sandbox per request: if it failed, boot this one directly, so a broken
    // engine or image gives the reader its error instead of a loop of failing warm boots.
    const warm = this.#warm.shift();
    this.#fillWarm();
    if (warm) {
      try {
        const sandbox = await warm;
        if (await sandbox.alive()) {
          this.#log.info('sandbox taken from the warm pool', { sandbox: sandbox.name, session: sessionId.slice(0, 6) });
          return sandbox;
        }
        await sandbox.dispose();
      } catch (error) {
        this.#log.warn('warm sandbox failed; booting one for the reader', { error });
      }
    }
    return this.#boot(onProgress);
  }

  /** Keeps `warm` sandboxes booting or booted. */
  #fillWarm(): void {
    // After a warm boot failed, skip one refill: a broken engine or image must not make a loop.
    if (this.#warmFailed) {
      this.#warmFailed = false;
      return;
    }
    while (!this.#closed && !this.#unavailable && this.#warm.length < this.#options.warm) {
      const booting = this.#boot(() => {});
      booting.catch(() => (this.#warmFailed = true)); // the session that takes it reports the error
      this.#warm.push(booting);
    }
  }

  /** Starts the warm pool; call once the engine answers. */
  warmUp(): void {
    this.#fillWarm();
  }

  /**
   * Boots wait for a slot: sandboxes booting at once share the machine's cores, and past that each
   * boot only gets slower (50 at once on 2 cores would overrun the boot timeout), so readers who
   * arrive together are served in turn, each at full speed.
   */
  #boot(onProgress: ProgressReporter): Promise<DindSandbox> {
    if (this.#boots.activeCount >= this.#boots.concurrency) onProgress('session', `Waiting for a free slot to start your sandbox (${this.#boots.pendingCount + 1} ahead)`);
    return this.#boots(() => this.#bootNow(onProgress));
  }

  async #bootNow(onProgress: ProgressReporter): Promise<DindSandbox> {
    const started = Date.now();
    const name = `lab-sandbox-${randomBytes(5).toString('hex')}`;
    let container: Docker.Container | undefined;
    try {
      await this.#ensureNetwork();
      onProgress('creating', 'Creating your sandbox');
      const cgroupParent = this.#fences.make(name, { memoryBytes: this.#options.memoryBytes, pids: this.#options.pids, cpus: this.#options.cpus });
      container = await this.#docker.createContainer({
        name,
        Image: this.#options.image,
        Hostname: 'lab',
        Labels: { [LABEL.sandbox]: '1', [LABEL.owner]: OWNER },
        HostConfig: {
          NetworkMode: SANDBOX_NETWORK.name,
          CapDrop: ['ALL'],
          CapAdd: CAPS,
          SecurityOpt: SECURITY_OPT,
          MaskedPaths: [],
          ReadonlyPaths: [],
          // Nothing a reader does reaches the machine's disk: the root is read-only, and what is
          // writable is tmpfs, held in the sandbox's memory and bounded by its size and that limit.
          ReadonlyRootfs: true,
          Mounts: [tmpfs('/var/lib/docker', this.#options.diskBytes, 0o710), ...WRITABLE.map((target) => tmpfs(target, SMALL_TMPFS_BYTES, target.endsWith('tmp') ? 0o1777 : 0o755))],
          Dns: [SANDBOX_DNS],
          // Its own cgroup is the root of what it sees: neither the fence above it nor any other
          // container's cgroups, nor the machine's release_agent, even in a cgroupfs it mounts itself.
          ...({ CgroupnsMode: 'private' } as Docker.HostConfig), // in the Engine API since 1.41; not yet in dockerode's types
          ...(cgroupParent ? { CgroupParent: cgroupParent } : {}),
          PidsLimit: this.#options.pids,
          Memory: this.#options.memoryBytes,
          MemorySwap: this.#options.memoryBytes, // no swap: a memory hog is stopped, not slowed down
          NanoCpus: Math.round(this.#options.cpus * 1e9),
        },
      });
      await container.start();
      // Following the logs of a container that has not started ends at once; after the start, the
      // stream still begins with the first line the boot script printed.
      const logs = await this.#followLogs(container);
      onProgress('starting-engine', 'Starting its Docker engine');
      await this.#waitReady(container, logs);
      const init = this.#attach.kind === 'direct' ? await namespaceInit(container) : null;
      this.#log.info('sandbox ready', { sandbox: name, ms: Date.now() - started });
      return new DindSandbox(container, name, this.#log, { unfence: () => this.#fences.remove(name), memoryBytes: () => this.#fences.memoryBytes(name) }, init);
    } catch (error) {
      if (container) await removeContainer(container, this.#log);
      this.#fences.remove(name);
      if (error instanceof SandboxError) throw error;
      if (isEngineDown(error)) throw engineUnavailable(error);
      const message = (error as { json?: { message?: string } }).json?.message ?? (error as Error).message;
      throw new SandboxError('sandbox-failed', `The sandbox could not be started: ${message}`, { cause: error });
    }
  }

  #ensureNetwork(): Promise<void> {
    this.#network ??= (async () => {
      const existing = await this.#docker.listNetworks({ filters: { name: [SANDBOX_NETWORK.name] } });
      if (existing.some((n) => n.Name === SANDBOX_NETWORK.name)) return;
      await this.#docker.createNetwork({
        Name: SANDBOX_NETWORK.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: { [LABEL.sandbox]: '1' },
        IPAM: { Config: [{ Subnet: SANDBOX_NETWORK.subnet }] },
        // Sandboxes must not reach each other: no traffic between containers on this bridge.
        Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      });
    })().catch((error: unknown) => {
      this.#network = null;
      throw error;
    });
    return this.#network;
  }

  /** The container's output as text lines; `close` ends the follow request to the engine. */
  async #followLogs(container: Docker.Container): Promise<{ lines: PassThrough; close(): void }> {
    const raw = (await container.logs({ follow: true, stdout: true, stderr: true })) as Readable;
    const lines = new PassThrough();
    this.#docker.modem.demuxStream(raw, lines, lines);
    raw.on('end', () => lines.end());
    raw.on('error', (error: Error) => lines.destroy(error));
    return {
      lines,
      close: () => {
        raw.destroy();
        lines.destroy();
      },
    };
  }

  #waitReady(container: Docker.Container, logs: { lines: PassThrough; close(): void }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const tail: string[] = [];
      let buffered = '';
      let settled = false;
      const done = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        logs.lines.removeAllListeners('data');
        logs.lines.on('error', () => {}); // a late error of a stream already given up
        logs.close();
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(
        () => done(new SandboxError('sandbox-failed', `The sandbox's engine did not start within ${BOOT_TIMEOUT_MS / 1000} s. Last lines: ${tail.join(' | ')}`)),
        BOOT_TIMEOUT_MS,
      );
      logs.lines.on('error', (error: Error) => done(isEngineDown(error) ? engineUnavailable(error) : new SandboxError('sandbox-failed', `Lost the sandbox's output while it booted: ${error.message}`)));
      logs.lines.on('data', (data: Buffer) => {
        buffered += data.toString('utf8');
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          tail.push(line);
          if (tail.length > 5) tail.shift();
          if (line.trim() === READY_LINE) return done();
          if (line.startsWith(FAILED_PREFIX)) return done(new SandboxError('sandbox-failed', `The sandbox failed to boot: ${line.slice(FAILED_PREFIX.length).trim()}`));
        }
      });
      logs.lines.on('end', () => {
        void container
          .inspect()
          .then((info) => `exited with status ${info.State.ExitCode}`)
          .catch(() => 'was removed')
          .then((how) => done(new SandboxError('sandbox-failed', `The sandbox ${how} while booting. Last lines: ${tail.join(' | ')}`)));
      });
    });
  }

  async sweep(): Promise<number> {
    const labelled = await this.#docker.listContainers({ all: true, filters: { label: [LABEL.sandbox] } });
    const leftovers = labelled.filter((info) => ownerGone(info.Labels[LABEL.owner]));
    await Promise.all(leftovers.map((info) => removeContainer(this.#docker.getContainer(info.Id), this.#log)));
    const living = labelled.filter((info) => !leftovers.includes(info)).map((info) => (info.Names[0] ?? '').replace(/^\//, ''));
    this.#fences.sweep(new Set(living));
    if (leftovers.length > 0) this.#log.info('removed sandboxes left from an earlier runner', { count: leftovers.length });
    return leftovers.length;
  }

  /** Disposes the warm pool and, once no sandbox is left on it, the sandboxes' network. */
  async close(): Promise<void> {
    this.#closed = true;
    const warm = this.#warm;
    this.#warm = [];
    await Promise.all(warm.map((w) => w.then((s) => s.dispose(), () => {})));
    try {
      await this.#docker.getNetwork(SANDBOX_NETWORK.name).remove();
    } catch (error) {
      // 404: never created; 403/409: another runner's sandboxes still use it. Either way, keep going.
      this.#log.debug('sandbox network kept', { error });
    }
  }
}

class DindSandbox implements Sandbox {
  readonly name: string;
  readonly #container: Docker.Container;
  readonly #log: Logger;
  readonly #fence: { unfence(): void; memoryBytes(): Promise<number | null> };
  /** Where the direct attach path enters; null: terminals go through `docker exec`. */
  readonly #init: NamespaceInit | null;
  #disposed: Promise<void> | null = null;

  constructor(container: Docker.Container, name: string, log: Logger, fence: { unfence(): void; memoryBytes(): Promise<number | null> }, init: NamespaceInit | null) {
    this.#container = container;
    this.name = name;
    this.#log = log;
    this.#fence = fence;
    this.#init = init;
  }

  memoryBytes(): Promise<number | null> {
    return this.#disposed ? Promise.resolve(null) : this.#fence.memoryBytes();
  }

  shell(): ShellCommand {
    if (this.#init) return directShell(this.#init, LAB_SHELL, { ...SHELL_ENV, PATH: SANDBOX_PATH });
    return {
      file: 'docker',
      // `docker exec` lands as the container's root, outside the sandbox's user namespace; enter.sh
      // joins it (nsenter), still in the container's cgroup, so the fence's limits hold the shell too.
      args: ['exec', '-it', ...Object.entries(SHELL_ENV).flatMap(([key, value]) => ['-e', `${key}=${value}`]), this.name, '/lab/enter.sh', ...LAB_SHELL],
      // The docker client needs only where its engine is; nothing of the runner's own is passed on.
      env: pick(process.env, ['PATH', 'HOME', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY']),
    };
  }

  async alive(): Promise<boolean> {
    if (this.#disposed) return false;
    try {
      return (await this.#container.inspect()).State.Running;
    } catch {
      return false; // gone, or the engine is: either way no shell can run here
    }
  }

  dispose(): Promise<void> {
    this.#disposed ??= removeContainer(this.#container, this.#log).then(() => this.#fence.unfence());
    return this.#disposed;
  }

  exec(argv: string[], options: ExecOptions): Promise<ExecResult> {
    if (this.#disposed) return Promise.reject(new SandboxError('sandbox-failed', 'The sandbox is gone.'));
    return this.#init ? execDirect(this.#init, argv, options) : execIn(this.#container, argv, options);
  }
}

/** A command's time limit inside the sandbox, for timeout(1). */
function killAfter(argv: string[], options: ExecOptions): string[] {
  return ['timeout', '-s', 'KILL', Math.max(0.1, options.timeoutMs / 1000).toFixed(1), ...argv];
}

/**
 * One command in a sandbox's namespaces on the direct attach path: attach.sh, as a reader's
 * terminal enters (the sandbox's cgroups, no-new-privs, its user namespace first), without a
 * tty and without the engine's exec (a runc start-up per command: most of a topology snapshot's
 * time on that path).
 */
function execDirect(init: NamespaceInit, argv: string[], options: ExecOptions): Promise<ExecResult> {
  const command = directShell(init, killAfter(argv, options), { ...SHELL_ENV, PATH: SANDBOX_PATH });
  const maxBytes = options.maxBytes ?? 16 * 1024 ** 2;
  return new Promise((resolve, reject) => {
    execFile(command.file, command.args, { env: command.env, maxBuffer: maxBytes, timeout: options.timeoutMs + 1_000, killSignal: 'SIGKILL', encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve({ stdout, stderr, code: 0 });
      const failure = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      if (failure.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return reject(new SandboxError('sandbox-failed', `A command in the sandbox printed more than ${maxBytes} bytes.`));
      if (typeof failure.code !== 'number') {
        // Killed: by the runner's own limit, or by timeout(1)'s KILL, which nsenter passes on as
        // its own death by the same signal. Either way the command did not finish.
        if (failure.killed || (error as { signal?: string | null }).signal === 'SIGKILL') return resolve({ stdout, stderr, code: null });
        return reject(new SandboxError('sandbox-failed', `Could not run a command in the sandbox: ${failure.message}`, { cause: error }));
      }
      // timeout(1) with -s KILL says 137 when it had to kill the command.
      resolve({ stdout, stderr, code: failure.code === 137 ? null : failure.code });
    });
  });
}

/**
 * One command in a sandbox's namespaces through the engine's exec API (no docker CLI to start):
 * `docker exec` of enter.sh, as a reader's shell, but without a tty. `timeout` inside the sandbox
 * kills it when the time is up; the runner stops waiting a second later in any case.
 */
async function execIn(container: Docker.Container, argv: string[], options: ExecOptions): Promise<ExecResult> {
  const maxBytes = options.maxBytes ?? 16 * 1024 ** 2;
  let exec: Docker.Exec;
  let stream: NodeJS.ReadWriteStream;
  try {
    exec = await container.exec({ Cmd: ['/lab/enter.sh', ...killAfter(argv, options)], AttachStdout: true, AttachStderr: true, Tty: false });
    stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadWriteStream;
  } catch (error) {
    if (isEngineDown(error)) throw engineUnavailable(error);
    throw new SandboxError('sandbox-failed', `Could not run a command in the sandbox: ${(error as Error).message}`, { cause: error });
  }
  return new Promise<ExecResult>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const finish = (result: ExecResult | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      (stream as unknown as { destroy(): void }).destroy();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const sink = (chunks: Buffer[]) =>
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          if (bytes > maxBytes) finish(new SandboxError('sandbox-failed', `A command in the sandbox printed more than ${maxBytes} bytes.`));
          else chunks.push(chunk);
          done();
        },
      });
    const timer = setTimeout(() => finish({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: null }), options.timeoutMs + 1_000);
    container.modem.demuxStream(stream, sink(out), sink(err));
    stream.on('error', (error: Error) => finish(isEngineDown(error) ? engineUnavailable(error) : new SandboxError('sandbox-failed', `Lost a command's output in the sandbox: ${error.message}`)));
    stream.on('end', () => {
      exec.inspect().then(
        (info) => {
          // timeout(1) with -s KILL says 137 when it had to kill the command.
          const code = info.ExitCode ?? null;
          finish({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code === 137 ? null : code });
        },
        (error: unknown) => finish(isEngineDown(error) ? engineUnavailable(error) : new SandboxError('sandbox-failed', `Could not read how a command in the sandbox ended: ${(error as Error).message}`)),
      );
    });
  });
}

/** The reader's shell, and what it finds in its environment (the image's PATH on the direct path). */
const LAB_SHELL = ['bash', '--rcfile', '/etc/lab/bashrc', '-i'];
const SHELL_ENV = { TERM: 'xterm-256color', LANG: 'C.UTF-8', HOME: '/root' };
const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Where a booted sandbox's terminals enter, for the direct attach path. */
async function namespaceInit(container: Docker.Container): Promise<NamespaceInit> {
  const info = await container.inspect();
  try {
    return findNamespaceInit(info.State.Pid, info.Id);
  } catch (error) {
    throw new SandboxError('sandbox-failed', `The sandbox booted, but its shell cannot be reached: ${(error as Error).message}`, { cause: error });
  }
}

function tmpfs(target: string, sizeBytes: number, mode: number): Docker.MountSettings {
  return { Type: 'tmpfs', Source: '', Target: target, TmpfsOptions: { SizeBytes: sizeBytes, Mode: mode } };
}

/** While the engine is away (restarting), removal is retried this often, for at most this long. */
const REMOVE_RETRY = { firstDelayMs: 500, maxDelayMs: 5_000, giveUpAfterMs: 10 * 60_000 } as const;

/**
 * Force-removes a container with its anonymous volumes. When the engine does not answer (a
 * restart), retries until it does: a sandbox killed by the restart is left stopped, and must not
 * outlive it.
 */
async function removeContainer(container: Docker.Container, log: Logger): Promise<void> {
  const started = Date.now();
  for (let delayMs: number = REMOVE_RETRY.firstDelayMs; ; delayMs = Math.min(delayMs * 2, REMOVE_RETRY.maxDelayMs)) {
    try {
      await container.remove({ force: true, v: true });
      return;
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 404 || status === 409) return; // already gone, or removal already in progress
      if (!isEngineDown(error) || Date.now() - started > REMOVE_RETRY.giveUpAfterMs) {
        log.warn('could not remove sandbox', { container: container.id, error });
        return;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
  }
}

function pick(env: NodeJS.ProcessEnv, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
