/**
 * What the Network view draws, derived from one topology snapshot: the sandbox host, one node per
 * bridge network, one per container, and one cable per veth pair. And what changed between two
 * snapshots. Pure: no DOM, no Node; the live panel and the static build both call it.
 *
 * A cable is joined from what the snapshot stores (src/protocol/topology.ts): a container's
 * interface names its veth peer by ifindex (`peerIfindex`), the host's interface of that ifindex
 * names its bridge (`master`), and the network whose `bridge` is that name is the other end. Its
 * two ends are labelled as `ip addr` prints them in each namespace: `10: veth1a2b@if9` on the
 * host, `9: eth0@if10` in the container.
 */
import type { TopologyContainer, TopologyInterface, TopologySnapshot } from '../protocol/topology.ts';

export const HOST_ID = 'host';

export interface InterfaceView {
  name: string;
  ifindex: number;
  peerIfindex: number | null;
  mac: string | null;
  addresses: string[];
  up: boolean;
  /** As `ip addr` names it: `eth0@if10` when it has a peer. */
  label: string;
}

export interface HostNode {
  id: typeof HOST_ID;
  kind: 'host';
  /** The host's own interfaces that are neither bridges, veths nor loopback (its eth0). */
  interfaces: InterfaceView[];
}

export interface BridgeNode {
  id: string;
  kind: 'bridge';
  /** The network's name (`bridge`, `mynet`). */
  network: string;
  /** The host interface that is its bridge (`docker0`, `br-1a2b3c4d5e6f`). */
  bridge: string;
  driver: string;
  subnet: string | null;
  gateway: string | null;
  internal: boolean;
  up: boolean;
}

export interface ContainerNode {
  id: string;
  kind: 'container';
  name: string;
  image: string;
  running: boolean;
  /** Without loopback. */
  interfaces: InterfaceView[];
  /** The networks the engine says it is on (a `host` or `none` one has no cable). */
  networks: string[];
  links: string[];
}

export type TopologyNode = HostNode | BridgeNode | ContainerNode;

/** The host end of a veth pair, as `ip addr` in the sandbox prints it. */
export interface CableEnd {
  name: string;
  ifindex: number;
  /** `10: veth1a2b@if9`. */
  label: string;
}

export interface Cable {
  id: string;
  /** The bridge node's id. */
  from: string;
  /** The container node's id. */
  to: string;
  network: string;
  host: CableEnd;
  container: CableEnd & { addresses: string[] };
}

export interface TopologyGraph {
  host: HostNode;
  bridges: BridgeNode[];
  containers: ContainerNode[];
  cables: Cable[];
  /** Networks without a bridge (`host`, `none`, others' drivers): in the table, not drawn. */
  otherNetworks: { network: string; driver: string; containers: string[] }[];
  /** Containers the collector left out to stay within a frame. */
  trimmed: number;
}

export const bridgeId = (network: string): string => `net:${network}`;
export const containerId = (name: string): string => `ctr:${name}`;

function interfaceView(iface: TopologyInterface): InterfaceView {
  return {
    name: iface.name,
    ifindex: iface.ifindex,
    peerIfindex: iface.peerIfindex,
    mac: iface.mac,
    addresses: iface.addresses,
    up: iface.up,
    label: iface.peerIfindex === null ? iface.name : `${iface.name}@if${iface.peerIfindex}`,
  };
}

/** `ip addr`'s line head for an interface: `10: veth1a2b@if9`. */
function endLabel(iface: TopologyInterface): string {
  return `${iface.ifindex}: ${interfaceView(iface).label}`;
}

export function deriveGraph(snapshot: TopologySnapshot): TopologyGraph {
  const hostByIndex = new Map(snapshot.host.interfaces.map((iface) => [iface.ifindex, iface]));
  const hostByName = new Map(snapshot.host.interfaces.map((iface) => [iface.name, iface]));
  const host: HostNode = {
    id: HOST_ID,
    kind: 'host',
    interfaces: snapshot.host.interfaces.filter((iface) => iface.kind === 'other').map(interfaceView),
  };
  const bridges: BridgeNode[] = [];
  const networkByBridge = new Map<string, BridgeNode>();
  const otherNetworks: TopologyGraph['otherNetworks'] = [];
  for (const network of snapshot.networks) {
    if (network.bridge === null) {
      otherNetworks.push({ network: network.name, driver: network.driver, containers: [] });
      continue;
    }
    const node: BridgeNode = {
      id: bridgeId(network.name),
      kind: 'bridge',
      network: network.name,
      bridge: network.bridge,
      driver: network.driver,
      subnet: network.subnet,
      gateway: network.gateway,
      internal: network.internal,
      up: hostByName.get(network.bridge)?.up ?? false,
    };
    bridges.push(node);
    networkByBridge.set(network.bridge, node);
  }
  const containers: ContainerNode[] = [];
  const cables: Cable[] = [];
  for (const container of snapshot.containers) {
    const node = containerNode(container);
    containers.push(node);
    for (const endpoint of container.endpoints) {
      otherNetworks.find((other) => other.network === endpoint.network)?.containers.push(container.name);
    }
    for (const iface of container.interfaces) {
      if (iface.peerIfindex === null || iface.kind === 'loopback') continue;
      const peer = hostByIndex.get(iface.peerIfindex);
      // Its peer must be the host's veth that points back at it: an ifindex alone is only unique per namespace.
      if (!peer || peer.peerIfindex !== iface.ifindex || peer.master === null) continue;
      const bridge = networkByBridge.get(peer.master);
      if (!bridge) continue;
      cables.push({
        id: `cable:${container.name}:${iface.name}`,
        from: bridge.id,
        to: node.id,
        network: bridge.network,
        host: { name: peer.name, ifindex: peer.ifindex, label: endLabel(peer) },
        container: { name: iface.name, ifindex: iface.ifindex, label: endLabel(iface), addresses: iface.addresses },
      });
    }
  }
  return { host, bridges, containers, cables, otherNetworks, trimmed: snapshot.trimmed };
}

function containerNode(container: TopologyContainer): ContainerNode {
  return {
    id: containerId(container.name),
    kind: 'container',
    name: container.name,
    image: container.image,
    running: container.running,
    interfaces: container.interfaces.filter((iface) => iface.kind !== 'loopback').map(interfaceView),
    networks: container.endpoints.map((endpoint) => endpoint.network),
    links: container.links,
  };
}

export function graphNodes(graph: TopologyGraph): TopologyNode[] {
  return [graph.host, ...graph.bridges, ...graph.containers];
}

/** A short name for a node or a cable, as the panel and the table say it. */
export function nodeName(node: TopologyNode): string {
  if (node.kind === 'host') return 'host';
  if (node.kind === 'bridge') return node.network;
  return node.name;
}

// ---------------------------------------------------------------------------------------------
// Diff

export interface TopologyDiff {
  /** Node and cable ids new in the later snapshot. */
  added: Set<string>;
  /** Node and cable ids in both whose content differs. */
  changed: Set<string>;
  /** What the later snapshot no longer has, with a name to say it by. */
  removed: { id: string; kind: 'bridge' | 'container' | 'cable'; name: string }[];
}

export const NO_CHANGES: TopologyDiff = { added: new Set(), changed: new Set(), removed: [] };

/** What `after` added, removed or changed since `before`; with no `before`, nothing is marked. */
export function diffGraphs(before: TopologyGraph | null, after: TopologyGraph): TopologyDiff {
  if (!before) return { added: new Set(), changed: new Set(), removed: [] };
  const diff: TopologyDiff = { added: new Set(), changed: new Set(), removed: [] };
  const compare = <T extends { id: string }>(old: T[], now: T[], kind: 'bridge' | 'container' | 'cable' | 'host', name: (item: T) => string) => {
    const previous = new Map(old.map((item) => [item.id, item]));
    const current = new Set(now.map((item) => item.id));
    for (const item of now) {
      const was = previous.get(item.id);
      if (!was) diff.added.add(item.id);
      else if (JSON.stringify(was) !== JSON.stringify(item)) diff.changed.add(item.id);
    }
    if (kind === 'host') return;
    for (const item of old) if (!current.has(item.id)) diff.removed.push({ id: item.id, kind, name: name(item) });
  };
  compare([before.host], [after.host], 'host', () => 'host');
  compare(before.bridges, after.bridges, 'bridge', (node) => node.network);
  compare(before.containers, after.containers, 'container', (node) => node.name);
  compare(before.cables, after.cables, 'cable', (cable) => `${cable.to.slice(4)} – ${cable.network}`);
  return diff;
}

export function isEmptyDiff(diff: TopologyDiff): boolean {
  return diff.added.size === 0 && diff.changed.size === 0 && diff.removed.length === 0;
}

/**
 * True when two snapshots draw the same diagram (the static site shows a block's diagram only
 * when it differs from the one before): the time they were taken does not count.
 */
export function sameTopology(a: TopologySnapshot, b: TopologySnapshot): boolean {
  return isEmptyDiff(diffGraphs(deriveGraph(a), deriveGraph(b)));
}

// ---------------------------------------------------------------------------------------------
// Order

/**
 * Remembers the order in which nodes appeared, so the layout keeps the nodes it already placed
 * where they were: a new container goes after the ones before it, never between them. A node that
 * went away and comes back (a container run again under its old name) counts as new.
 */
export class FirstSeen {
  readonly #order = new Map<string, number>();
  #next = 0;

  /** Notes the nodes of `graph` not seen before, in the snapshot's order, and forgets those it lacks. */
  see(graph: TopologyGraph): void {
    const present = new Set(graphNodes(graph).map((node) => node.id));
    for (const id of this.#order.keys()) if (!present.has(id)) this.#order.delete(id);
    for (const id of present) if (!this.#order.has(id)) this.#order.set(id, this.#next++);
  }

  rank(id: string): number {
    return this.#order.get(id) ?? Number.MAX_SAFE_INTEGER;
  }
}
