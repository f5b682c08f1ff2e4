/**
 * A reader's dind sandbox as the machine sees it: which container a new session got, its address
 * on the sandboxes' network, and the counters its cgroups keep (processes, memory), read where the
 * kernel keeps them and not where the reader could write.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { LABEL } from '../../runner/docker.ts';
import { SANDBOX_NETWORK } from '../../runner/sandbox/dind.ts';
import { docker } from './engine.ts';
import { openSession as openLabSession, type LabClient } from './lab-client.ts';
import { pollFor } from './poll.ts';
import type { RunningRunner } from './runner-process.ts';

export interface SandboxContainer {
  id: string;
  name: string;
  /** Its address on the sandboxes' network. */
  address: string;
}

async function containersOf(owner: string): Promise<Map<string, string>> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.owner}=${owner}`] } });
  return new Map(containers.map((c) => [c.Id, (c.Names[0] ?? c.Id).replace(/^\//, '')]));
}

/** Opens a new session of `runner` (past its first prompt) and finds the sandbox it got. */
export async function openSession(runner: RunningRunner): Promise<{ client: LabClient; sandbox: SandboxContainer }> {
  const before = await containersOf(runner.owner);
  const client = await openLabSession(runner);
  const fresh = [...(await containersOf(runner.owner))].filter(([id]) => !before.has(id));
  assert.equal(fresh.length, 1, `one new sandbox for one new session: ${JSON.stringify(fresh)}`);
  const [id, name] = fresh[0] as [string, string];
  const info = await docker.getContainer(id).inspect();
  const address = info.NetworkSettings.Networks[SANDBOX_NETWORK.name]?.IPAddress ?? '';
  assert.match(address, /^10\.213\.\d+\.\d+$/, `${name} is on ${SANDBOX_NETWORK.name}`);
  return { client, sandbox: { id, name, address } };
}

/** Resolves once the container is gone from the engine; false if it is still there after `timeoutMs`. */
export async function removed(id: string, timeoutMs = 60_000): Promise<boolean> {
  const gone = async () => {
    try {
      await docker.getContainer(id).inspect();
      return false;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return true;
      throw error;
    }
  };
  return pollFor(gone, (isGone) => isGone, { timeoutMs });
}

// --- Cgroups, from the machine's side -------------------------------------------------------------

const CGROUP_ROOT = '/sys/fs/cgroup';
export const cgroupV2 = existsSync(`${CGROUP_ROOT}/cgroup.controllers`);

/**
 * The container's cgroup directory for `controller`: below the runner's fence
 * (docker-network-lab/<sandbox>, see runner/sandbox/cgroup-fence.ts), or Docker's own places.
 */
function cgroupDir(id: string, controller: 'pids' | 'memory' | 'devices'): string {
  const base = cgroupV2 ? CGROUP_ROOT : `${CGROUP_ROOT}/${controller}`;
  const fenced = existsSync(`${base}/docker-network-lab`) ? readdirSync(`${base}/docker-network-lab`).map((sandbox) => `${base}/docker-network-lab/${sandbox}/${id}`) : [];
  const candidates = [...fenced, `${base}/docker/${id}`, `${base}/system.slice/docker-${id}.scope`];
  const found = candidates.find((dir) => existsSync(dir));
  assert.ok(found, `the container's ${controller} cgroup is at one of ${candidates.join(', ')}`);
  return found;
}

/** The lowest value of `file` from `dir` up to the hierarchy's root: the limit the kernel enforces. */
function effective(dir: string, file: string, root: string): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (let at = dir; at.startsWith(root) && at !== root; at = dirname(at)) {
    if (existsSync(`${at}/${file}`)) lowest = Math.min(lowest, readNumber(`${at}/${file}`));
  }
  return lowest;
}

function readNumber(path: string): number {
  const text = readFileSync(path, 'utf8').trim();
  return text === 'max' ? Number.POSITIVE_INFINITY : Number(text);
}

/** A counter from a flat keyed file (`oom_kill 1`, `max 758`); 0 when the key is absent. */
function readKey(path: string, key: string): number {
  const line = readFileSync(path, 'utf8').split('\n').find((l) => l.startsWith(`${key} `));
  return line ? Number(line.slice(key.length + 1)) : 0;
}

export interface PidsCounters {
  current: number;
  max: number;
  /** How many times a fork was refused because the limit was reached. */
  refused: number;
}

export function readPids(id: string): PidsCounters {
  const dir = cgroupDir(id, 'pids');
  const root = cgroupV2 ? CGROUP_ROOT : `${CGROUP_ROOT}/pids`;
  return { current: readNumber(`${dir}/pids.current`), max: effective(dir, 'pids.max', root), refused: readKey(`${dir}/pids.events`, 'max') };
}

export interface MemoryCounters {
  usage: number;
  limit: number;
  /** The highest usage the kernel recorded, when it keeps one (cgroup v1; v2 from Linux 5.19). */
  peak: number | null;
  /** Processes the kernel's OOM killer ended in this cgroup. */
  oomKills: number;
}

export function readMemory(id: string): MemoryCounters {
  const dir = cgroupDir(id, 'memory');
  if (cgroupV2) {
    return {
      usage: readNumber(`${dir}/memory.current`),
      limit: effective(dir, 'memory.max', CGROUP_ROOT),
      peak: existsSync(`${dir}/memory.peak`) ? readNumber(`${dir}/memory.peak`) : null,
      oomKills: readKey(`${dir}/memory.events`, 'oom_kill'),
    };
  }
  return {
    usage: readNumber(`${dir}/memory.usage_in_bytes`),
    limit: effective(dir, 'memory.limit_in_bytes', `${CGROUP_ROOT}/memory`),
    peak: readNumber(`${dir}/memory.max_usage_in_bytes`),
    oomKills: readKey(`${dir}/memory.oom_control`, 'oom_kill'),
  };
}

/** The device rules of the container's cgroup (cgroup v1; v2 keeps them in an eBPF program). */
export function readDeviceRules(id: string): string[] {
  return readFileSync(`${cgroupDir(id, 'devices')}/devices.list`, 'utf8').split('\n').filter(Boolean);
}

/** Reads `read()` every `everyMs` until stopped; `stop` gives the highest value read. */
export function sampleHighest(read: () => number, everyMs = 100): { stop(): number } {
  let highest = read();
  const timer = setInterval(() => {
    try {
      highest = Math.max(highest, read());
    } catch {
      // The cgroup went away with its container (the session was reset): nothing more to read.
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return highest;
    },
  };
}
