/**
 * The snapshot built from the collector's output, captured from real sandboxes at points of the
 * tutorial (tests/fixtures/topology/*.raw.json). Expected values were read off those captures (and
 * agree with `ip addr` in the same sandbox), not computed by the code under test.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildSnapshot, parseCollectorOutput, sameTopology, TopologyError, type CollectorOutput } from '../../runner/topology/model.ts';
import { MAX_TOPOLOGY_BYTES, topologySnapshot, type TopologySnapshot } from '../../src/protocol/topology.ts';

const raw = (point: string) => readFileSync(new URL(`../fixtures/topology/${point}.raw.json`, import.meta.url), 'utf8');
const snapshotOf = (point: string, maxBytes?: number) => buildSnapshot(parseCollectorOutput(raw(point)), 1_000, maxBytes);
const container = (s: TopologySnapshot, name: string) => {
  const found = s.containers.find((c) => c.name === name);
  assert.ok(found, `${name} is in the snapshot`);
  return found;
};
const hostIf = (s: TopologySnapshot, ifindex: number | null) => s.host.interfaces.find((i) => i.ifindex === ifindex);

test('a clean sandbox: lo and docker0 at 172.18.0.1/16, the three default networks, no container', () => {
  const s = snapshotOf('01-clean');
  assert.deepEqual(s.host.interfaces.map((i) => [i.name, i.kind, i.addresses[0]]), [
    ['lo', 'loopback', '127.0.0.1/8'],
    ['docker0', 'bridge', '172.18.0.1/16'],
  ]);
  assert.deepEqual(s.networks.map((n) => [n.name, n.driver, n.bridge, n.subnet, n.gateway]), [
    ['bridge', 'bridge', 'docker0', '172.18.0.0/16', '172.18.0.1'],
    ['host', 'host', null, null, null],
    ['none', 'null', null, null, null],
  ]);
  assert.deepEqual(s.containers, []);
  assert.equal(s.trimmed, 0);
});

test('veth pairs across namespaces: each container eth0 names a host vethXXX by ifindex, and that veth names it back, mastered by docker0', () => {
  const s = snapshotOf('02-tomcat01-tomcat02');
  // From the capture: tomcat01 eth0 is 3@if4 (host veth0eb... is 4@if3), tomcat02 eth0 is 5@if6.
  const pairs = ['tomcat01', 'tomcat02'].map((name) => {
    const eth0 = container(s, name).interfaces.find((i) => i.name === 'eth0');
    const peer = hostIf(s, eth0?.peerIfindex ?? null);
    return { name, eth0: [eth0?.ifindex, eth0?.peerIfindex, eth0?.kind, eth0?.addresses[0]], host: [peer?.kind, peer?.peerIfindex, peer?.master] };
  });
  assert.deepEqual(pairs, [
    { name: 'tomcat01', eth0: [3, 4, 'veth', '172.18.0.2/16'], host: ['veth', 3, 'docker0'] },
    { name: 'tomcat02', eth0: [5, 6, 'veth', '172.18.0.3/16'], host: ['veth', 5, 'docker0'] },
  ]);
  assert.match(hostIf(s, 4)?.name ?? '', /^veth[0-9a-f]{7}$/);
  assert.deepEqual(container(s, 'tomcat01').endpoints, [{ network: 'bridge', ipv4: '172.18.0.2', mac: '02:42:ac:12:00:02', aliases: [] }]);
  assert.equal(container(s, 'tomcat01').image, 'tomcat');
  assert.equal(container(s, 'tomcat01').interfaces[0]?.kind, 'loopback');
});

test('--link: tomcat03 links to tomcat02 (target:alias)', () => {
  const s = snapshotOf('03-link');
  assert.deepEqual(container(s, 'tomcat03').links, ['tomcat02:tomcat02']);
  assert.deepEqual(container(s, 'tomcat02').links, []);
});

test("a user-defined network: mynet's subnet, gateway and br-<id12> bridge, its containers cabled to it", () => {
  const s = snapshotOf('04-mynet');
  const mynet = s.networks.find((n) => n.name === 'mynet');
  assert.deepEqual(mynet, { id: mynet?.id, name: 'mynet', driver: 'bridge', bridge: `br-${mynet?.id}`, subnet: '192.168.0.0/16', gateway: '192.168.0.1', internal: false });
  assert.match(mynet?.id ?? '', /^[0-9a-f]{12}$/);
  for (const [name, address] of [['tomcat-net-01', '192.168.0.2/16'], ['tomcat-net-02', '192.168.0.3/16']] as const) {
    const eth0 = container(s, name).interfaces.find((i) => i.name === 'eth0');
    assert.equal(eth0?.addresses[0], address);
    assert.equal(hostIf(s, eth0?.peerIfindex ?? null)?.master, mynet?.bridge, `${name} is cabled to mynet's bridge`);
  }
  assert.equal(hostIf(s, container(s, 'tomcat01').interfaces.find((i) => i.name === 'eth0')?.peerIfindex ?? null)?.master, 'docker0');
});

test('a container on two networks (docker network connect mynet tomcat01): two endpoints, two cables to two bridges', () => {
  const s = snapshotOf('05-network-connect');
  const tomcat01 = container(s, 'tomcat01');
  assert.deepEqual(tomcat01.endpoints.map((e) => [e.network, e.ipv4]), [['bridge', '172.18.0.2'], ['mynet', '192.168.0.4']]);
  assert.deepEqual(
    tomcat01.interfaces.filter((i) => i.kind === 'veth').map((i) => [i.name, i.ifindex, i.peerIfindex, hostIf(s, i.peerIfindex)?.master]),
    [['eth0', 16, 17, 'docker0'], ['eth1', 20, 21, 'br-0e5a38d37eef']],
  );
  assert.equal(s.networks.find((n) => n.name === 'mynet')?.bridge, 'br-0e5a38d37eef');
});

test('the Redis section: six nodes on redis (172.38.0.0/16) at .11 to .16, beside the tomcats', () => {
  const s = snapshotOf('06-redis');
  const redis = s.networks.find((n) => n.name === 'redis');
  // Created without --gateway: the engine does not say it; redis's bridge holds it (172.38.0.1/16).
  assert.deepEqual([redis?.subnet, redis?.gateway], ['172.38.0.0/16', '172.38.0.1']);
  const nodes = s.containers.filter((c) => c.name.startsWith('redis-'));
  assert.deepEqual(nodes.map((c) => [c.name, c.endpoints.map((e) => `${e.network}=${e.ipv4}`).join()]), [1, 2, 3, 4, 5, 6].map((i) => [`redis-${i}`, `redis=172.38.0.1${i}`]));
  for (const node of nodes) assert.equal(hostIf(s, node.interfaces.find((i) => i.name === 'eth0')?.peerIfindex ?? null)?.master, redis?.bridge);
  assert.equal(s.containers.length, 10);
  assert.ok(topologySnapshot.safeParse(s).success);
});

test('a container that vanished mid-collection (running, its namespace gone) is left out; a stopped one stays, without interfaces', () => {
  const output = parseCollectorOutput(raw('02-tomcat01-tomcat02'));
  const first = output.containers.find((c) => c.inspect.Name === '/tomcat01');
  const second = output.containers.find((c) => c.inspect.Name === '/tomcat02');
  assert.ok(first && second);
  const vanished: CollectorOutput = { ...output, containers: [{ ...first, addr: null }, second] };
  assert.deepEqual(buildSnapshot(vanished, 1).containers.map((c) => c.name), ['tomcat02']);
  const stopped: CollectorOutput = { ...output, containers: [{ inspect: { ...first.inspect, State: { Running: false } }, addr: null }, second] };
  const s = buildSnapshot(stopped, 1);
  assert.deepEqual(s.containers.map((c) => [c.name, c.running, c.interfaces.length]), [['tomcat01', false, 0], ['tomcat02', true, 2]]);
});

/** `count` copies of the Redis capture's containers, named and numbered apart. */
function manyContainers(count: number): CollectorOutput {
  const output = parseCollectorOutput(raw('06-redis'));
  const containers = Array.from({ length: count }, (_, i) => {
    const base = output.containers[i % output.containers.length];
    assert.ok(base);
    const id = i.toString(16).padStart(64, 'c');
    return { inspect: { ...base.inspect, Id: id, Name: `/node-${String(i).padStart(3, '0')}` }, addr: base.addr };
  });
  return { ...output, containers };
}

test('100 containers still fit one snapshot under MAX_TOPOLOGY_BYTES, untrimmed', () => {
  const s = buildSnapshot(manyContainers(100), 1);
  assert.equal(s.containers.length, 100);
  assert.equal(s.trimmed, 0);
  assert.ok(Buffer.byteLength(JSON.stringify(s)) <= MAX_TOPOLOGY_BYTES);
});

test('past the size limit, containers are dropped (stopped ones first) and `trimmed` says how many', () => {
  const output = manyContainers(100);
  const stopped = output.containers.map((c, i) => (i % 10 === 0 ? { inspect: { ...c.inspect, State: { Running: false } }, addr: null } : c));
  const limit = 40_000;
  const s = buildSnapshot({ ...output, containers: stopped }, 1, limit);
  assert.ok(s.trimmed > 10, `trimmed ${s.trimmed}`);
  assert.equal(s.containers.length + s.trimmed, 100);
  assert.ok(Buffer.byteLength(JSON.stringify(s)) <= limit, 'under the limit given');
  assert.ok(s.containers.every((c) => c.running), 'the stopped ones went first');
  const peers = new Set(s.containers.flatMap((c) => c.interfaces.map((i) => i.peerIfindex)));
  assert.ok(s.host.interfaces.filter((i) => i.kind === 'veth').length < 100, 'host veths of dropped containers go with them');
  assert.ok(peers.size > 0);
});

test('the same network in another order gives the same snapshot; takenAt does not count, a change does', () => {
  const output = parseCollectorOutput(raw('06-redis'));
  const shuffled: CollectorOutput = { ...output, containers: [...output.containers].reverse(), networks: [...output.networks].reverse(), host: [...output.host].reverse() };
  const a = buildSnapshot(output, 1);
  const b = buildSnapshot(shuffled, 2);
  assert.equal(sameTopology(a, b), true);
  assert.equal(sameTopology(a, snapshotOf('05-network-connect')), false);
});

test('output that is not the collector\'s is a TopologyError with a plain message', () => {
  assert.throws(() => parseCollectorOutput('dockerd: not ready'), (error: Error) => error instanceof TopologyError && /^The network collector printed something that is not JSON/.test(error.message));
  assert.throws(() => parseCollectorOutput('{"host": [], "networks": {}, "containers": []}'), {
    name: 'TopologyError',
    message: /^The network collector's output is not as expected at networks: /,
  });
});
