/**
 * The terminal on the page: xterm.js with its addons, sized to its container. It knows nothing of
 * the runner; it shows what it is given and reports what the reader types and how big it is.
 * Loaded only when the reader starts the terminal, together with xterm's stylesheet.
 */
import { Terminal, type IDisposable, type ITheme } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import type { WebglAddon } from '@xterm/addon-webgl';
// As text, added to the document when a terminal opens: a plain CSS import would be collected into
// the stylesheet of every page that can show a terminal, long before anyone starts one.
import xtermCss from '@xterm/xterm/css/xterm.css?inline';
import { DisposableStore, MutableDisposable, toDisposable } from '../common/lifecycle.ts';
import { addStylesheetOnce, animationFrame, listen, timeout } from './dom-lifecycle.ts';

/** Wait this long after the last size change before telling the shell: a drag resizes many times. */
const RESIZE_DEBOUNCE_MS = 150;
const SCROLLBACK_LINES = 5_000;

/**
 * Dark in both site themes: terminal output is written for a dark background (the prompt is bold
 * green, `ls` colours are light), and a light terminal makes those hard to read.
 */
const THEME: ITheme = {
  background: '#14161c',
  foreground: '#d5d9e0',
  cursor: '#8fb3ff',
  cursorAccent: '#14161c',
  selectionBackground: '#3a4a6e',
  black: '#1e2129',
  red: '#f07178',
  green: '#9ece6a',
  yellow: '#e5c07b',
  blue: '#7aa2f7',
  magenta: '#c792ea',
  cyan: '#7dcfff',
  white: '#c8ccd4',
  brightBlack: '#6b7280',
  brightRed: '#ff8b92',
  brightGreen: '#b5e38a',
  brightYellow: '#f5d38f',
  brightBlue: '#9ab8ff',
  brightMagenta: '#dcaeff',
  brightCyan: '#a4e1ff',
  brightWhite: '#f3f4f6',
};

/** Common monospace fonts per platform; Chinese characters fall back to the system's CJK font. */
const FONT_FAMILY = "ui-monospace, SFMono-Regular, Menlo, Monaco, Consolas, 'Cascadia Mono', 'DejaVu Sans Mono', 'Liberation Mono', monospace";

/** Software rasterisers: WebGL there is no faster than the DOM, and glyphs may not show at all. */
const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software/i;

export type Renderer = 'webgl' | 'dom';

export interface ViewOptions {
  /** The terminal's accessible name. */
  label: string;
  fontSize: number;
  /** The id of the element that says how the keyboard leaves the terminal. */
  describedBy?: string;
  screenReaderMode?: boolean;
  /** Ctrl+M switched what Tab does: true when Tab now leaves the terminal. */
  onTabMode?: (leaves: boolean) => void;
  /**
   * Shows output only (the facilitator's mirror of a learner's terminal): xterm takes no input
   * (`disableStdin`) and leaves every key to the browser, so Tab and Esc move focus as anywhere else.
   */
  readOnly?: boolean;
}

export class TerminalView {
  readonly #host: HTMLElement;
  readonly #term: Terminal;
  readonly #fit = new FitAddon();
  /** What dispose() releases, newest first: timers, listeners, the resize observer, the terminal. */
  readonly #store = new DisposableStore();
  readonly #fitFrame = new MutableDisposable();
  readonly #resizeTimer = new MutableDisposable();
  #webgl: WebglAddon | null = null;
  #written = false;
  /** Ctrl+M was pressed: Tab leaves the terminal (as in VS Code) until focus leaves it or Ctrl+M again. */
  #tabLeaves = false;

  /** `host` is the element the terminal fills; it must have a size of its own (CSS). */
  constructor(host: HTMLElement, options: ViewOptions) {
    this.#host = host;
    addStylesheetOnce('xterm', xtermCss);
    this.#term = this.#store.add(new Terminal({
      allowProposedApi: true, // the Unicode 11 width tables are a proposed API
      cursorBlink: false,
      fontFamily: FONT_FAMILY,
      fontSize: options.fontSize,
      lineHeight: 1.15,
      scrollback: SCROLLBACK_LINES,
      theme: THEME,
      screenReaderMode: options.screenReaderMode ?? false,
      disableStdin: options.readOnly ?? false,
    }));
    this.#store.add(this.#fitFrame);
    this.#store.add(this.#resizeTimer);
    this.#term.loadAddon(this.#fit);
    this.#term.loadAddon(new Unicode11Addon());
    this.#term.unicode.activeVersion = '11'; // Chinese text takes two columns a character
    this.#term.loadAddon(new WebLinksAddon((event, uri) => {
      event.preventDefault();
      window.open(uri, '_blank', 'noopener,noreferrer');
    }));
    this.#term.open(host);
    const textarea = this.#term.textarea;
    textarea?.setAttribute('aria-label', options.label);
    if (textarea && options.describedBy) textarea.setAttribute('aria-describedby', options.describedBy);
    this.#term.attachCustomKeyEventHandler(options.readOnly ? () => false : (event) => this.#key(event, options.onTabMode));
    if (textarea) {
      this.#store.add(listen(textarea, 'blur', () => {
        if (this.#tabLeaves) this.#tabLeaves = false; // back in the terminal, Tab completes again
      }));
    }
    this.#host.dataset.renderer = 'dom';
    void this.#useWebgl();
    const observer = new ResizeObserver(() => this.#scheduleFit());
    observer.observe(host);
    this.#store.add(toDisposable(() => observer.disconnect()));
    this.#fitNow();
  }

  /** Columns and rows the terminal has now. */
  get size(): { cols: number; rows: number } {
    return { cols: this.#term.cols, rows: this.#term.rows };
  }

  get renderer(): Renderer {
    return this.#webgl ? 'webgl' : 'dom';
  }

  /** Everything the reader types or pastes, as the shell should receive it. */
  onInput(listener: (data: string) => void): IDisposable {
    return this.#store.add(this.#term.onData(listener));
  }

  /** The terminal settled on a new size (debounced). */
  onResize(listener: (size: { cols: number; rows: number }) => void): IDisposable {
    return this.#store.add(this.#term.onResize((size) => {
      this.#resizeTimer.value = timeout(RESIZE_DEBOUNCE_MS, () => listener(size));
    }));
  }

  /** Shows output (the pty's bytes: xterm decodes them, and joins a character split across writes); `parsed` runs once xterm has processed it. */
  write(data: Uint8Array, parsed: () => void): void {
    this.#written = true;
    this.#term.write(data, parsed);
  }

  /** A line of the page's own (not the shell's), dimmed, on a line of its own. */
  note(text: string): void {
    this.#term.write(`${this.#written ? '\r\n' : ''}\x1b[2m${text}\x1b[22m\r\n`);
    this.#written = true;
  }

  /** Empties screen and scrollback, in order with the writes already queued (RIS, not reset()). */
  clear(): void {
    this.#term.write('\x1bc');
    this.#written = false;
  }

  focus(): void {
    this.#term.focus();
  }

  /** xterm's screen reader mode: its output mirrored in an accessibility tree, line by line. */
  setScreenReaderMode(on: boolean): void {
    this.#term.options.screenReaderMode = on;
  }

  /**
   * xterm takes every key, Tab included, so the keyboard could not leave the terminal. Ctrl+M (as
   * in VS Code; to a shell it is only a second Enter) makes Tab and Shift+Tab move focus again.
   * Returning false leaves the key to the browser.
   */
  #key(event: KeyboardEvent, onTabMode: ((leaves: boolean) => void) | undefined): boolean {
    const plain = !event.altKey && !event.metaKey;
    if (plain && event.ctrlKey && !event.shiftKey && event.code === 'KeyM') {
      if (event.type === 'keydown') {
        event.preventDefault();
        this.#tabLeaves = !this.#tabLeaves;
        onTabMode?.(this.#tabLeaves);
      }
      return false;
    }
    return !(this.#tabLeaves && plain && !event.ctrlKey && event.key === 'Tab');
  }

  /**
   * The text of the screen and scrollback, one line each as the program wrote it (a line the
   * terminal wrapped at its width is joined again), trailing blanks trimmed.
   */
  text(): string {
    const buffer = this.#term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < buffer.length; y++) {
      const line = buffer.getLine(y);
      if (!line) continue;
      // A row that continues on the next one keeps its trailing blanks: they are part of the line.
      const text = line.translateToString(!buffer.getLine(y + 1)?.isWrapped);
      if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines.join('\n');
  }

  dispose(): void {
    this.#store.dispose();
  }

  /**
   * WebGL draws faster. The terminal starts with xterm's DOM renderer and switches once the WebGL
   * addon (a chunk of its own, fetched only where a GPU draws WebGL) is loaded; it switches back
   * if the WebGL context is lost.
   */
  async #useWebgl(): Promise<void> {
    if (!hasHardwareWebgl2()) return;
    let webgl: WebglAddon;
    try {
      const { WebglAddon } = await import('@xterm/addon-webgl');
      if (this.#store.isDisposed) return;
      webgl = new WebglAddon();
      this.#term.loadAddon(webgl);
    } catch {
      // The addon did not load, or WebGL2 failed to start: the DOM renderer stays.
      return;
    }
    this.#webgl = webgl;
    this.#host.dataset.renderer = 'webgl';
    this.#store.add(
      webgl.onContextLoss(() => {
        // Disposing the addon puts the DOM renderer back.
        webgl.dispose();
        this.#webgl = null;
        this.#host.dataset.renderer = 'dom';
      }),
    );
  }

  #scheduleFit(): void {
    this.#fitFrame.value = animationFrame(() => this.#fitNow());
  }

  #fitNow(): void {
    // A hidden container proposes no size; keep the current one until it is shown again.
    if (this.#host.clientWidth === 0 || this.#host.clientHeight === 0) return;
    this.#fit.fit();
  }
}

/**
 * True when WebGL2 is there and drawn by a GPU. Headless and GPU-less browsers offer WebGL through a
 * software rasteriser (SwiftShader, llvmpipe), where xterm's WebGL renderer gains nothing and was
 * seen to draw no glyphs at a device pixel ratio above 1.
 */
function hasHardwareWebgl2(): boolean {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext(); // release the probe's context now
  return !SOFTWARE_GL.test(renderer);
}
