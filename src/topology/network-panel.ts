/**
 * The dock's Network view, live: the reader's own sandbox as a diagram, redrawn on each `topology`
 * message, with what changed since the snapshot before highlighted, a node's details on selecting
 * it, the same network as a table, and a collector's failure said here (never in the terminal).
 * Loaded the first time the reader opens the view (a chunk of its own, with dagre).
 *
 * Keyboard: every box is a button (Tab reaches it, Enter or Space selects it); the arrow keys move
 * between boxes too. Focus and selection survive a redraw.
 */
import { DisposableStore, toDisposable, type Disposable } from '../common/lifecycle.ts';
import type { TopologySnapshot } from '../protocol/topology.ts';
import { addStylesheetOnce, listen } from '../terminal/dom-lifecycle.ts';
import { format, type UiStrings } from '../terminal/strings.ts';
import { deriveGraph, diffGraphs, FirstSeen, NO_CHANGES, type TopologyDiff, type TopologyGraph } from './graph.ts';
import { layoutTopology } from './layout.ts';
import { escapeHtml, renderChanges, renderDetails, renderSvg, renderTable, topologyWords, type TopologyWords } from './render.ts';
import { TOPOLOGY_STYLES } from './styles.ts';

/** Where the snapshots come from: the page's main connection (LabTerminalController.watchTopology). */
export interface TopologySource {
  watchTopology(listener: { snapshot(snapshot: TopologySnapshot, n: number): void; failed(message: string): void }): Disposable;
}

export interface NetworkPanelParts {
  /** Says what the view is waiting for, or what failed (a polite live region). */
  status: HTMLElement;
  /** Receives the diagram, the details and the table. */
  view: HTMLElement;
}

export class NetworkPanel {
  readonly #parts: NetworkPanelParts;
  readonly #strings: UiStrings;
  readonly #words: TopologyWords;
  readonly #source: TopologySource;
  readonly #store = new DisposableStore();
  readonly #order = new FirstSeen();
  #watch: Disposable | null = null;
  #graph: TopologyGraph | null = null;
  #diff: TopologyDiff = NO_CHANGES;
  #selected: string | null = null;
  #tableOpen = false;
  /** The number of the snapshot drawn (the runner counts them per socket). */
  #n = 0;

  constructor(parts: NetworkPanelParts, strings: UiStrings, source: TopologySource) {
    this.#parts = parts;
    this.#strings = strings;
    this.#source = source;
    this.#words = topologyWords((key, values) => this.#t(key, values));
    addStylesheetOnce('topology', TOPOLOGY_STYLES);
    parts.view.classList.add('topo-view');
    this.#store.add(listen(parts.view, 'click', (event) => this.#select(nodeOf(event.target))));
    this.#store.add(listen(parts.view, 'keydown', (event: KeyboardEvent) => this.#key(event)));
    this.#store.add(listen(parts.view, 'toggle', (event) => {
      if ((event.target as HTMLElement).matches('details.topo-table-toggle')) this.#tableOpen = (event.target as HTMLDetailsElement).open;
    }, { capture: true }));
    this.#store.add(toDisposable(() => this.stop()));
    this.#setStatus(this.#t('lab.topology.waiting'));
  }

  /** Starts receiving snapshots (the runner's `watch-topology on`); idempotent. */
  start(): void {
    if (this.#watch || this.#store.isDisposed) return;
    this.#watch = this.#source.watchTopology({
      snapshot: (snapshot, n) => this.#show(snapshot, n),
      failed: (message) => this.#setStatus(this.#t('lab.topology.failed', { message })),
    });
  }

  /** Stops receiving them (`watch-topology off`); what was drawn stays. */
  stop(): void {
    this.#watch?.dispose();
    this.#watch = null;
  }

  dispose(): void {
    this.#store.dispose();
  }

  #t(key: string, values: Record<string, string | number> = {}): string {
    return format(this.#strings[key] ?? key, values);
  }

  #setStatus(text: string): void {
    this.#parts.status.textContent = text;
    this.#parts.status.hidden = text === '';
  }

  #show(snapshot: TopologySnapshot, n: number): void {
    const graph = deriveGraph(snapshot);
    this.#diff = diffGraphs(this.#graph, graph);
    this.#graph = graph;
    this.#n = n;
    this.#setStatus('');
    this.#draw();
  }

  #draw(): void {
    const graph = this.#graph;
    if (!graph) return;
    const view = this.#parts.view;
    const focused = nodeOf(document.activeElement)?.dataset.node ?? null;
    if (this.#selected && !graph.containers.some((c) => c.id === this.#selected) && !graph.bridges.some((b) => b.id === this.#selected) && this.#selected !== 'host') this.#selected = null;
    const layout = layoutTopology(graph, this.#order);
    view.dataset.snapshot = String(this.#n);
    view.innerHTML =
      renderChanges(graph, this.#diff, this.#words) +
      `<div class="topo-scroll">${renderSvg(graph, layout, this.#diff, this.#words, { interactive: true })}</div>` +
      `<p class="topo-hint">${escapeHtml(this.#t('lab.topology.select'))}</p>` +
      `<div class="topo-details" data-part="topology-details" aria-live="polite">${this.#selected ? renderDetails(graph, this.#selected, this.#words) : ''}</div>` +
      `<details class="topo-table-toggle"${this.#tableOpen ? ' open' : ''}><summary>${escapeHtml(this.#t('lab.topology.table.show'))}</summary>${renderTable(graph, this.#diff, this.#words)}</details>`;
    for (const node of view.querySelectorAll<SVGGElement>('[data-node]')) node.setAttribute('aria-pressed', String(node.dataset.node === this.#selected));
    if (focused) view.querySelector<SVGGElement>(`[data-node="${CSS.escape(focused)}"]`)?.focus({ preventScroll: true });
  }

  #select(node: SVGGElement | null): void {
    if (!node || !this.#graph) return;
    const id = node.dataset.node ?? null;
    this.#selected = id === this.#selected ? null : id;
    for (const other of this.#parts.view.querySelectorAll<SVGGElement>('[data-node]')) other.setAttribute('aria-pressed', String(other.dataset.node === this.#selected));
    const details = this.#parts.view.querySelector<HTMLElement>('[data-part="topology-details"]');
    if (details) details.innerHTML = this.#selected ? renderDetails(this.#graph, this.#selected, this.#words) : '';
  }

  #key(event: KeyboardEvent): void {
    const node = nodeOf(event.target);
    if (!node) return;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.#select(node);
      return;
    }
    const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[event.key];
    if (step === undefined) return;
    event.preventDefault();
    const nodes = [...this.#parts.view.querySelectorAll<SVGGElement>('[data-node]')];
    const next = nodes[(nodes.indexOf(node) + step + nodes.length) % nodes.length];
    next?.focus();
  }
}

function nodeOf(target: EventTarget | null): SVGGElement | null {
  return target instanceof Element ? target.closest<SVGGElement>('[data-node]') : null;
}

export function mountNetworkPanel(parts: NetworkPanelParts, strings: UiStrings, source: TopologySource): NetworkPanel {
  return new NetworkPanel(parts, strings, source);
}
