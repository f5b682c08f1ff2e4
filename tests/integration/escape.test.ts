/**
 * The escape suite: the ways out of a container that peers were escaped by, tried from a reader's
 * shell of a real runner (the same terminal a reader types into), and again from a container the
 * reader starts with `docker run --privileged -v /:/host`. A reader's root must be an unprivileged
 * uid range of the machine, in a user namespace of its own, and every route must be refused.
 *
 * Each probe tests a permission and changes nothing on the machine (tests/support/escape-probes.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { docker } from '../support/engine.ts';
import { findings, machineFacts, probeCommand, type MachineFacts } from '../support/escape-probes.ts';
import type { LabClient } from '../support/lab-client.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';
import { openSession } from '../support/sandbox-view.ts';

const RUNNER_ENV = { LAB_PROVIDER: 'dind' };
/** The uid range a sandbox's root maps to on the machine (runner/images/sandbox/boot.sh). */
const MAPPED = '0:100000:65536';
const PROBE_TIMEOUT_MS = 120_000;

type Findings = Map<string, Record<string, string>>;

let runner: RunningRunner;
let reader: LabClient;
let sandboxId: string;
let facts: MachineFacts;
/** What the reader's shell found, and what a privileged container the reader started found. */
const found: Record<'shell' | 'privileged', Findings> = { shell: new Map(), privileged: new Map() };
let privilegedRun: { exitCode: number | null; output: string };
let strongestRun: { exitCode: number | null; output: string } | null = null;
const STRONGEST = '--cap-add ALL --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined';

before(async () => {
  const info = (await docker.info()) as { ID: string; DockerRootDir: string };
  facts = machineFacts(info.ID, info.DockerRootDir);
  runner = await startRunner(RUNNER_ENV);
  ({ client: reader, sandbox: { id: sandboxId } } = await openSession(runner));
  const shell = await reader.run(probeCommand(facts), PROBE_TIMEOUT_MS);
  found.shell = findings(shell.output);
  assert.deepEqual(found.shell.get('done'), { ok: '1' }, `the probe ran to its end: ${shell.output.slice(-2000)}`);
  privilegedRun = await reader.run(probeCommand(facts, `docker run --rm --privileged -v /:/host tomcat chroot /host bash`), PROBE_TIMEOUT_MS);
  found.privileged = findings(privilegedRun.output);
  if (!found.privileged.has('done')) {
    // A rootless engine cannot give a container a read-write sysfs where its own is read-only, so
    // `--privileged` may not start. The strongest container that does: every capability, no
    // seccomp or AppArmor profile, no masked paths, the sandbox's whole filesystem mounted.
    strongestRun = await reader.run(probeCommand(facts, `docker run --rm ${STRONGEST} -v /:/host tomcat chroot /host bash`), PROBE_TIMEOUT_MS);
    found.privileged = findings(strongestRun.output);
  }
  // For the issue's before/after table: the raw findings, when asked for.
  const report = process.env.LAB_ESCAPE_REPORT;
  if (report) writeFileSync(report, JSON.stringify({ shell: [...found.shell], privileged: [...found.privileged], privilegedTail: privilegedRun.output.slice(-1500), strongest: strongestRun !== null }, null, 1));
});

after(async () => {
  await reader?.close();
  assert.equal(await runner?.stop(), 0, 'the runner was still up and stopped cleanly');
});

function route(where: keyof typeof found, name: string): Record<string, string> {
  const result = found[where].get(name);
  assert.ok(result, `the ${where} probe reported ${name}: ${JSON.stringify([...found[where]])}`);
  return result;
}

/** A probe's command failed (rc is not 0). */
function refused(result: Record<string, string>): boolean {
  return result.rc !== undefined && result.rc !== '0';
}

test("a reader's `docker run --privileged -v /:/host` stays in the sandbox: it runs there, or its engine refuses it", () => {
  if (strongestRun === null) {
    assert.equal(privilegedRun.exitCode, 0, privilegedRun.output.slice(-2000));
  } else {
    assert.equal(privilegedRun.exitCode, 125, privilegedRun.output.slice(-2000));
    assert.match(privilegedRun.output, /error mounting "sysfs" to rootfs at "\/sys"[^\n]*operation not permitted/);
    assert.equal(strongestRun.exitCode, 0, `the strongest container that starts: ${strongestRun.output.slice(-2000)}`);
  }
  assert.deepEqual(found.privileged.get('done'), { ok: '1' }, 'the probe ran to its end in it');
});

for (const where of ['shell', 'privileged'] as const) {
  const from = where === 'shell' ? "the reader's shell" : 'a privileged container of the reader';

  test(`${from}: root is uid 100000 of the machine, in a user namespace of its own`, () => {
    assert.equal(route(where, 'uid_map').map, MAPPED);
    assert.equal(route(where, 'userns').is, 'own');
  });

  test(`${from}: /proc/sys and /sys stay read-only to the machine's settings`, () => {
    const sys = route(where, 'remount_rw:/sys');
    assert.ok(refused(sys), `remount /sys rw: ${JSON.stringify(sys)}`);
    const procSys = route(where, 'remount_rw:/proc/sys');
    // Where /proc/sys is not a mount of its own there is nothing to remount; either way the
    // machine's settings below it must stay closed.
    if (!refused(procSys)) assert.ok(refused(route(where, 'core_pattern_after_remount')), 'core_pattern after the remount');
  });

  test(`${from}: kernel.core_pattern cannot be opened for writing, through /proc nor a procfs mounted afresh`, () => {
    assert.ok(refused(route(where, 'core_pattern')), JSON.stringify(route(where, 'core_pattern')));
    if (!refused(route(where, 'fresh_proc'))) {
      assert.ok(refused(route(where, 'core_pattern_fresh_proc')), JSON.stringify(route(where, 'core_pattern_fresh_proc')));
      assert.ok(refused(route(where, 'sysrq_fresh_proc')), JSON.stringify(route(where, 'sysrq_fresh_proc')));
    }
    assert.ok(refused(route(where, 'sysrq')), JSON.stringify(route(where, 'sysrq')));
  });

  test(`${from}: no cgroup v1 hierarchy can be mounted afresh, so no release_agent`, () => {
    const mount = route(where, 'cgroup_v1_mount');
    assert.ok(refused(mount), JSON.stringify(mount));
    assert.equal(found[where].get('release_agent'), undefined);
  });

  test(`${from}: loading a kernel module is refused (finit_module: EPERM, not ENOEXEC)`, (t) => {
    const { errno } = route(where, 'finit_module');
    // ENOSYS: this kernel loads no modules at all, for anyone; there is nothing to refuse.
    if (errno === '38') return t.skip('this kernel has no module loading (finit_module: ENOSYS)');
    assert.equal(errno, '1');
  });

  test(`${from}: the machine's disk: no device node, no read, no mount`, (t) => {
    if (!facts.disk) return t.skip("Docker's data is not on a block device here");
    const mknod = route(where, 'disk_mknod');
    if (refused(mknod)) return;
    assert.equal(route(where, 'disk_read').bytes, '0');
    assert.ok(refused(route(where, 'disk_mount')));
  });

  test(`${from}: /proc/kcore and /dev/mem give nothing`, () => {
    assert.equal(route(where, 'kcore').bytes, '0');
    assert.equal(route(where, 'dev_mem').bytes, '0');
    if (!refused(route(where, 'fresh_proc'))) assert.equal(route(where, 'kcore_fresh_proc').bytes, '0');
  });

  test(`${from}: no process outside the sandbox is in reach (ptrace, /proc/<pid>/root), nor any namespace of the machine's (setns)`, () => {
    assert.deepEqual(route(where, 'outside_processes'), { visible: '0', root_readable: '0' });
    assert.equal(route(where, 'machine_namespaces').shared, '0');
  });

  test(`${from}: no socket in reach answers as the machine's Docker engine`, () => {
    const sockets = route(where, 'docker_socket');
    assert.equal(sockets.machine_engine, '0', JSON.stringify(sockets));
  });
}

/** The runner attaches terminals directly (nsenter, runner/sandbox/attach.ts) when it is root on the engine's machine. */
const DIRECT = process.getuid?.() === 0 && !process.env.DOCKER_HOST;

/** The processes below `pid` on the machine, with their status lines. */
function descendants(pid: number): { pid: number; status: Record<string, string> }[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = /^PPid:\s*(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1];
      if (ppid) parents.set(Number(entry), Number(ppid));
    } catch {
      // The process ended while the table was read: it is below no one now.
    }
  }
  const below = (p: number): boolean => {
    for (let up = parents.get(p); up !== undefined; up = parents.get(up)) if (up === pid) return true;
    return false;
  };
  return [...parents.keys()].filter(below).flatMap((p) => {
    try {
      const status = Object.fromEntries(readFileSync(`/proc/${p}/status`, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
      return [{ pid: p, status }];
    } catch {
      return []; // ended meanwhile
    }
  });
}

test("the runner says once which way terminals reach a sandbox: directly when it is root on the engine's machine", () => {
  const said = runner.logs().split('\n').filter((line) => line.includes('sandbox terminals attach'));
  assert.equal(said.length, 1, said.join('\n'));
  assert.match(said[0] ?? '', DIRECT ? /attach directly/ : /attach through docker exec/);
});

test("the reader's shell, seen from the machine: uid 100000, no-new-privs, in the sandbox's user namespace and cgroups; no process of the runner's terminals is the machine's root", (t) => {
  if (!DIRECT) return t.skip('terminals go through docker exec here (the runner is not root on the engine\'s machine)');
  const runnerPid = Number(runner.owner.split('@')[0]);
  const below = descendants(runnerPid);
  assert.ok(below.length >= 2, `the terminal's processes below the runner: ${JSON.stringify(below.map((p) => p.status.Name))}`);
  for (const { pid, status } of below) {
    assert.equal(status.Uid, '100000\t100000\t100000\t100000', `${status.Name} (${pid}): uid`);
    assert.equal(status.Gid, '100000\t100000\t100000\t100000', `${status.Name} (${pid}): gid`);
    assert.equal(status.NoNewPrivs, '1', `${status.Name} (${pid}): no-new-privs`);
    assert.notEqual(readlinkSync(`/proc/${pid}/ns/user`), facts.namespaces.user, `${status.Name} (${pid}): not in the machine's user namespace, so no capability there`);
  }
  const shells = below.filter(({ status }) => status.Name === 'bash');
  assert.equal(shells.length, 1, 'one shell');
  const shell = shells[0]!.pid;
  // The sandbox container's own cgroups, as its init (outside the user namespace) is in them.
  const tini = Number(/^\d+/.exec(readFileSync(`/proc/${readdirSync('/proc').find((e) => /^\d+$/.test(e) && safeRead(`/proc/${e}/cgroup`).includes(sandboxId) && safeRead(`/proc/${e}/cmdline`).startsWith('/usr/bin/tini'))}/stat`, 'utf8'))?.[0]);
  assert.ok(tini > 0, "found the sandbox's init");
  assert.equal(readFileSync(`/proc/${shell}/cgroup`, 'utf8'), readFileSync(`/proc/${tini}/cgroup`, 'utf8'), "the shell is in the sandbox container's cgroups, under the fence");
});

test("the reader's shell, seen from inside: no-new-privs, no descriptor of the runner's, its binary not writable, in the same cgroups as the sandbox's pid 1", () => {
  assert.equal(route('shell', 'shell_nnp').value, '1');
  // 0, 1 and 2 (the pty), and bash's own 255 (its copy of the terminal).
  const fds = (route('shell', 'shell_fds').list ?? '').split(',');
  assert.deepEqual(fds.filter((fd) => !['0', '1', '2', '255'].includes(fd)), [], `the shell's descriptors: ${fds.join(',')}`);
  const exe = route('shell', 'shell_exe');
  assert.equal(exe.target, '/usr/bin/bash', "the shell's binary is the sandbox's own bash");
  assert.ok(refused(exe), `opening /proc/<shell>/exe for writing: ${JSON.stringify(exe)}`);
  assert.equal(route('shell', 'shell_cgroup').same_as_pid1, '1');
});

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return ''; // a process that ended, or one this test may not read: not the one sought
  }
}
