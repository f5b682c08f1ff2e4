/**
 * The main terminal's socket, opened by the eager script as soon as the page knows the terminal
 * will go live, before xterm and the connection module (`./lab-terminal.ts`) have loaded: its
 * hello goes out at once, so the sandbox boots while the terminal's chunk loads. What the runner
 * sends meanwhile is held, in order, and handed with the socket to the LabConnection, which reads
 * it as if it had opened the socket itself (see LabConnection's `early` option).
 *
 * Eager code: of the protocol it imports handshake.ts alone (no zod, no xterm, no error tables).
 */
import { encode, MAIN_TERMINAL, MAX_COLS, MAX_ROWS, PROTOCOL_VERSION, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../protocol/handshake.ts';

/**
 * Bytes of frames held before the terminal exists. A resumed session (a reload) replays what the
 * runner keeps (REPLAY_LIMIT, 1 024 000 bytes), then sends at most its flow-control window
 * (256 000) without acknowledgement, plus a few small messages: an honest runner stays below this;
 * beyond it the early socket is given up and the connection opens its own. (A literal: importing
 * flow.ts would pull its classes, which the lazy chunk shares, into the eager script;
 * tests/unit/flow.test.ts holds the numbers in step.)
 */
export const MAX_EARLY_BYTES = 2 * 1024 * 1024;

/** What the connection takes over. */
export interface EarlyHandover {
  socket: WebSocket;
  /** Frames received before the handover, oldest first (text, or an output frame's bytes). */
  frames: (string | ArrayBuffer)[];
  /** The hello went out (the socket opened); else the connection sends it when the socket opens. */
  helloSent: boolean;
  /** The size the hello said (the connection sends a resize when its terminal's differs). */
  size: { cols: number; rows: number };
  /** Set when the socket closed before the handover. */
  closed: { code: number } | null;
}

export interface EarlyOptions {
  url: string;
  token: string;
  /** The session to resume (the page's remembered one), if any. */
  sessionId: string | null;
  size: { cols: number; rows: number };
}

export class EarlySocket {
  readonly #socket: WebSocket;
  readonly #frames: (string | ArrayBuffer)[] = [];
  readonly #size: { cols: number; rows: number };
  #bytes = 0;
  #helloSent = false;
  #closed: { code: number } | null = null;
  #taken = false;
  /** The connection owns the socket now: disposing this leaves it alone. */
  #handedOver = false;
  readonly #abort = new AbortController();

  /** Opens the socket and sends the hello once it opens; throws as `new WebSocket` does on a bad URL or token. */
  constructor(options: EarlyOptions) {
    this.#size = { cols: clamp(options.size.cols, 2, MAX_COLS), rows: clamp(options.size.rows, 1, MAX_ROWS) };
    const socket = new WebSocket(options.url, [SUBPROTOCOL, `${TOKEN_SUBPROTOCOL_PREFIX}${options.token}`]);
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    const { signal } = this.#abort;
    socket.addEventListener(
      'open',
      () => {
        const resume = options.sessionId ? { sessionId: options.sessionId, lastSeq: 0 } : {};
        socket.send(encode({ type: 'hello', v: PROTOCOL_VERSION, terminal: MAIN_TERMINAL, ...this.#size, ...resume }));
        this.#helloSent = true;
      },
      { signal },
    );
    socket.addEventListener(
      'message',
      (event: MessageEvent<string | ArrayBuffer>) => {
        const frame = event.data;
        this.#bytes += typeof frame === 'string' ? frame.length : frame.byteLength;
        if (this.#bytes > MAX_EARLY_BYTES) return this.dispose();
        this.#frames.push(frame);
      },
      { signal },
    );
    socket.addEventListener('close', (event: CloseEvent) => (this.#closed = { code: event.code }), { signal });
  }

  /** The socket and what it received, once; null when it was given up (or already taken). */
  take(): EarlyHandover | null {
    if (this.#taken) return null;
    this.#taken = true;
    this.#abort.abort();
    if (this.#bytes > MAX_EARLY_BYTES) return null;
    this.#handedOver = true;
    return { socket: this.#socket, frames: this.#frames.splice(0), helloSent: this.#helloSent, size: this.#size, closed: this.#closed };
  }

  /** Gives the socket up (the terminal did not load, or held too much); nothing once it was handed over. */
  dispose(): void {
    if (this.#handedOver) return;
    this.#taken = true;
    this.#abort.abort();
    this.#frames.length = 0;
    if (this.#socket.readyState === WebSocket.CONNECTING || this.#socket.readyState === WebSocket.OPEN) this.#socket.close(1000);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(value) || min));
}
