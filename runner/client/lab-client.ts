/**
 * A client of the runner's wire protocol, driven as the page drives it: its output goes through a
 * headless xterm.js (the page's terminal, without a screen), which answers the programs' queries
 * as the page would (a cursor-position request from busybox's line editor, say), and whose write
 * callback sends the acknowledgements. It reads the shell's OSC 133 marks with the shared reader.
 * The doc-test driver, the benchmarks and the integration tests all talk to the runner through it.
 *
 * One client is one socket attached to one terminal. A second terminal of the same session is a
 * second client whose hello names the session and the terminal (`joinTerminal`).
 */
import headless from '@xterm/headless';
import WebSocket from 'ws';
import { AckTracker } from '../../src/protocol/flow.ts';
import { INTERRUPT, typedInput, withoutOsc } from '../../src/common/block-output.ts';
import { ShellMarkReader, type ShellMark } from '../../src/protocol/shell-marks.ts';
import { decodeServerMessage, encode, MAIN_TERMINAL, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, type ClientMessage, type ServerMessage } from '../../src/protocol/wire.ts';

export interface ConnectOptions {
  token: string;
  origin: string;
}

export interface HelloOptions {
  sessionId?: string;
  lastSeq?: number;
  terminal?: string;
  cols?: number;
  rows?: number;
}

/** The terminal size a client asks for unless told otherwise. */
export const DEFAULT_SIZE = { cols: 120, rows: 30 } as const;

/** A chunk of new output, when it arrived (performance.now()) and where it starts in the terminal's output. */
export interface OutputChunk {
  at: number;
  offset: number;
  data: string;
}

/** What the runner says about the sandbox's network. */
export type TopologyMessage = Extract<ServerMessage, { type: 'topology' | 'topology-failed' }>;

export class LabClient {
  readonly socket: WebSocket;
  readonly messages: ServerMessage[] = [];
  readonly marks: ShellMark[] = [];
  /** All output received since the welcome, in order, without duplicates. */
  output = '';
  /** Offset just past `output`'s last character in the terminal's whole output. */
  offset = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #marks = new ShellMarkReader();
  readonly #outputListeners = new Set<(chunk: OutputChunk) => void>();
  readonly #topologyListeners = new Set<(message: TopologyMessage) => void>();
  /** Offset of `output`'s first character (the welcome's seq). */
  #base = 0;
  #tracker = new AckTracker();
  #waiters = new Set<() => void>();
  /** The terminal the output is written to, from the hello on. */
  #screen: InstanceType<typeof headless.Terminal> | null = null;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on('message', (data: Buffer) => this.#receive(data.toString('utf8')));
    socket.on('close', () => {
      this.#screen?.dispose();
      this.#screen = null;
      this.#wake();
    });
  }

  /** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
  static connect(url: string, options: ConnectOptions): Promise<LabClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + options.token], { origin: options.origin });
      socket.once('open', () => resolve(new LabClient(socket)));
      socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
      socket.once('error', reject);
    });
  }

  /** Opens another terminal of `sessionId` (a second tab of the page) and waits for its welcome. */
  static async joinTerminal(url: string, options: ConnectOptions & { sessionId: string; terminal: string; cols?: number; rows?: number }): Promise<LabClient> {
    const client = await LabClient.connect(url, options);
    const { sessionId, terminal, cols, rows } = options;
    client.hello({ sessionId, terminal, ...(cols ? { cols } : {}), ...(rows ? { rows } : {}) });
    await client.message('welcome');
    return client;
  }

  send(message: ClientMessage): void {
    this.socket.send(encode(message));
  }

  hello(options: HelloOptions = {}): void {
    const hello = { type: 'hello', v: 1, terminal: MAIN_TERMINAL, ...DEFAULT_SIZE, ...options } as const;
    this.#screen?.dispose();
    this.#screen = new headless.Terminal({ cols: hello.cols, rows: hello.rows, scrollback: 1000, allowProposedApi: true });
    // What the terminal itself answers (cursor position, device attributes) goes back as input.
    this.#screen.onData((data) => {
      if (this.socket.readyState === WebSocket.OPEN) this.type(data);
    });
    this.send(hello);
  }

  /** Keys as typed: one input message. */
  type(data: string): void {
    this.send({ type: 'input', data });
  }

  /**
   * Pastes `text` as xterm does for a program that asked for bracketed paste, then presses Enter:
   * bash takes a multi-line block (a loop, a heredoc) whole, as one command line.
   */
  pasteLine(text: string): void {
    this.type(typedInput(text, true));
  }

  /** Ctrl-C. */
  interrupt(): void {
    this.type(INTERRUPT);
  }

  /**
   * Resolves once the terminal has parsed all output received so far, and so has sent its answers
   * to any query in it: type after this, as a reader can only type after the screen shows the prompt.
   */
  parsed(): Promise<void> {
    const screen = this.#screen;
    return screen ? new Promise((resolve) => screen.write('', resolve)) : Promise.resolve();
  }

  /** Output from `offset` (an offset in the terminal's whole output) to now. */
  outputSince(offset: number): string {
    return this.output.slice(Math.max(0, offset - this.#base));
  }

  /** The newest shell mark, or null before the first. */
  get lastMark(): ShellMark | null {
    return this.marks.at(-1) ?? null;
  }

  /** The lab shell shows its prompt and waits for a command line (its newest mark is command-start). */
  get atShellPrompt(): boolean {
    return this.lastMark?.kind === 'command-start';
  }

  /** Calls `listener` with each chunk of new output; returns the function that stops it. */
  onOutput(listener: (chunk: OutputChunk) => void): () => void {
    this.#outputListeners.add(listener);
    return () => this.#outputListeners.delete(listener);
  }

  /** Starts or stops the runner's `topology` messages on this socket. */
  watchTopology(on: boolean): void {
    this.send({ type: 'watch-topology', on });
  }

  /** Calls `listener` with each `topology` and `topology-failed` message; returns the function that stops it. */
  onTopology(listener: (message: TopologyMessage) => void): () => void {
    this.#topologyListeners.add(listener);
    return () => this.#topologyListeners.delete(listener);
  }

  /** Resolves with the first message of `type` (already received or still to come). */
  async message<T extends ServerMessage['type']>(type: T, timeoutMs = 90_000): Promise<Extract<ServerMessage, { type: T }>> {
    await this.until(() => this.messages.some((m) => m.type === type), timeoutMs, `a ${type} message`);
    return this.messages.find((m) => m.type === type) as Extract<ServerMessage, { type: T }>;
  }

  /** Resolves when the output matches. */
  async waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    await this.until(() => pattern.test(this.output), timeoutMs, `output matching ${pattern}`);
    return this.output.match(pattern) as RegExpMatchArray;
  }

  /** Resolves with the first mark of `kind` at index `from` of `marks` or later. */
  async nextMark<K extends ShellMark['kind']>(kind: K, from: number, timeoutMs: number): Promise<Extract<ShellMark, { kind: K }>> {
    const find = () => this.marks.slice(from).find((m) => m.kind === kind) as Extract<ShellMark, { kind: K }> | undefined;
    await this.until(() => find() !== undefined, timeoutMs, `a ${kind} mark`);
    return find() as Extract<ShellMark, { kind: K }>;
  }

  /** Waits for a prompt, types `command`, and resolves with its exit status and output (OSC marks removed). */
  async run(command: string, timeoutMs = 60_000): Promise<{ exitCode: number | null; output: string }> {
    await this.until(() => this.marks.some((m) => m.kind === 'command-start'), timeoutMs, 'a prompt');
    const from = this.marks.length;
    const start = this.output.length;
    this.type(`${command}\r`);
    const finished = await this.nextMark('command-finished', from, timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message} (the end of ${command})`, { cause: error });
    });
    return { exitCode: finished.exitCode, output: withoutOsc(this.output.slice(start)) };
  }

  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (condition()) {
          done();
          resolve();
        } else if (this.socket.readyState === WebSocket.CLOSED) {
          done();
          reject(new Error(`socket closed while waiting for ${what}; messages: ${JSON.stringify(this.messages.filter((m) => m.type !== 'output'))}`));
        }
      };
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      const timer = setTimeout(() => {
        done();
        reject(Object.assign(new Error(`timed out waiting for ${what}; output tail: ${JSON.stringify(this.output.slice(-400))}`), { code: 'TIMEOUT' }));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  #receive(frame: string): void {
    const decoded = decodeServerMessage(frame);
    if (!decoded.ok) throw new Error(`runner sent an invalid frame: ${decoded.code} ${decoded.detail}`);
    const message = decoded.message;
    this.messages.push(message);
    if (message.type === 'topology' || message.type === 'topology-failed') for (const listener of this.#topologyListeners) listener(message);
    if (message.type === 'welcome') {
      this.offset = message.seq;
      this.#base = message.seq - this.output.length;
      this.#tracker = new AckTracker(message.seq);
    }
    if (message.type === 'output') {
      const end = message.seq + message.data.length;
      if (end > this.offset) {
        const fresh = message.data.slice(Math.max(0, this.offset - message.seq));
        const chunk = { at: performance.now(), offset: this.offset, data: fresh };
        for (const mark of this.#marks.feed(fresh, this.offset)) this.marks.push(mark);
        this.output += fresh;
        this.offset = end;
        this.#parse(fresh, end);
        for (const listener of this.#outputListeners) listener(chunk);
      }
    }
    this.#wake();
  }

  /** Writes output to the terminal and acknowledges it once parsed, as the page's xterm does. */
  #parse(data: string, end: number): void {
    const acknowledge = () => {
      const ack = this.#tracker.parsedUpTo(end);
      if (ack !== null && this.socket.readyState === WebSocket.OPEN) this.send({ type: 'ack', upTo: ack });
    };
    if (this.#screen) this.#screen.write(data, acknowledge);
    else acknowledge();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }


  /** Drops the TCP connection without a closing handshake, as a lost network does. */
  drop(): void {
    this.socket.terminate();
  }
}

// Tests read output without its shell marks through the client; the function is block-output's.
export { withoutOsc };
