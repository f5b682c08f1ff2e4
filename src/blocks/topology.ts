/**
 * The Network view in the static site: under each runnable block whose stored snapshot
 * (`content/recordings/<slug>/<block-id>.topology.json`, written by the doc-tests beside the
 * block's recording) differs from the one before it on the page, the diagram as it was after that
 * block: inline SVG and a table, folded in a <details>, with no JavaScript. What the block added or
 * changed is highlighted, what it removed is said. Both locales share the snapshots, as they share
 * recordings (src/blocks/recordings.ts reads them and decides which folder; the index entry's
 * `topology` says which blocks have one stored).
 */
import { existsSync, statSync } from 'node:fs';
import { fromHtml } from 'hast-util-from-html';
import type { Element } from '@astrojs/starlight/expressive-code/hast';
import type { TopologySnapshot } from '../protocol/topology.ts';
import { uiString } from '../components/lab-strings.ts';
import { deriveGraph, diffGraphs, FirstSeen, isEmptyDiff, type TopologyGraph } from '../topology/graph.ts';
import { layoutTopology } from '../topology/layout.ts';
import { escapeHtml, renderChanges, renderSvg, renderTable, topologyWords } from '../topology/render.ts';
import { locatePage, readIndex, readTopologyFile, recordingsFolder, topologyFile } from './recordings.ts';

/** Snapshots read once per build (each block's diagram needs the ones before it) and again when they change. */
const snapshotCache = new Map<string, TopologySnapshot | null>();

function storedSnapshot(folder: string, id: string): TopologySnapshot | null {
  const file = topologyFile(folder, id);
  if (!existsSync(file)) return null;
  const key = `${file}:${statSync(file).mtimeMs}`;
  if (!snapshotCache.has(key)) snapshotCache.set(key, readTopologyFile(file));
  return snapshotCache.get(key) ?? null;
}

/** A page's snapshots in block order, from the folder its recordings come from. */
function pageSnapshots(file: string, id: string): { id: string; snapshot: TopologySnapshot }[] | null {
  const page = locatePage(file);
  if (!page) return null;
  const folders = page.locale ? [recordingsFolder(page.root, page.slug, page.locale), recordingsFolder(page.root, page.slug)] : [recordingsFolder(page.root, page.slug)];
  for (const folder of folders) {
    const index = readIndex(folder);
    if (!index || !(id in index.blocks)) continue;
    return Object.entries(index.blocks).flatMap(([block, entry]) => {
      const snapshot = entry.topology === 'stored' ? storedSnapshot(folder, block) : null;
      return snapshot ? [{ id: block, snapshot }] : [];
    });
  }
  return null;
}

export interface StaticTopology {
  graph: TopologyGraph;
  html: string;
}

/**
 * The diagram under block `id`, as HTML; null when the block has no snapshot or its network is the
 * same as after the block before (the first snapshot of a page is always shown: it is the start).
 */
export function staticTopologyHtml(snapshots: { id: string; snapshot: TopologySnapshot }[], id: string, locale: string | undefined): StaticTopology | null {
  const at = snapshots.findIndex((entry) => entry.id === id);
  if (at < 0) return null;
  // Nodes keep the order they first appeared in on the page, so the diagrams down the page agree.
  const order = new FirstSeen();
  let previous: TopologyGraph | null = null;
  for (const entry of snapshots.slice(0, at)) {
    previous = deriveGraph(entry.snapshot);
    order.see(previous);
  }
  const graph = deriveGraph((snapshots[at] as { snapshot: TopologySnapshot }).snapshot);
  const diff = diffGraphs(previous, graph);
  if (previous && isEmptyDiff(diff)) return null;
  const words = topologyWords((key, values) => uiString(locale, key, values));
  const layout = layoutTopology(graph, order);
  const summary = uiString(locale, 'lab.topology.summary');
  const html =
    `<details class="lab-topology not-content" data-lab-topology="${escapeHtml(id)}"><summary>${escapeHtml(summary)}</summary>` +
    `<div class="topo-view">${renderChanges(graph, diff, words)}<div class="topo-scroll">${renderSvg(graph, layout, diff, words, { interactive: false })}</div>` +
    `${renderTable(graph, diff, words)}</div></details>`;
  return { graph, html };
}

/** The diagram under block `id` of the page at `file`, as hast for the code block's group; null when none is due. */
export function renderStoredTopology(file: string, id: string, locale: string | undefined): Element | null {
  const snapshots = pageSnapshots(file, id);
  if (!snapshots) return null;
  const shown = staticTopologyHtml(snapshots, id, locale);
  if (!shown) return null;
  const root = fromHtml(shown.html, { fragment: true });
  const element = root.children.find((child) => child.type === 'element');
  return (element as Element | undefined) ?? null;
}
