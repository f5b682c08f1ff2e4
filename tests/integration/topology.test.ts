/**
 * The network view's data, end to end: the real runner, a real dind sandbox, the protocol client.
 * A socket that watches gets a snapshot at once, another after each command that changed the
 * network, fewer than one per command in a burst, and none once it stops watching. What a snapshot
 * says is checked against what the reader's own shell sees (`ip`, /sys, `docker inspect`), not
 * against the collector.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectEngine } from '../../runner/docker.ts';
import { createLogger } from '../../runner/log.ts';
import { DindProvider } from '../../runner/sandbox/dind.ts';
import type { TopologySnapshot } from '../../src/protocol/wire.ts';
import { TOPOLOGY_QUIET_MS } from '../../runner/topology/watcher.ts';
import { openSession, withoutOsc, type LabClient } from '../support/lab-client.ts';
import { startRunner, type RunningRunner } from '../support/runner-process.ts';

type TopologyMessage = Extract<LabClient['messages'][number], { type: 'topology' | 'topology-failed' }>;

/** Enough for a quiet spell and a collection on a busy 2-core machine; only used to show that nothing more comes. */
const SETTLE_MS = TOPOLOGY_QUIET_MS + 2_500;

let runner: RunningRunner;
let client: LabClient;
const received: TopologyMessage[] = [];

before(async () => {
  runner = await startRunner({ LAB_PROVIDER: 'dind' });
  client = await openSession(runner);
  client.onTopology((message) => received.push(message));
});

after(async () => {
  await client?.close();
  await runner?.stop();
});

/** Runs a command in the reader's shell and returns its output; it must succeed. */
async function sh(command: string): Promise<string> {
  const from = client.marks.length;
  const result = await client.run(command);
  assert.equal(result.exitCode, 0, `${command}: ${result.output}`);
  // What it printed: from its C mark (it runs) to its D mark (it ended).
  const executed = client.marks.slice(from).find((m) => m.kind === 'command-executed');
  assert.ok(executed, `${command} ran`);
  const raw = client.outputSince(executed.at);
  return withoutOsc(raw.slice(0, raw.indexOf('\x1b]133;D'))).replace(/\r/g, '').trim();
}

/** The first topology message after index `from` whose snapshot satisfies `ok`. */
async function snapshotAfter(from: number, ok: (s: TopologySnapshot) => boolean, what: string): Promise<TopologySnapshot> {
  const find = () => received.slice(from).find((m): m is Extract<TopologyMessage, { type: 'topology' }> => m.type === 'topology' && ok(m.snapshot));
  await client.until(() => find() !== undefined, 30_000, `a snapshot with ${what}; got ${JSON.stringify(received.slice(from).map((m) => (m.type === 'topology' ? m.snapshot.networks.map((n) => n.name) : m)))}`);
  return (find() as Extract<TopologyMessage, { type: 'topology' }>).snapshot;
}

test('watching: a snapshot at once, of the sandbox as its shell sees it', async () => {
  client.watchTopology(true);
  const first = await snapshotAfter(0, () => true, 'anything');
  assert.equal((received[0] as { n: number }).n, 1, 'the first snapshot of the session is n = 1');
  const docker0 = first.host.interfaces.find((i) => i.name === 'docker0');
  assert.ok(docker0, 'docker0 is on the host');
  assert.match(await sh('ip -o -4 addr show docker0'), new RegExp(`inet ${docker0.addresses[0]?.replace(/\./g, '\\.')} `), "docker0's address as ip addr prints it");
  const bridge = first.networks.find((n) => n.name === 'bridge');
  assert.deepEqual(
    { bridge: bridge?.bridge, subnet: bridge?.subnet, gateway: bridge?.gateway },
    { bridge: 'docker0', subnet: '172.18.0.0/16', gateway: '172.18.0.1' },
  );
  assert.deepEqual(first.containers, []);
});

let mynet: { bridge: string; subnet: string };

test('docker network create mynet: a snapshot with mynet, its subnet and its bridge', async () => {
  const from = received.length;
  const id = await sh('docker network create mynet');
  const subnet = await sh(`docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' mynet`);
  const snapshot = await snapshotAfter(from, (s) => s.networks.some((n) => n.name === 'mynet'), 'mynet');
  const network = snapshot.networks.find((n) => n.name === 'mynet');
  assert.equal(network?.id, id.slice(0, 12));
  assert.equal(network?.subnet, subnet);
  assert.equal(network?.bridge, `br-${id.slice(0, 12)}`);
  assert.ok(snapshot.host.interfaces.some((i) => i.name === network?.bridge && i.kind === 'bridge'), "mynet's bridge is a host interface");
  mynet = { bridge: network.bridge as string, subnet };
});

/** What the reader's shell says about a container's interface: its ifindex, and the host interface that is its peer. */
async function cableOf(container: string, ifname: string): Promise<{ ifindex: number; peer: number; hostName: string; master: string }> {
  const ifindex = Number(await sh(`docker exec ${container} cat /sys/class/net/${ifname}/ifindex`));
  const peer = Number(await sh(`docker exec ${container} cat /sys/class/net/${ifname}/iflink`));
  const line = await sh(`ip -o link | awk -v p="${peer}:" '$1 == p'`);
  const match = /^\d+: (\S+?)@\S+: .* master (\S+)/.exec(line);
  assert.ok(match, `host interface ${peer}: ${line}`);
  return { ifindex, peer, hostName: match[1] as string, master: match[2] as string };
}

// The issue says `--name a`; Docker 20.10 refuses one-character names ("only [a-zA-Z0-9][a-zA-Z0-9_.-]").
test('docker run --net mynet --name a1: a1, at its address in mynet, cabled to mynet\'s bridge', async () => {
  const from = received.length;
  await sh('docker run -d --net mynet --name a1 tomcat');
  const address = await sh(`docker inspect -f '{{.NetworkSettings.Networks.mynet.IPAddress}}' a1`);
  const seen = await cableOf('a1', 'eth0');
  const snapshot = await snapshotAfter(from, (s) => s.containers.some((c) => c.name === 'a1' && c.interfaces.length > 0), 'container a1');
  const a1 = snapshot.containers.find((c) => c.name === 'a1');
  assert.ok(a1);
  assert.deepEqual(a1.endpoints.map((e) => [e.network, e.ipv4]), [['mynet', address]]);
  const eth0 = a1.interfaces.find((i) => i.name === 'eth0');
  assert.deepEqual({ ifindex: eth0?.ifindex, peer: eth0?.peerIfindex, kind: eth0?.kind }, { ifindex: seen.ifindex, peer: seen.peer, kind: 'veth' });
  assert.ok(eth0?.addresses.includes(`${address}/${mynet.subnet.split('/')[1]}`), `eth0 holds ${address}: ${eth0?.addresses}`);
  const hostEnd = snapshot.host.interfaces.find((i) => i.ifindex === seen.peer);
  assert.deepEqual({ name: hostEnd?.name, master: hostEnd?.master, peer: hostEnd?.peerIfindex }, { name: seen.hostName, master: mynet.bridge, peer: seen.ifindex });
  assert.equal(seen.master, mynet.bridge, "the shell's ip agrees: the host end is a port of mynet's bridge");
});

test('docker network connect bridge a1: two endpoints, two cables', async () => {
  const from = received.length;
  await sh('docker network connect bridge a1');
  const snapshot = await snapshotAfter(from, (s) => (s.containers.find((c) => c.name === 'a1')?.endpoints.length ?? 0) === 2, 'a1 on two networks');
  const a1 = snapshot.containers.find((c) => c.name === 'a1');
  assert.deepEqual(a1?.endpoints.map((e) => e.network), ['bridge', 'mynet']);
  const masters = (a1?.interfaces ?? [])
    .filter((i) => i.kind === 'veth')
    .map((i) => snapshot.host.interfaces.find((h) => h.ifindex === i.peerIfindex)?.master)
    .sort();
  assert.deepEqual(masters, [mynet.bridge, 'docker0'].sort());
  const eth1 = await cableOf('a1', 'eth1');
  assert.equal(eth1.master, 'docker0', 'the new interface is cabled to docker0, as the shell sees it');
});

test('docker rm -f a1: a1 and its cables are gone', async () => {
  const before = [...(received.findLast((m) => m.type === 'topology') as { snapshot: TopologySnapshot }).snapshot.host.interfaces];
  const from = received.length;
  await sh('docker rm -f a1');
  const snapshot = await snapshotAfter(from, (s) => !s.containers.some((c) => c.name === 'a1'), 'a1 gone');
  assert.deepEqual(snapshot.containers, []);
  assert.deepEqual(snapshot.host.interfaces.filter((i) => i.kind === 'veth'), [], 'no veth left on the host');
  assert.ok(before.some((i) => i.kind === 'veth'), 'there were veths before');
});

test('a burst of 5 quick commands gives fewer snapshots than commands', async () => {
  const from = received.length;
  const marks = client.marks.length;
  client.type([1, 2, 3, 4, 5].map((i) => `docker network create burst${i} >/dev/null\r`).join(''));
  await client.until(() => client.marks.slice(marks).filter((m) => m.kind === 'command-finished').length >= 5, 60_000, 'five commands to end');
  await snapshotAfter(from, (s) => s.networks.filter((n) => n.name.startsWith('burst')).length === 5, 'five burst networks');
  await sleep(SETTLE_MS);
  const snapshots = received.slice(from).filter((m) => m.type === 'topology');
  assert.ok(snapshots.length >= 1 && snapshots.length < 5, `${snapshots.length} snapshots for 5 commands`);
});

test('a collector that fails says so plainly, the terminal goes on, and the next snapshot comes after', async () => {
  const from = received.length;
  // The reader hides the engine's socket: the collector finds no engine to ask.
  await sh('mv /var/run/docker.sock /var/run/docker.sock.hidden');
  await client.until(() => received.slice(from).some((m) => m.type === 'topology-failed'), 30_000, 'a topology-failed message');
  const failed = received.slice(from).find((m) => m.type === 'topology-failed') as Extract<TopologyMessage, { type: 'topology-failed' }>;
  assert.match(failed.message, /^The network could not be read: the sandbox's Docker engine does not answer at \/var\/run\/docker\.sock/);
  assert.equal(await sh('echo still here'), 'still here', 'the terminal is unaffected');
  const next = received.length;
  await sh('mv /var/run/docker.sock.hidden /var/run/docker.sock');
  // Unchanged since the last snapshot, but sent: the panel shows the failure until then.
  await snapshotAfter(next, (s) => s.networks.some((n) => n.name === 'burst5'), 'the network again');
});

test('watch off: no more snapshots', async () => {
  client.watchTopology(false);
  await sleep(SETTLE_MS); // a collection already under way may still arrive
  const from = received.length;
  await sh('docker network create after-off');
  await sleep(SETTLE_MS);
  assert.deepEqual(received.slice(from), []);
});

test('Sandbox.exec: output and status of a command in the sandbox, and a command over its time is stopped', async () => {
  const provider = new DindProvider(connectEngine(), { image: process.env.LAB_SANDBOX_IMAGE ?? 'docker-network-lab/sandbox:latest', memoryBytes: 512 * 1024 ** 2, diskBytes: 256 * 1024 ** 2, pids: 256, cpus: 1, warm: 0 }, createLogger({ level: 'warn' }));
  const sandbox = await provider.create('exec-test', () => {});
  try {
    const uid = await sandbox.exec(['sh', '-c', 'cat /proc/self/uid_map; echo oops >&2; exit 3'], { timeoutMs: 10_000 });
    assert.match(uid.stdout, /^\s*0\s+100000\s+65536\s*$/, "it runs in the sandbox's user namespace, as a reader's shell");
    assert.deepEqual({ stderr: uid.stderr, code: uid.code }, { stderr: 'oops\n', code: 3 });
    const slow = await sandbox.exec(['sleep', '30'], { timeoutMs: 500 });
    assert.equal(slow.code, null, 'over its time: code null');
    assert.equal((await sandbox.exec(['sh', '-c', 'pgrep -x sleep || echo none'], { timeoutMs: 10_000 })).stdout.trim(), 'none', 'and it was killed in the sandbox');
  } finally {
    // Not provider.close(): that would remove the sandboxes' network, which other runners may be using.
    await sandbox.dispose();
  }
});
