/**
 * The Network view's model, layout and markup, from snapshots shaped as a sandbox reports them:
 * one cable per veth pair labelled with `ip addr`'s ifindex numbers, two cables for a container
 * on two networks, the diff between steps, a layout that keeps known nodes where they were, and
 * names and addresses as real text in the SVG and the table.
 */
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { fromHtml } from 'hast-util-from-html';
import { selectAll, select } from 'hast-util-select';
import { toText } from 'hast-util-to-text';
import { deriveGraph, diffGraphs, FirstSeen, sameTopology } from '../../src/topology/graph.ts';
import { layoutTopology } from '../../src/topology/layout.ts';
import { renderSvg, renderTable, renderChanges, topologyWords, tableRows } from '../../src/topology/render.ts';
import { staticTopologyHtml } from '../../src/blocks/topology.ts';
import { uiString } from '../../src/components/lab-strings.ts';
import { topologySnapshot, type TopologySnapshot } from '../../src/protocol/topology.ts';
import { step1, step2, step3 } from './topology-view-fixture.ts';

const words = topologyWords((key, values) => uiString('en', key, values));

test('the hand-written fixtures are valid snapshots', () => {
  for (const snapshot of [step1(), step2(), step3()]) assert.equal(topologySnapshot.safeParse(snapshot).success, true);
});

test('one cable per veth pair, from the host veth to the container eth0, with ip addr’s numbers', () => {
  const graph = deriveGraph(step1());
  assert.deepEqual(graph.bridges.map((b) => [b.network, b.bridge, b.subnet, b.gateway]), [['bridge', 'docker0', '172.17.0.0/16', '172.17.0.1']]);
  assert.deepEqual(graph.containers.map((c) => c.name), ['tomcat01']);
  assert.deepEqual(graph.cables, [
    {
      id: 'cable:tomcat01:eth0',
      from: 'net:bridge',
      to: 'ctr:tomcat01',
      network: 'bridge',
      host: { name: 'veth1a2b3c4', ifindex: 10, label: '10: veth1a2b3c4@if9' },
      container: { name: 'eth0', ifindex: 9, label: '9: eth0@if10', addresses: ['172.17.0.2/16'] },
    },
  ]);
  assert.deepEqual(graph.otherNetworks.map((n) => n.network), ['host', 'none']);
  assert.deepEqual(graph.host.interfaces.map((i) => i.name), ['eth0'], 'the host node shows its own eth0, not lo, bridges or veths');
});

test('a container on two networks has two cables, one to each bridge', () => {
  const graph = deriveGraph(step3());
  const cables = graph.cables.filter((c) => c.to === 'ctr:tomcat01');
  assert.deepEqual(cables.map((c) => [c.network, c.host.label, c.container.label]), [
    ['bridge', '10: veth1a2b3c4@if9', '9: eth0@if10'],
    ['mynet', '16: veth9a8b7c6@if15', '15: eth1@if16'],
  ]);
});

test('a peer ifindex that does not point back is no cable (ifindex is only unique per namespace)', () => {
  const snapshot = step1();
  const veth = snapshot.host.interfaces.find((i) => i.name === 'veth1a2b3c4');
  if (veth) veth.peerIfindex = 99;
  assert.deepEqual(deriveGraph(snapshot).cables, []);
});

test('the diff names what a step added, changed and removed', () => {
  const [one, two, three] = [step1(), step2(), step3()].map(deriveGraph) as [ReturnType<typeof deriveGraph>, ReturnType<typeof deriveGraph>, ReturnType<typeof deriveGraph>];
  const added = diffGraphs(one, two);
  assert.deepEqual([...added.added].sort(), ['cable:tomcat-net-01:eth0', 'ctr:tomcat-net-01', 'net:mynet']);
  assert.deepEqual(added.removed, []);
  const connected = diffGraphs(two, three);
  assert.deepEqual([...connected.added], ['cable:tomcat01:eth1']);
  assert.deepEqual([...connected.changed], ['ctr:tomcat01']);
  const back = diffGraphs(three, one);
  assert.deepEqual(back.removed.map((r) => r.name).sort(), ['mynet', 'tomcat-net-01', 'tomcat-net-01 – mynet', 'tomcat01 – mynet']);
  assert.equal(diffGraphs(null, one).added.size, 0, 'the first snapshot marks nothing');
  assert.equal(sameTopology(step1(), { ...step1(), takenAt: 9_999 }), true, 'the time taken is no change');
  assert.equal(sameTopology(step1(), step2()), false);
});

test('the layout keeps known nodes in their order and place when a step adds one', () => {
  const order = new FirstSeen();
  const before = layoutTopology(deriveGraph(step2()), order);
  const after = layoutTopology(deriveGraph(step3()), order);
  const where = (layout: typeof before, id: string) => {
    const box = layout.nodes.find((n) => n.node.id === id);
    assert.ok(box, id);
    return box;
  };
  for (const id of ['host', 'net:bridge', 'net:mynet', 'ctr:tomcat01', 'ctr:tomcat-net-01']) {
    const [a, b] = [where(before, id), where(after, id)];
    assert.ok(Math.abs(a.x - b.x) <= 40 && Math.abs(a.y - b.y) <= 40, `${id} moved from ${a.x},${a.y} to ${b.x},${b.y}`);
  }
  // Order down each column: first seen first.
  const column = (layout: typeof before, kind: string) => layout.nodes.filter((n) => n.node.kind === kind).sort((p, q) => p.y - q.y).map((n) => n.node.id);
  assert.deepEqual(column(after, 'container'), ['ctr:tomcat01', 'ctr:tomcat-net-01']);
  assert.deepEqual(column(after, 'bridge'), ['net:bridge', 'net:mynet']);
  // No two boxes overlap.
  for (const p of after.nodes) for (const q of after.nodes) {
    if (p === q) continue;
    const apart = p.x + p.width <= q.x || q.x + q.width <= p.x || p.y + p.height <= q.y || q.y + q.height <= p.y;
    assert.ok(apart, `${p.node.id} overlaps ${q.node.id}`);
  }
});

test('a container seen later goes below the ones before it, even when its name sorts first', () => {
  const order = new FirstSeen();
  const snapshot = step2();
  layoutTopology(deriveGraph(snapshot), order);
  const late: TopologySnapshot = { ...snapshot, containers: [{ ...(snapshot.containers[1] as TopologySnapshot['containers'][number]), name: 'aaa', interfaces: [], endpoints: [] }, ...snapshot.containers] };
  const layout = layoutTopology(deriveGraph(late), order);
  const ys = Object.fromEntries(layout.nodes.map((n) => [n.node.id, n.y]));
  assert.ok((ys['ctr:aaa'] as number) > (ys['ctr:tomcat-net-01'] as number), JSON.stringify(ys));
});

test('the SVG holds names, addresses and cable labels as text, and marks what changed', () => {
  const order = new FirstSeen();
  const two = deriveGraph(step2());
  layoutTopology(two, order);
  const three = deriveGraph(step3());
  const diff = diffGraphs(two, three);
  const svg = fromHtml(renderSvg(three, layoutTopology(three, order), diff, words, { interactive: true }), { fragment: true });
  const text = toText(svg);
  for (const expected of ['mynet', '192.168.0.0/16', 'gw 192.168.0.1', 'tomcat01', 'eth1 192.168.0.3/16', '16: veth9a8b7c6@if15 ⇄ 15: eth1@if16']) assert.ok(text.includes(expected), expected);
  assert.equal(selectAll('[data-cable]', svg).length, 3);
  assert.deepEqual(selectAll('.is-added', svg).map((el) => el.properties.dataCable), ['cable:tomcat01:eth1']);
  assert.deepEqual(selectAll('.is-changed', svg).map((el) => el.properties.dataNode), ['ctr:tomcat01']);
  assert.equal(selectAll('[data-node][tabindex="0"]', svg).length, 5, 'every node is focusable in the live panel');
  const still = fromHtml(renderSvg(three, layoutTopology(three, order), diff, words, { interactive: false }), { fragment: true });
  assert.equal(selectAll('[tabindex]', still).length, 0, 'the static diagram is a picture');
  assert.equal(select('svg', still)?.properties.role, 'img');
});

test('names in the markup are escaped', () => {
  const snapshot = step1();
  (snapshot.containers[0] as TopologySnapshot['containers'][number]).name = '<b>x&y</b>';
  const graph = deriveGraph(snapshot);
  const html = renderSvg(graph, layoutTopology(graph), diffGraphs(null, graph), words, { interactive: true }) + renderTable(graph, diffGraphs(null, graph), words);
  assert.ok(!html.includes('<b>'));
  assert.ok(html.includes('&lt;b&gt;x&amp;y&lt;/b&gt;'));
});

test('the table: network, container, interface, address, peer', () => {
  const rows = tableRows(deriveGraph(step3()), words).map((r) => r.cells);
  assert.deepEqual(rows, [
    ['bridge', 'sandbox host', 'docker0', '172.17.0.0/16, gateway 172.17.0.1', ''],
    ['mynet', 'sandbox host', 'br-d1b2c3d4e5f6', '192.168.0.0/16, gateway 192.168.0.1', ''],
    ['bridge', 'tomcat01', '9: eth0@if10', '172.17.0.2/16', '10: veth1a2b3c4@if9 (docker0)'],
    ['mynet', 'tomcat01', '15: eth1@if16', '192.168.0.3/16', '16: veth9a8b7c6@if15 (br-d1b2c3d4e5f6)'],
    ['mynet', 'tomcat-net-01', '12: eth0@if13', '192.168.0.2/16', '13: veth5d6e7f8@if12 (br-d1b2c3d4e5f6)'],
  ]);
  const back = deriveGraph(step1());
  const changes = toText(fromHtml(renderChanges(back, diffGraphs(deriveGraph(step3()), back), words), { fragment: true }));
  assert.match(changes, /Gone since the step before: mynet, tomcat-net-01, /);
});

test('static mode: a diagram under a block only when the network differs from the block before', () => {
  const snapshots = [
    { id: 'a', snapshot: step1() },
    { id: 'b', snapshot: { ...step1(), takenAt: 5 } },
    { id: 'c', snapshot: step2() },
    { id: 'd', snapshot: step3() },
  ];
  assert.ok(staticTopologyHtml(snapshots, 'a', 'en'), 'the first one is the start');
  assert.equal(staticTopologyHtml(snapshots, 'b', 'en'), null, 'the same network again: no diagram');
  assert.equal(staticTopologyHtml(snapshots, 'missing', 'en'), null);
  const shown = staticTopologyHtml(snapshots, 'd', 'zh-CN');
  assert.ok(shown);
  const tree = fromHtml(shown.html, { fragment: true });
  const details = select('details.lab-topology', tree);
  assert.ok(details && details.properties.open === undefined, 'folded by default');
  assert.equal(toText(select('summary', tree) ?? tree), '这条命令之后的网络');
  const rows = selectAll('table tbody tr', tree).map((row) => selectAll('td', row).map((cell) => toText(cell)));
  assert.deepEqual(rows.filter((row) => row[1] === 'tomcat01').map((row) => row[0]), ['bridge', 'mynet'], 'tomcat01 on both networks');
  assert.equal(selectAll('svg [data-cable]', tree).length, 3);
});

// ---------------------------------------------------------------------------------------------
// From snapshots of a real sandbox (tests/fixtures/topology, captured by the collector)

const POINTS = ['01-clean', '02-tomcat01-tomcat02', '03-link', '04-mynet', '05-network-connect', '06-redis'] as const;
const real = (point: (typeof POINTS)[number]): TopologySnapshot =>
  topologySnapshot.parse(JSON.parse(readFileSync(new URL(`../fixtures/topology/${point}.json`, import.meta.url), 'utf8')));

test('real sandbox: every container interface with a veth peer becomes exactly one cable', () => {
  for (const point of POINTS) {
    const snapshot = real(point);
    const graph = deriveGraph(snapshot);
    const veths = snapshot.containers.flatMap((c) => c.interfaces.filter((i) => i.peerIfindex !== null));
    assert.equal(graph.cables.length, veths.length, point);
    for (const cable of graph.cables) {
      // Each end names the other's ifindex, as `ip addr` prints them.
      assert.match(cable.host.label, new RegExp(`^${cable.host.ifindex}: veth\\w+@if${cable.container.ifindex}$`), point);
      assert.match(cable.container.label, new RegExp(`^${cable.container.ifindex}: eth\\d@if${cable.host.ifindex}$`), point);
    }
  }
});

test('real sandbox: after network connect, tomcat01 has two cables, to docker0 and to mynet', () => {
  const graph = deriveGraph(real('05-network-connect'));
  const cables = graph.cables.filter((c) => c.to === 'ctr:tomcat01');
  assert.deepEqual(cables.map((c) => c.network).sort(), ['bridge', 'mynet']);
  assert.deepEqual(graph.bridges.find((b) => b.network === 'mynet')?.subnet, '192.168.0.0/16');
});

test('real sandbox: the Redis network holds six containers at 172.38.0.11 to .16', () => {
  const graph = deriveGraph(real('06-redis'));
  assert.equal(graph.bridges.find((b) => b.network === 'redis')?.subnet, '172.38.0.0/16');
  const onRedis = graph.cables.filter((c) => c.network === 'redis').map((c) => [c.to, c.container.addresses.find((a) => !a.includes(':'))]);
  assert.deepEqual(onRedis.sort(), [1, 2, 3, 4, 5, 6].map((i) => [`ctr:redis-${i}`, `172.38.0.1${i}/16`]));
});

test('real sandbox: down the tutorial, boxes already drawn keep their order and barely move', () => {
  const order = new FirstSeen();
  let previous: ReturnType<typeof layoutTopology> | null = null;
  for (const point of POINTS) {
    const layout = layoutTopology(deriveGraph(real(point)), order);
    if (previous) {
      for (const box of layout.nodes) {
        const was = previous.nodes.find((n) => n.node.id === box.node.id);
        if (!was) continue;
        // A column may widen (a longer name arrives) and a box above may grow a line (a second interface):
        // that shifts a box a little; it never jumps to another place.
        assert.ok(Math.abs(was.y - box.y) <= 40 && Math.abs(was.x - box.x) <= 60, `${point}: ${box.node.id} moved from ${was.x},${was.y} to ${box.x},${box.y}`);
      }
      const ids = (l: typeof layout, kind: string) => l.nodes.filter((n) => n.node.kind === kind).sort((p, q) => p.y - q.y).map((n) => n.node.id);
      const kept = (kind: string) => ids(layout, kind).filter((id) => ids(previous as typeof layout, kind).includes(id));
      for (const kind of ['bridge', 'container']) assert.deepEqual(kept(kind), ids(previous, kind).filter((id) => kept(kind).includes(id)), `${point}: ${kind} order kept`);
    }
    previous = layout;
  }
});
