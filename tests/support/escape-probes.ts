/**
 * The escape routes a reader could try from a sandbox, as one bash script (escape-probe.sh) the
 * reader's own shell runs (tests/integration/escape.test.ts types it into a real terminal of a real runner). Each
 * probe tests a permission, never an effect, so a probe that finds a way out changes nothing on
 * the machine:
 *   - a file is opened for append and nothing is written (`(exec 3>>FILE)`);
 *   - a kernel module load is given an image that is not a module: EPERM means refused, ENOEXEC
 *     that the kernel had begun to check it, that is, permitted;
 *   - a remount that succeeds is undone at once; it only ever touches the sandbox's own mounts.
 *
 * Each finding is one line `seen: <route> <key>=<value> ...`, parsed by `findings`.
 */
import { readFileSync, readlinkSync, statSync } from 'node:fs';

/** What only the machine knows, against which the reader's findings are compared. */
export interface MachineFacts {
  /** `/proc/self/ns/<kind>` of a process of the machine (this test's), e.g. `user:[4026531837]`. */
  namespaces: Record<string, string>;
  /** The machine engine's `docker info` ID. */
  engineId: string;
  /** The block device that holds Docker's data, when there is one. */
  disk: { major: number; minor: number } | null;
}

export const NAMESPACE_KINDS = ['user', 'mnt', 'net', 'pid', 'ipc', 'uts', 'cgroup'] as const;

export function machineFacts(engineId: string, dockerRootDir: string): MachineFacts {
  const namespaces = Object.fromEntries(NAMESPACE_KINDS.map((kind) => [kind, readlinkSync(`/proc/self/ns/${kind}`)]));
  const dev = statSync(dockerRootDir).dev;
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  return { namespaces, engineId, disk: major === 0 ? null : { major, minor } };
}

/**
 * The probe script (escape-probe.sh beside this file). Its arguments: the machine's namespace
 * links (space-separated), the machine engine's ID, and the disk's "major minor" (or "none").
 */
export const PROBE_SCRIPT = readFileSync(new URL('./escape-probe.sh', import.meta.url), 'utf8');

/** The command line that writes the script into the sandbox's /tmp and runs it there. */
export function probeCommand(facts: MachineFacts, runner = 'bash'): string {
  const encoded = Buffer.from(PROBE_SCRIPT).toString('base64');
  const disk = facts.disk ? `${facts.disk.major} ${facts.disk.minor}` : 'none';
  const args = [Object.values(facts.namespaces).join(' '), facts.engineId, disk].map((a) => `'${a}'`).join(' ');
  return `echo ${encoded} | base64 -d >/tmp/lab-escape-probe.sh && ${runner} /tmp/lab-escape-probe.sh ${args}`;
}

/** The findings, per route: `route -> { key: value }`. */
export function findings(output: string): Map<string, Record<string, string>> {
  const found = new Map<string, Record<string, string>>();
  for (const raw of output.split('\n')) {
    const line = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r$/, '').split('\r').at(-1) ?? '';
    if (!line.startsWith('seen: ')) continue;
    const [route, ...pairs] = line.slice('seen: '.length).split(' ');
    if (!route) continue;
    found.set(route, Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])));
  }
  return found;
}
