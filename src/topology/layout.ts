/**
 * Where the Network view's boxes and cables go, by dagre (a layered graph layout): left to right,
 * the sandbox host, its bridges, then the containers; each cable runs from its bridge to its
 * container with its label (both veth ends) placed by dagre so labels never overlap.
 *
 * Stable between snapshots: dagre's ordering step is replaced (its `customOrder` hook) by the order
 * nodes first appeared in (`FirstSeen`), and dagre aligns them up-left, so a new container goes
 * below the others and the ones already drawn stay where they were.
 * Pure: text widths are estimated from the monospace font the diagram uses, not measured, so the
 * build lays out exactly as the page does.
 */
import { layout as dagreLayout, graphlib, type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre';
import { FirstSeen, graphNodes, HOST_ID, type Cable, type TopologyGraph, type TopologyNode } from './graph.ts';

/** The diagram's font size (px) and the width of one of its monospace characters at that size. */
export const FONT_PX = 12;
export const CHAR_PX = 7.3;
export const LINE_PX = 16;
/** A cable label's line (its font is 11 px). */
export const CABLE_LINE_PX = 13;
const PAD_X = 10;
const PAD_Y = 8;

export interface NodeBox {
  node: TopologyNode;
  /** Top-left corner and size. */
  x: number;
  y: number;
  width: number;
  height: number;
  title: string;
  lines: string[];
}

export interface CableRoute {
  cable: Cable;
  points: { x: number; y: number }[];
  /** The label's centre. */
  labelX: number;
  labelY: number;
  label: [string, string];
}

export interface HostLink {
  bridge: string;
  points: { x: number; y: number }[];
}

export interface TopologyLayout {
  width: number;
  height: number;
  nodes: NodeBox[];
  cables: CableRoute[];
  /** The host's link to each of its bridges. */
  hostLinks: HostLink[];
}

/** A node's box text: its title and the lines under it. */
export function nodeText(node: TopologyNode): { title: string; lines: string[] } {
  switch (node.kind) {
    case 'host':
      return { title: 'sandbox host', lines: node.interfaces.flatMap((iface) => ipv4(iface.addresses).map((address) => `${iface.name} ${address}`)) };
    case 'bridge':
      return {
        title: node.network,
        lines: [node.bridge, ...(node.subnet ? [node.subnet] : []), ...(node.gateway ? [`gw ${node.gateway}`] : []), ...(node.internal ? ['internal'] : [])],
      };
    case 'container': {
      const lines = [node.image];
      for (const iface of node.interfaces) {
        const addresses = ipv4(iface.addresses);
        lines.push(addresses.length ? `${iface.name} ${addresses.join(' ')}` : iface.name);
      }
      if (!node.running) lines.push('(stopped)');
      return { title: node.name, lines };
    }
  }
}

/** The cable's label, two lines: its host end, then its container end, as `ip addr` prints each. */
export function cableText(cable: Cable): [string, string] {
  return [cable.host.label, `⇄ ${cable.container.label}`];
}

function ipv4(addresses: string[]): string[] {
  return addresses.filter((address) => !address.includes(':'));
}

const textWidth = (text: string): number => Math.ceil(text.length * CHAR_PX);

export function layoutTopology(graph: TopologyGraph, order: FirstSeen = new FirstSeen()): TopologyLayout {
  order.see(graph);
  const g = new graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>({ multigraph: true });
  g.setGraph({ rankdir: 'LR', align: 'UL', nodesep: 18, edgesep: 12, ranksep: 36, marginx: 8, marginy: 8 });
  const nodes = [...graphNodes(graph)].sort((a, b) => order.rank(a.id) - order.rank(b.id));
  const text = new Map(nodes.map((node) => [node.id, nodeText(node)]));
  for (const node of nodes) {
    const { title, lines } = text.get(node.id) as { title: string; lines: string[] };
    const width = Math.max(textWidth(title) + 4, ...lines.map(textWidth)) + 2 * PAD_X;
    g.setNode(node.id, { width: Math.max(width, 96), height: (lines.length + 1) * LINE_PX + 2 * PAD_Y });
  }
  for (const bridge of graph.bridges) g.setEdge(HOST_ID, bridge.id, { minlen: 1, weight: 1 }, `host:${bridge.id}`);
  const cabled = new Set(graph.cables.map((cable) => cable.to));
  for (const cable of graph.cables) {
    g.setEdge(cable.from, cable.to, { minlen: 2, weight: 2, width: Math.max(...cableText(cable).map(textWidth)), height: 2 * CABLE_LINE_PX, labelpos: 'c' }, cable.id);
  }
  // A container with no cable (`--net none`, `--net host`, stopped) still sits in the containers' column.
  for (const container of graph.containers) if (!cabled.has(container.id)) g.setEdge(HOST_ID, container.id, { minlen: 3, weight: 0 }, `place:${container.id}`);
  // Each rank in first-seen order: a node by its own, a cable's bend points by the container it leads to
  // (then by its bridge), so nothing already drawn is pushed aside by what a step adds.
  const key = (id: string, label: NodeLabel): [number, number] => {
    const edge = label.edgeObj;
    return edge ? [order.rank(edge.w), order.rank(edge.v)] : [order.rank(id), -1];
  };
  const customOrder = (layered: graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>) => {
    const ranks = new Map<number, { id: string; key: [number, number] }[]>();
    for (const id of layered.nodes()) {
      const label = layered.node(id);
      if (typeof label.rank !== 'number') continue;
      const column = ranks.get(label.rank) ?? [];
      column.push({ id, key: key(id, label) });
      ranks.set(label.rank, column);
    }
    for (const column of ranks.values()) {
      column.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || (a.id < b.id ? -1 : 1));
      column.forEach(({ id }, i) => (layered.node(id).order = i));
    }
  };
  dagreLayout(g, { customOrder });
  const boxes: NodeBox[] = nodes.map((node) => {
    const label = g.node(node.id);
    const { title, lines } = text.get(node.id) as { title: string; lines: string[] };
    return { node, x: (label.x ?? 0) - label.width / 2, y: (label.y ?? 0) - label.height / 2, width: label.width, height: label.height, title, lines };
  });
  const cables: CableRoute[] = graph.cables.map((cable) => {
    const edge = g.edge(cable.from, cable.to, cable.id);
    return { cable, points: edge.points ?? [], labelX: edge.x ?? 0, labelY: edge.y ?? 0, label: cableText(cable) };
  });
  const hostLinks = graph.bridges.map((bridge) => ({ bridge: bridge.id, points: g.edge(HOST_ID, bridge.id, `host:${bridge.id}`).points ?? [] }));
  const { width = 0, height = 0 } = g.graph();
  return { width: Math.ceil(width), height: Math.ceil(height), nodes: boxes, cables, hostLinks };
}
