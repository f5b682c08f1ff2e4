/**
 * `<lab-terminal>`: the eager part of the lab terminal, the only terminal code in the page's
 * initial JavaScript. It runs the dock (collapse, resize), finds out whether a runner can be
 * reached at all (offline mode), and keeps the placeholder until the reader starts the terminal
 * (a click, a key while it has focus, a Run button) or the tab already holds a session (a reload).
 * Then it loads xterm and the connection (`./lab-terminal.ts`) and hands the panel over.
 *
 * Its methods are the terminal's API for the rest of the page (the blocks' Run buttons) and for
 * tests: `start()`, `terminal(name)`, `reveal(name)`, `run(command)`, `input(data)`, `reset()`,
 * `text(name)`, `showNetwork(open)` (the Network view, src/topology/network-panel.ts, loaded on
 * first open). It dispatches `lab-state`, `lab-mark`, `lab-session` and `lab-tab` events (see
 * LabTerminalEventMap).
 */
import { DisposableStore, MutableDisposable, toDisposable } from '../common/lifecycle.ts';
import { listen, timeout } from './dom-lifecycle.ts';
import { EarlySocket } from './early-socket.ts';
import type { LabTerminalController, LabTerminalEventMap, PanelParts, PanelState } from './lab-terminal.ts';
import { captureToken, PageMemory, readDockLayout, readLearner, readScreenReaderMode, readToken, runnerUrl, writeDockLayout, writeScreenReaderMode } from './lab-storage.ts';
import type { UiStrings } from './strings.ts';
import type { BlockTerminal } from './terminal-api.ts';
import type { NetworkPanel } from '../topology/network-panel.ts';

/** How long the reachability check waits for the runner before calling the page offline. */
const PROBE_TIMEOUT_MS = 8_000;
/**
 * After a failed check, the page checks again by itself, this long after the first failure and
 * twice as long after each next one, up to the last: a runner that was busy or restarting for a
 * moment brings the page back without the reader pressing Try again. The first retries come
 * soon: on a browser that runs on the Docker host itself, Chromium aborts connections being opened
 * with ERR_NETWORK_CHANGED whenever the engine adds or removes a veth interface (a sandbox
 * starting or going), which fails a check for no fault of the runner's.
 */
const RECHECK_DELAYS_MS = [500, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000] as const;
/** The dock's terminal area: never smaller than this, never more than this share of the viewport. */
const MIN_HEIGHT_PX = 140;
const MAX_HEIGHT_SHARE = 0.85;
/** Arrow keys on the resize handle move it by this much. */
const RESIZE_STEP_PX = 40;
/**
 * A cell of the terminal's monospace font, as a share of its size (view.ts: 14 px, 12 px on a
 * narrow viewport, line height 1.15): the early hello's guess at the size, which the terminal
 * corrects once it has measured itself.
 */
const CELL = { width: 0.6, height: 1.15 } as const;
const NARROW_VIEWPORT = '(max-width: 40rem)';

export class LabTerminalElement extends HTMLElement {
  #controller: LabTerminalController | null = null;
  #starting: Promise<LabTerminalController> | null = null;
  /** The dock's own listeners, while the element is in the document. */
  readonly #wiring = new MutableDisposable<DisposableStore>();
  /** The reachability check under way: its socket, timer and listeners. */
  readonly #probe = new MutableDisposable<DisposableStore>();
  /** The next check after a failed one, and how many failed in a row. */
  readonly #recheck = new MutableDisposable();
  #failedChecks = 0;
  /** The main terminal's early socket, until the connection takes it (then disposing it does nothing to the socket). */
  readonly #early = new MutableDisposable<EarlySocket>();
  /** The Network view, once it was first opened (its code is a chunk of its own). */
  #network: Promise<NetworkPanel> | null = null;
  #networkPanel: NetworkPanel | null = null;

  connectedCallback(): void {
    // The Head script normally took it already; a page opened on this URL must not depend on order.
    captureToken(location, history);
    if (!this.#wiring.value) this.#wire();
    // A workshop learner's page connects at once: it reports where they read, shows their progress.
    if (this.memory.session || readLearner()) this.#startFromPanel(false);
    else this.recheck();
  }

  disconnectedCallback(): void {
    this.#probe.clear();
    this.#recheck.clear();
    this.#early.clear();
    this.#wiring.clear();
    this.#networkPanel?.dispose();
    this.#networkPanel = null;
    this.#network = null;
    this.#controller?.dispose();
    this.#controller = null;
    this.#starting = null;
  }

  /** What this tab remembers about the page's session (shared with the blocks' Run buttons). */
  get memory(): PageMemory {
    return new PageMemory(this.#url, location.pathname);
  }

  /** True when the page knows it cannot reach a runner (no token, none answers, or it went away). */
  get offline(): boolean {
    const { state, failure } = this.dataset;
    return state === 'offline' || (state === 'error' && (failure === 'unreachable' || failure === 'lost'));
  }

  /** Loads the terminal and connects; resolves once it is mounted (not yet live). Idempotent. */
  start({ focus = true }: { focus?: boolean } = {}): Promise<LabTerminalController> {
    this.#starting ??= this.#load(focus);
    return this.#starting;
  }

  /**
   * The terminal `name` of the page's session for a block to run in, starting the lab if need be
   * (and connecting again if the session ended), with its tab shown and the dock open.
   */
  async terminal(name: string): Promise<BlockTerminal> {
    const controller = await this.start({ focus: false });
    controller.reconnect();
    const terminal = controller.terminal(name);
    this.reveal(name);
    return terminal;
  }

  /** Opens the dock on terminal `name`'s tab. */
  reveal(name?: string): void {
    this.#setCollapsed(false, false);
    if (name) this.#controller?.show(name);
  }

  /**
   * Types `command` into the main shell and presses Enter once it shows a prompt, starting the
   * terminal if need be. Resolves when the command is queued, not when it ran: watch `lab-mark`.
   */
  async run(command: string): Promise<void> {
    (await this.start()).run(command);
  }

  /** Sends raw input to the main shell, starting the terminal if need be. */
  async input(data: string): Promise<void> {
    (await this.start()).input(data);
  }

  /** Throws the sandbox away and starts a new one. */
  async reset(): Promise<void> {
    (await this.start()).reset();
  }

  /** A terminal's text (the main one's by default), screen and scrollback; empty before it started. */
  text(name?: string): string {
    return this.#controller?.text(name) ?? '';
  }

  /**
   * Opens (or closes) the dock's Network view: a diagram of the sandbox's network, redrawn after
   * each command. Opening it starts the terminal if need be (the diagram is of its sandbox).
   */
  showNetwork(open = true): void {
    const section = this.#part('network');
    this.#part('network-toggle').setAttribute('aria-expanded', String(open));
    section.hidden = !open;
    if (!open) {
      delete this.dataset.network;
      this.#networkPanel?.stop();
      return;
    }
    this.dataset.network = '';
    this.#setCollapsed(false, false);
    this.#network ??= this.#loadNetwork();
    this.#network.then((panel) => {
      if (this.dataset.network !== undefined) panel.start();
    }, () => {
      // #loadNetwork said so in the view; opening it again tries again.
    });
  }

  async #loadNetwork(): Promise<NetworkPanel> {
    const status = this.#part('network-status');
    const strings = this.#uiStrings();
    if (!this.#controller) {
      status.textContent = strings['lab.topology.notStarted'] ?? '';
      status.hidden = false;
    }
    try {
      const [module, controller] = await Promise.all([import('../topology/network-panel.ts'), this.start({ focus: false })]);
      this.#networkPanel = module.mountNetworkPanel({ status, view: this.#part('network-view') }, strings, controller);
      return this.#networkPanel;
    } catch (error) {
      this.#network = null;
      status.textContent = this.dataset.textLoadFailed ?? '';
      status.hidden = false;
      throw error;
    }
  }

  #uiStrings(): UiStrings {
    return JSON.parse(this.querySelector('script[data-lab-terminal-strings]')?.textContent ?? '{}') as UiStrings;
  }

  /** Finds out again whether a runner answers (the offline notices' buttons). */
  recheck(): void {
    if (this.#starting) {
      // The terminal is loaded: it connects again, and its state says how that went.
      void this.#starting.then((controller) => controller.reconnect(), () => this.#startFromPanel(false));
      return;
    }
    this.#probe.clear();
    const token = readToken();
    if (!token || location.protocol === 'file:') return this.#setOffline(true);
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.#url, [this.dataset.subprotocol ?? '', `${this.dataset.tokenPrefix ?? ''}${token}`]);
    } catch {
      return this.#setOffline(true); // a malformed runner URL or token
    }
    // Opening the socket passes the runner's Host, Origin and token checks; it is closed before
    // any hello, so no session (and no sandbox) is made for it.
    const probe = new DisposableStore();
    this.#probe.value = probe;
    probe.add(toDisposable(() => socket.close()));
    let opened = false;
    probe.add(timeout(PROBE_TIMEOUT_MS, () => socket.close()));
    probe.add(listen(socket, 'open', () => {
      opened = true;
      socket.close(1000);
      if (this.#probe.value !== probe) return;
      this.#failedChecks = 0;
      this.#recheck.clear();
      this.#setOffline(false);
    }));
    probe.add(listen(socket, 'close', () => {
      if (this.#probe.value !== probe) return;
      this.#probe.clear();
      if (opened) return;
      this.#setOffline(true);
      const delay = RECHECK_DELAYS_MS[Math.min(this.#failedChecks, RECHECK_DELAYS_MS.length - 1)] ?? 30_000;
      this.#failedChecks += 1;
      this.#recheck.value = timeout(delay, () => {
        if (!this.#starting && this.isConnected) this.recheck();
      });
    }));
  }

  #wire(): void {
    const wiring = new DisposableStore();
    this.#wiring.value = wiring;
    const start = this.querySelector<HTMLElement>('[data-action="start"]');
    if (start) wiring.add(listen(start, 'click', () => this.#startFromPanel(true)));
    const toggle = this.querySelector<HTMLElement>('[data-action="toggle"]');
    if (toggle) wiring.add(listen(toggle, 'click', () => this.#setCollapsed(this.dataset.collapsed === undefined, true)));
    const network = this.#part('network-toggle');
    wiring.add(listen(network, 'click', () => this.showNetwork(this.dataset.network === undefined)));
    // A press keeps focus where it was: the reader goes on typing with the diagram beside, and the
    // terminal's keys hint (shown while it has focus) does not vanish under the pointer mid-click,
    // moving the bar so that the release lands elsewhere and the click is lost.
    wiring.add(listen(network, 'mousedown', (event: MouseEvent) => event.preventDefault()));
    // Until the terminal module takes the notice over, its button is the offline notice's "Try again".
    wiring.add(listen(this.#part('notice-action'), 'click', () => {
      if (!this.#starting) this.recheck();
    }));
    const screen = this.#part('screen');
    wiring.add(listen(screen, 'keydown', (event: KeyboardEvent) => {
      if (this.#controller || this.#starting || event.target !== screen) return;
      if (event.key === 'Enter' || event.key === ' ' || (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey)) {
        event.preventDefault();
        this.#startFromPanel(true);
      }
    }));
    this.#wireResize(wiring);
    // Screen reader mode: remembered for the site, applied now if the terminal runs, else when it starts.
    const reader = this.#part('screen-reader');
    reader.setAttribute('aria-pressed', String(readScreenReaderMode()));
    wiring.add(listen(reader, 'click', () => {
      const on = reader.getAttribute('aria-pressed') !== 'true';
      reader.setAttribute('aria-pressed', String(on));
      writeScreenReaderMode(on);
      this.#controller?.setScreenReaderMode(on);
    }));
    const layout = readDockLayout();
    if (layout.height !== null) this.#setHeight(layout.height, false);
    // A page of runnable blocks opens with the dock folded to its bar, until something runs.
    const folded = this.dataset.startFolded !== undefined && !this.memory.session;
    this.#setCollapsed(folded || (layout.collapsed ?? false), false);
    this.#syncResizer();
  }

  /** The handle is a focusable separator: its value is the terminal's height now (ARIA requires one). */
  #syncResizer(): void {
    const handle = this.#part('resizer');
    const height = Math.round(this.#part('screen').getBoundingClientRect().height);
    if (height > 0) handle.setAttribute('aria-valuenow', String(height));
    else if (!handle.hasAttribute('aria-valuenow')) handle.setAttribute('aria-valuenow', String(MIN_HEIGHT_PX));
    handle.setAttribute('aria-valuemax', String(Math.max(MIN_HEIGHT_PX, Math.round(innerHeight * MAX_HEIGHT_SHARE))));
  }

  /** The handle above the dock: drag it, or focus it and use the arrow keys. */
  #wireResize(wiring: DisposableStore): void {
    const handle = this.#part('resizer');
    let from: { y: number; height: number } | null = null;
    wiring.add(listen(handle, 'pointerdown', (event: PointerEvent) => {
      if (event.button !== 0) return;
      event.preventDefault();
      handle.setPointerCapture(event.pointerId);
      from = { y: event.clientY, height: this.#part('body').getBoundingClientRect().height };
      this.#setCollapsed(false, false);
      this.dataset.resizing = '';
    }));
    wiring.add(listen(handle, 'pointermove', (event: PointerEvent) => {
      if (from) this.#setHeight(from.height + from.y - event.clientY, false);
    }));
    const end = () => {
      if (!from) return;
      from = null;
      delete this.dataset.resizing;
      this.#saveLayout();
    };
    wiring.add(listen(handle, 'pointerup', end));
    wiring.add(listen(handle, 'pointercancel', end));
    wiring.add(listen(handle, 'keydown', (event: KeyboardEvent) => {
      const step = { ArrowUp: RESIZE_STEP_PX, ArrowDown: -RESIZE_STEP_PX }[event.key];
      if (step === undefined) return;
      event.preventDefault();
      this.#setCollapsed(false, false);
      this.#setHeight(this.#part('body').getBoundingClientRect().height + step, true);
    }));
  }

  #setHeight(px: number, save: boolean): void {
    const max = Math.max(MIN_HEIGHT_PX, Math.round(innerHeight * MAX_HEIGHT_SHARE));
    const height = Math.round(Math.min(max, Math.max(MIN_HEIGHT_PX, px)));
    this.style.setProperty('--lab-dock-height', `${height}px`);
    const handle = this.#part('resizer');
    handle.setAttribute('aria-valuenow', String(height));
    handle.setAttribute('aria-valuemax', String(max));
    if (save) this.#saveLayout();
  }

  #setCollapsed(collapsed: boolean, save: boolean): void {
    if (collapsed) this.dataset.collapsed = '';
    else delete this.dataset.collapsed;
    const toggle = this.querySelector<HTMLElement>('[data-action="toggle"]');
    toggle?.setAttribute('aria-expanded', String(!collapsed));
    const label = collapsed ? this.dataset.textExpand : this.dataset.textCollapse;
    if (toggle && label) toggle.title = label;
    if (!collapsed && this.#wiring.value) this.#syncResizer();
    if (save) this.#saveLayout();
  }

  #saveLayout(): void {
    const height = parseFloat(this.style.getPropertyValue('--lab-dock-height'));
    writeDockLayout({ height: Number.isFinite(height) ? height : null, collapsed: this.dataset.collapsed !== undefined });
  }

  #startFromPanel(focus: boolean): void {
    if (focus) this.#setCollapsed(false, false);
    this.start({ focus }).catch(() => {
      // The panel already says the terminal could not be loaded; nobody else is waiting on it.
    });
  }

  get #url(): string {
    return runnerUrl(this.dataset.runner ?? '', this.dataset.wsPath ?? '', location);
  }

  /**
   * The main terminal's socket, opened now, with its hello, so the sandbox boots while xterm
   * loads; null when there is nothing to connect to (the connection then says why).
   */
  #earlySocket(): EarlySocket | null {
    const token = readToken();
    if (!token || location.protocol === 'file:') return null;
    const screen = this.#part('screen');
    const font = matchMedia(NARROW_VIEWPORT).matches ? 12 : 14;
    const cols = Math.floor(screen.clientWidth / (font * CELL.width)) || 80;
    const rows = Math.floor(screen.clientHeight / (font * CELL.height)) || 24;
    try {
      return new EarlySocket({ url: this.#url, token, sessionId: this.memory.session, size: { cols, rows } });
    } catch {
      return null; // a malformed runner URL or token: the connection meets it again and says so
    }
  }

  async #load(focus: boolean): Promise<LabTerminalController> {
    this.#probe.clear();
    this.#setState('connecting', this.dataset.textLoading ?? '');
    this.#part('notice').hidden = true;
    this.#part('placeholder').hidden = true;
    this.#part('screen').removeAttribute('tabindex');
    const early = this.#earlySocket();
    this.#early.value = early ?? undefined;
    let module: typeof import('./lab-terminal.ts');
    try {
      module = await import('./lab-terminal.ts');
    } catch (error) {
      this.#early.clear();
      this.#setState('error', this.dataset.textLoadFailed ?? '');
      this.#part('status-short').textContent = this.dataset.textLoadFailed ?? '';
      this.#starting = null;
      throw error;
    }
    this.#controller = module.mountTerminal(this.#parts(), {
      strings: this.#uiStrings(),
      url: this.#url,
      token: readToken,
      memory: this.memory,
      focus,
      screenReaderMode: readScreenReaderMode(),
      ...(early ? { early: () => early.take() } : {}),
    });
    return this.#controller;
  }

  #setOffline(offline: boolean): void {
    if (this.#controller || this.#starting) return;
    const notice = this.#part('notice');
    if (offline) {
      this.#setState('offline', this.dataset.textOffline ?? '');
      this.#part('notice-text').textContent = '';
      this.#part('notice-text').append(...richText(this.dataset.textOfflineNotice ?? ''));
      this.#part('notice-action').textContent = this.dataset.textRetry ?? '';
      notice.hidden = false;
    } else if (this.dataset.state === 'offline') {
      this.#setState('idle', this.dataset.textIdle ?? '');
      notice.hidden = true;
    }
  }

  /** Until the terminal module takes over the panel. */
  #setState(state: PanelState, status: string): void {
    const failure = state === 'offline' ? 'unreachable' : null;
    if (this.dataset.state === state) return;
    this.dataset.state = state;
    delete this.dataset.failure;
    this.#part('status').textContent = status;
    this.#part('status-short').textContent = '';
    this.dispatchEvent(new CustomEvent('lab-state', { detail: { state, failure }, bubbles: true }));
  }

  #parts(): PanelParts {
    return {
      root: this,
      screen: this.#part('screen'),
      xterm: this.#part('xterm'),
      tabs: this.#part('tabs'),
      status: this.#part('status'),
      statusShort: this.#part('status-short'),
      reset: this.#part('reset') as HTMLButtonElement,
      notice: this.#part('notice'),
      noticeText: this.#part('notice-text'),
      noticeAction: this.#part('notice-action') as HTMLButtonElement,
      announce: this.#part('announce'),
      keysHint: this.#part('keys-hint'),
    };
  }

  #part(name: string): HTMLElement {
    const element = this.querySelector<HTMLElement>(`[data-part="${name}"]`);
    if (!element) throw new Error(`<lab-terminal> is missing its [data-part="${name}"] element`);
    return element;
  }
}

/** Text in which `backticks` mark code, as nodes. */
function richText(text: string): Node[] {
  return text.split('`').map((part, i) => {
    if (i % 2 === 0) return document.createTextNode(part);
    const code = document.createElement('code');
    code.textContent = part;
    return code;
  });
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-terminal': LabTerminalElement;
  }
  interface HTMLElementEventMap {
    'lab-state': LabTerminalEventMap['lab-state'];
    'lab-mark': LabTerminalEventMap['lab-mark'];
    'lab-session': LabTerminalEventMap['lab-session'];
    'lab-tab': LabTerminalEventMap['lab-tab'];
    'lab-block-end': LabTerminalEventMap['lab-block-end'];
  }
}

if (!customElements.get('lab-terminal')) customElements.define('lab-terminal', LabTerminalElement);
