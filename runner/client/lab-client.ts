/**
 * A protocol client for tests, driven like the page drives it: it acknowledges output as xterm's
 * write callback would and reads the shell's OSC 133 marks with the shared reader.
 */
import WebSocket from 'ws';
import { AckTracker } from '../../src/protocol/flow.ts';
import { ShellMarkReader, type ShellMark } from '../../src/protocol/shell-marks.ts';
import { decodeServerMessage, encode, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX, type ClientMessage, type ServerMessage } from '../../src/protocol/wire.ts';

export interface ConnectOptions {
  token: string;
  origin: string;
}

export class LabClient {
  readonly socket: WebSocket;
  readonly messages: ServerMessage[] = [];
  readonly marks: ShellMark[] = [];
  /** All output received, in order, without duplicates. */
  output = '';
  /** Offset just past `output`'s last character in the terminal's whole output. */
  offset = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #marks = new ShellMarkReader();
  #tracker = new AckTracker();
  #waiters = new Set<() => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    socket.on('message', (data: Buffer) => this.#receive(data.toString('utf8')));
    socket.on('close', () => this.#wake());
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

  send(message: ClientMessage): void {
    this.socket.send(encode(message));
  }

  hello(options: { sessionId?: string; lastSeq?: number; terminal?: string } = {}): void {
    this.send({ type: 'hello', v: 1, terminal: options.terminal ?? 'main', cols: 120, rows: 30, ...options });
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

  /** Waits for a prompt, types `command`, and resolves with its exit status and output (OSC marks removed). */
  async run(command: string, timeoutMs = 60_000): Promise<{ exitCode: number | null; output: string }> {
    await this.until(() => this.marks.some((m) => m.kind === 'command-start'), timeoutMs, 'a prompt');
    const from = this.marks.length;
    const start = this.output.length;
    this.send({ type: 'input', data: `${command}\r` });
    await this.until(() => this.marks.slice(from).some((m) => m.kind === 'command-finished'), timeoutMs, `the end of ${command}`);
    const finished = this.marks.slice(from).find((m) => m.kind === 'command-finished') as Extract<ShellMark, { kind: 'command-finished' }>;
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
        reject(new Error(`timed out waiting for ${what}; output tail: ${JSON.stringify(this.output.slice(-400))}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  #receive(frame: string): void {
    const decoded = decodeServerMessage(frame);
    if (!decoded.ok) throw new Error(`runner sent an invalid frame: ${decoded.code} ${decoded.detail}`);
    const message = decoded.message;
    this.messages.push(message);
    if (message.type === 'welcome') {
      this.offset = message.seq;
      this.#tracker = new AckTracker(message.seq);
    }
    if (message.type === 'output') {
      const end = message.seq + message.data.length;
      if (end > this.offset) {
        const fresh = message.data.slice(Math.max(0, this.offset - message.seq));
        for (const mark of this.#marks.feed(fresh, this.offset)) this.marks.push(mark);
        this.output += fresh;
        this.offset = end;
        const ack = this.#tracker.parsedUpTo(end);
        if (ack !== null) this.send({ type: 'ack', upTo: ack });
      }
    }
    this.#wake();
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

/** Output as a reader sees it: OSC sequences (shell marks, titles) take no room on screen. */
export function withoutOsc(text: string): string {
  return text.replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '');
}
