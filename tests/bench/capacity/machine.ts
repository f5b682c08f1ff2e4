/**
 * What the capacity benchmark reads of the machine, from /proc and the cgroup filesystem: free
 * memory, CPU time of the whole machine, a process tree's memory, and each sandbox container's
 * memory and CPU (its cgroup counts the nested engine and everything the reader started in it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { docker } from '../../support/engine.ts';
import { LABEL } from '../../../runner/docker.ts';

const KIB = 1024;

/** Where the machine's memory is: what the kernel could hand out without swapping (there is no swap here), anonymous pages, page cache, and kernel slab that cannot be reclaimed. */
export interface MemoryParts {
  available: number;
  anon: number;
  cache: number;
  kernel: number;
}

export function memoryParts(): MemoryParts {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(info)?.[1] ?? 0) * KIB;
  return { available: field('MemAvailable'), anon: field('AnonPages'), cache: field('Cached'), kernel: field('SUnreclaim') + field('KernelStack') + field('PageTables') };
}

/** Jiffies the machine's CPUs spent busy and in all, since boot (first line of /proc/stat). */
export interface CpuTimes {
  busy: number;
  total: number;
}

export function cpuTimes(): CpuTimes {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** Share of all CPUs busy between two readings, 0..1. */
export function busyShare(from: CpuTimes, to: CpuTimes): number {
  const total = to.total - from.total;
  return total > 0 ? (to.busy - from.busy) / total : 0;
}

/**
 * Samples the machine's CPU every `periodMs` until stopped: the busiest second shows whether the
 * cores were saturated, the mean how long for.
 */
export class CpuSampler {
  readonly #start = cpuTimes();
  readonly #shares: number[] = [];
  #last = this.#start;
  readonly #timer: NodeJS.Timeout;

  constructor(periodMs = 1000) {
    this.#timer = setInterval(() => {
      const now = cpuTimes();
      this.#shares.push(busyShare(this.#last, now));
      this.#last = now;
    }, periodMs);
  }

  /** Mean busy share since the start, the share of samples at or above 95 %, and the busiest sample. */
  stop(): { mean: number; saturated: number; max: number } {
    clearInterval(this.#timer);
    const mean = busyShare(this.#start, cpuTimes());
    const saturated = this.#shares.length ? this.#shares.filter((s) => s >= 0.95).length / this.#shares.length : 0;
    return { mean, saturated, max: Math.max(0, ...this.#shares) };
  }
}

/** Kernel clock ticks a second (USER_HZ): the unit of /proc/<pid>/stat times and /proc/stat. */
const TICKS_PER_SECOND = 100;

interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** User and system time of the process and of its children it has waited for, in ticks. */
  ticks: number;
}

function processInfo(pid: number): ProcessInfo | null {
  try {
    // The command name (2nd field) is in parentheses and may hold spaces; fields after it are plain.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const rest = stat.slice(close + 2).split(' ');
    // rest[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
    const [utime, stime, cutime, cstime] = rest.slice(11, 15).map(Number) as [number, number, number, number];
    return { pid, ppid: Number(rest[1]), comm: stat.slice(open + 1, close), ticks: utime + stime + cutime + cstime };
  } catch {
    return null; // the process ended while the table was read
  }
}

function processTable(): ProcessInfo[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => processInfo(Number(entry)))
    .filter((p): p is ProcessInfo => p !== null);
}

function subtree(table: ProcessInfo[], root: number): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcessInfo[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const p = queue.shift() as ProcessInfo;
    out.push(p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return out;
}

export function descendants(root: number): number[] {
  return subtree(processTable(), root).map((p) => p.pid);
}

/** The machine's own Docker engine: its daemons and the shims of its containers (comm is cut at 15 characters). */
const ENGINE_COMMANDS = new Set(['dockerd', 'containerd', 'containerd-shim', 'runc', 'docker-proxy']);

/** True for a process in a container's cgroup: a sandbox's own dockerd is the sandbox's, not the machine engine's. */
function inContainer(pid: number): boolean {
  try {
    return /:\/docker\//.test(readFileSync(`/proc/${pid}/cgroup`, 'utf8'));
  } catch {
    return true; // gone: count it nowhere
  }
}

type Party = 'runner' | 'clients' | 'browser' | 'engine' | 'sandboxes';

/**
 * CPU time used so far by each party to the benchmark, per process (or per sandbox), in seconds.
 *   runner: the runner and the processes it started (ptys: `docker exec` clients, bashes)
 *   clients: the benchmark process itself (the load sessions' clients and their headless terminals)
 *   browser: the benchmark's other children (Chromium, the probe)
 *   engine: the machine's Docker engine (dockerd, containerd, every container's shim)
 *   sandboxes: the sandboxes' cgroups (their nested engines and what readers run in them)
 * Kept per process so that a process that ends between two readings (another runner's container
 * shim, on a shared machine) drops out of both instead of making its party's total shrink.
 */
export interface CpuAccount {
  /** performance.now() when read. */
  at: number;
  machine: CpuTimes;
  used: Record<Party, Map<string, number>>;
}

export function cpuAccount(runnerPid: number | null, sandboxes: SandboxUsage[]): CpuAccount {
  const table = processTable();
  const byPid = (ps: ProcessInfo[]) => new Map(ps.map((p) => [String(p.pid), p.ticks / TICKS_PER_SECOND]));
  const runner = runnerPid ? [table.find((p) => p.pid === runnerPid), ...subtree(table, runnerPid)].filter((p): p is ProcessInfo => p !== undefined) : [];
  const runnerPids = new Set(runner.map((p) => p.pid));
  return {
    at: performance.now(),
    machine: cpuTimes(),
    used: {
      runner: byPid(runner),
      clients: byPid(table.filter((p) => p.pid === process.pid)),
      browser: byPid(subtree(table, process.pid).filter((p) => !runnerPids.has(p.pid))),
      engine: byPid(table.filter((p) => ENGINE_COMMANDS.has(p.comm) && !inContainer(p.pid))),
      sandboxes: new Map(sandboxes.map((s) => [s.name, s.cpuSeconds])),
    },
  };
}

/**
 * Cores each party kept busy between two accounts, counting what each process present at the end
 * used since the start (all of it if it started in between); `other` is the rest of the machine.
 */
export function coresBetween(from: CpuAccount, to: CpuAccount): Record<'machine' | Party | 'other', number> {
  const wall = (to.at - from.at) / 1000;
  const machine = wall > 0 ? (to.machine.busy - from.machine.busy) / TICKS_PER_SECOND / wall : 0;
  const cores = (party: Party) => {
    let used = 0;
    for (const [id, seconds] of to.used[party]) used += Math.max(0, seconds - (from.used[party].get(id) ?? 0));
    return wall > 0 ? used / wall : 0;
  };
  const parts = { runner: cores('runner'), clients: cores('clients'), browser: cores('browser'), engine: cores('engine'), sandboxes: cores('sandboxes') };
  const ours = Object.values(parts).reduce((sum, x) => sum + x, 0);
  return { machine, ...parts, other: Math.max(0, machine - ours) };
}

/** PSS of the machine engine's processes (dockerd, containerd, the shims), bytes. */
export function engineMemory(): number {
  return processTable()
    .filter((p) => ENGINE_COMMANDS.has(p.comm) && !inContainer(p.pid))
    .reduce((sum, p) => sum + pss(p.pid), 0);
}

/**
 * Waits until the machine's CPUs are mostly idle (other work on a shared machine would be measured
 * as the lab's), or `timeoutMs` passed. Returns the busy cores over the last 5 s measured.
 */
export async function quietMachine(maxBusyCores: number, timeoutMs: number, log: (line: string) => void): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const from = cpuTimes();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const to = cpuTimes();
    const busy = (to.busy - from.busy) / TICKS_PER_SECOND / 5;
    if (busy <= maxBusyCores || Date.now() >= deadline) return busy;
    log(`waiting for a quiet machine: ${busy.toFixed(2)} cores busy with other work`);
  }
}

/** Resident set size of one process in bytes; 0 once it is gone. */
export function rss(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * KIB;
  } catch {
    return 0; // gone
  }
}

/**
 * Proportional set size: shared pages (the text of fifty `docker exec` clients, say) divided among
 * the processes that share them, so a sum over processes counts each page once.
 */
export function pss(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) * KIB;
  } catch {
    return 0; // gone, or smaps_rollup not readable
  }
}

/**
 * The runner's own RSS, and the PSS of the processes it started (each session's pty: bash on the
 * host, or the `docker exec` client of a dind session). A dind terminal attached directly (nsenter,
 * runner/sandbox/attach.ts) runs in its sandbox's memory cgroup and is counted there, not here twice.
 */
export function runnerMemory(pid: number): { rss: number; children: number; childCount: number } {
  const own = memoryCgroup(pid);
  const children = descendants(pid).filter((child) => memoryCgroup(child) === own);
  return { rss: rss(pid), children: children.reduce((sum, child) => sum + pss(child), 0), childCount: children.length };
}

/** The memory cgroup a process is charged to (cgroup v1's memory line, or v2's one line). */
function memoryCgroup(pid: number): string | null {
  try {
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
    return (lines.find((l) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(l)) ?? lines.find((l) => l.startsWith('0::')) ?? '').replace(/^[^:]*:[^:]*:/, '');
  } catch {
    return null; // gone: counted nowhere
  }
}

export interface SandboxUsage {
  name: string;
  /** Memory as `docker stats` shows it: usage less inactive file cache. */
  memory: number;
  /** CPU time used since the container started, in seconds. */
  cpuSeconds: number;
}

/** Memory and CPU of every sandbox that runner `owner` made, from each container's cgroup. */
export async function sandboxUsage(owner: string): Promise<SandboxUsage[]> {
  const containers = await docker.listContainers({ filters: { label: [`${LABEL.owner}=${owner}`], status: ['running'] } });
  const usages = await Promise.all(
    containers.map(async (c) => {
      const pid = (await docker.getContainer(c.Id).inspect()).State.Pid;
      return cgroupUsage(c.Names[0]?.replace(/^\//, '') ?? c.Id, pid);
    }),
  );
  return usages.filter((u): u is SandboxUsage => u !== null);
}

/** Reads the cgroup of process `pid` (v1: the memory and cpuacct hierarchies; v2: the unified one). */
function cgroupUsage(name: string, pid: number): SandboxUsage | null {
  try {
    const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
    const pathOf = (controller: string) => lines.map((l) => l.split(':')).find(([, controllers]) => controllers?.split(',').includes(controller))?.[2];
    const unified = lines.map((l) => l.split(':')).find(([id]) => id === '0')?.[2];
    const memoryPath = pathOf('memory');
    const cpuPath = pathOf('cpuacct');
    if (memoryPath !== undefined && cpuPath !== undefined) {
      const dir = `/sys/fs/cgroup/memory${memoryPath}`;
      const stat = readStat(`${dir}/memory.stat`);
      const usage = Number(readFileSync(`${dir}/memory.usage_in_bytes`, 'utf8'));
      const cpuNs = Number(readFileSync(`/sys/fs/cgroup/cpuacct${cpuPath}/cpuacct.usage`, 'utf8'));
      return { name, memory: usage - (stat.get('total_inactive_file') ?? 0), cpuSeconds: cpuNs / 1e9 };
    }
    if (unified !== undefined) {
      const dir = `/sys/fs/cgroup${unified}`;
      const usage = Number(readFileSync(`${dir}/memory.current`, 'utf8'));
      const cpuUs = readStat(`${dir}/cpu.stat`).get('usage_usec') ?? 0;
      return { name, memory: usage - (readStat(`${dir}/memory.stat`).get('inactive_file') ?? 0), cpuSeconds: cpuUs / 1e6 };
    }
    return null;
  } catch {
    return null; // the container stopped between the listing and the read
  }
}

function readStat(path: string): Map<string, number> {
  return new Map(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [key = '', value = '0'] = line.split(' ');
        return [key, Number(value)] as const;
      }),
  );
}
