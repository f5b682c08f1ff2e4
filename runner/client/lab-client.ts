/**
 * A client of the runner's wire protocol, driven as the page drives it: its output goes through a
 * headless xterm.js (the page's terminal, without a screen), which answers the programs' queries
 * as the page would (a cursor-position request from busybox's line editor, say), and whose write
 * callback sends the acknowledgements. It reads the shell's OSC 133 marks with the shared reader.
 * The doc-test driver, the benchmarks and the integration tests all talk to the runner through it.
 *
 * Output arrives as bytes (binary frames, numbered by byte offset). The headless xterm takes the
 * bytes; `output` is the same stream as text, through one streaming TextDecoder, so a character
 * split across frames (or across a reconnect, see `reconnect()`) comes out whole. A frame whose
 * offset does not follow the last closes the socket with CloseCode.outputOutOfSequence, and the
 * client resumes from the last byte it holds on a new socket.
 *
 * One client is one socket attached to one terminal. A second terminal of the same session is a
 * second client whose hello names the session and the terminal (`joinTerminal`).
 */
import headless from '@xterm/headless';
import WebSocket from 'ws';
import { AckTracker } from '../../src/protocol/flow.ts';
import { INTERRUPT, typedInput, withoutOsc } from '../../src/common/block-output.ts';
import { ShellMarkReader, type ShellMark } from '../../src/protocol/shell-marks.ts';
import {
  CloseCode,
  decodeServerMessage,
  encode,
  MAIN_TERMINAL,
  SUBPROTOCOL,
  TOKEN_SUBPROTOCOL_PREFIX,
  type ClientMessage,
  type HelloMessage,
  type ServerMessage,
} from '../../src/protocol/wire.ts';

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

/**
 * A chunk of new output: when it arrived (performance.now()), the byte offset where it starts in
 * the terminal's output, its bytes, and its text (what the streaming decoder made of them: a
 * character split at the chunk's end comes with the next chunk's text).
 */
export interface OutputChunk {
  at: number;
  offset: number;
  bytes: Uint8Array;
  data: string;
}

/** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
function openSocket(url: string, options: ConnectOptions): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, [SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX + options.token], { origin: options.origin });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    socket.once('error', reject);
  });
}

/** What the runner says about the sandbox's network. */
export type TopologyMessage = Extract<ServerMessage, { type: 'topology' | 'topology-failed' }>;

export class LabClient {
  #socket: WebSocket;
  readonly messages: ServerMessage[] = [];
  readonly marks: ShellMark[] = [];
  /** All output received since the welcome, in order, without duplicates, as text. */
  output = '';
  /** Byte offset just past the last byte received, in the terminal's whole output. */
  offset = 0;
  /** Resolves when the client's last socket closed (a resume's new socket takes the old one's place). */
  readonly closed: Promise<{ code: number; reason: string }>;
  #resolveClosed: (closed: { code: number; reason: string }) => void = () => {};
  /** Output frames received in order. */
  outputFrames = 0;
  /** Output frames that did not follow the one before them (each one closed its socket and was resumed). */
  outOfSequence = 0;
  readonly #url: string;
  readonly #options: ConnectOptions;
  readonly #marks = new ShellMarkReader();
  readonly #outputListeners = new Set<(chunk: OutputChunk) => void>();
  /** One decoder for the whole stream: a character split across frames or sockets comes out whole. */
  readonly #decoder = new TextDecoder('utf-8');
  /** The offset the next output frame must start at; null until a welcome says. */
  #expected: number | null = null;
  readonly #topologyListeners = new Set<(message: TopologyMessage) => void>();
  #tracker = new AckTracker();
  #waiters = new Set<() => void>();
  /** Sockets let go by a resume: their close is not the client's. */
  readonly #retired = new WeakSet<WebSocket>();
  /** A resume is under way: a closed socket does not fail the waiters yet. */
  #resuming = false;
  /** The last hello sent, for a resume on a new socket. */
  #hello: HelloMessage | null = null;
  /** The terminal the output is written to, from the hello on. */
  #screen: InstanceType<typeof headless.Terminal> | null = null;

  private constructor(socket: WebSocket, url: string, options: ConnectOptions) {
    this.#socket = socket;
    this.#url = url;
    this.#options = options;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#listen(socket);
  }

  /** The socket in use now. */
  get socket(): WebSocket {
    return this.#socket;
  }

  /** Opens a socket; rejects with the HTTP status when the upgrade is refused. */
  static async connect(url: string, options: ConnectOptions): Promise<LabClient> {
    return new LabClient(await openSocket(url, options), url, options);
  }

  #listen(socket: WebSocket): void {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (socket === this.#socket) this.#receive(isBinary ? data : data.toString('utf8'));
    });
    socket.on('close', (code, reason) => {
      if (socket !== this.#socket || this.#retired.has(socket)) return; // let go by a resume
      this.#screen?.dispose();
      this.#screen = null;
      this.#resolveClosed({ code, reason: reason.toString() });
      this.#wake();
    });
  }

  /**
   * Resumes on a new socket from the last byte received, as the page does after a dropped link:
   * the same decoder and terminal go on, so a character cut by the drop is whole. The old socket
   * is dropped if it is still open. Resolves once the new socket is welcomed.
   */
  async reconnect(): Promise<void> {
    const hello = this.#hello;
    const sessionId = hello?.sessionId ?? this.messages.findLast((m) => m.type === 'welcome')?.sessionId;
    if (!hello || !sessionId) throw new Error('reconnect() needs a session: call hello() and wait for its welcome first');
    const old = this.#socket;
    this.#retired.add(old);
    this.#expected = null;
    // A socket already closing (with outputOutOfSequence) finishes its closing handshake.
    if (old.readyState === WebSocket.OPEN || old.readyState === WebSocket.CONNECTING) old.terminate();
    this.#resuming = true;
    let socket: WebSocket;
    try {
      socket = await openSocket(this.#url, this.#options);
    } finally {
      this.#resuming = false;
    }
    this.#socket = socket;
    this.#listen(socket);
    const welcomes = this.messages.filter((m) => m.type === 'welcome').length;
    this.#hello = { ...hello, sessionId, lastSeq: this.offset };
    this.send(this.#hello);
    await this.until(() => this.messages.filter((m) => m.type === 'welcome').length > welcomes, 30_000, 'the welcome of the resumed socket');
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
    this.#hello = hello;
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

  /** The text of the output from index `from` of `output` (as `output.length` was then) to now. */
  outputSince(from: number): string {
    return this.output.slice(from);
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

  /** Workshop mode: tells the runner a block ended (as the learner's page does). */
  outcome(page: string, block: string, outcome: 'passed' | 'failed' | 'stopped', exitCode: number | null): void {
    this.send({ type: 'outcome', page, block, outcome, exitCode });
  }

  /** Workshop mode: tells the runner where the learner reads. */
  location(page: string, section: string | null): void {
    this.send({ type: 'location', page, section });
  }

  /** Every message of `type` received so far, oldest first. */
  messagesOf<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.messages.filter((m) => m.type === type) as Extract<ServerMessage, { type: T }>[];
  }

  /** Resolves with the first message of `type` received from now on, or already received, that `matches`. */
  async messageWhere<T extends ServerMessage['type']>(type: T, matches: (message: Extract<ServerMessage, { type: T }>) => boolean, timeoutMs = 90_000): Promise<Extract<ServerMessage, { type: T }>> {
    const find = () => this.messagesOf(type).find(matches);
    await this.until(() => find() !== undefined, timeoutMs, `a ${type} message that matches`);
    return find() as Extract<ServerMessage, { type: T }>;
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
        } else if (this.socket.readyState === WebSocket.CLOSED && !this.#resuming) {
          done();
          reject(new Error(`socket closed while waiting for ${what}; messages: ${JSON.stringify(this.messages)}`));
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

  #receive(frame: string | Buffer): void {
    const decoded = decodeServerMessage(frame);
    if (!decoded.ok) throw new Error(`runner sent an invalid frame: ${decoded.code} ${decoded.detail}`);
    const message = decoded.message;
    if (message.type !== 'output') {
      this.messages.push(message);
      if (message.type === 'topology' || message.type === 'topology-failed') for (const listener of this.#topologyListeners) listener(message);
      if (message.type === 'welcome') {
        // A welcome on a fresh client, or on a resume that found output trimmed, starts the stream
        // there; what the decoder held of a character before a gap will not be completed.
        if (message.seq !== this.offset) {
          if (this.output !== '' || this.offset !== 0) this.output += this.#decoder.decode();
          this.offset = message.seq;
        }
        this.#expected = message.seq;
        this.#tracker = new AckTracker(message.seq);
      }
    } else if (message.seq !== this.#expected) {
      this.#outOfSequence();
      return;
    } else {
      const bytes = message.data;
      const end = message.seq + bytes.length;
      this.#expected = end;
      this.outputFrames += 1;
      const data = this.#decoder.decode(bytes, { stream: true });
      const chunk = { at: performance.now(), offset: message.seq, bytes, data };
      for (const mark of this.#marks.feed(bytes, message.seq)) this.marks.push(mark);
      this.output += data;
      this.offset = end;
      this.#parse(bytes, end);
      for (const listener of this.#outputListeners) listener(chunk);
    }
    this.#wake();
  }

  /** An output frame that does not follow: close with the protocol's code, and resume from what we hold. */
  #outOfSequence(): void {
    this.outOfSequence += 1;
    const socket = this.#socket;
    this.#expected = null;
    this.#retired.add(socket);
    socket.close(CloseCode.outputOutOfSequence, 'output out of sequence');
    this.reconnect().catch((error: unknown) => {
      // Nobody awaits this resume: a failed one leaves the client closed, and its waiters say so.
      if (this.#socket === socket) this.#resolveClosed({ code: CloseCode.outputOutOfSequence, reason: (error as Error).message });
      this.#wake();
    });
  }

  /** Writes output to the terminal and acknowledges it once parsed, as the page's xterm does. */
  #parse(data: Uint8Array, end: number): void {
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
