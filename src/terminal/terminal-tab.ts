/**
 * One terminal of the page's lab session, shown as a tab of the dock: its connection, its xterm,
 * and what its shell's OSC 133 marks say (at a prompt, or busy). The main terminal starts the
 * session; every other one joins it (a second shell in the same sandbox).
 */
import { DisposableStore, toDisposable } from '../common/lifecycle.ts';
import { ShellMarkReader, type ShellMark } from '../protocol/shell-marks.ts';
import { timeout } from './dom-lifecycle.ts';
import { LabConnection, type ConnectionOptions, type ConnectionState, type Discontinuity } from './connection.ts';
import type { SessionMemory } from './lab-storage.ts';
import type { TerminalStrings } from './strings.ts';
import type { BlockTerminal, TerminalCondition, TerminalOutput } from './terminal-api.ts';
import { TerminalView, type ViewOptions } from './view.ts';

/** How long a second terminal that ended waits for the main one's news before it says why. */
const EXIT_SETTLE_MS = 500;

export interface TabOptions {
  name: string;
  url: string;
  token: () => string | null;
  memory: SessionMemory;
  /** Joins the session of the page's main terminal instead of starting one. */
  joins: boolean;
  strings: TerminalStrings;
  fontSize: number;
  /** Whether the session this terminal belongs to is still live (the main terminal's state). */
  sessionLive?: () => boolean;
  /** Keyboard and screen reader options of its xterm (see TerminalView). */
  view?: Pick<ViewOptions, 'describedBy' | 'screenReaderMode' | 'onTabMode'>;
  /** The socket the page opened early, for the main terminal (see ConnectionOptions.early). */
  early?: ConnectionOptions['early'];
}

export class LabTerminalTab implements BlockTerminal {
  readonly name: string;
  /** The element the xterm fills (the tab's panel). */
  readonly host: HTMLElement;
  readonly connection: LabConnection;
  readonly #view: TerminalView;
  readonly #strings: TerminalStrings;
  readonly #joins: boolean;
  readonly #sessionLive: () => boolean;
  #marks = new ShellMarkReader();
  /** Byte offset the next output must start at to continue the mark reader's stream. */
  #marksAt = 0;
  /** The output as text, for the output listeners (block runs), decoded once, in order. */
  #decoder: TextDecoder | null = null;
  /** Byte offset the decoder's stream has reached; another start begins a fresh decoder. */
  #decodedTo = 0;
  #lastMark: ShellMark['kind'] | null = null;
  #sawPrompt = false;
  #started = false;
  /** A block (or a reload) asked for this terminal; it connects once the session is live. */
  #wanted = false;
  #generation = 0;
  /** Command lines from run() waiting for the next prompt, oldest first. */
  readonly #queued: string[] = [];
  readonly #outputListeners = new Set<(output: TerminalOutput) => void>();
  readonly #changeListeners = new Set<() => void>();
  readonly #markListeners = new Set<(mark: ShellMark) => void>();
  /** What dispose() releases, newest first: timers, the connection's and the view's listeners, both of them. */
  readonly #store = new DisposableStore();

  constructor(host: HTMLElement, options: TabOptions) {
    this.name = options.name;
    this.host = host;
    this.#strings = options.strings;
    this.#joins = options.joins;
    this.#sessionLive = options.sessionLive ?? (() => true);
    this.#view = this.#store.add(new TerminalView(host, { ...options.view, label: `${options.strings.screenLabel} (${options.name})`, fontSize: options.fontSize }));
    this.connection = this.#store.add(new LabConnection({
      url: options.url,
      token: options.token,
      terminal: options.name,
      memory: options.memory,
      joins: options.joins,
      size: () => this.#view.size,
      ...(options.early ? { early: options.early } : {}),
    }));
    this.#store.add(toDisposable(this.connection.on('output', (data, seq, parsed) => this.#write(data, seq, parsed))));
    this.#store.add(toDisposable(this.connection.on('discontinuity', (kind) => this.#discontinuity(kind))));
    this.#store.add(toDisposable(this.connection.on('state', (state) => this.#stateChanged(state))));
    this.#store.add(this.#view.onInput((data) => this.#typed(data)));
    this.#store.add(this.#view.onResize(({ cols, rows }) => this.connection.resize(cols, rows)));
  }

  get started(): boolean {
    return this.#started;
  }

  /** Asked for, and not connected yet. */
  get wanted(): boolean {
    return this.#wanted;
  }

  get condition(): TerminalCondition {
    const kind = this.connection.state.kind;
    if (this.#wanted) return 'connecting';
    if (kind === 'ended' || kind === 'failed') return 'gone';
    return kind === 'live' && this.#sawPrompt ? 'live' : 'connecting';
  }

  get generation(): number {
    return this.#generation;
  }

  get atShellPrompt(): boolean {
    return this.condition === 'live' && this.#lastMark === 'command-start';
  }

  /**
   * Marks the terminal as needed: it counts as connecting from now on, and the page connects it
   * (opening a new shell if this one ended) once the session is live.
   */
  want(): void {
    if (this.#wanted) return;
    if (this.#started && this.condition === 'gone') this.#generation += 1;
    this.#wanted = true;
    this.#notify();
  }

  /** Connects, or opens a new shell once this one has ended. */
  connect(): void {
    if (!this.#wanted && this.#started && this.condition === 'gone') this.#generation += 1;
    this.#wanted = false;
    this.#started = true;
    this.connection.connect();
  }

  input(data: string): void {
    this.connection.input(data);
  }

  /**
   * Types a command line and presses Enter once the shell shows a prompt: at once when it does,
   * else after the command that runs now. Typed any earlier, bash's line editor is not reading
   * yet and the line is echoed twice or wrapped wrongly.
   */
  run(command: string): void {
    this.#queued.push(command);
    this.#runQueued();
  }

  onOutput(listener: (output: TerminalOutput) => void): () => void {
    this.#outputListeners.add(listener);
    return () => this.#outputListeners.delete(listener);
  }

  onChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  onMark(listener: (mark: ShellMark) => void): () => void {
    this.#markListeners.add(listener);
    return () => this.#markListeners.delete(listener);
  }

  /** A line of the page's own, dimmed. */
  note(text: string): void {
    this.#view.note(text);
  }

  focus(): void {
    this.#view.focus();
  }

  setScreenReaderMode(on: boolean): void {
    this.#view.setScreenReaderMode(on);
  }

  text(): string {
    return this.#view.text();
  }

  dispose(): void {
    this.#outputListeners.clear();
    this.#markListeners.clear();
    this.#store.dispose();
    this.#notify();
    this.#changeListeners.clear();
  }

  #typed(data: string): void {
    // Enter in a terminal whose shell exited opens a new one in the same sandbox.
    if (this.#joins && this.connection.state.kind === 'ended' && data.includes('\r')) return this.connect();
    this.connection.input(data);
  }

  #write(data: Uint8Array, seq: number, parsed: () => void): void {
    if (seq !== this.#marksAt) this.#marks = new ShellMarkReader(); // a gap: start reading afresh
    const end = seq + data.length;
    this.#marksAt = end;
    const marks = this.#marks.feed(data, seq);
    // Text only while someone reads it (a block runs): bulk output the reader only watches is
    // never decoded here, only by xterm.
    const text = this.#outputListeners.size > 0 ? this.#text(data, seq) : '';
    this.#view.write(data, () => {
      parsed();
      // Reported once xterm has parsed the output before the mark, so the screen shows it.
      for (const mark of marks) {
        this.#lastMark = mark.kind;
        if (mark.kind === 'command-start') this.#sawPrompt = true;
        for (const listener of this.#markListeners) listener(mark);
      }
      for (const listener of this.#outputListeners) listener({ data: text, seq, end, marks });
      if (marks.length > 0) {
        this.#runQueued();
        this.#notify();
      }
    });
  }

  /** `data` as text, continuing the decoder's stream when it follows on (a character split across frames is whole). */
  #text(data: Uint8Array, seq: number): string {
    if (!this.#decoder || seq !== this.#decodedTo) this.#decoder = new TextDecoder();
    this.#decodedTo = seq + data.length;
    return this.#decoder.decode(data, { stream: true });
  }

  #runQueued(): void {
    const command = this.atShellPrompt ? this.#queued.shift() : undefined;
    if (command === undefined) return;
    this.#lastMark = null; // until the shell shows its next prompt
    this.connection.input(`${command}\r`);
  }

  #discontinuity(kind: Discontinuity): void {
    // Until the output that follows shows a prompt again.
    this.#lastMark = null;
    switch (kind) {
      case 'trimmed':
        return this.#view.note(this.#strings.note.trimmed);
      case 'session-gone':
        this.#replaced();
        return this.#view.note(this.#strings.note.sessionGone);
      case 'reset':
        this.#replaced();
        this.#view.clear();
        return this.#view.note(this.#strings.note.reset);
      case 'input-dropped':
        return this.#view.note(this.#strings.note.inputDropped);
    }
  }

  #stateChanged(state: ConnectionState): void {
    if (state.kind === 'ended' || state.kind === 'failed') {
      this.#queued.length = 0;
      this.#lastMark = null;
      this.#sawPrompt = false;
      if (this.#joins && state.kind === 'ended' && state.reason === 'exit') this.#exited();
    }
    this.#notify();
  }

  /**
   * The runner says `exit` both when this shell exited and when the main one did (which ends the
   * whole session, and the page says so). Told apart by the main terminal's state, once its own
   * message, on another socket, had time to arrive.
   */
  #exited(): void {
    const settle = this.#store.add(timeout(EXIT_SETTLE_MS, () => {
      this.#store.forget(settle);
      if (this.connection.state.kind === 'ended' && this.#sessionLive()) this.#view.note(this.#strings.note.shellExited);
    }));
  }

  /** A new shell (a new session) takes the old one's place. */
  #replaced(): void {
    this.#sawPrompt = false;
    this.#generation += 1;
    this.#queued.length = 0;
    this.#notify();
  }

  #notify(): void {
    for (const listener of this.#changeListeners) listener();
  }
}
