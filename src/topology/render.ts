/**
 * The Network view as markup: the diagram as SVG, the same network as a table, a node's details
 * and what a snapshot removed. Strings of HTML, escaped here, so one renderer serves the live panel
 * (which sets them into the dock) and the build (which parses them into the page): no DOM needed.
 * Names and addresses are real text (SVG <text>, table cells), so the site's search indexes them
 * and a reader can copy them.
 */
import { graphNodes, nodeName, type TopologyDiff, type TopologyGraph } from './graph.ts';
import { CABLE_LINE_PX, CHAR_PX, FONT_PX, LINE_PX, type TopologyLayout } from './layout.ts';

/** What the view says, in the page's language (`lab.topology.*`, src/content/i18n). */
export interface TopologyWords {
  diagramLabel: (bridges: number, containers: number) => string;
  tableCaption: string;
  columns: { network: string; container: string; iface: string; address: string; peer: string };
  host: string;
  added: string;
  changed: string;
  removed: (names: string) => string;
  trimmed: (count: number) => string;
  details: { image: string; state: string; running: string; stopped: string; networks: string; links: string; subnet: string; gateway: string; bridge: string; mac: string; cable: string };
}

/** The words from the site's strings by key (`lab.topology.table.caption`), `{{name}}` filled by `format`. */
export function topologyWords(get: (key: string, values?: Record<string, string | number>) => string): TopologyWords {
  const k = (key: string) => get(`lab.topology.${key}`);
  return {
    diagramLabel: (bridges, containers) => get('lab.topology.diagramLabel', { bridges, containers }),
    tableCaption: k('table.caption'),
    columns: { network: k('table.network'), container: k('table.container'), iface: k('table.interface'), address: k('table.address'), peer: k('table.peer') },
    host: k('host'),
    added: k('added'),
    changed: k('changed'),
    removed: (names) => get('lab.topology.removed', { names }),
    trimmed: (count) => get('lab.topology.trimmed', { count }),
    details: {
      image: k('details.image'),
      state: k('details.state'),
      running: k('details.running'),
      stopped: k('details.stopped'),
      networks: k('details.networks'),
      links: k('details.links'),
      subnet: k('details.subnet'),
      gateway: k('details.gateway'),
      bridge: k('details.bridge'),
      mac: k('details.mac'),
      cable: k('details.cable'),
    },
  };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}
const e = escapeHtml;

function mark(id: string, diff: TopologyDiff): string {
  if (diff.added.has(id)) return ' is-added';
  if (diff.changed.has(id)) return ' is-changed';
  return '';
}

const path = (points: { x: number; y: number }[]): string => points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');

export interface SvgOptions {
  /** Nodes are focusable buttons (the live panel); the static page's diagram is a picture. */
  interactive: boolean;
}

/** The diagram. Colours come from the stylesheet (TOPOLOGY_STYLES), so it follows the site's theme. */
export function renderSvg(graph: TopologyGraph, layout: TopologyLayout, diff: TopologyDiff, words: TopologyWords, options: SvgOptions): string {
  const label = words.diagramLabel(graph.bridges.length, graph.containers.length);
  const parts: string[] = [];
  const role = options.interactive ? 'role="group"' : 'role="img"';
  // Scaled down to fit, but not below a size its text can be read at: past that, its box scrolls.
  const floor = `style="min-width:min(${layout.width}px,28rem)"`;
  parts.push(
    `<svg class="topo-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${layout.width} ${layout.height}" width="${layout.width}" height="${layout.height}" ${floor} ${role} aria-label="${e(label)}" font-size="${FONT_PX}">`,
  );
  for (const link of layout.hostLinks) parts.push(`<path class="topo-hostlink" d="${path(link.points)}"/>`);
  for (const route of layout.cables) {
    const { cable } = route;
    const half = (Math.max(...route.label.map((line) => line.length)) * CHAR_PX * (11 / FONT_PX)) / 2 + 4;
    const [hostEnd, containerEnd] = route.label;
    parts.push(
      `<g class="topo-cable${mark(cable.id, diff)}" data-cable="${e(cable.id)}" data-network="${e(cable.network)}">`,
      `<path d="${path(route.points)}"/>`,
      `<rect class="topo-cable-label-bg" x="${(route.labelX - half).toFixed(1)}" y="${(route.labelY - CABLE_LINE_PX).toFixed(1)}" width="${(2 * half).toFixed(1)}" height="${2 * CABLE_LINE_PX}" rx="3"/>`,
      `<text x="${route.labelX.toFixed(1)}" y="${(route.labelY - 3).toFixed(1)}" text-anchor="middle">${e(hostEnd)} </text>`,
      `<text x="${route.labelX.toFixed(1)}" y="${(route.labelY + 10).toFixed(1)}" text-anchor="middle">${e(containerEnd)}</text>`,
      `</g>`,
    );
  }
  for (const box of layout.nodes) {
    const { node } = box;
    // Its accessible name is its visible text, in order (WCAG 2.5.3, label in name); each line ends
    // in a space so that the lines' text, read together, is the same words.
    const title = node.kind === 'host' ? words.host : box.title;
    const focus = options.interactive ? ` tabindex="0" role="button" aria-label="${e([title, ...box.lines].join(' '))}"` : '';
    parts.push(
      `<g class="topo-node topo-${node.kind}${mark(node.id, diff)}" data-node="${e(node.id)}" data-name="${e(nodeName(node))}"${focus}>`,
      `<rect x="${box.x.toFixed(1)}" y="${box.y.toFixed(1)}" width="${box.width.toFixed(1)}" height="${box.height.toFixed(1)}" rx="6"/>`,
      `<text class="topo-title" x="${(box.x + 10).toFixed(1)}" y="${(box.y + 8 + 12).toFixed(1)}">${e(title)} </text>`,
      ...box.lines.map((line, i) => `<text x="${(box.x + 10).toFixed(1)}" y="${(box.y + 8 + 12 + (i + 1) * LINE_PX).toFixed(1)}">${e(line)} </text>`),
      `</g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/** The network as rows: one per bridge, one per container interface (network, container, interface, address, peer). */
export function tableRows(graph: TopologyGraph, words: TopologyWords): { id: string; cells: [string, string, string, string, string] }[] {
  const rows: { id: string; cells: [string, string, string, string, string] }[] = [];
  for (const bridge of graph.bridges) {
    rows.push({ id: bridge.id, cells: [bridge.network, words.host, bridge.bridge, [bridge.subnet, bridge.gateway && `${words.details.gateway} ${bridge.gateway}`].filter(Boolean).join(', '), ''] });
  }
  for (const container of graph.containers) {
    if (container.interfaces.length === 0) {
      rows.push({ id: container.id, cells: [container.networks.join(', '), container.name, '', '', ''] });
      continue;
    }
    for (const iface of container.interfaces) {
      const cable = graph.cables.find((c) => c.to === container.id && c.container.name === iface.name);
      rows.push({
        id: cable?.id ?? container.id,
        cells: [cable?.network ?? '', container.name, `${iface.ifindex}: ${iface.label}`, iface.addresses.join(' '), cable ? `${cable.host.label} (${graph.bridges.find((b) => b.id === cable.from)?.bridge ?? ''})` : ''],
      });
    }
  }
  for (const other of graph.otherNetworks) for (const name of other.containers) rows.push({ id: `other:${other.network}:${name}`, cells: [other.network, name, '', '', ''] });
  return rows;
}

export function renderTable(graph: TopologyGraph, diff: TopologyDiff, words: TopologyWords): string {
  const c = words.columns;
  const head = [c.network, c.container, c.iface, c.address, c.peer].map((name) => `<th scope="col">${e(name)}</th>`).join('');
  const body = tableRows(graph, words)
    .map(({ id, cells }) => `<tr class="${mark(id, diff).trim()}" data-row="${e(id)}">${cells.map((cell) => `<td>${e(cell)}</td>`).join('')}</tr>`)
    .join('');
  return `<table class="topo-table"><caption>${e(words.tableCaption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** What the snapshot no longer has, and what was trimmed, as a paragraph (empty when nothing). */
export function renderChanges(graph: TopologyGraph, diff: TopologyDiff, words: TopologyWords): string {
  const lines: string[] = [];
  if (diff.removed.length) lines.push(`<p class="topo-removed">${e(words.removed(diff.removed.map((item) => item.name).join(', ')))}</p>`);
  if (graph.trimmed > 0) lines.push(`<p class="topo-trimmed">${e(words.trimmed(graph.trimmed))}</p>`);
  const keys = [
    ...(diff.added.size ? [`<span class="topo-key is-added"></span>${e(words.added)}`] : []),
    ...(diff.changed.size ? [`<span class="topo-key is-changed"></span>${e(words.changed)}`] : []),
  ];
  if (keys.length) lines.push(`<p class="topo-legend">${keys.join(' ')}</p>`);
  return lines.join('');
}

/** A node's details, as a definition list. */
export function renderDetails(graph: TopologyGraph, id: string, words: TopologyWords): string {
  const node = graphNodes(graph).find((n) => n.id === id);
  if (!node) return '';
  const d = words.details;
  const rows: [string, string][] = [];
  if (node.kind === 'container') {
    rows.push([d.image, node.image], [d.state, node.running ? d.running : d.stopped], [d.networks, node.networks.join(', ')]);
    if (node.links.length) rows.push([d.links, node.links.join(', ')]);
    for (const iface of node.interfaces) {
      rows.push([`${iface.ifindex}: ${iface.label}`, [...iface.addresses, iface.mac && `${d.mac} ${iface.mac}`].filter(Boolean).join(' · ')]);
      const cable = graph.cables.find((c) => c.to === node.id && c.container.name === iface.name);
      if (cable) rows.push([d.cable, `${cable.host.label} → ${cable.network}`]);
    }
  } else if (node.kind === 'bridge') {
    rows.push([d.bridge, node.bridge], [d.subnet, node.subnet ?? ''], [d.gateway, node.gateway ?? '']);
    for (const cable of graph.cables.filter((c) => c.from === node.id)) rows.push([cable.host.label, `⇄ ${cable.container.label} (${cable.to.slice(4)})`]);
  } else {
    for (const iface of node.interfaces) rows.push([iface.name, iface.addresses.join(' ')]);
  }
  const title = node.kind === 'host' ? words.host : nodeName(node);
  return `<h3>${e(title)}</h3><dl>${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join('')}</dl>`;
}
