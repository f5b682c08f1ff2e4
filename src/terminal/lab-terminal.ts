/**
 * The lab terminal once it is started (this module and xterm load on demand): the session's
 * terminals as tabs of the dock, and the dock's status line, notice and Reset kept in step with
 * the main terminal, whose session is the page's sandbox.
 *
 * All terminals of a page belong to one session: the main one starts it (or resumes it after a
 * reload); a terminal a block names (`terminal=redis`) joins it with the main one's session id and
 * gets a tab the first time a block targets it. A reload opens the remembered terminals again.
 */
import { DisposableStore, MutableDisposable, toDisposable, type Disposable } from '../common/lifecycle.ts';
import type { ShellMark } from '../protocol/shell-marks.ts';
import type { TopologySnapshot } from '../protocol/topology.ts';
import { listen, timeout } from './dom-lifecycle.ts';
import type { ConnectionState } from './connection.ts';
import type { LearnerPage } from '../workshop/learner/learner-page.ts';
import type { BlockEnd } from '../workshop/learner/outcome.ts';
import type { EarlyHandover } from './early-socket.ts';
import type { PageMemory } from './lab-storage.ts';
import { terminalStrings, type FailureKind, type TerminalStrings, type UiStrings } from './strings.ts';
import type { BlockTerminal } from './terminal-api.ts';
import { LabTerminalTab } from './terminal-tab.ts';

/** The session's first terminal (the protocol's MAIN_TERMINAL, not imported: it would pull in zod). */
const MAIN = 'main';

/** Values of the panel's `data-state` attribute; tests and styles key on them. */
export type PanelState = 'idle' | 'offline' | 'connecting' | 'preparing' | 'queued' | 'live' | 'reconnecting' | 'ended' | 'error';

/** The parts of the panel the component renders (see LabTerminal.astro). */
export interface PanelParts {
  root: HTMLElement;
  /** Holds one terminal host per tab. */
  screen: HTMLElement;
  /** The main terminal's host. */
  xterm: HTMLElement;
  tabs: HTMLElement;
  /** The live region: what is going on, in full. */
  status: HTMLElement;
  /** What the bar shows instead when the notice below the terminal has the full text. */
  statusShort: HTMLElement;
  reset: HTMLButtonElement;
  notice: HTMLElement;
  noticeText: HTMLElement;
  noticeAction: HTMLButtonElement;
  /** A polite live region for what the keyboard changed (Ctrl+M). */
  announce: HTMLElement;
  /** The element that says how the keyboard leaves a terminal (the terminals' description). */
  keysHint: HTMLElement;
}

export interface MountOptions {
  /** The page's `lab.terminal.*` strings (LabTerminal.astro renders them). */
  strings: UiStrings;
  url: string;
  token: () => string | null;
  memory: PageMemory;
  /** Focus the terminal once live: the reader asked for it (not a resume after a reload). */
  focus: boolean;
  /** Start the terminals in xterm's screen reader mode (the reader's remembered choice). */
  screenReaderMode: boolean;
  /** The main terminal's socket, opened (and its hello sent) before this module loaded. */
  early?: () => EarlyHandover | null;
}

/** Events the panel root dispatches (they bubble). */
export interface LabTerminalEventMap {
  'lab-state': CustomEvent<{ state: PanelState; failure: FailureKind | null }>;
  /** A mark of the main terminal's shell. */
  'lab-mark': CustomEvent<ShellMark>;
  /** The main terminal is live in a session; `fresh` when it is not the one the page remembered. */
  'lab-session': CustomEvent<{ sessionId: string; fresh: boolean }>;
  /** A terminal's tab was selected (by the reader or by a block that runs in it). */
  'lab-tab': CustomEvent<{ terminal: string }>;
  /** Dispatched by the blocks' controls when a block's run ended (workshop mode reports it). */
  'lab-block-end': CustomEvent<BlockEnd>;
}

/** How long the Reset button waits for its confirming second click. */
const RESET_CONFIRM_MS = 4_000;

/** Below this viewport width the terminal uses a smaller font, to keep some columns on a phone. */
const NARROW_VIEWPORT = '(max-width: 40rem)';

export class LabTerminalController {
  readonly #parts: PanelParts;
  readonly #options: MountOptions;
  readonly #strings: TerminalStrings;
  readonly #tabs = new Map<string, LabTerminalTab>();
  readonly #main: LabTerminalTab;
  #active = MAIN;
  /** The session the tabs belong to, once the main terminal was welcomed in one. */
  #sessionId: string | null = null;
  /** The session the page remembered when it loaded, and the terminals open in it. */
  #remembered: string | null;
  #restore: string[];
  #resetting = false;
  /** What dispose() releases, newest first: listeners, the confirm timer, the tabs. */
  readonly #store = new DisposableStore();
  /** Each tab's own listeners (its button's), released with the tab. */
  readonly #tabListeners = new Map<string, DisposableStore>();
  readonly #confirmTimer = this.#store.add(new MutableDisposable());
  readonly #announceFrame = this.#store.add(new MutableDisposable());
  #focusWhenLive: boolean;
  #screenReaderMode: boolean;
  /**
   * Workshop mode's part of the page (src/workshop/learner/, a chunk of its own), loaded when the
   * runner first says this is a workshop (a `learner` or `queued` message, or its end).
   */
  #learner: Promise<LearnerPage> | null = null;
  /** The workshop has ended: nothing connects again. */
  #over = false;

  constructor(parts: PanelParts, options: MountOptions) {
    this.#parts = parts;
    this.#options = options;
    this.#screenReaderMode = options.screenReaderMode;
    this.#focusWhenLive = options.focus;
    this.#strings = terminalStrings(options.strings);
    this.#remembered = options.memory.session;
    this.#restore = this.#remembered ? options.memory.terminals.filter((name) => name !== MAIN) : [];
    parts.xterm.dataset.terminal = MAIN;
    this.#main = this.#addTab(MAIN, parts.xterm);
    this.#store.add(toDisposable(this.#main.connection.on('state', (state) => this.#showState(state))));
    this.#store.add(toDisposable(this.#main.onMark((mark) => parts.root.dispatchEvent(new CustomEvent('lab-mark', { detail: mark, bubbles: true })))));
    this.#store.add(listen(parts.reset, 'click', () => this.#resetClicked()));
    this.#store.add(listen(parts.noticeAction, 'click', () => this.#connectAgain()));
    this.#store.add(listen(parts.tabs, 'keydown', (event) => this.#tabKey(event)));
    const connection = this.#main.connection;
    this.#store.add(toDisposable(connection.on('learner', (message, resumed) => void this.#workshop().then((page) => page.learner(message, resumed)))));
    this.#store.add(toDisposable(connection.on('broadcast', (message) => void this.#workshop().then((page) => page.broadcast(message)))));
    this.#store.add(listen(parts.root, 'lab-block-end', (event: LabTerminalEventMap['lab-block-end']) => void this.#learner?.then((page) => page.blockEnded(event.detail))));
    this.#main.connect();
  }

  /**
   * The terminal `name` of the session, for a block to run in: the main one, or another that
   * joins the session (opened now, or again if its shell exited).
   */
  terminal(name: string): BlockTerminal {
    const tab = this.#tabs.get(name) ?? this.#addTab(name, null);
    if (name !== MAIN && (!tab.started || tab.condition === 'gone')) {
      tab.want();
      if (this.#sessionId !== null && this.#main.connection.state.kind === 'live') tab.connect();
    }
    return tab;
  }

  /**
   * Connects the main terminal again if it ended or failed, as its notice's button would: a Run
   * after the sandbox timed out starts a new one.
   */
  reconnect(): void {
    if (this.#over) return;
    const kind = this.#main.connection.state.kind;
    if (kind === 'ended' || kind === 'failed') this.#main.connect();
  }

  /** Selects the tab of terminal `name`. */
  show(name: string): void {
    const tab = this.#tabs.get(name);
    if (!tab || this.#store.isDisposed) return;
    this.#active = name;
    for (const [other, { host }] of this.#tabs) host.hidden = other !== name;
    for (const button of this.#parts.tabs.querySelectorAll<HTMLButtonElement>('[role="tab"]')) {
      const selected = button.dataset.terminal === name;
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
    }
    this.#parts.root.dispatchEvent(new CustomEvent('lab-tab', { detail: { terminal: name }, bubbles: true }));
  }

  /** Types a command line into the main shell and presses Enter once it shows a prompt. */
  run(command: string): void {
    this.#main.run(command);
    this.#main.focus();
  }

  /** Sends raw input (keystrokes, control characters) to the main shell. */
  input(data: string): void {
    this.#main.input(data);
  }

  /** Throws the sandbox away and starts a fresh one. */
  reset(): void {
    this.#resetting = true;
    this.#focusWhenLive = true; // the Reset button hides while resetting, taking focus with it
    this.#setPanelState('connecting', this.#strings.state.resetting);
    this.#main.connection.reset();
  }

  /** A terminal's text (screen and scrollback), for tests and assistive features. */
  text(name: string = MAIN): string {
    return this.#tabs.get(name)?.text() ?? '';
  }

  focus(): void {
    this.#tabs.get(this.#active)?.focus();
  }

  /**
   * Snapshots of the sandbox's network for the Network view, from the main terminal's connection,
   * until the returned disposable is released (then the runner stops collecting for this page).
   */
  watchTopology(listener: { snapshot(snapshot: TopologySnapshot, n: number): void; failed(message: string): void }): Disposable {
    const connection = this.#main.connection;
    const watch = new DisposableStore();
    watch.add(toDisposable(connection.on('topology', (snapshot, n) => listener.snapshot(snapshot, n))));
    watch.add(toDisposable(connection.on('topologyFailed', (message) => listener.failed(message))));
    watch.add(toDisposable(() => connection.watchTopology(false)));
    connection.watchTopology(true);
    this.#store.add(watch);
    return toDisposable(() => this.#store.delete(watch));
  }

  /** Switches xterm's screen reader mode in every terminal of the page. */
  setScreenReaderMode(on: boolean): void {
    this.#screenReaderMode = on;
    for (const tab of this.#tabs.values()) tab.setScreenReaderMode(on);
  }

  /** Says `text` once through the polite live region (emptied first, so a repeat is said again). */
  #announce(text: string): void {
    const region = this.#parts.announce;
    region.textContent = '';
    this.#announceFrame.value = timeout(50, () => (region.textContent = text));
  }

  dispose(): void {
    this.#disarmReset();
    void this.#learner?.then((page) => page.dispose());
    this.#store.dispose();
    this.#tabs.clear();
    this.#tabListeners.clear();
  }

  #addTab(name: string, existingHost: HTMLElement | null): LabTerminalTab {
    let host = existingHost;
    if (!host) {
      host = document.createElement('div');
      host.className = 'xterm-host';
      host.dataset.terminal = name;
      host.hidden = true;
      this.#parts.screen.prepend(host);
    }
    host.id = `lab-terminal-${name}`;
    host.setAttribute('role', 'tabpanel');
    host.setAttribute('aria-labelledby', `lab-tab-${name}`);
    const joins = name !== MAIN;
    const tab = new LabTerminalTab(host, {
      name,
      url: this.#options.url,
      token: this.#options.token,
      memory: joins ? this.#options.memory.joined(name) : this.#options.memory.main(),
      joins,
      strings: this.#strings,
      fontSize: matchMedia(NARROW_VIEWPORT).matches ? 12 : 14,
      sessionLive: () => this.#main.connection.state.kind !== 'ended',
      ...(name === MAIN && this.#options.early ? { early: this.#options.early } : {}),
      view: {
        describedBy: this.#parts.keysHint.id,
        screenReaderMode: this.#screenReaderMode,
        onTabMode: (leaves) => this.#announce(leaves ? this.#strings.tabLeaves : this.#strings.tabTypes),
      },
    });
    this.#tabs.set(name, tab);
    const listeners = new DisposableStore();
    this.#tabListeners.set(name, listeners);
    // Newest first on dispose: the button's listeners, then the tab itself.
    this.#store.add(listeners);
    listeners.add(tab);
    const button = document.createElement('button');
    button.type = 'button';
    button.id = `lab-tab-${name}`;
    button.setAttribute('role', 'tab');
    button.setAttribute('aria-controls', host.id);
    button.setAttribute('aria-selected', String(this.#active === name));
    button.tabIndex = this.#active === name ? 0 : -1;
    button.dataset.terminal = name;
    button.textContent = name === MAIN ? this.#strings.mainTab : name;
    listeners.add(listen(button, 'click', () => {
      this.show(name);
      tab.focus();
    }));
    listeners.add(toDisposable(tab.onChange(() => (button.dataset.condition = tab.condition))));
    button.dataset.condition = tab.condition;
    this.#parts.tabs.append(button);
    // One terminal needs no tabs; the second one's arrival shows them.
    this.#parts.tabs.hidden = this.#tabs.size < 2;
    return tab;
  }

  #removeTab(name: string): void {
    const tab = this.#tabs.get(name);
    if (!tab || name === MAIN) return;
    const listeners = this.#tabListeners.get(name);
    this.#tabListeners.delete(name);
    if (listeners) this.#store.delete(listeners); // disposes the tab too
    tab.host.remove();
    this.#tabs.delete(name);
    this.#parts.tabs.querySelector(`[data-terminal="${CSS.escape(name)}"]`)?.remove();
    this.#parts.tabs.hidden = this.#tabs.size < 2;
    if (this.#active === name) this.show(MAIN);
  }

  #sessionLive(): void {
    const sessionId = this.#main.connection.sessionId;
    if (sessionId === null) return;
    if (sessionId !== this.#sessionId) {
      // A different sandbox: the terminals opened in the old one are gone with it (one a block
      // asks for meanwhile opens in the new one).
      if (this.#sessionId !== null) for (const [name, tab] of [...this.#tabs]) if (tab.started && !tab.wanted) this.#removeTab(name);
      this.#sessionId = sessionId;
      const fresh = sessionId !== this.#remembered;
      this.#remembered = sessionId;
      this.#parts.root.dispatchEvent(new CustomEvent('lab-session', { detail: { sessionId, fresh }, bubbles: true }));
      const restore = fresh ? [] : this.#restore;
      this.#restore = [];
      for (const name of restore) (this.#tabs.get(name) ?? this.#addTab(name, null)).want();
    }
    for (const tab of this.#tabs.values()) if (tab.wanted) tab.connect();
  }

  /** Workshop mode's chunk, loaded once; a failed load is tried again on the next message. */
  #workshop(): Promise<LearnerPage> {
    this.#learner ??= import('../workshop/learner/learner-page.ts').then(
      (module) => {
        const page = module.mountLearner({
          root: this.#parts.root,
          strings: this.#options.strings,
          report: (message) => this.#main.connection.report(message),
          state: () => this.#main.connection.state,
        });
        this.#store.add(page);
        return page;
      },
      (error: unknown) => {
        this.#learner = null;
        throw error;
      },
    );
    return this.#learner;
  }

  #showState(state: ConnectionState): void {
    const t = this.#strings;
    // Once the workshop's chunk is there it follows every state (its queue and end messages).
    if (state.kind === 'queued' || (state.kind === 'ended' && state.reason === 'workshop-ended') || (state.kind === 'failed' && state.failure === 'workshop-ended')) void this.#workshop().catch(() => {
      // The chunk could not load: the dock still says what happened, in its own words.
    });
    void this.#learner?.then((page) => page.state(state));
    switch (state.kind) {
      case 'connecting':
        return this.#setPanelState('connecting', this.#resetting ? t.state.resetting : t.state.connecting);
      case 'preparing':
        return this.#setPanelState('preparing', t.state.preparing(state.stage));
      case 'queued':
        // The workshop's chunk words the place in the queue (its notice); until it has loaded, this.
        return this.#setPanelState('queued', t.state.connecting);
      case 'live':
        this.#resetting = false;
        this.#setPanelState('live', t.state.live(state.provider));
        this.#sessionLive();
        // Focus follows the reader's own action only: a resume after a reload must not scroll the
        // page to the terminal.
        if (this.#focusWhenLive || this.#parts.root.contains(document.activeElement)) this.focus();
        this.#focusWhenLive = false;
        return;
      case 'reconnecting':
        return this.#setPanelState('reconnecting', t.state.reconnecting(Math.round(state.delayMs / 100) / 10));
      case 'ended':
        this.#resetting = false;
        this.#over ||= state.reason === 'workshop-ended';
        this.#setPanelState('ended', t.ended(state.reason, state.exitCode), t.state.ended);
        return this.#showNotice(t.ended(state.reason, state.exitCode), this.#over ? null : t.newSandbox);
      case 'failed': {
        this.#resetting = false;
        if (state.failure === 'workshop-ended') {
          this.#over = true;
          this.#setPanelState('ended', t.failure[state.failure], t.state.ended);
          return this.#showNotice(t.failure[state.failure], null);
        }
        const message = t.failure[state.failure];
        const detail = state.detail && ['sandbox-failed', 'internal', 'incompatible'].includes(state.failure) ? ` (${state.detail})` : '';
        this.#setPanelState('error', message + detail, t.state.error, state.failure);
        const action = state.failure === 'replaced' ? t.useHere : t.retry;
        return this.#showNotice(message + detail, action);
      }
    }
  }

  #setPanelState(state: PanelState, status: string, short = '', failure: FailureKind | null = null): void {
    const { root, reset, notice } = this.#parts;
    const changed = root.dataset.state !== state || (root.dataset.failure ?? null) !== failure;
    root.dataset.state = state;
    if (failure) root.dataset.failure = failure;
    else delete root.dataset.failure;
    setRichText(this.#parts.status, status);
    this.#parts.statusShort.textContent = short;
    reset.hidden = !(state === 'live' || state === 'preparing');
    if (state !== 'ended' && state !== 'error') notice.hidden = true;
    if (changed) root.dispatchEvent(new CustomEvent('lab-state', { detail: { state, failure }, bubbles: true }));
  }

  /** Shows what ended or failed, with a button that connects again (a new session after an end), or none. */
  #showNotice(text: string, action: string | null): void {
    setRichText(this.#parts.noticeText, text);
    this.#parts.noticeAction.textContent = action ?? '';
    this.#parts.noticeAction.hidden = action === null;
    this.#parts.notice.hidden = false;
  }

  /**
   * Reset throws away what the reader built; once blocks have run in this sandbox, it asks for a
   * second click (the button says so for a few seconds) instead of a modal dialog.
   */
  #resetClicked(): void {
    const button = this.#parts.reset;
    const label = button.querySelector<HTMLElement>('[data-part="reset-label"]') ?? button;
    const hasWork = Object.keys(this.#options.memory.blocks).length > 0 || this.#tabs.size > 1;
    if (hasWork && button.dataset.confirm === undefined) {
      button.dataset.confirm = '';
      label.textContent = this.#strings.resetConfirm;
      this.#confirmTimer.value = timeout(RESET_CONFIRM_MS, () => this.#disarmReset());
      return;
    }
    this.#disarmReset();
    this.reset();
  }

  #disarmReset(): void {
    this.#confirmTimer.clear();
    const button = this.#parts.reset;
    delete button.dataset.confirm;
    (button.querySelector<HTMLElement>('[data-part="reset-label"]') ?? button).textContent = this.#strings.reset;
  }

  #connectAgain(): void {
    if (this.#over) return;
    this.#focusWhenLive = true;
    this.#main.connect();
  }

  /** Arrow keys, Home and End move between tabs (the WAI-ARIA tabs pattern, automatic activation). */
  #tabKey(event: KeyboardEvent): void {
    const names = [...this.#parts.tabs.querySelectorAll<HTMLButtonElement>('[role="tab"]')].map((button) => button.dataset.terminal ?? MAIN);
    const at = names.indexOf(this.#active);
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: names.length - 1 }[event.key];
    if (next === undefined || names.length === 0) return;
    event.preventDefault();
    const name = names[(next + names.length) % names.length] ?? MAIN;
    this.show(name);
    this.#parts.tabs.querySelector<HTMLButtonElement>(`[data-terminal="${CSS.escape(name)}"]`)?.focus();
  }
}

/** Writes a message in which `backticks` mark code (the only markup the strings use). */
function setRichText(element: HTMLElement, text: string): void {
  element.replaceChildren(
    ...text.split('`').map((part, i) => {
      if (i % 2 === 0) return document.createTextNode(part);
      const code = document.createElement('code');
      code.textContent = part;
      return code;
    }),
  );
}

export function mountTerminal(parts: PanelParts, options: MountOptions): LabTerminalController {
  return new LabTerminalController(parts, options);
}
