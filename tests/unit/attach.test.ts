/**
 * The direct attach path's choices (runner/sandbox/attach.ts): when it is used, and how it finds
 * the sandbox namespace's pid 1 and the container's cgroups, on a /proc tree laid out like this
 * machine's (cgroup v1, each controller its own hierarchy, cgroup2 beside them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachPath, directShell, findNamespaceInit } from '../../runner/sandbox/attach.ts';

const PATH_WITH_TOOLS = '/usr/bin:/bin';

test('the direct path is taken as root with the local engine; otherwise docker exec, with the reason', () => {
  assert.deepEqual(attachPath({ PATH: PATH_WITH_TOOLS }, 0), { kind: 'direct' });
  assert.match(JSON.stringify(attachPath({ PATH: PATH_WITH_TOOLS }, 1000)), /docker-exec.*not root/);
  assert.match(JSON.stringify(attachPath({ PATH: PATH_WITH_TOOLS, DOCKER_HOST: 'tcp://127.0.0.1:2375' }, 0)), /docker-exec.*DOCKER_HOST/);
  assert.deepEqual(attachPath({ PATH: '/nonexistent' }, 0), { kind: 'docker-exec', reason: 'nsenter (util-linux) is not on PATH' });
});

const ID = '9cbd902295c246b1ce30d195f92f15ba452a01dd7490c6b1fb0f22d51160f184';
const CGROUP = `/docker-network-lab/lab-sandbox-ce72b404c3/${ID}`;

/** A /proc tree: tini (100) → unshare (101) → the namespace's pid 1 (102) and a helper (103). */
function fakeProc(options: { innerUserns?: string; cgroupPath?: string } = {}): { proc: string; cgroupRoot: string; done(): void } {
  const root = mkdtempSync(join(tmpdir(), 'lab-attach-'));
  const proc = join(root, 'proc');
  const cgroupRoot = join(root, 'cgroup');
  const cgroupPath = options.cgroupPath ?? CGROUP;
  const processes: Record<string, { ns: string[]; userns: string; children: number[]; comm: string }> = {
    self: { ns: ['1'], userns: 'user:[4026531837]', children: [], comm: 'node' },
    100: { ns: ['100', '1'], userns: 'user:[4026531837]', children: [101], comm: 'tini' },
    101: { ns: ['101', '12'], userns: 'user:[4026531837]', children: [103, 102], comm: 'unshare' },
    102: { ns: ['102', '20', '1'], userns: options.innerUserns ?? 'user:[4026532255]', children: [], comm: 'boot) .sh' },
    103: { ns: ['103', '13'], userns: 'user:[4026531837]', children: [], comm: 'bash' },
  };
  const hierarchies = ['cpu', 'cpuacct', 'memory', 'pids', 'systemd'];
  for (const [pid, p] of Object.entries(processes)) {
    const dir = join(proc, pid);
    mkdirSync(join(dir, 'ns'), { recursive: true });
    mkdirSync(join(dir, 'task', pid), { recursive: true });
    symlinkSync(p.userns, join(dir, 'ns', 'user'));
    writeFileSync(join(dir, 'status'), `Name:\t${p.comm}\nNSpid:\t${p.ns.join('\t')}\n`);
    writeFileSync(join(dir, 'stat'), `${pid} (${p.comm}) S 1 ${Array.from({ length: 17 }, (_, i) => i + 5).join(' ')} 1082485 0 0\n`);
    writeFileSync(join(dir, 'task', pid, 'children'), p.children.map((c) => `${c} `).join(''));
    writeFileSync(join(dir, 'cgroup'), ['9:name=systemd', '8:pids', '4:memory', '2:cpuacct', '1:cpu', '0:'].map((h) => `${h}:${cgroupPath}`).join('\n') + '\n');
  }
  writeFileSync(join(proc, 'cgroups'), '#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t10\t1\ncpuacct\t2\t10\t1\nmemory\t4\t10\t1\npids\t8\t10\t1\n');
  const mounts = hierarchies.map((h, i) => `${32 + i} 31 0:${29 + i} / ${join(cgroupRoot, h)} rw,relatime - cgroup cgroup rw,${h === 'systemd' ? 'xattr,name=systemd' : h}`);
  mounts.push(`41 31 0:38 / ${join(cgroupRoot, 'unified')} rw,relatime - cgroup2 cgroup2 rw,nsdelegate`);
  writeFileSync(join(proc, 'self', 'mountinfo'), `${mounts.join('\n')}\n`);
  for (const h of [...hierarchies.filter((h) => h !== 'cpuacct'), 'unified']) {
    mkdirSync(join(cgroupRoot, h, cgroupPath), { recursive: true });
    writeFileSync(join(cgroupRoot, h, cgroupPath, 'cgroup.procs'), '');
  }
  return { proc, cgroupRoot, done: () => rmSync(root, { recursive: true, force: true }) };
}

test("finds the namespace's pid 1 below the container's init, with its start time, user namespace and the container's cgroups", () => {
  const fake = fakeProc();
  try {
    const init = findNamespaceInit(100, ID, fake.proc);
    assert.equal(init.pid, 102);
    assert.equal(init.startTime, '1082485', 'field 22, though the command name holds ") "');
    assert.equal(init.userns, 'user:[4026532255]');
    // cpuacct has no directory for the container here: a hierarchy it is not in is skipped.
    assert.deepEqual(init.cgroupProcs, ['systemd', 'pids', 'memory', 'cpu', 'unified'].map((h) => join(fake.cgroupRoot, h, CGROUP, 'cgroup.procs')));
    const shell = directShell(init, ['bash', '-i'], { TERM: 'xterm-256color' });
    assert.equal(shell.file, 'bash');
    assert.deepEqual(shell.args.slice(1), ['102', '1082485', 'user:[4026532255]', ...init.cgroupProcs, '--', 'bash', '-i']);
  } finally {
    fake.done();
  }
});

test("refuses a pid 1 in the machine's user namespace, and cgroups that are not the container's", () => {
  const shared = fakeProc({ innerUserns: 'user:[4026531837]' });
  try {
    assert.throws(() => findNamespaceInit(100, ID, shared.proc), /the sandbox's pid 1 \(pid 102\) is not in a user namespace of its own/);
  } finally {
    shared.done();
  }
  const foreign = fakeProc({ cgroupPath: `/docker-network-lab/lab-sandbox-ce72b404c3/${ID}/../../other` });
  try {
    assert.throws(() => findNamespaceInit(100, ID, foreign.proc), /the sandbox container's cgroup is not its own: 9:name=systemd:/);
  } finally {
    foreign.done();
  }
});
