/**
 * A reader cannot reach another reader, the runner or the machine: from session A's shell, and
 * from a container A starts in its sandbox, B's sandbox does not answer, B's containers, networks,
 * volumes and files are not there, the runner's port and the machine's Docker engine are out of
 * reach, and the usual first steps out of a container (a device node of the machine's disk, the
 * kernel's global settings, the sandbox's own cgroups) are refused. (tests/integration/escape.test.ts
 * tries the escape routes one by one.)
 *
 * A sandbox's engine and shells live in a network namespace of their own, with no link out of it:
 * loopback, docker0 and the reader's own networks. So every address outside is unreachable.
 *
 * What A runs and expects to find nothing prints each finding after a `seen:` prefix, so the test
 * reads the findings and not the command line the terminal echoes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { parseConfig, readSettings } from '../../runner/config.ts';
import { SANDBOX_NETWORK } from '../../runner/sandbox/dind.ts';
import { docker } from '../support/engine.ts';
import { LabClient } from '../support/lab-client.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';
import { cgroupV2, openSession, readDeviceRules, readMemory, readPids, type SandboxContainer } from '../support/sandbox-view.ts';

const RUNNER_ENV = { LAB_PROVIDER: 'dind' };
const limits = parseConfig(readSettings({ ...process.env, ...RUNNER_ENV }, []), () => 'unused-token-0123456789');
/** What B serves on its sandbox's address: the tutorial's tomcat image, published as in the tutorial. */
const B_PORT = 8080;
/** The sandboxes' network's gateway: the machine, as a sandbox sees it. */
const GATEWAY = SANDBOX_NETWORK.subnet.replace(/\.0\/\d+$/, '.1');
const MARKER = `b-marker-${randomBytes(8).toString('hex')}`;

let runner: RunningRunner;
let a: LabClient;
let b: LabClient;
let sandboxA: SandboxContainer;
let sandboxB: SandboxContainer;

/** The lines of `output` that start with `seen: `, without it and without terminal modes (not the echoed command line, which only holds it). */
function seen(output: string): string[] {
  return output
    .split('\n')
    // What the terminal shows of the line: escape sequences take no room, a carriage return starts it over.
    .map((line) => line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r$/, '').split('\r').at(-1) ?? '')
    .filter((line) => line.startsWith('seen: '))
    .map((line) => line.slice('seen: '.length));
}

/** A bash TCP connect from the shell, bounded: `tcp=0` connected, `tcp=124` no answer, `tcp=1` refused. */
function tcpConnect(host: string, port: number): string {
  return `timeout 3 bash -c 'exec 3<>/dev/tcp/${host}/${port}'; echo "tcp=$?"`;
}

/**
 * What busybox nc in a container says to an address outside the sandbox: the sandbox has no route
 * there, and says so (ICMP network unreachable) unless the kernel's rate limit for those messages
 * held this one back; then nothing answers at all.
 */
function unreachable(host: string): RegExp {
  return new RegExp(`^nc: (can't connect to remote host \\(${host.replaceAll('.', '\\.')}\\): Network is unreachable|timed out)\r?$`, 'm');
}

before(async () => {
  runner = await startRunner(RUNNER_ENV);
  ({ client: b, sandbox: sandboxB } = await openSession(runner));
  const made = await b.run(`docker run -d --name b-secret -p ${B_PORT}:${B_PORT} tomcat >/dev/null && docker network create b-net >/dev/null && docker volume create b-vol >/dev/null && echo ${MARKER} >/root/b-marker.txt`,
  );
  assert.equal(made.exitCode, 0, made.output);
  // B serves, on its own docker0: what A does not reach below is there, not missing.
  const served = await b.run(`for i in $(seq 50); do timeout 1 bash -c 'exec 3<>/dev/tcp/172.18.0.2/${B_PORT}' 2>/dev/null && { echo tcp=0; break; }; sleep 0.2; done`);
  assert.match(served.output, /^tcp=0\r?$/m, `B's tomcat answers in B's sandbox: ${served.output}`);
  const listed = await b.run(`docker ps -a --format '{{.Names}}'; docker network ls --format '{{.Name}}'; docker volume ls --format '{{.Name}}'`);
  for (const name of ['b-secret', 'b-net', 'b-vol']) assert.match(listed.output, new RegExp(`^${name}\\r?$`, 'm'), `B sees its ${name}`);
  ({ client: a, sandbox: sandboxA } = await openSession(runner));
});

after(async () => {
  await a?.close();
  await b?.close();
  assert.equal(await runner?.stop(), 0, 'the runner was still up and stopped cleanly');
});

test("B's sandbox answers neither ping nor TCP from A's shell: there is no route out of A", async () => {
  const ping = await a.run(`ping -c 2 -W 1 ${sandboxB.address}`);
  assert.equal(ping.exitCode, 2, ping.output);
  assert.match(ping.output, /ping: connect: Network is unreachable/);
  const tcp = await a.run(tcpConnect(sandboxB.address, B_PORT));
  assert.match(tcp.output, new RegExp(`/dev/tcp/${sandboxB.address.replaceAll('.', '\\.')}/${B_PORT}: Network is unreachable`));
  assert.match(tcp.output, /^tcp=1\r?$/m, tcp.output);
});

test("B's sandbox answers neither ping nor TCP from a container A starts", async () => {
  const inner = await a.run(`docker run --rm tomcat sh -c 'ping -c 2 -W 1 ${sandboxB.address}; echo "ping=$?"; nc -w 3 ${sandboxB.address} ${B_PORT} </dev/null; echo "tcp=$?"'`,
  );
  assert.equal(inner.exitCode, 0, inner.output);
  assert.match(inner.output, /2 packets transmitted, 0 packets received, 100% packet loss/);
  assert.match(inner.output, /^ping=1\r?$/m);
  assert.match(inner.output, unreachable(sandboxB.address));
  assert.match(inner.output, /^tcp=1\r?$/m);
});

test("the runner's port is closed to A's shell and to a container A starts", async () => {
  // A's own loopback has nothing on that port; the machine, behind the gateway, has no route from A.
  for (const [host, why] of [['127.0.0.1', 'Connection refused'], [GATEWAY, 'Network is unreachable']] as const) {
    const tcp = await a.run(tcpConnect(host, runner.port));
    assert.match(tcp.output, new RegExp(`/dev/tcp/${host.replaceAll('.', '\\.')}/${runner.port}: ${why}`), `${host}: ${tcp.output}`);
    assert.match(tcp.output, /^tcp=1\r?$/m);
  }
  const inner = await a.run(`docker run --rm tomcat sh -c 'for h in ${GATEWAY} 172.18.0.1; do nc -w 3 $h ${runner.port} </dev/null; echo "tcp=$?"; done'`);
  assert.match(inner.output, unreachable(GATEWAY));
  assert.match(inner.output, /nc: can't connect to remote host \(172\.18\.0\.1\): Connection refused/);
  assert.deepEqual([...inner.output.matchAll(/^tcp=(\d+)\r?$/gm)].map((m) => m[1]), ['1', '1']);
});

test("A's engine shows none of B's containers, networks or volumes", async () => {
  const listed = await a.run(`docker ps -a --format 'seen: container {{.Names}}'; docker network ls --format 'seen: network {{.Name}}'; docker volume ls --format 'seen: volume {{.Name}}'`);
  assert.equal(listed.exitCode, 0, listed.output);
  assert.deepEqual(seen(listed.output), ['network bridge', 'network host', 'network none'], "a fresh engine's own networks, and nothing else");
});

test("B's files are nowhere in A's filesystem", async () => {
  const search = await a.run(`grep -rlF ${MARKER} / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev 2>/dev/null | sed 's/^/seen: /'; ls -A /root | sed 's/^/seen: root has /'`, 120_000);
  assert.deepEqual(seen(search.output).filter((line) => !line.startsWith('root has .')), [], "no file holds B's marker, and A's /root has no file of B's");
});

test("the machine's Docker engine is not reachable from A: A's engine is its own, and its only sockets are its own", async () => {
  const hostEngine = (await docker.info()) as { ID: string };
  const ids = await Promise.all([a, b].map((client) => client.run(`docker info --format 'seen: {{.ID}}'`)));
  const [idA, idB] = ids.map((r) => seen(r.output)[0]);
  assert.ok(idA && idB, 'both engines answer');
  assert.notEqual(idA, hostEngine.ID, "A's engine is not the machine's");
  assert.notEqual(idA, idB, "nor B's");

  const sockets = await a.run(`find / -name '*.sock' -path '*docker*' 2>/dev/null | sed 's/^/seen: /'; echo "seen: DOCKER_HOST=$DOCKER_HOST"`);
  const found = seen(sockets.output);
  assert.ok(found.includes('/run/docker.sock'), `A has its own engine's socket: ${JSON.stringify(found)}`);
  for (const path of found.filter((p) => !p.startsWith('DOCKER_HOST='))) {
    assert.match(path, /^\/run\/docker(\.sock|\/metrics\.sock|\/containerd\/containerd(-debug)?\.sock|\/libnetwork\/[0-9a-f]+\.sock)$/, "only A's own engine's and containerd's sockets, on A's own /run");
  }
  assert.ok(found.includes('DOCKER_HOST='), 'and no DOCKER_HOST pointing elsewhere');

  const environment = await a.run(`cat /proc/1/environ /proc/$$/environ | tr '\\0' '\\n' | grep -c -e '^LAB_' -e '${runner.token.slice(0, 12)}' | sed 's/^/seen: /'`);
  assert.deepEqual(seen(environment.output), ['0'], "nothing of the runner's settings or token in A's processes");
});

test("A's processes are its own: no runner, no other sandbox's engine", async () => {
  const processes = await a.run(`ps -e -o comm= | sed 's/^/seen: /'`);
  const names = seen(processes.output);
  assert.ok(!names.includes('node'), `no node process: ${names.join(' ')}`);
  assert.deepEqual(names.filter((n) => n === 'dockerd'), ['dockerd'], "one engine: A's own");
  // The sandbox's container (tini, outside the reader's namespaces) is not even visible; the
  // namespace's own init is boot.sh.
  assert.deepEqual(names.filter((n) => n === 'tini' || n === 'boot.sh'), ['boot.sh'], "one sandbox's init: A's own");
});

/** The machine's disk holding Docker's data (and so every sandbox): its block device's numbers, if it is one. */
async function engineDisk(): Promise<{ major: number; minor: number } | null> {
  const { DockerRootDir } = (await docker.info()) as { DockerRootDir: string };
  const dev = statSync(DockerRootDir).dev;
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  return major === 0 ? null : { major, minor };
}

test("a device node of the machine's disk cannot be made in A, let alone read or mounted", async (t) => {
  const disk = await engineDisk();
  if (!disk) return t.skip("Docker's data is not on a block device here");
  // In /tmp, which A's root may write: what refuses is the kernel, not the folder's owner.
  const tried = await a.run(`mknod /tmp/lab-disk b ${disk.major} ${disk.minor}; echo "seen: mknod=$?"; head -c 512 /tmp/lab-disk | wc -c | sed 's/^/seen: read /'; mount /tmp/lab-disk /mnt; echo "seen: mount=$?"; rm -f /tmp/lab-disk`);
  assert.match(tried.output, /mknod: \/tmp\/lab-disk: Operation not permitted/);
  assert.match(tried.output, /mount: \/mnt: permission denied\./);
  assert.deepEqual(seen(tried.output), ['mknod=1', 'read 0', 'mount=32']);
});

test('writing /proc/sysrq-trigger is refused', async () => {
  const tried = await a.run('echo h > /proc/sysrq-trigger');
  assert.equal(tried.exitCode, 1);
  // A kernel without magic SysRq has no such file; with it, the sandbox's copy is read-only.
  const why = existsSync('/proc/sysrq-trigger') ? 'Read-only file system' : 'No such file or directory';
  assert.match(tried.output, new RegExp(`bash: /proc/sysrq-trigger: ${why}`));
});

test("a proc mounted afresh in A shows only A's processes, and /proc/sysrq-trigger stays unwritable through it", async () => {
  const tried = await a.run(`mkdir -p /tmp/proc && mount -t proc proc /tmp/proc && ls /tmp/proc | grep -c '^[0-9]' | sed 's/^/seen: pids /'; cat /tmp/proc/[0-9]*/comm 2>/dev/null | grep -c -x -e node -e dockerd | sed 's/^/seen: engines and runners /'; echo h > /tmp/proc/sysrq-trigger; echo "seen: sysrq=$?"; umount /tmp/proc`);
  const found = seen(tried.output);
  assert.deepEqual(found.filter((l) => !l.startsWith('pids ')), ['engines and runners 1', 'sysrq=1'], `one dockerd (A's), no node; sysrq refused: ${tried.output}`);
});

test("A cannot lift its limits, as the machine enforces them, nor widen its device list", async () => {
  const disk = (await engineDisk()) ?? { major: 7, minor: 0 };
  const writes = cgroupV2
    ? [`echo ${limits.sandboxPids * 2} > /sys/fs/cgroup/pids.max`, `echo ${limits.sandboxMemory * 2} > /sys/fs/cgroup/memory.max`]
    : [
        `echo ${limits.sandboxPids * 2} > /sys/fs/cgroup/pids/pids.max`,
        // The memory+swap limit first: the memory limit cannot be above it.
        `echo ${limits.sandboxMemory * 2} > /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes`,
        `echo ${limits.sandboxMemory * 2} > /sys/fs/cgroup/memory/memory.limit_in_bytes`,
        `echo 'b ${disk.major}:${disk.minor} r' > /sys/fs/cgroup/devices/devices.allow`,
      ];
  const tried = await a.run(writes.map((w, i) => `${w}; echo "seen: write${i}=$?"`).join('; '));
  assert.equal(readPids(sandboxA.id).max, limits.sandboxPids, `A's process limit as the machine enforces it is unchanged; the reader saw: ${tried.output}`);
  assert.equal(readMemory(sandboxA.id).limit, limits.sandboxMemory, "A's memory limit as the machine enforces it is unchanged");
  // Writes to A's own cgroup may go through, but the fence above it, which A cannot see, holds.
  if (!cgroupV2) {
    assert.equal(seen(tried.output).at(-1), `write${writes.length - 1}=1`, 'a device A was not given cannot be allowed');
    assert.ok(!readDeviceRules(sandboxA.id).includes(`b ${disk.major}:${disk.minor} r`), "A's device list as the machine enforces it is unchanged");
  }
});

test("a cgroup hierarchy mounted afresh in A shows neither other containers' cgroups nor the machine's release_agent", async () => {
  const mount = cgroupV2 ? 'mount -t cgroup2 none /tmp/cg' : 'mount -t cgroup -o pids cgroup /tmp/cg';
  const tried = await a.run(`mkdir -p /tmp/cg && ${mount} && find /tmp/cg -maxdepth 3 \\( -name release_agent -o -name '${sandboxB.id.slice(0, 12)}*' \\) | sed 's/^/seen: /'; umount /tmp/cg 2>/dev/null`);
  assert.deepEqual(seen(tried.output), [], `the reader saw: ${tried.output}`);
});

test("the kernel's global settings are read-only in A (core_pattern)", async () => {
  const path = '/proc/sys/kernel/core_pattern';
  const before = readFileSync(path, 'utf8');
  // Writes back the value it reads: were the write allowed, nothing would change on the machine.
  const tried = await a.run(`v=$(cat ${path}); printf '%s\\n' "$v" > ${path}; echo "seen: write=$?"`);
  assert.equal(readFileSync(path, 'utf8'), before);
  assert.deepEqual(seen(tried.output), ['write=1'], `the write was refused; the reader saw: ${tried.output}`);
});

test("B's terminal cannot be taken by guessing: a well-formed session id that is not B's gets 4404", async () => {
  const guess = await LabClient.connect(runner.wsUrl, { token: runner.token, origin: runner.origin });
  guess.hello({ sessionId: randomBytes(16).toString('base64url') });
  assert.equal((await guess.message('error')).code, 'session-unknown');
  assert.equal((await guess.closed).code, 4404);
  assert.match((await b.run('echo b-is-still-mine')).output, /^b-is-still-mine\r?$/m, "B's terminal is still B's");
});
