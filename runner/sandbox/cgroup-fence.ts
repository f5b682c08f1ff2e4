/**
 * A fence around each dind sandbox: a parent cgroup on the machine, made by the runner before the
 * sandbox starts, that holds the sandbox's limits (memory, processes, CPU, devices).
 *
 * Why: the limits must hold even if a reader could write the sandbox's own cgroup (today the
 * sandbox's user namespace cannot: its cgroupfs is read-only and owned by the machine's root; an
 * earlier sandbox needed it writable). A cgroup cannot take more than its parent allows, and the
 * sandbox runs in a cgroup namespace of its own whose root is its own cgroup: it cannot see, let
 * alone write, the fence. Needs the runner to be root on the engine's machine; elsewhere the fence is skipped
 * with a warning and the limits are Docker's alone (see the README).
 */
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.ts';

const ROOT = '/sys/fs/cgroup';
/** Where the fences live, below every hierarchy's root. Docker's --cgroup-parent is `/${FENCES}/<sandbox>`. */
const FENCES = 'docker-network-lab';

export interface FenceLimits {
  memoryBytes: number;
  pids: number;
  cpus: number;
}

/**
 * Docker's default device list for a container (runc's defaults): the usual character devices,
 * pseudo-terminals, tun, and `mknod` of anything but no access to it. No block device.
 */
const DEVICES_ALLOWED = [
  'c *:* m', 'b *:* m',
  'c 1:3 rwm', 'c 1:5 rwm', 'c 1:7 rwm', 'c 1:8 rwm', 'c 1:9 rwm',
  'c 5:0 rwm', 'c 5:1 rwm', 'c 5:2 rwm', 'c 136:* rwm', 'c 10:200 rwm',
];
const CFS_PERIOD_US = 100_000;

export class CgroupFences {
  readonly #v2: boolean;
  readonly #usable: boolean;

  constructor(log: Logger) {
    this.#v2 = existsSync(join(ROOT, 'cgroup.controllers'));
    this.#usable = process.getuid?.() === 0 && !process.env.DOCKER_HOST && existsSync(this.#v2 ? ROOT : join(ROOT, 'pids'));
    if (!this.#usable) {
      log.warn('sandbox limits are not fenced: the runner is not root on the engine\'s machine; a reader could raise them (see README, Security)');
    }
  }

  /** The `--cgroup-parent` for a sandbox, after its fence is made; null when fences are not available. */
  make(sandbox: string, limits: FenceLimits): string | null {
    if (!this.#usable) return null;
    try {
      if (this.#v2) this.#makeV2(sandbox, limits);
      else this.#makeV1(sandbox, limits);
      return `/${FENCES}/${sandbox}`;
    } catch (error) {
      this.remove(sandbox);
      throw new Error(`could not fence the sandbox's limits in ${ROOT}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Removes a fence once its sandbox is gone (a cgroup with processes in it is left alone). */
  remove(sandbox: string): void {
    if (!this.#usable) return;
    for (const dir of this.#dirs(sandbox)) {
      try {
        rmdirSync(dir);
      } catch {
        // Not there, or still in use: the next sweep tries again.
      }
    }
  }

  /**
   * The memory a fenced sandbox uses now (cgroup v2 memory.current, v1 memory.usage_in_bytes: page
   * cache included, as the limit counts it); null without a fence, or once it is gone.
   */
  async memoryBytes(sandbox: string): Promise<number | null> {
    if (!this.#usable) return null;
    const file = this.#v2 ? join(ROOT, FENCES, sandbox, 'memory.current') : join(ROOT, 'memory', FENCES, sandbox, 'memory.usage_in_bytes');
    try {
      const value = Number((await readFile(file, 'utf8')).trim());
      return Number.isSafeInteger(value) && value >= 0 ? value : null;
    } catch {
      return null; // the sandbox (and its fence) went away between the question and the read
    }
  }

  /** Removes the fences of sandboxes that no longer exist. */
  sweep(living: ReadonlySet<string>): void {
    if (!this.#usable) return;
    const parent = this.#v2 ? join(ROOT, FENCES) : join(ROOT, 'pids', FENCES);
    if (!existsSync(parent)) return;
    for (const entry of readdirSync(parent, { withFileTypes: true })) {
      if (entry.isDirectory() && !living.has(entry.name)) this.remove(entry.name);
    }
  }

  #dirs(sandbox: string): string[] {
    if (this.#v2) return [join(ROOT, FENCES, sandbox)];
    // Docker makes the parent in every hierarchy, fenced or not; all go when the sandbox goes.
    return readdirSync(ROOT, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(ROOT, entry.name, FENCES, sandbox));
  }

  #makeV1(sandbox: string, limits: FenceLimits): void {
    const dir = (controller: string) => {
      const path = join(ROOT, controller, FENCES, sandbox);
      mkdirSync(path, { recursive: true });
      return path;
    };
    const memory = dir('memory');
    writeFileSync(join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // Memory plus swap, where the kernel counts swap: no more than the memory itself.
    if (existsSync(join(memory, 'memory.memsw.limit_in_bytes'))) writeFileSync(join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
    writeFileSync(join(dir('pids'), 'pids.max'), String(limits.pids));
    const cpu = dir('cpu');
    writeFileSync(join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US));
    writeFileSync(join(cpu, 'cpu.cfs_quota_us'), String(Math.round(limits.cpus * CFS_PERIOD_US)));
    const devices = dir('devices');
    writeFileSync(join(devices, 'devices.deny'), 'a');
    for (const rule of DEVICES_ALLOWED) writeFileSync(join(devices, 'devices.allow'), rule);
  }

  #makeV2(sandbox: string, limits: FenceLimits): void {
    const parent = join(ROOT, FENCES);
    mkdirSync(parent, { recursive: true });
    writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory +pids +cpu');
    const path = join(parent, sandbox);
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'memory.max'), String(limits.memoryBytes));
    if (existsSync(join(path, 'memory.swap.max'))) writeFileSync(join(path, 'memory.swap.max'), '0');
    writeFileSync(join(path, 'pids.max'), String(limits.pids));
    writeFileSync(join(path, 'cpu.max'), `${Math.round(limits.cpus * CFS_PERIOD_US)} ${CFS_PERIOD_US}`);
    // Devices on cgroup v2 are an eBPF program Docker attaches to the sandbox's own cgroup.
  }
}
