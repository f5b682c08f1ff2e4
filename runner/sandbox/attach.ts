/**
 * How a reader's terminal reaches the shell in a dind sandbox.
 *
 * The direct path (the default where the runner is root on the engine's machine): node-pty spawns
 * attach.sh, which joins the sandbox container's cgroups, sets no-new-privs and enters the
 * sandbox's namespaces with util-linux nsenter. The reader's pty is the shell's own terminal: no
 * daemon relays its bytes (no containerd, dockerd or docker CLI in between), so output is under the
 * runner's flow control end to end and Ctrl-C reaches the shell's process group at once.
 *
 * Why nsenter and not `runc exec`: runc exec would land in the sandbox container's namespaces, as
 * its root, outside the sandbox's user namespace, so it would still need the nsenter of enter.sh;
 * it also needs the engine's runc state directory and costs a Go start-up. nsenter goes straight
 * into the user namespace. Its one trap is the order of its steps: it forks into the target's pid
 * namespace before it calls setuid, so a single nsenter of all namespaces would, for a moment,
 * leave a process of the machine's uid 0 (dumpable, its credentials already in the sandbox's user
 * namespace, where the reader has CAP_SYS_PTRACE) in the reader's pid namespace: the runc-exec
 * CVE class (CVE-2019-5736, CVE-2016-9962). attach.sh therefore enters the user namespace first and
 * becomes its uid 0 (uid 100000 of the machine) with no pid namespace, and only then, as that uid,
 * enters the rest and forks. What the reader can ever see is a process of their own uid, with
 * capabilities in the sandbox's user namespace only and no-new-privs set, as their shell has.
 *
 * Where the runner is not root (a developer with only the docker group), or the engine may be on
 * another machine (DOCKER_HOST), it cannot do that, and the terminal goes through `docker exec` and
 * /lab/enter.sh in the sandbox, as before.
 */
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ShellCommand } from './provider.ts';

export type AttachPath = { kind: 'direct' } | { kind: 'docker-exec'; reason: string };

const ATTACH_SCRIPT = fileURLToPath(new URL('./attach.sh', import.meta.url));
/** The tools attach.sh runs on the machine (util-linux). */
const TOOLS = ['nsenter', 'setpriv'] as const;

/** The path every terminal of this runner takes, and why when it is not the direct one. */
export function attachPath(env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.()): AttachPath {
  if (uid !== 0) return { kind: 'docker-exec', reason: 'the runner is not root, so it cannot enter a sandbox\'s namespaces itself' };
  if (env.DOCKER_HOST) return { kind: 'docker-exec', reason: 'DOCKER_HOST is set: the engine, and its sandboxes, may be on another machine' };
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const tool of TOOLS) {
    if (!dirs.some((dir) => existsSync(join(dir, tool)))) return { kind: 'docker-exec', reason: `${tool} (util-linux) is not on PATH` };
  }
  return { kind: 'direct' };
}

/** What a terminal enters: the sandbox namespace's pid 1, as the machine sees it, and where it lives. */
export interface NamespaceInit {
  /** Its pid on the machine. */
  pid: number;
  /** Its start time (field 22 of /proc/<pid>/stat): a pid used again by another process differs here. */
  startTime: string;
  /** Its user namespace, `user:[inode]`. */
  userns: string;
  /** The sandbox container's cgroup.procs files, one per cgroup hierarchy. */
  cgroupProcs: string[];
}

/**
 * Finds the sandbox's namespace init below the container's init (`State.Pid`: tini, whose child is
 * unshare, whose child is pid 1 of the sandbox's pid namespace). Throws with what is wrong.
 */
export function findNamespaceInit(containerPid: number, containerId: string, proc = '/proc'): NamespaceInit {
  const depth = nsPids(proc, containerPid).length;
  const outerUserns = readlinkSync(`${proc}/${containerPid}/ns/user`);
  const ownUserns = readlinkSync(`${proc}/self/ns/user`);
  for (const child of children(proc, containerPid)) {
    for (const pid of children(proc, child)) {
      const ns = nsPids(proc, pid);
      // One pid namespace deeper than the container's, and its pid 1 there.
      if (ns.length !== depth + 1 || ns.at(-1) !== 1) continue;
      const userns = readlinkSync(`${proc}/${pid}/ns/user`);
      if (userns === ownUserns || userns === outerUserns) {
        throw new Error(`the sandbox's pid 1 (pid ${pid}) is not in a user namespace of its own`);
      }
      return { pid, startTime: startTime(proc, pid), userns, cgroupProcs: cgroupProcs(proc, containerPid, containerId) };
    }
  }
  throw new Error(`no pid 1 of a sandbox namespace below the container's init (pid ${containerPid})`);
}

/** The direct path's command line: attach.sh, then `command` inside the sandbox, in /root. */
export function directShell(init: NamespaceInit, command: string[], env: Record<string, string>): ShellCommand {
  return {
    file: 'bash',
    args: [ATTACH_SCRIPT, String(init.pid), init.startTime, init.userns, ...init.cgroupProcs, '--', ...command],
    env,
  };
}

function children(proc: string, pid: number): number[] {
  try {
    return readFileSync(`${proc}/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return []; // the process is gone: it has no children to look at
  }
}

function nsPids(proc: string, pid: number): number[] {
  const line = /^NSpid:\s*(.*)$/m.exec(readFileSync(`${proc}/${pid}/status`, 'utf8'));
  if (!line?.[1]) throw new Error(`no NSpid line in ${proc}/${pid}/status`);
  return line[1].trim().split(/\s+/).map(Number);
}

function startTime(proc: string, pid: number): string {
  const stat = readFileSync(`${proc}/${pid}/stat`, 'utf8');
  // Fields after "(comm) " start at field 3; comm may hold spaces and parentheses.
  const value = stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[19];
  if (!value) throw new Error(`no start time in ${proc}/${pid}/stat`);
  return value;
}

/**
 * The container's cgroup.procs file in each hierarchy the runner's mount table holds (cgroup v1:
 * one per controller; v2: one). Each path must be the container's own (it ends in its id).
 */
function cgroupProcs(proc: string, containerPid: number, containerId: string): string[] {
  const mounts = cgroupMounts(proc);
  const files: string[] = [];
  for (const line of readFileSync(`${proc}/${containerPid}/cgroup`, 'utf8').trim().split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    const [id, controllers, path] = [line.slice(0, first), line.slice(first + 1, second), line.slice(second + 1)];
    if (!path.includes(containerId) || path.split('/').includes('..')) {
      throw new Error(`the sandbox container's cgroup is not its own: ${line}`);
    }
    const key = id === '0' && controllers === '' ? 'cgroup2' : hierarchyKey(controllers.split(','));
    const mountPoint = mounts.get(key);
    if (!mountPoint) continue; // a hierarchy this machine does not mount: nothing to join there
    const file = join(mountPoint, path, 'cgroup.procs');
    if (existsSync(file)) files.push(file);
  }
  if (files.length === 0) throw new Error(`found none of the sandbox container's cgroups (pid ${containerPid})`);
  return files;
}

/** Mount points of cgroup hierarchies: v1 by their controllers as /proc/<pid>/cgroup names them, v2 as `cgroup2`. */
function cgroupMounts(proc: string): Map<string, string> {
  const mounts = new Map<string, string>();
  const controllers = new Set(readFileSync(`${proc}/cgroups`, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[0]));
  for (const line of readFileSync(`${proc}/self/mountinfo`, 'utf8').split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const mountPoint = before.split(' ')[4];
    const [fstype, , superOptions = ''] = after.split(' ');
    if (!mountPoint) continue;
    if (fstype === 'cgroup2') mounts.set('cgroup2', mountPoint);
    if (fstype !== 'cgroup') continue;
    mounts.set(hierarchyKey(superOptions.split(',').filter((o) => o.startsWith('name=') || controllers.has(o))), mountPoint);
  }
  return mounts;
}

/** A v1 hierarchy's controllers (and name=), in one order for both tables. */
function hierarchyKey(names: string[]): string {
  return [...names].sort().join(',');
}
