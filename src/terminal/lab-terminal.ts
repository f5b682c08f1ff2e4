/**
 * The lab terminal once the reader started it (this module and xterm load on demand): wires the
 * connection to the view and keeps the panel around them (state, status line, buttons) in step.
 */
import { ShellMarkReader, type ShellMark } from '../protocol/shell-marks.ts';
import { LabConnection, type ConnectionState, type Discontinuity } from './connection.ts';
import type { SessionMemory } from './lab-storage.ts';
import { terminalStrings, type TerminalStrings } from './strings.ts';
import { TerminalView } from './view.ts';

/** Values of the panel's `data-state` attribute; tests and styles key on them. */
export type PanelState = 'idle' | 'connecting' | 'preparing' | 'live' | 'reconnecting' | 'ended' | 'error';

/** The parts of the panel the component renders (see LabTerminal.astro). */
export interface PanelParts {
  root: HTMLElement;
  xterm: HTMLElement;
  /** The live region: what is going on, in full. */
  status: HTMLElement;
  /** What the bar shows instead when the notice below the terminal has the full text. */
  statusShort: HTMLElement;
  reset: HTMLButtonElement;
  notice: HTMLElement;
  noticeText: HTMLElement;
  noticeAction: HTMLButtonElement;
}

export interface MountOptions {
  lang: string;
  url: string;
  token: string | null;
  terminal: string;
  memory: SessionMemory;
  /** Focus the terminal once live: the reader asked for it (not a resume after a reload). */
  focus: boolean;
}

/** Events the panel root dispatches (they bubble). */
export interface LabTerminalEventMap {
  'lab-state': CustomEvent<{ state: PanelState }>;
  'lab-mark': CustomEvent<ShellMark>;
}

/** Below this viewport width the terminal uses a smaller font, to keep some columns on a phone. */
const NARROW_VIEWPORT = '(max-width: 40rem)';

export class LabTerminalController {
  readonly #parts: PanelParts;
  readonly #strings: TerminalStrings;
  readonly #view: TerminalView;
  readonly #connection: LabConnection;
  #marks = new ShellMarkReader();
  /** Offset the next output must start at to continue the mark reader's stream. */
  #marksAt = 0;
  #resetting = false;
  #focusWhenLive: boolean;
  /** The shell shows a prompt and waits for a command line (its last mark was command-start). */
  #atPrompt = false;
  /** Command lines from run() waiting for the next prompt, oldest first. */
  readonly #queued: string[] = [];

  constructor(parts: PanelParts, options: MountOptions) {
    this.#parts = parts;
    this.#focusWhenLive = options.focus;
    this.#strings = terminalStrings(options.lang);
    this.#view = new TerminalView(parts.xterm, {
      label: this.#strings.screenLabel,
      fontSize: matchMedia(NARROW_VIEWPORT).matches ? 12 : 14,
    });
    this.#connection = new LabConnection({
      url: options.url,
      token: options.token,
      terminal: options.terminal,
      memory: options.memory,
      size: () => this.#view.size,
    });
    this.#connection.on('state', (state) => this.#showState(state));
    this.#connection.on('output', (data, seq, parsed) => this.#write(data, seq, parsed));
    this.#connection.on('discontinuity', (kind) => this.#discontinuity(kind));
    this.#view.onInput((data) => this.#connection.input(data));
    this.#view.onResize(({ cols, rows }) => this.#connection.resize(cols, rows));
    parts.reset.addEventListener('click', () => this.reset());
    parts.noticeAction.addEventListener('click', () => this.#connectAgain());
    this.#connection.connect();
  }

  /**
   * Types a command line into the shell and presses Enter, once the shell shows a prompt: at once
   * when it does, else after the command that runs now (or the session's first prompt). Typed any
   * earlier, before bash's line editor is reading, the line is echoed twice or wrapped wrongly.
   */
  run(command: string): void {
    this.#queued.push(command);
    this.#runQueued();
    this.#view.focus();
  }

  /** Sends raw input (keystrokes, control characters) to the shell. */
  input(data: string): void {
    this.#connection.input(data);
  }

  /** Throws the sandbox away and starts a fresh one. */
  reset(): void {
    this.#resetting = true;
    this.#focusWhenLive = true; // the Reset button hides while resetting, taking focus with it
    this.#setPanelState('connecting', this.#strings.state.resetting);
    this.#connection.reset();
  }

  /** The terminal's text (screen and scrollback), for tests and assistive features. */
  text(): string {
    return this.#view.text();
  }

  focus(): void {
    this.#view.focus();
  }

  dispose(): void {
    this.#connection.dispose();
    this.#view.dispose();
  }

  #write(data: string, seq: number, parsed: () => void): void {
    if (seq !== this.#marksAt) this.#marks = new ShellMarkReader(); // a gap: start reading afresh
    this.#marksAt = seq + data.length;
    const marks = this.#marks.feed(data, seq);
    this.#view.write(data, () => {
      parsed();
      // Reported once xterm has parsed the output before the mark, so the screen shows it.
      for (const mark of marks) {
        this.#atPrompt = mark.kind === 'command-start';
        this.#runQueued();
        this.#parts.root.dispatchEvent(new CustomEvent('lab-mark', { detail: mark, bubbles: true }));
      }
    });
  }

  #runQueued(): void {
    const command = this.#atPrompt ? this.#queued.shift() : undefined;
    if (command === undefined) return;
    this.#atPrompt = false;
    this.#connection.input(`${command}\r`);
  }

  #discontinuity(kind: Discontinuity): void {
    this.#atPrompt = false; // until the output that follows shows a prompt again
    switch (kind) {
      case 'trimmed':
        return this.#view.note(this.#strings.note.trimmed);
      case 'session-gone':
        return this.#view.note(this.#strings.note.sessionGone);
      case 'reset':
        this.#resetting = true;
        this.#view.clear();
        return this.#view.note(this.#strings.note.reset);
    }
  }

  #showState(state: ConnectionState): void {
    const t = this.#strings;
    switch (state.kind) {
      case 'connecting':
        return this.#setPanelState('connecting', this.#resetting ? t.state.resetting : t.state.connecting);
      case 'preparing':
        return this.#setPanelState('preparing', t.state.preparing(state.stage));
      case 'live':
        this.#resetting = false;
        this.#setPanelState('live', t.state.live(state.provider));
        // Focus follows the reader's own action only: a resume after a reload must not scroll the
        // page to the terminal.
        if (this.#focusWhenLive || this.#parts.root.contains(document.activeElement)) this.#view.focus();
        this.#focusWhenLive = false;
        return;
      case 'reconnecting':
        return this.#setPanelState('reconnecting', t.state.reconnecting(Math.round(state.delayMs / 100) / 10));
      case 'ended':
        this.#resetting = false;
        this.#queued.length = 0;
        this.#setPanelState('ended', t.ended(state.reason, state.exitCode), t.state.ended);
        return this.#showNotice(t.ended(state.reason, state.exitCode), t.newSandbox);
      case 'failed': {
        this.#resetting = false;
        this.#queued.length = 0;
        const message = t.failure[state.failure];
        const detail = state.detail && ['sandbox-failed', 'internal', 'incompatible'].includes(state.failure) ? ` (${state.detail})` : '';
        this.#setPanelState('error', message + detail, t.state.error);
        const action = state.failure === 'replaced' ? t.useHere : t.retry;
        return this.#showNotice(message + detail, action);
      }
    }
  }

  #setPanelState(state: PanelState, status: string, short = ''): void {
    const { root, reset, notice } = this.#parts;
    const changed = root.dataset.state !== state;
    root.dataset.state = state;
    setRichText(this.#parts.status, status);
    this.#parts.statusShort.textContent = short;
    reset.hidden = !(state === 'live' || state === 'preparing');
    if (state !== 'ended' && state !== 'error') notice.hidden = true;
    if (changed) root.dispatchEvent(new CustomEvent('lab-state', { detail: { state }, bubbles: true }));
  }

  /** Shows what ended or failed, with a button that connects again (a new session after an end). */
  #showNotice(text: string, action: string): void {
    setRichText(this.#parts.noticeText, text);
    this.#parts.noticeAction.textContent = action;
    this.#parts.notice.hidden = false;
  }

  #connectAgain(): void {
    this.#focusWhenLive = true;
    this.#connection.connect();
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
