/**
 * `<lab-terminal>`: the eager part of the lab terminal, the only terminal code in the page's
 * initial JavaScript. It keeps the placeholder the component rendered until the reader starts the
 * terminal (a click, or a key while it has focus) or the tab already holds a session (a reload),
 * then loads xterm and the connection (`./lab-terminal.ts`) and hands the panel over.
 *
 * Its methods are the terminal's API for the rest of the page (the "Run" buttons to come) and for
 * tests: `start()`, `run(command)`, `input(data)`, `reset()`, `text()`. It dispatches `lab-state`
 * and `lab-mark` events (see LabTerminalEventMap).
 */
import type { LabTerminalController, LabTerminalEventMap, PanelParts, PanelState } from './lab-terminal.ts';
import { captureToken, readToken, runnerUrl, sessionMemory } from './lab-storage.ts';

export class LabTerminalElement extends HTMLElement {
  #controller: LabTerminalController | null = null;
  #starting: Promise<LabTerminalController> | null = null;
  #wired = false;

  connectedCallback(): void {
    // The Head script normally took it already; a page opened on this URL must not depend on order.
    captureToken(location, history);
    if (!this.#wired) this.#wire();
    if (sessionMemory(this.#url, this.#terminal).get()) this.#startFromPanel(false);
  }

  disconnectedCallback(): void {
    this.#controller?.dispose();
    this.#controller = null;
    this.#starting = null;
  }

  #wire(): void {
    this.#wired = true;
    this.querySelector('[data-action="start"]')?.addEventListener('click', () => this.#startFromPanel(true));
    const screen = this.#part('screen');
    screen.addEventListener('keydown', (event: KeyboardEvent) => {
      if (this.#controller || this.#starting || event.target !== screen) return;
      if (event.key === 'Enter' || event.key === ' ' || (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey)) {
        event.preventDefault();
        this.#startFromPanel(true);
      }
    });
  }

  /** Loads the terminal and connects; resolves once it is mounted (not yet live). Idempotent. */
  start({ focus = true }: { focus?: boolean } = {}): Promise<LabTerminalController> {
    this.#starting ??= this.#load(focus);
    return this.#starting;
  }

  /**
   * Types `command` into the shell and presses Enter once it shows a prompt, starting the terminal
   * if need be. Resolves when the command is queued, not when it ran: watch `lab-mark` for that.
   */
  async run(command: string): Promise<void> {
    (await this.start()).run(command);
  }

  /** Sends raw input to the shell, starting the terminal if need be. */
  async input(data: string): Promise<void> {
    (await this.start()).input(data);
  }

  /** Throws the sandbox away and starts a new one. */
  async reset(): Promise<void> {
    (await this.start()).reset();
  }

  /** The terminal's text, screen and scrollback; empty before it started. */
  text(): string {
    return this.#controller?.text() ?? '';
  }

  #startFromPanel(focus: boolean): void {
    this.start({ focus }).catch(() => {
      // The panel already says the terminal could not be loaded; nobody else is waiting on it.
    });
  }

  get #url(): string {
    return runnerUrl(this.dataset.runner ?? '', this.dataset.wsPath ?? '', location);
  }

  get #terminal(): string {
    return this.dataset.terminal ?? 'main'; // the attribute is always rendered; see LabTerminal.astro
  }

  async #load(focus: boolean): Promise<LabTerminalController> {
    this.#setState('connecting', this.dataset.textLoading ?? '');
    this.#part('placeholder').hidden = true;
    this.#part('screen').removeAttribute('tabindex');
    let module: typeof import('./lab-terminal.ts');
    try {
      module = await import('./lab-terminal.ts');
    } catch (error) {
      this.#setState('error', this.dataset.textLoadFailed ?? '');
      this.#part('status-short').textContent = this.dataset.textLoadFailed ?? '';
      this.#starting = null;
      throw error;
    }
    const url = this.#url;
    this.#controller = module.mountTerminal(this.#parts(), {
      lang: this.dataset.lang ?? document.documentElement.lang,
      url,
      token: readToken(),
      terminal: this.#terminal,
      memory: sessionMemory(url, this.#terminal),
      focus,
    });
    return this.#controller;
  }

  /** Until the terminal module takes over the panel. */
  #setState(state: PanelState, status: string): void {
    this.dataset.state = state;
    this.#part('status').textContent = status;
    this.dispatchEvent(new CustomEvent('lab-state', { detail: { state }, bubbles: true }));
  }

  #parts(): PanelParts {
    return {
      root: this,
      xterm: this.#part('xterm'),
      status: this.#part('status'),
      statusShort: this.#part('status-short'),
      reset: this.#part('reset') as HTMLButtonElement,
      notice: this.#part('notice'),
      noticeText: this.#part('notice-text'),
      noticeAction: this.#part('notice-action') as HTMLButtonElement,
    };
  }

  #part(name: string): HTMLElement {
    const element = this.querySelector<HTMLElement>(`[data-part="${name}"]`);
    if (!element) throw new Error(`<lab-terminal> is missing its [data-part="${name}"] element`);
    return element;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'lab-terminal': LabTerminalElement;
  }
  interface HTMLElementEventMap {
    'lab-state': LabTerminalEventMap['lab-state'];
    'lab-mark': LabTerminalEventMap['lab-mark'];
  }
}

if (!customElements.get('lab-terminal')) customElements.define('lab-terminal', LabTerminalElement);
